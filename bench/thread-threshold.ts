// thread-threshold: where sharing a job out among threads starts to pay, for each kind of job that
// seqlab's kernels share out (src/backend/threads.ts), so that MIN_PARALLEL_WORK is a measured size.
//
//   npm run bench -- thread-threshold [--threads N] [--rounds 5] [--ms 40]
//
// Jobs, through tfjs's ops on the wasm backend with seqlab's kernels (what a notebook calls), each at
// sizes from a few thousand to tens of millions of multiply-adds ("work" as threads.ts counts it):
//   matMul     [M, K]·[K, N], square and the course's skinny shapes (an LSTM step's h·W_h at batch 32,
//              a GPT's linear layer over B·T rows)
//   layerNorm  [rows, 128] (work 8·rows·C), gelu [n] (work 16·n)
//   attention  GPT's fused attention, [B, T, 3·128] with 4 heads (work 2·B·heads·T²·hd)
//   lstm       fusedLstm's forward and backward pass over [B, T, D] with H units (work T·B·4H·(H+D));
//              shared out by sequences from 8 a thread, else by hidden units with a barrier each step
// Contenders, in the same process, alternating every round: one thread (setThreadCount(1)), and
// N threads with every job shared out whatever its size (setParallelThreshold(0)). Each figure is the
// median over rounds of the mean time of a call, calls repeated for --ms milliseconds a round.
//
// For each job and size it prints both times, the speed-up, and what the kernels now do there (one
// thread or N: threads.ts's threadsForWork, lstm-kernels.ts's lstmPassPlan). Per kind it prints the
// crossover: the smallest work from which N threads were faster at that and every larger size
// measured. Last line:
//   thread-threshold: threads=N threshold=.. crossover_max=.. crossover_matmul=.. .. ratio=..
// ratio = geometric mean over all cases of (the faster contender's time ÷ the time of the contender the
// kernels now pick), the one-thread peer measured in the same run: 1 means they pick the faster one
// everywhere; below 1 they leave time on the table (or waste it on threads).
import * as os from "os";
import * as tf from "@tensorflow/tfjs";
import { setLstmThreads, setThreadCount, useBackend } from "../src/backend";
import { ATTENTION_KERNELS } from "../src/backend/attention-kernels";
import { lstmPassPlan } from "../src/backend/lstm-kernels";
import { MIN_PARALLEL_WORK, parallelThreshold, setParallelThreshold, threadsForWork } from "../src/backend/threads";
import { fusedLstm } from "../src/nn/fused-lstm";
import { gelu } from "../src/nn/gelu";
import { lstmParams } from "../src/nn/lstm";
import { layerNorm } from "../src/nn/layer-norm";
import { geomean, loadavg, median } from "./support/common";

interface Case {
  kind: "matMul" | "layerNorm" | "gelu" | "attention" | "lstm";
  label: string;
  work: number;
  /** Whether the kernels would share this job out among `threads` now (threads.ts's threadsForWork unless said). */
  shared?: (threads: number) => boolean;
  /** Builds its inputs once; returns the call to time and a dispose. */
  setup(): { call: () => void; dispose: () => void };
}

const rand = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, "float32", seed);

function matMul(M: number, K: number, N: number): Case {
  return {
    kind: "matMul",
    label: `${M}x${K}·${K}x${N}`,
    // as wasm-kernels.ts counts it: columns rounded up to the kernel's 8
    work: M * K * Math.ceil(N / 8) * 8,
    setup() {
      const [a, b] = [rand([M, K], 1), rand([K, N], 2)];
      return { call: () => tf.matMul(a, b).dispose(), dispose: () => tf.dispose([a, b]) };
    },
  };
}

function norm(rows: number, C = 128): Case {
  return {
    kind: "layerNorm",
    label: `[${rows}, ${C}]`,
    work: 8 * rows * C,
    setup() {
      const x = rand([rows, C], 3);
      const p = { g: tf.ones([C]) as tf.Tensor1D, b: tf.zeros([C]) as tf.Tensor1D };
      return { call: () => layerNorm(p, x).dispose(), dispose: () => tf.dispose([x, p.g, p.b]) };
    },
  };
}

