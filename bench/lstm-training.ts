// lstm-training: training throughput (tokens/s) of a character LSTM language model, and the per-token
// latency of sampling from it, seqlab against tf.layers and PyTorch.
//
//   npm run bench -- lstm-training [--threads N] [--steps 15] [--warmup 3] [--rounds 5] [--sample 1000]
//                                  [--python /usr/bin/python3] [--no-layers] [--torch-default] [--torch-reference]
//
// Model (every contender): vocab V (65 for Tiny Shakespeare) -> embedding 64 -> LSTM hidden 256 ->
// dense V over every step; sequences of 64 steps, batch 32, Adam lr 2e-3, mean cross-entropy over
// all B*T positions. Data: Tiny Shakespeare through the corpus loader (SEQLAB_DATA is its cache or
// mirror folder); when it cannot be loaded, uniformly random tokens over 65 symbols (said in the
// output). Vocabulary: the distinct characters, sorted. Batches: 32 windows at random offsets (seeded).
//
// Contenders:
//   seqlab       await useBackend() (wasm here, unless tfjs-node is installed); Embedding, fusedLstm
//                (the LSTM fused under one customGrad), Dense; tf.train.adam via optimizer.minimize.
//                At 1 thread and at all cores (--threads N, default the machine's cores), by
//                setThreadCount in this process: two contenders training the same model in turns.
//   tf.layers    (informational; at all cores) on the same backend: tf.sequential embedding -> lstm(returnSequences, recurrent
//                activation sigmoid, glorotUniform kernel and recurrent initialisers: the default
//                orthogonal one takes minutes) -> dense(V) logits; loss softmax cross-entropy on the
//                logits (the same loss); model.trainOnBatch.
//   torch        bench/torch/lstm_training.py (Debian's python3-torch), nn.Embedding + nn.LSTM
//                (batch_first) + nn.Linear, Adam, with LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread
//                (OpenBLAS): one process at 1 thread (torch.set_num_threads(1), OMP/OPENBLAS/MKL_NUM_THREADS=1)
//                and one at N (the same with N: OpenBLAS reads its count at start), both
//                OMP_WAIT_POLICY=PASSIVE. --torch-default adds a 1-thread process with the environment
//                as it is (its BLAS is whatever libblas.so.3 the system resolves to; OpenBLAS here, so
//                it measures the noise), --torch-reference one with Debian's reference BLAS/LAPACK
//                (informational). Each process reports the BLAS libraries mapped into it
//                (/proc/self/maps) and torch.__config__'s BLAS line.
//
// Interleaving: the torch processes are started once and serve commands on stdin (a blocked read
// costs no CPU), so every round runs each contender's --steps timed steps back to back, the order
// rotated each round; the medians over rounds are reported. Warm-up: --warmup untimed steps each.
// Every timed step includes making the batch and reading the loss back.
//
// Sampling: --sample characters (default 1000), temperature 1, seeded, one step at a time with the
// LSTM state carried, from the trained models. seqlab: a small sampler written here from the LSTM
// parameters (gates [f|i|o|g]): the embedding rows times W_x plus b are computed once per call (a
// [V, 4H] table), then per token ONE matmul h_t·[W_h | W_out] on the backend gives both the next
// step's recurrent term and this step's logits; the cell update, softmax and draw are in JS. It is
// checked against fusedLstm + Dense run over the sampled text. Also shown (not in the last line): a
// sampler made of lstmStep + Dense + softmax tensor ops per token. PyTorch: model(token, state) per
// token with torch.no_grad(), softmax, torch.multinomial. The sample call's own setup is timed.
//
// Last line (ratios: seqlab ÷ torch-OpenBLAS at equal threads; `ratio` at all cores):
//   lstm-training: threads=N seqlab_1t_tok_s=.. torch_1t_tok_s=.. ratio_1t=.. seqlab_tok_s=.. torch_tok_s=..
//                  layers_tok_s=.. seqlab_sample_ms_per_tok=.. torch_sample_ms_per_tok=.. ratio=..
// Exit status 1 when a PyTorch-OpenBLAS process cannot be run or fails: the ratios need them.
import { spawnSync } from "child_process";
import { existsSync } from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import * as tf from "@tensorflow/tfjs";
import { lstmThreadsEnabled, setThreadCount, threadCount, useBackend } from "../src/backend";
import { allCores, OPENBLAS_DIR, TorchServer, torchEnv, writeTokens } from "./support/torch-server";
import { fmt, loadavg, loadShakespeare, median, tensorBatch } from "./support/common";
import { mulberry32 } from "../src/data/random";
import { Dense, Embedding, fusedLstm, lstmCell, lstmStep, type LstmParams } from "../src/nn";

