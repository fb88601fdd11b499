// live-feedback: what liveLoss (loss chart + progress bar, updated in place) costs a training loop.
//
//   npm run bench -- live-feedback [--steps 3000] [--reps 7] [--size 48] [--interval 500]
//
// A training-like loop of N short steps (tfjs cpu: a [size × size] matmul, a mean-squared-error
// loss read back with dataSync, then an `await setImmediate` yield as a trainer gives the event
// loop) runs with and without liveLoss in the same process, interleaved (the order alternating),
// several repetitions; the medians are compared. A fake kernel bridge on
// globalThis[Symbol.for("seqlab.kernel")] serialises every display message with JSON.stringify,
// as the real kernel does before sending it. The loop time excludes finish() (the one final PNG
// render), which is reported on its own. `in-update` is the share of the loop spent inside
// update() (throttled renders included), a drift-free view of the same cost; `paired` the median of
// each repetition's with/without ratio. Last line: `live-feedback: ... ratio=<with ÷ without>`.
import * as tf from "@tensorflow/tfjs";
import { performance } from "perf_hooks";
import { BRIDGE } from "../src/display/bridge";
import { liveLoss } from "../src/show/live";

interface Options {
  steps: number;
  reps: number;
  size: number;
  interval: number;
}

function parse(args: string[]): Options {
  const o: Options = { steps: 3000, reps: 7, size: 48, interval: 500 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const key = a.replace(/^--/, "") as keyof Options;
    if (!a.startsWith("--") || !(key in o)) throw new Error(`live-feedback: unknown option ${a} (use --steps, --reps, --size, --interval)`);
    const v = Number(args[++i]);
    if (!(v >= 0)) throw new Error(`live-feedback: ${a} needs a number`);
    o[key] = v;
  }
  return o;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const tick = () => new Promise<void>((r) => setImmediate(r));

export async function main(args: string[]): Promise<void> {
  const o = parse(args);
  tf.enableProdMode(); // no "install tfjs-node" notice
  await tf.setBackend("cpu");
  const x = tf.randomNormal([o.size, o.size], 0, 1, "float32", 1);
  const w = tf.variable(tf.randomNormal([o.size, o.size], 0, 0.1, "float32", 2));
  const target = tf.randomNormal([o.size, o.size], 0, 1, "float32", 3);
  const step = (): number =>
    tf.tidy(() => {
      const y = tf.matMul(x, w);
      return tf.losses.meanSquaredError(target, y).dataSync()[0];
    });

  let messages = 0, bytes = 0;
  const previous = (globalThis as any)[BRIDGE];
  (globalThis as any)[BRIDGE] = {
    display(msg: unknown) {
      messages++;
      bytes += JSON.stringify(msg).length;
    },
    clearOutput() {},
  };

  async function run(live: boolean, steps: number): Promise<{ loop: number; inside: number; finish: number; messages: number }> {
    const m0 = messages;
    const t0 = performance.now();
    const l = live ? liveLoss({ total: steps, interval: o.interval, metric: "perplexity" }) : undefined;
    let inside = 0; // time spent in update() itself, renders included (trailing-timer renders are not)
    for (let s = 0; s < steps; s++) {
      const loss = step();
      if (l) {
        const u0 = performance.now();
        l.update({ step: s, loss, tokens: o.size });
        inside += performance.now() - u0;
      }
      await tick();
    }
    const loop = performance.now() - t0;
    let finish = 0;
    if (l) {
      const t1 = performance.now();
      await l.finish();
      finish = performance.now() - t1;
    }
    return { loop, inside, finish, messages: messages - m0 };
  }

  try {
    // warm-up: JIT, tfjs kernels, vega import and first render
    await run(false, 200);
    await run(true, 200);
    const without: number[] = [], withLive: number[] = [], finish: number[] = [], msgs: number[] = [], inside: number[] = [];
    for (let r = 0; r < o.reps; r++) {
      const order = r % 2 ? [true, false] : [false, true];
      for (const live of order) {
        const res = await run(live, o.steps);
        if (live) { withLive.push(res.loop); finish.push(res.finish); msgs.push(res.messages); inside.push(res.inside / res.loop); }
        else without.push(res.loop);
      }
      console.log(`rep ${r + 1}: without ${without[r].toFixed(0)} ms, with ${withLive[r].toFixed(0)} ms (${msgs[r]} messages), finish ${finish[r].toFixed(0)} ms`);
    }
    const a = median(without), b = median(withLive);
    const paired = median(withLive.map((v, i) => v / without[i])); // neighbours in time: less drift
    console.log(
      `live-feedback: steps=${o.steps} reps=${o.reps} size=${o.size} interval=${o.interval}ms ` +
        `without=${a.toFixed(1)}ms with=${b.toFixed(1)}ms (${((1000 * a) / o.steps).toFixed(1)} vs ${((1000 * b) / o.steps).toFixed(1)} µs/step) ` +
        `messages/run=${median(msgs)} bytes/run=${Math.round(bytes / Math.max(1, msgs.reduce((s, v) => s + v, 0)) * median(msgs))} ` +
        `finish=${median(finish).toFixed(0)}ms in-update=${(100 * median(inside)).toFixed(2)}% paired=${paired.toFixed(3)} ratio=${(b / a).toFixed(3)}`,
    );
  } finally {
    (globalThis as any)[BRIDGE] = previous;
    if (previous === undefined) delete (globalThis as any)[BRIDGE];
    x.dispose();
    w.dispose();
    target.dispose();
  }
}