function geluCase(n: number): Case {
  return {
    kind: "gelu",
    label: `[${n}]`,
    work: 16 * n,
    setup() {
      const x = rand([n], 4);
      return { call: () => gelu(x).dispose(), dispose: () => x.dispose() };
    },
  };
}

function attention(B: number, T: number, C = 128, nHead = 4): Case {
  return {
    kind: "attention",
    label: `B ${B}, T ${T}`,
    work: 2 * B * nHead * T * T * (C / nHead),
    setup() {
      const qkv = rand([B, T, 3 * C], 5);
      return {
        call: () => tf.dispose(tf.engine().runKernel(ATTENTION_KERNELS.forward, { qkv }, { nHead }) as tf.Tensor[]),
        dispose: () => qkv.dispose(),
      };
    },
  };
}

function lstm(B: number, T: number, D: number, H: number): Case {
  return {
    kind: "lstm",
    label: `B ${B}, T ${T}, D ${D}, H ${H}`,
    work: T * B * 4 * H * (H + D),
    shared: (nt) => lstmPassPlan(T, B, D, H, nt).nt > 1,
    setup() {
      const xs = rand([B, T, D], 6) as tf.Tensor3D;
      const p = lstmParams(D, H, 7);
      const vars = [p.Wx, p.Wh, p.b];
      const call = () => {
        const { value, grads } = tf.variableGrads(() => tf.sum(fusedLstm(p, xs).hs) as tf.Scalar, vars);
        tf.dispose([value, ...Object.values(grads)]);
      };
      return { call, dispose: () => tf.dispose([xs, ...vars]) };
    },
  };
}

const CASES: Case[] = [
  ...[16, 24, 32, 48, 64, 96, 128, 192, 256].map((s) => matMul(s, s, s)),
  ...[32, 64, 128, 256, 512, 1024].map((n) => matMul(32, 256, n)), // an LSTM step's h·W_h, batch 32
  ...[8, 16, 32, 64, 128, 256, 512, 2048].map((rows) => matMul(rows, 128, 128)), // a GPT linear layer
  ...[8, 32, 128, 512, 2048, 8192].map((rows) => norm(rows)),
  ...[1024, 4096, 16384, 65536, 262144, 1048576].map((n) => geluCase(n)),
  ...[
    [1, 16],
    [2, 32],
    [8, 32],
    [8, 64],
    [32, 64],
  ].map(([B, T]) => attention(B, T)),
  // by hidden units (B 8: fewer than 8 sequences a thread), then by sequences (B 32)
  ...[
    [8, 16, 8, 16],
    [8, 16, 32, 32],
    [8, 32, 32, 64],
    [8, 64, 64, 128],
    [32, 16, 8, 16],
    [32, 32, 32, 32],
    [32, 64, 64, 128],
    [32, 64, 64, 256],
  ].map(([B, T, D, H]) => lstm(B, T, D, H)),
];

function options(args: string[]) {
  const o = { threads: Math.min(os.availableParallelism?.() ?? os.cpus().length, 64), rounds: 5, ms: 40 };
  for (let i = 0; i < args.length; i++) {
    const [a, v] = [args[i], Number(args[i + 1])];
    if (a === "--threads" && Number.isInteger(v) && v >= 2) o.threads = v;
    else if (a === "--rounds" && Number.isInteger(v) && v >= 1) o.rounds = v;
    else if (a === "--ms" && v > 0) o.ms = v;
    else
      throw new Error(
        `thread-threshold: unknown argument ${JSON.stringify(a)}; accepted: --threads N (2 or more) --rounds N --ms MILLISECONDS`,
      );
    i++;
  }
  return o;
}

/** Mean ms of call() over about `ms` milliseconds (after two untimed calls). */
function time(call: () => void, ms: number): number {
  call();
  call();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    call();
    n++;
    t = performance.now();
  } while (t - t0 < ms);
  return (t - t0) / n;
}

const fmtWork = (w: number) => (w >= 1 << 20 ? `${(w / (1 << 20)).toFixed(w >= 10 << 20 ? 0 : 1)}M` : `${Math.round(w / 1024)}k`);

