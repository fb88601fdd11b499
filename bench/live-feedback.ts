// live-feedback: what liveLoss (loss chart + progress bar, updated in place) costs a training loop.
//
//   npm run bench -- live-feedback [--steps 60000] [--reps 5] [--size 48] [--interval 500] [--picture 5000]
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
//
// On a shared machine wall time is noisy (other processes take the cores); `cpu` is the CPU time
// of the training thread itself (Linux: /proc/self/task/PID/stat, 10 ms ticks) with and without,
// a view of what liveLoss adds to that thread which other load does not disturb; `proc-cpu` is the
// whole process's, so it includes the chart worker's. The load average is printed before and after.
//
// Chart updates carry a PNG (for the classic notebook and nbconvert), rendered in a worker thread
// at most every `--picture` ms (liveLoss's pictureInterval, the first one too): runs are long enough
// by default (60,000 steps, over ten seconds on a quiet machine) for a few pictures each, and `pictures/run` and
// `png-messages/run` report how many were made and sent.
import * as tf from "@tensorflow/tfjs";
import { readFileSync } from "fs";
import { loadavg } from "os";
import { performance } from "perf_hooks";
import { BRIDGE } from "../src/display/bridge";
import { lossChartSpec } from "../src/plot/charts";
import { renderOffThread } from "../src/plot/offthread";
import { liveLoss } from "../src/show/live";

interface Options {
  steps: number;
  reps: number;
  size: number;
  interval: number;
  picture: number;
}

function parse(args: string[]): Options {
  const o: Options = { steps: 60000, reps: 5, size: 48, interval: 500, picture: 5000 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const key = a.replace(/^--/, "") as keyof Options;
    if (!a.startsWith("--") || !(key in o))
      throw new Error(`live-feedback: unknown option ${a} (use --steps, --reps, --size, --interval, --picture)`);
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

/** CPU ms of this process's main thread (Linux), or NaN where /proc has no per-thread times. */
function mainThreadCpuMs(): number {
  try {
    const s = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" "); // fields from the 3rd (state) on
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, USER_HZ = 100 on Linux
  } catch {
    return NaN;
  }
}

const processCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

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

  let messages = 0,
    bytes = 0,
    pngMessages = 0;
  const previous = (globalThis as any)[BRIDGE];
  (globalThis as any)[BRIDGE] = {
    display(msg: { data: Record<string, unknown> }) {
      messages++;
      if ("image/png" in msg.data) pngMessages++;
      bytes += JSON.stringify(msg).length;
    },
    clearOutput() {},
  };

  async function run(
    live: boolean,
    steps: number,
  ): Promise<{
    loop: number;
    inside: number;
    finish: number;
    messages: number;
    pngs: number;
    pictures: number;
    pictureMs: number;
    cpu: number;
    procCpu: number;
  }> {
    const m0 = messages,
      p0 = pngMessages;
    const c0 = mainThreadCpuMs(),
      pc0 = processCpuMs();
    const t0 = performance.now();
    const l = live ? liveLoss({ total: steps, interval: o.interval, pictureInterval: o.picture, metric: "perplexity" }) : undefined;
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
    const cpu = mainThreadCpuMs() - c0,
      procCpu = processCpuMs() - pc0;
    const pngs = pngMessages - p0; // before finish(): the live ones only
    let finish = 0;
    if (l) {
      const t1 = performance.now();
      await l.finish();
      finish = performance.now() - t1;
    }
    const pictures = l ? l.pictures.length : 0;
    return {
      loop,
      inside,
      finish,
      messages: messages - m0,
      pngs,
      pictures,
      pictureMs: pictures ? median(l!.pictures.map((p) => p.cost)) : 0,
      cpu,
      procCpu,
    };
  }

  try {
    // warm-up: JIT, tfjs kernels, vega import and first render; the chart worker's start (once per
    // process, on its own thread: vega's import there) is timed and reported on its own
    await run(false, 200);
    await run(true, 200);
    const w0 = performance.now();
    await renderOffThread(lossChartSpec({ train: [3, 2, 1] }).spec);
    console.log(`chart worker started and drew its first picture in ${(performance.now() - w0).toFixed(0)} ms`);
    const without: number[] = [],
      withLive: number[] = [],
      finish: number[] = [],
      msgs: number[] = [],
      inside: number[] = [],
      pngs: number[] = [],
      pictures: number[] = [],
      pictureMs: number[] = [];
    const cpuWith: number[] = [],
      cpuWithout: number[] = [],
      procWith: number[] = [],
      procWithout: number[] = [];
    const load0 = loadavg()
      .map((x) => x.toFixed(2))
      .join(" ");
    for (let r = 0; r < o.reps; r++) {
      const order = r % 2 ? [true, false] : [false, true];
      for (const live of order) {
        const res = await run(live, o.steps);
        if (live) {
          withLive.push(res.loop);
          finish.push(res.finish);
          msgs.push(res.messages);
          inside.push(res.inside / res.loop);
          pngs.push(res.pngs);
          pictures.push(res.pictures);
          pictureMs.push(res.pictureMs);
          cpuWith.push(res.cpu);
          procWith.push(res.procCpu);
        } else {
          without.push(res.loop);
          cpuWithout.push(res.cpu);
          procWithout.push(res.procCpu);
        }
      }
      console.log(
        `rep ${r + 1}: without ${without[r].toFixed(0)} ms (cpu ${cpuWithout[r].toFixed(0)}), with ${withLive[r].toFixed(0)} ms (cpu ${cpuWith[r].toFixed(0)}, process ${procWith[r].toFixed(0)} vs ${procWithout[r].toFixed(0)}) (${msgs[r]} messages, ${pngs[r]} with a PNG; ${pictures[r]} pictures, ${pictureMs[r].toFixed(0)} ms CPU each in the worker), finish ${finish[r].toFixed(0)} ms`,
      );
    }
    const a = median(without),
      b = median(withLive);
    const paired = median(withLive.map((v, i) => v / without[i])); // neighbours in time: less drift
    console.log(
      `live-feedback: steps=${o.steps} reps=${o.reps} size=${o.size} interval=${o.interval}ms ` +
        `without=${a.toFixed(1)}ms with=${b.toFixed(1)}ms (${((1000 * a) / o.steps).toFixed(1)} vs ${((1000 * b) / o.steps).toFixed(1)} µs/step) ` +
        `messages/run=${median(msgs)} png-messages/run=${median(pngs)} pictures/run=${median(pictures)} picture-cpu-ms=${median(pictureMs).toFixed(0)} bytes/run=${Math.round(
          (bytes /
            Math.max(
              1,
              msgs.reduce((s, v) => s + v, 0),
            )) *
            median(msgs),
        )} ` +
        `finish=${median(finish).toFixed(0)}ms in-update=${(100 * median(inside)).toFixed(2)}% ` +
        `cpu=${median(cpuWithout).toFixed(0)}->${median(cpuWith).toFixed(0)}ms (x${(median(cpuWith) / median(cpuWithout)).toFixed(3)}) ` +
        `proc-cpu=${median(procWithout).toFixed(0)}->${median(procWith).toFixed(0)}ms load=${load0}->${loadavg()
          .map((x) => x.toFixed(2))
          .join(" ")} ` +
        `paired=${paired.toFixed(3)} ratio=${(b / a).toFixed(3)}`,
    );
  } finally {
    (globalThis as any)[BRIDGE] = previous;
    if (previous === undefined) delete (globalThis as any)[BRIDGE];
    x.dispose();
    w.dispose();
    target.dispose();
  }
}
