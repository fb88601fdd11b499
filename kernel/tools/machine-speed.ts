// How fast this machine runs single-threaded JavaScript right now, load included: the seconds a
// fixed piece of work takes (the median of five tries, about 0.1 s on a quiet 2-core laptop). The course's recorded
// notebook times were measured on one machine at one probe value; a machine (or a moment) whose
// probe takes twice as long runs the notebooks about twice as slowly. The work mixes what a
// notebook's time goes to: float arithmetic in typed arrays (training), objects, strings and
// regular expressions (the TypeScript compiler and the messages).
export function probeSeconds(tries = 5): number {
  const times: number[] = [];
  let sink = 0;
  for (let t = 0; t < tries; t++) {
    const start = process.hrtime.bigint();
    sink += work();
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  if (sink === 42.5) console.log(""); // keeps the work observable, so it is not optimised away
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function work(): number {
  const n = 1 << 15;
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = Math.sin(i);
    b[i] = Math.cos(i);
  }
  let acc = 0;
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < n; i++) acc += Math.tanh(a[i] * b[(i + round) % n]);
  }
  const words: { id: number; text: string }[] = [];
  for (let i = 0; i < 10_000; i++) words.push({ id: i, text: `token_${(i * 7919) % 1000}_${i % 13}` });
  const json = JSON.stringify(words);
  const back = JSON.parse(json) as typeof words;
  const re = /token_(\d+)_(\d+)/;
  for (const w of back) {
    const m = re.exec(w.text);
    if (m) acc += Number(m[1]) % 7;
  }
  return acc;
}