export async function main(args: string[]): Promise<void> {
  const o = options(args);
  const { backend, threads } = await useBackend({ quiet: true });
  if (backend !== "wasm" || (threads ?? 1) < 2)
    throw new Error(
      `thread-threshold: needs the wasm backend with its heap shared (seqlab's threaded kernels; SEQLAB_THREADS not 1), got ${backend} with ${threads ?? 1} thread(s)`,
    );
  const threshold = parallelThreshold();
  const load0 = loadavg();
  console.log(
    `thread-threshold: ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} cores, load average ${load0}; ` +
      `1 thread vs ${o.threads} threads (every job shared out), ${o.rounds} rounds of ${o.ms} ms a case; threshold now ${threshold}`,
  );
  const one: number[][] = CASES.map(() => []);
  const many: number[][] = CASES.map(() => []);
  const live = CASES.map((c) => c.setup());
  try {
    for (let r = 0; r < o.rounds; r++) {
      // which contender goes first alternates, round by round
      for (const threaded of r % 2 ? [true, false] : [false, true]) {
        setThreadCount(threaded ? o.threads : 1);
        setParallelThreshold(threaded ? 0 : undefined);
        setLstmThreads(threaded ? true : undefined);
        live.forEach((l, i) => (threaded ? many : one)[i].push(time(l.call, o.ms)));
      }
      console.log(`round ${r + 1}/${o.rounds} done; load ${loadavg()}`);
    }
  } finally {
    setParallelThreshold(undefined);
    setLstmThreads(undefined);
    setThreadCount(o.threads);
    live.forEach((l) => l.dispose());
  }

  const rows = CASES.map((c, i) => {
    const [t1, tn] = [median(one[i]), median(many[i])];
    const threaded = c.shared ? c.shared(o.threads) : threadsForWork(c.work, o.threads) > 1;
    const picks = threaded ? tn : t1;
    return { c, t1, tn, picks, threaded, best: Math.min(t1, tn) };
  });
  console.log("");
  console.log(
    `${"job".padEnd(10)} ${"size".padEnd(18)} ${"work".padStart(6)} ${"1 thread ms".padStart(12)} ${`${o.threads} threads ms`.padStart(13)} ${"speed-up".padStart(9)}  threshold picks`,
  );
  for (const { c, t1, tn, threaded } of rows) {
    const pick = threaded ? `${o.threads} threads` : "1 thread";
    const right = threaded === tn < t1 ? "" : "  (the slower)";
    console.log(
      `${c.kind.padEnd(10)} ${c.label.padEnd(18)} ${fmtWork(c.work).padStart(6)} ${t1.toFixed(4).padStart(12)} ${tn.toFixed(4).padStart(13)} ${(t1 / tn).toFixed(2).padStart(8)}x  ${pick}${right}`,
    );
  }

  // crossover per kind: the smallest work from which threads won at that and every larger size
  const crossover: Record<string, number> = {};
  for (const kind of [...new Set(CASES.map((c) => c.kind))]) {
    const ks = rows.filter((r) => r.c.kind === kind).sort((a, b) => a.c.work - b.c.work);
    let w = Infinity;
    for (let i = ks.length - 1; i >= 0 && ks[i].tn < ks[i].t1; i--) w = ks[i].c.work;
    crossover[kind] = w;
  }
  const finite = Object.values(crossover).filter(Number.isFinite);
  const cmax = finite.length ? Math.max(...finite) : Infinity;
  const ratio = geomean(rows.map((r) => r.best / r.picks));
  console.log("");
  for (const [k, w] of Object.entries(crossover))
    console.log(`crossover ${k}: ${Number.isFinite(w) ? `${w} multiply-adds (${fmtWork(w)})` : "threads never won from some size on"}`);
  console.log(`load average: ${load0} before, ${loadavg()} after; MIN_PARALLEL_WORK = ${MIN_PARALLEL_WORK}`);
  const fields = Object.entries(crossover).map(([k, w]) => `crossover_${k.toLowerCase()}=${Number.isFinite(w) ? w : "NA"}`);
  console.log(
    `thread-threshold: threads=${o.threads} threshold=${threshold} crossover_max=${Number.isFinite(cmax) ? cmax : "NA"} ${fields.join(" ")} ratio=${ratio.toFixed(3)}`,
  );
}