const ROOT = path.resolve(__dirname, "..", "..");
const REFERENCE_DIRS = "/usr/lib/x86_64-linux-gnu/blas:/usr/lib/x86_64-linux-gnu/lapack";
const E = 64,
  H = 256,
  T = 64,
  B = 32,
  LR = 2e-3,
  SEED = 0;
const REQUEST_TIMEOUT_MS = 20 * 60_000;

interface Options {
  threads: number;
  steps: number;
  warmup: number;
  rounds: number;
  sample: number;
  python: string;
  layers: boolean;
  torchDefault: boolean;
  reference: boolean;
}

function parseArgs(args: string[]): Options {
  const o: Options = {
    threads: allCores(),
    steps: 15,
    warmup: 3,
    rounds: 5,
    sample: 1000,
    python: "/usr/bin/python3",
    layers: true,
    torchDefault: false,
    reference: false,
  };
  const count = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min)
      throw new Error(`lstm-training: ${flag} expects an integer >= ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    switch (a) {
      case "--threads":
        o.threads = count(a, args[++i], 1);
        break;
      case "--steps":
        o.steps = count(a, args[++i], 1);
        break;
      case "--warmup":
        o.warmup = count(a, args[++i], 0);
        break;
      case "--rounds":
        o.rounds = count(a, args[++i], 1);
        break;
      case "--sample":
        o.sample = count(a, args[++i], 2);
        break;
      case "--python":
        if (args[i + 1] === undefined) throw new Error("lstm-training: --python expects a path");
        o.python = args[++i];
        break;
      case "--no-layers":
        o.layers = false;
        break;
      case "--torch-default":
        o.torchDefault = true;
        break;
      case "--torch-reference":
        o.reference = true;
        break;
      default:
        throw new Error(
          `lstm-training: unknown argument ${JSON.stringify(a)}; accepted: --threads N --steps N --warmup N --rounds N --sample N --python PATH --no-layers --torch-default --torch-reference`,
        );
    }
  }
  return o;
}

// --- data ----------------------------------------------------------------------------------------

// --- contenders in this process ----------------------------------------------------------------

interface Trainer {
  /** Runs n steps; returns the wall time (ms) and the last loss. */
  train(n: number): { ms: number; loss: number };
  dispose(): void;
}

function batchStarts(rand: () => number, n: number): number[] {
  return Array.from({ length: B }, () => Math.floor(rand() * (n - T - 1)));
}

class SeqlabModel implements Trainer {
  readonly emb: Embedding;
  readonly cell: ReturnType<typeof lstmCell>;
  readonly out: Dense;
  private readonly opt = tf.train.adam(LR);
  private readonly rand = mulberry32(SEED + 1);
  constructor(
    private readonly tokens: Int32Array,
    readonly V: number,
  ) {
    this.emb = new Embedding(V, E, { seed: SEED + 11 });
    this.cell = lstmCell({ inputSize: E, hiddenSize: H, seed: SEED + 12 });
    this.out = new Dense(H, V, { seed: SEED + 13 });
  }
  variables(): tf.Variable[] {
    return [...this.emb.variables(), ...this.cell.variables(), ...this.out.variables()];
  }
  private step(): number {
    const { inputs, targets } = tensorBatch(this.tokens, batchStarts(this.rand, this.tokens.length), T);
    try {
      const loss = this.opt.minimize(
        () =>
          tf.tidy(() => {
            const x = this.emb.apply(inputs) as tf.Tensor3D; // [B, T, E]
            const { hs } = fusedLstm(this.cell.params, x); // [B, T, H]
            const logits = tf.reshape(this.out.apply(hs), [B * T, this.V]);
            const labels = tf.oneHot(tf.reshape(targets, [B * T]) as tf.Tensor1D, this.V);
            return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
          }),
        true,
        this.variables(),
      )!;
      const v = loss.dataSync()[0];
      loss.dispose();
      return v;
    } finally {
      tf.dispose([inputs, targets]);
    }
  }
  train(n: number) {
    const t0 = performance.now();
    let loss = NaN;
    for (let s = 0; s < n; s++) loss = this.step();
    return { ms: performance.now() - t0, loss };
  }
  dispose() {
    this.opt.dispose();
    this.emb.dispose();
    this.cell.dispose();
    this.out.dispose();
  }
}

class LayersModel {
  private readonly model: tf.Sequential;
  private readonly rand = mulberry32(SEED + 2);
  constructor(
    private readonly tokens: Int32Array,
    private readonly V: number,
  ) {
    const m = tf.sequential();
    m.add(tf.layers.embedding({ inputDim: V, outputDim: E, inputLength: T }));
    m.add(
      tf.layers.lstm({
        units: H,
        returnSequences: true,
        recurrentActivation: "sigmoid",
        kernelInitializer: "glorotUniform",
        recurrentInitializer: "glorotUniform",
      }),
    );
    m.add(tf.layers.dense({ units: V })); // logits
    m.compile({
      optimizer: tf.train.adam(LR),
      // the same loss as the others: mean softmax cross-entropy over all B*T positions, on logits
      loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.reshape(yTrue, [-1, V]), tf.reshape(yPred, [-1, V])),
    });
    this.model = m;
  }
  /** n trainOnBatch steps (it is async: it awaits the loss read-back). */
  async trainAsync(n: number) {
    const t0 = performance.now();
    let loss = NaN;
    for (let s = 0; s < n; s++) {
      const { inputs, targets } = tensorBatch(this.tokens, batchStarts(this.rand, this.tokens.length), T);
      const y = tf.tidy(() => tf.oneHot(targets as tf.Tensor2D, this.V));
      try {
        const r = await this.model.trainOnBatch(inputs, y);
        loss = Array.isArray(r) ? r[0] : r;
      } finally {
        tf.dispose([inputs, targets, y]);
      }
    }
    return { ms: performance.now() - t0, loss };
  }
  dispose() {
    this.model.dispose();
  }
}

// --- seqlab samplers -----------------------------------------------------------------------------

function drawFrom(logits: Float32Array | number[], offset: number, V: number, rand: () => number, probsOut?: Float32Array): number {
  let max = -Infinity;
  for (let k = 0; k < V; k++) if (logits[offset + k] > max) max = logits[offset + k];
  const p = probsOut ?? new Float32Array(V);
  let sum = 0;
  for (let k = 0; k < V; k++) {
    const e = Math.exp(logits[offset + k] - max); // temperature 1
    p[k] = e;
    sum += e;
  }
  let u = rand() * sum;
  let pick = V - 1;
  for (let k = 0; k < V; k++) {
    u -= p[k];
    if (u < 0) {
      pick = k;
      break;
    }
  }
  if (probsOut) for (let k = 0; k < V; k++) probsOut[k] /= sum;
  return pick;
}

/**
 * Sample `count` tokens after `start`, one step at a time from the LSTM parameters: per token one
 * [1, H]·[H, 4H+V] matmul on the backend. `probs` (optional) receives each step's distribution.
 */
function sampleFused(
  p: LstmParams,
  table: tf.Tensor2D,
  out: Dense,
  count: number,
  seed: number,
  start: number,
  probs?: Float32Array[],
): number[] {
  const V = table.shape[0];
  const G = 4 * H;
  const rand = mulberry32(seed);
  // embedding row · W_x + b for every token: [V, 4H], and [W_h | W_out]: [H, 4H+V]
  const xwT = tf.tidy(() => tf.add(tf.matMul(table, p.Wx), p.b));
  const xw = xwT.dataSync() as Float32Array;
  xwT.dispose();
  const WhO = tf.tidy(() => tf.concat([p.Wh, out.W], 1)) as tf.Tensor2D;
  const bo = out.b ? (out.b.dataSync() as Float32Array) : new Float32Array(V);
  const h = new Float32Array(H),
    c = new Float32Array(H);
  let rec: Float32Array = new Float32Array(G + V); // h_{t-1}·[W_h | W_out]; h_0 = 0
  const logits = new Float32Array(V);
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const result: number[] = [];
  let tok = start;
  try {
    for (let s = 0; s < count; s++) {
      const zr = tok * G;
      for (let j = 0; j < H; j++) {
        const f = sig(xw[zr + j] + rec[j]);
        const i = sig(xw[zr + H + j] + rec[H + j]);
        const o = sig(xw[zr + 2 * H + j] + rec[2 * H + j]);
        const g = Math.tanh(xw[zr + 3 * H + j] + rec[3 * H + j]);
        const cn = f * c[j] + i * g;
        c[j] = cn;
        h[j] = o * Math.tanh(cn);
      }
      const hT = tf.tensor2d(h, [1, H]);
      const r = tf.matMul(hT, WhO);
      rec = r.dataSync() as Float32Array;
      tf.dispose([hT, r]);
      for (let k = 0; k < V; k++) logits[k] = rec[G + k] + bo[k];
      const pr = probs ? new Float32Array(V) : undefined;
      tok = drawFrom(logits, 0, V, rand, pr);
      if (pr) probs!.push(pr);
      result.push(tok);
    }
  } finally {
    WhO.dispose();
  }
  return result;
}

/** The same sampler from tensor ops per token: lstmStep, Dense, softmax (informational). */
function sampleSteps(p: LstmParams, table: tf.Tensor2D, out: Dense, count: number, seed: number, start: number): number[] {
  const V = table.shape[0];
  const rand = mulberry32(seed);
  let state = { h: tf.zeros([1, H]) as tf.Tensor2D, c: tf.zeros([1, H]) as tf.Tensor2D };
  const result: number[] = [];
  let tok = start;
  try {
    for (let s = 0; s < count; s++) {
      const next = tf.tidy(() => {
        const x = tf.gather(table, tf.tensor1d([tok], "int32")) as tf.Tensor2D;
        const st = lstmStep(p, x, state);
        return { h: st.h, c: st.c, logits: out.apply(st.h) };
      });
      tf.dispose([state.h, state.c]);
      state = { h: next.h, c: next.c };
      const lg = next.logits.dataSync() as Float32Array;
      next.logits.dispose();
      tok = drawFrom(lg, 0, V, rand);
      result.push(tok);
    }
  } finally {
    tf.dispose([state.h, state.c]);
  }
  return result;
}

/** Max |p - p_ref| between the fused sampler's distributions and fusedLstm + Dense over the same text. */
function checkSampler(m: SeqlabModel, start: number, n: number): number {
  const probs: Float32Array[] = [];
  const toks = sampleFused(m.cell.params, m.emb.table as tf.Tensor2D, m.out, n, 7, start, probs);
  const input = [start, ...toks.slice(0, n - 1)];
  const ref = tf.tidy(() => {
    const x = m.emb.apply(tf.tensor2d(input, [1, n], "int32")) as tf.Tensor3D;
    const { hs } = fusedLstm(m.cell.params, x);
    return tf.softmax(tf.reshape(m.out.apply(hs), [n, m.V]));
  });
  const r = ref.dataSync();
  ref.dispose();
  let worst = 0;
  for (let t = 0; t < n; t++) for (let k = 0; k < m.V; k++) worst = Math.max(worst, Math.abs(probs[t][k] - r[t * m.V + k]));
  return worst;
}

// --- PyTorch processes -----------------------------------------------------------------------------

// --- main ------------------------------------------------------------------------------------------

interface Row {
  label: string;
  rates: number[]; // tokens/s per round
  losses: number[];
  failure?: string;
}

export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const load0 = loadavg();
  console.log(
    `lstm-training: ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load average ${load0}`,
  );
  const N = o.threads;
  console.log(
    `model: embedding ${E}, LSTM ${H}, ${T} steps, batch ${B}, Adam lr ${LR}; ${o.warmup} warm-up + ${o.steps} timed steps per round, ${o.rounds} rounds; 1 thread and ${N} (all cores); sampling ${o.sample} characters`,
  );

  const corpus = await loadShakespeare();
  const V = corpus.vocab.length || 65;
  console.log(`data: ${corpus.source}`);
  setThreadCount(Math.max(N, threadCount())); // before the backend starts: its heap is then shared
  const choice = await useBackend({ quiet: true });
  console.log(choice.message);
  console.log(
    `LSTM passes shared among threads: ${lstmThreadsEnabled() ? "yes" : "no"} (SEQLAB_LSTM_THREADS=${process.env.SEQLAB_LSTM_THREADS ?? "unset: yes unless the load average is at least twice the cores"}; load ${loadavg()})`,
  );

  const tokens = writeTokens(corpus.tokens, "lstm-training");

  // PyTorch processes
  const script = path.join(ROOT, "bench", "torch", "lstm_training.py");
  const torchDefault = o.torchDefault ? new TorchServer("torch default BLAS, 1 thread", torchEnv(), REQUEST_TIMEOUT_MS) : undefined;
  const torchOpen = new TorchServer("torch OpenBLAS, 1 thread", torchEnv(OPENBLAS_DIR), REQUEST_TIMEOUT_MS);
  const torchOpenN = N > 1 ? new TorchServer(`torch OpenBLAS, ${N} threads`, torchEnv(OPENBLAS_DIR, N), REQUEST_TIMEOUT_MS) : undefined;
  const torchRef = o.reference
    ? new TorchServer("torch reference BLAS, 1 thread", torchEnv(REFERENCE_DIRS), REQUEST_TIMEOUT_MS)
    : undefined;
  const servers = [
    torchOpen,
    ...(torchOpenN ? [torchOpenN] : []),
    ...(torchDefault ? [torchDefault] : []),
    ...(torchRef ? [torchRef] : []),
  ];
  const threadsOf = new Map<TorchServer, number>([[torchOpen, 1], ...(torchOpenN ? [[torchOpenN, N] as [TorchServer, number]] : [])]);
  let pyProblem: string | undefined;
  if (!existsSync(o.python)) pyProblem = `${o.python} does not exist`;
  else {
    const r = spawnSync(o.python, ["-c", "import torch, numpy"], { encoding: "utf8" });
    if (r.status !== 0)
      pyProblem = `${o.python} cannot import torch: ${(r.stderr || r.error?.message || "").trim().split("\n").pop()} (install: apt-get install -y python3-torch libopenblas0-pthread)`;
  }
  if (!existsSync(OPENBLAS_DIR))
    for (const s of [torchOpen, torchOpenN]) if (s) s.failure = `${OPENBLAS_DIR} does not exist (apt-get install -y libopenblas0-pthread)`;
  for (const s of servers) {
    if (pyProblem) s.failure = pyProblem;
    if (s.failure) continue;
    try {
      await s.start(o.python, script, [
        "--tokens",
        tokens.file,
        "--vocab",
        String(V),
        "--emb",
        String(E),
        "--hidden",
        String(H),
        "--seq",
        String(T),
        "--batch",
        String(B),
        "--lr",
        String(LR),
        "--seed",
        String(SEED),
        "--threads",
        String(threadsOf.get(s) ?? 1),
      ]);
      const i = s.info!;
      console.log(
        `${s.label}: torch ${i.torch}, Python ${i.python}, ${i.threads} thread(s) (interop ${i.interop_threads}), LD_LIBRARY_PATH=${i.ld_library_path || "(unset)"}`,
      );
      const cfg = (i.blas_config as string[]).join(" ").match(/\b(BLAS_INFO|LAPACK_INFO)=[^,\s]*/g) ?? [];
      console.log(`  torch.__config__.show(): ${cfg.join(", ") || "(no BLAS_INFO)"}`);
      console.log(`  mapped: ${i.blas_libraries.join(", ") || "(none)"} => ${s.blasSummary()}`);
    } catch (e) {
      s.failure = `cannot be run: ${(e as Error).message}`;
    }
  }
  for (const s of servers) if (s.failure) console.log(`${s.label}: NOT MEASURED: ${s.failure}`);

  // Node contenders
  const seqlab = new SeqlabModel(corpus.tokens, V);
  const layers = o.layers ? new LayersModel(corpus.tokens, V) : undefined;

  const rows: Record<string, Row> = {};
  type Contender = {
    key: string;
    label: string;
    run: (n: number) => Promise<{ ms: number; loss: number }>;
    failed: () => string | undefined;
    fail: (why: string) => void;
  };
  const counts = N > 1 ? [1, N] : [1];
  const contenders: Contender[] = counts.map((n) => {
    const key = `seqlab_${n}t`;
    return {
      key,
      label: `seqlab fusedLstm (${choice.backend}), ${n} thread${n > 1 ? "s" : ""}`,
      run: async (k: number) => (setThreadCount(n), seqlab.train(k)),
      failed: () => rows[key].failure,
      fail: (w: string) => (rows[key].failure = w),
    };
  });
  if (layers)
    contenders.push({
      key: "layers",
      label: `tf.layers.lstm (${choice.backend}), ${N} thread${N > 1 ? "s" : ""}`,
      run: (n) => (setThreadCount(N), layers.trainAsync(n)),
      failed: () => rows.layers.failure,
      fail: (w) => (rows.layers.failure = w),
    });
  for (const [key, s] of [
    ["torch_1t", torchOpen],
    [`torch_${N}t`, torchOpenN],
    ["torch_default", torchDefault],
    ["torch_reference", torchRef],
  ] as const) {
    if (!s) continue;
    contenders.push({
      key,
      label: `${s.label}${s.info ? ` [${s.blasSummary()}]` : ""}`,
      run: async (n) => {
        const r = await s.request(`train ${n}`);
        return { ms: r.ms, loss: r.loss };
      },
      failed: () => s.failure,
      fail: (w) => (s.failure = w),
    });
  }
  for (const c of contenders) rows[c.key] = { label: c.label, rates: [], losses: [], failure: rows[c.key]?.failure };

  const attempt = async (c: Contender, n: number): Promise<{ ms: number; loss: number } | undefined> => {
    if (c.failed()) return undefined;
    try {
      return await c.run(n);
    } catch (e) {
      c.fail(`failed: ${(e as Error).message}`);
      rows[c.key].failure = c.failed();
      return undefined;
    }
  };

  // warm-up
  for (const c of contenders) {
    if (o.warmup === 0) break;
    const r = await attempt(c, o.warmup);
    if (r) console.log(`warm-up ${c.label}: ${o.warmup} steps in ${r.ms.toFixed(0)} ms, loss ${r.loss.toFixed(3)}`);
  }
  // Adam makes its moment variables at its first step: count tensors only after one step of each
  let tensors0 = o.warmup > 0 ? tf.memory().numTensors : -1;

  // timed rounds, interleaved, order rotated
  const byRound: Record<string, number>[] = [];
  for (let round = 0; round < o.rounds; round++) {
    byRound.push({});
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
    const parts: string[] = [];
    for (const c of order) {
      const r = await attempt(c, o.steps);
      if (!r) continue;
      const rate = (o.steps * B * T) / (r.ms / 1000);
      rows[c.key].rates.push(rate);
      byRound[round][c.key] = rate;
      rows[c.key].losses.push(r.loss);
      parts.push(`${c.key} ${rate.toFixed(0)}`);
    }
    console.log(`round ${round + 1}/${o.rounds} (tokens/s): ${parts.join(", ")}; load ${loadavg()}`);
    if (tensors0 < 0) tensors0 = tf.memory().numTensors;
  }
  const tensors1 = tf.memory().numTensors;

  // sampling
  const start = corpus.vocab.length ? corpus.vocab.indexOf("\n") : 0;
  const startTok = start >= 0 ? start : 0;
  const sample = { fused: [] as number[], steps: [] as number[], torch: [] as number[] };
  const samplers: { key: keyof typeof sample; run: (seed: number, n: number) => Promise<{ ms: number; tokens: number[] }> }[] = [
    {
      key: "fused",
      run: async (seed, n) => {
        const t0 = performance.now();
        const tokens = sampleFused(seqlab.cell.params, seqlab.emb.table as tf.Tensor2D, seqlab.out, n, seed, startTok);
        return { ms: performance.now() - t0, tokens };
      },
    },
    {
      key: "steps",
      run: async (seed, n) => {
        const t0 = performance.now();
        const tokens = sampleSteps(seqlab.cell.params, seqlab.emb.table as tf.Tensor2D, seqlab.out, n, seed, startTok);
        return { ms: performance.now() - t0, tokens };
      },
    },
  ];
  if (!torchOpen.failure) {
    samplers.push({
      key: "torch",
      run: async (seed, n) => {
        const r = await torchOpen.request(`sample ${n} ${seed} ${startTok}`);
        return { ms: r.ms, tokens: r.tokens };
      },
    });
  }
  const samplerCheck = checkSampler(seqlab, startTok, 64);
  const texts: Record<string, string> = {};
  const decode = (toks: number[]) => (corpus.vocab.length ? toks.map((t) => corpus.vocab[t]).join("") : toks.join(" "));
  for (const s of samplers) {
    try {
      await s.run(99, 50); // warm-up
    } catch (e) {
      if (s.key === "torch") torchOpen.failure = `sampling failed: ${(e as Error).message}`;
    }
  }
  for (let round = 0; round < o.rounds; round++) {
    const order = samplers.map((_, i) => samplers[(i + round) % samplers.length]);
    for (const s of order) {
      if (s.key === "torch" && torchOpen.failure) continue;
      try {
        const r = await s.run(SEED + 1000 + round, o.sample);
        sample[s.key].push(r.ms / o.sample);
        if (round === 0) texts[s.key] = decode(r.tokens.slice(0, 70));
      } catch (e) {
        if (s.key === "torch") torchOpen.failure = `sampling failed: ${(e as Error).message}`;
        else throw e;
      }
    }
  }

  for (const s of servers) await s.stop();
  seqlab.dispose();
  layers?.dispose();
  tokens.remove();
  const load1 = loadavg();

  // report
  console.log("");
  console.log(
    `${"training".padEnd(46)} ${"tok/s med".padStart(9)} ${"min".padStart(7)} ${"max".padStart(7)} ${"rounds".padStart(6)} ${"ms/step".padStart(8)} ${"last loss".padStart(9)}`,
  );
  for (const c of contenders) {
    const r = rows[c.key];
    const m = median(r.rates);
    const line = r.rates.length
      ? `${m.toFixed(0).padStart(9)} ${Math.min(...r.rates)
          .toFixed(0)
          .padStart(7)} ${Math.max(...r.rates)
          .toFixed(0)
          .padStart(
            7,
          )} ${String(r.rates.length).padStart(6)} ${((1000 * B * T) / m).toFixed(1).padStart(8)} ${r.losses[r.losses.length - 1].toFixed(3).padStart(9)}`
      : `${"NA".padStart(9)}`;
    const why = r.failure ?? c.failed();
    console.log(`${r.label.padEnd(46)} ${line}${why ? `  (${why})` : ""}`);
  }
  console.log("");
  console.log(
    `${`sampling ${o.sample} characters`.padEnd(46)} ${"ms/tok med".padStart(10)} ${"min".padStart(7)} ${"max".padStart(7)}  text (first round)`,
  );
  const sampleRow = (label: string, xs: number[], text?: string) =>
    console.log(
      `${label.padEnd(46)} ${fmt(median(xs), 4).padStart(10)} ${xs.length ? fmt(Math.min(...xs), 4).padStart(7) : "".padStart(7)} ${xs.length ? fmt(Math.max(...xs), 4).padStart(7) : "".padStart(7)}  ${text !== undefined ? JSON.stringify(text) : ""}`,
    );
  sampleRow(`seqlab, one matmul per token (${choice.backend})`, sample.fused, texts.fused);
  sampleRow(`seqlab, lstmStep + Dense ops (informational)`, sample.steps, texts.steps);
  sampleRow(`torch OpenBLAS${torchOpen.failure ? ` (${torchOpen.failure})` : ""}`, sample.torch, texts.torch);
  console.log(
    `sampler check: max |p - p(fusedLstm + Dense)| over 64 steps = ${samplerCheck.toExponential(2)}${samplerCheck < 1e-4 ? " (ok)" : " (MISMATCH)"}`,
  );
  console.log(
    `tensors: ${tensors0} after ${o.warmup > 0 ? "the warm-up" : "round 1"}, ${tensors1} after the last round (${tensors1 - tensors0 === 0 ? "no leak" : "LEAK"})`,
  );
  console.log(`load average: ${load0} before, ${load1} after`);

  const med = (key: string) => median(rows[key]?.rates ?? []);
  const ratios: Record<number, number> = {};
  for (const n of counts) {
    const ratio = med(`seqlab_${n}t`) / med(`torch_${n}t`);
    ratios[n] = ratio;
    // the same ratio taken within each round (neighbours in time: less drift), for comparison
    const paired = median(byRound.filter((r) => r[`seqlab_${n}t`] && r[`torch_${n}t`]).map((r) => r[`seqlab_${n}t`] / r[`torch_${n}t`]));
    const what = `target: seqlab training >= 0.8x PyTorch-OpenBLAS at ${n} thread${n > 1 ? "s" : ""}`;
    if (Number.isFinite(ratio))
      console.log(
        `${what}: ${ratio >= 0.8 ? "met" : "NOT met"} (${ratio.toFixed(3)}x of the medians; per-round paired median ${fmt(paired)}x)`,
      );
    else console.log(`${what}: not measured (PyTorch with OpenBLAS did not run)`);
  }
  if (N > 1)
    console.log(
      `speed-up from 1 to ${N} threads: seqlab ${fmt(med(`seqlab_${N}t`) / med("seqlab_1t"), 2)}x, torch ${fmt(med(`torch_${N}t`) / med("torch_1t"), 2)}x`,
    );
  const a = med(`seqlab_${N}t`);
  const d = med(`torch_${N}t`);
  const e = median(sample.fused);
  const f = median(sample.torch);
  if (Number.isFinite(e) && Number.isFinite(f))
    console.log(
      `target: seqlab sampling faster than PyTorch: ${e < f ? "met" : "NOT met"} (${e.toFixed(4)} vs ${f.toFixed(4)} ms/token, ${(f / e).toFixed(2)}x)`,
    );
  else console.log("target: seqlab sampling faster than PyTorch: not measured");
  const needed = [torchOpen, ...(torchOpenN ? [torchOpenN] : [])];
  const torchFailed = needed.some((s) => s.failure) || !Number.isFinite(d) || !Number.isFinite(ratios[1]) || !Number.isFinite(f);
  if (torchFailed)
    console.log(
      `PyTorch was not fully measured: ${
        needed
          .filter((s) => s.failure)
          .map((s) => `${s.label}: ${s.failure}`)
          .join("; ") || "no samples"
      }`,
    );
  console.log(
    `lstm-training: threads=${N} seqlab_1t_tok_s=${fmt(med("seqlab_1t"))} torch_1t_tok_s=${fmt(med("torch_1t"))} ratio_1t=${fmt(ratios[1])} ` +
      `seqlab_tok_s=${fmt(a)} torch_tok_s=${fmt(d)} layers_tok_s=${fmt(med("layers"))} ` +
      `seqlab_sample_ms_per_tok=${fmt(e)} torch_sample_ms_per_tok=${fmt(f)} ratio=${fmt(a / d)}`,
  );
  if (torchFailed || !Number.isFinite(a)) process.exitCode = 1;
}
