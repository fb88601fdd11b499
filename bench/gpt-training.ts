// gpt-training: training throughput (tokens/s) of seqlab's tiny GPT against the same model in PyTorch,
// and (--reference) nanoGPT's CPU run on Tiny Shakespeare with seqlab.
//
//   npm run bench -- gpt-training [--steps 8] [--warmup 3] [--rounds 5] [--python /usr/bin/python3]
//   npm run bench -- gpt-training --reference [--iters 2000] [--eval-interval 250] [--eval-iters 20]
//                                 [--final-eval-iters 200] [--torch]
//
// Throughput model (both contenders): character vocabulary of Tiny Shakespeare (65), 2 layers, 4 heads,
// embedding 128, context 64, batch 32, biases on, tied output layer, GELU MLP 4x, no dropout; AdamW
// (lr 1e-3, β 0.9/0.99, weight decay 0.1 on matrices) with gradients clipped to global norm 1; mean
// cross-entropy over all B*T positions. Data: the corpus loader (SEQLAB_DATA is the corpora folder);
// when it cannot load, uniformly random tokens over 65 symbols (said in the output). Batches: 32
// windows at random offsets (seeded).
//
// Contenders:
//   seqlab  await useBackend() (wasm here, unless tfjs-node is installed); src/models/gpt.ts's GPT,
//           src/train's trainStep and AdamW (variableGrads on the backend, clipping and AdamW in JavaScript).
//   torch   bench/torch/gpt_training.py (Debian's python3-torch), the same model in ~60 lines of
//           nn.Module (nanoGPT's model.py without flash attention), torch.optim.AdamW, clip_grad_norm_;
//           LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread for that process only (OpenBLAS;
//           the system alternative is never changed). It reports the BLAS libraries mapped into it.
//
// Threads: each contender at 1 thread and at all cores (--threads N, default the machine's cores):
// seqlab by setThreadCount(1 | N) in this process (src/backend/threads.ts), PyTorch as two processes,
// one with torch.set_num_threads(1) and OMP/OPENBLAS/MKL_NUM_THREADS=1, one with N (OpenBLAS reads
// its count at start), both OMP_WAIT_POLICY=PASSIVE.
//
// Interleaving, as bench/lstm-training.ts: the torch processes are started once and serve commands on
// stdin; every round runs each contender's --steps timed steps back to back, the order rotated each
// round; medians over rounds. Warm-up: --warmup untimed steps each. A timed step includes making the
// batch and reading the loss back. The two seqlab contenders train the same model in turns.
//
// Last line (the ratios are seqlab ÷ torch at equal threads; `ratio` at all cores):
//   gpt-training: threads=N seqlab_1t_tok_s=.. torch_1t_tok_s=.. ratio_1t=.. seqlab_tok_s=.. torch_tok_s=..
//                 seqlab_ms_per_step=.. torch_ms_per_step=.. ratio=..
// Exit status 1 when PyTorch cannot be run or fails: the ratio needs it.
//
// --reference: nanoGPT's README "shakespeare_char" on CPU (`python train.py config/train_shakespeare_char.py
// --device=cpu --compile=False --eval_iters=20 --log_interval=1 --block_size=64 --batch_size=12
// --n_layer=4 --n_head=4 --n_embd=128 --max_iters=2000 --lr_decay_iters=2000 --dropout=0.0`), i.e.
// AdamW lr 1e-3 → 1e-4 (cosine, warm-up 100), β2 0.99, weight decay 0.1, clip 1, no biases in the
// linear layers, seed 1337; first 90% of the characters train, last 10% validation. Prints the
// estimated losses every --eval-interval iterations (--eval-iters batches per split, as nanoGPT), then
// a larger final estimate (--final-eval-iters batches) and a sample. --torch runs the same recipe in
// PyTorch (OpenBLAS, 1 thread) afterwards, for comparison. Last line:
//   gpt-reference: iters=.. val_loss=.. val_loss_final=.. train_loss=.. minutes=.. [torch_val_loss=..]
import { spawnSync } from "child_process";
import { existsSync } from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import * as tf from "@tensorflow/tfjs";
import { setThreadCount, threadCount, useBackend } from "../src/backend";
import { allCores, OPENBLAS_DIR, TorchServer, torchEnv, writeTokens } from "./support/torch-server";
import { fmt, loadavg, loadShakespeare, median } from "./support/common";
import { GPT } from "../src/models/gpt";
import { AdamW, cosineLearningRate } from "../src/train/adamw";
import { trainStep } from "../src/train/loop";
import { estimateLoss } from "../src/train/metrics";
import { randomWindows, windowBatch } from "../src/text/batching";
import { SeededRandom } from "../src/data/random";

const ROOT = path.resolve(__dirname, "..", "..");
const REQUEST_TIMEOUT_MS = 30 * 60_000;
const SEED = 0;
/** The throughput model. */
const BENCH = {
  nLayer: 2,
  nHead: 4,
  nEmbd: 128,
  blockSize: 64,
  batch: 32,
  lr: 1e-3,
  beta2: 0.99,
  weightDecay: 0.1,
  gradClip: 1,
  bias: true,
};
/** nanoGPT's CPU shakespeare_char run. */
const NANO = {
  nLayer: 4,
  nHead: 4,
  nEmbd: 128,
  blockSize: 64,
  batch: 12,
  lr: 1e-3,
  minLr: 1e-4,
  warmupIters: 100,
  beta2: 0.99,
  weightDecay: 0.1,
  gradClip: 1,
  bias: false,
  seed: 1337,
};

interface Options {
  threads: number;
  steps: number;
  warmup: number;
  rounds: number;
  python: string;
  reference: boolean;
  iters: number;
  evalInterval: number;
  evalIters: number;
  finalEvalIters: number;
  torch: boolean;
}

function parseArgs(args: string[]): Options {
  const o: Options = {
    threads: allCores(),
    steps: 8,
    warmup: 3,
    rounds: 5,
    python: "/usr/bin/python3",
    reference: false,
    iters: 2000,
    evalInterval: 250,
    evalIters: 20,
    finalEvalIters: 200,
    torch: false,
  };
  const count = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min)
      throw new Error(`gpt-training: ${flag} expects an integer >= ${min}, got ${JSON.stringify(v)}`);
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
      case "--iters":
        o.iters = count(a, args[++i], 1);
        break;
      case "--eval-interval":
        o.evalInterval = count(a, args[++i], 1);
        break;
      case "--eval-iters":
        o.evalIters = count(a, args[++i], 1);
        break;
      case "--final-eval-iters":
        o.finalEvalIters = count(a, args[++i], 1);
        break;
      case "--reference":
        o.reference = true;
        break;
      case "--torch":
        o.torch = true;
        break;
      case "--python":
        if (args[i + 1] === undefined) throw new Error("gpt-training: --python expects a path");
        o.python = args[++i];
        break;
      default:
        throw new Error(
          `gpt-training: unknown argument ${JSON.stringify(a)}; accepted: --threads N --steps N --warmup N --rounds N --python PATH | --reference --iters N --eval-interval N --eval-iters N --final-eval-iters N --torch`,
        );
    }
  }
  return o;
}

// --- data ----------------------------------------------------------------------------------------

// --- the torch process -----------------------------------------------------------------------------

/** Start a torch process (`threads` threads, OpenBLAS by LD_LIBRARY_PATH), or say why it cannot run. */
async function startTorch(python: string, args: string[], threads = 1): Promise<TorchServer> {
  const s = new TorchServer(`torch ${threads}t`, torchEnv(OPENBLAS_DIR, threads), REQUEST_TIMEOUT_MS);
  if (!existsSync(python)) s.failure = `${python} does not exist`;
  else if (!existsSync(OPENBLAS_DIR)) s.failure = `${OPENBLAS_DIR} does not exist (apt-get install -y libopenblas0-pthread)`;
  else {
    const r = spawnSync(python, ["-c", "import torch, numpy"], { encoding: "utf8" });
    if (r.status !== 0)
      s.failure = `${python} cannot import torch: ${(r.stderr || r.error?.message || "").trim().split("\n").pop()} (apt-get install -y python3-torch libopenblas0-pthread)`;
  }
  if (s.failure) return s;
  try {
    await s.start(python, path.join(ROOT, "bench", "torch", "gpt_training.py"), [...args, "--threads", String(threads)]);
    const i = s.info!;
    console.log(
      `${s.label}: torch ${i.torch}, Python ${i.python}, ${i.threads} thread(s), LD_LIBRARY_PATH=${i.ld_library_path || "(unset)"}, ${i.params} parameters`,
    );
    console.log(`  mapped: ${i.blas_libraries.join(", ") || "(none)"} => ${s.blasSummary()}`);
  } catch (e) {
    s.failure = `cannot be run: ${(e as Error).message}`;
  }
  return s;
}

// --- throughput -----------------------------------------------------------------------------------

class SeqlabTrainer {
  readonly model: GPT;
  readonly opt: AdamW;
  private readonly rand = new SeededRandom(SEED + 1);
  constructor(
    private readonly tokens: Int32Array,
    V: number,
  ) {
    this.model = new GPT({
      vocabSize: V,
      blockSize: BENCH.blockSize,
      nLayer: BENCH.nLayer,
      nHead: BENCH.nHead,
      nEmbd: BENCH.nEmbd,
      bias: BENCH.bias,
      seed: SEED,
    });
    this.opt = new AdamW(this.model.variables(), { learningRate: BENCH.lr, beta2: BENCH.beta2, weightDecay: BENCH.weightDecay });
  }
  train(n: number): { ms: number; loss: number } {
    const t0 = performance.now();
    let loss = NaN;
    for (let s = 0; s < n; s++) {
      const batch = windowBatch(this.tokens, randomWindows(this.rand, BENCH.batch, this.tokens.length, BENCH.blockSize), BENCH.blockSize);
      loss = trainStep(batch, { params: this.model, loss: (b) => this.model.loss(b), optimizer: this.opt, clipNorm: BENCH.gradClip }).loss;
    }
    return { ms: performance.now() - t0, loss };
  }
  dispose() {
    this.opt.dispose();
    this.model.dispose();
  }
}

async function throughput(o: Options): Promise<void> {
  const load0 = loadavg();
  const { batch: B, blockSize: T } = BENCH;
  const N = o.threads;
  console.log(
    `gpt-training: ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load average ${load0}`,
  );
  console.log(
    `model: ${BENCH.nLayer} layers, ${BENCH.nHead} heads, embedding ${BENCH.nEmbd}, context ${T}, batch ${B}, AdamW lr ${BENCH.lr}; ${o.warmup} warm-up + ${o.steps} timed steps per round, ${o.rounds} rounds; 1 thread and ${N} (all cores)`,
  );
  const corpus = await loadShakespeare();
  const V = corpus.vocab.length || 65;
  console.log(`data: ${corpus.source}`);
  setThreadCount(Math.max(N, threadCount())); // before the backend starts: its heap is then shared
  const choice = await useBackend({ quiet: true });
  console.log(choice.message);

  const tokens = writeTokens(corpus.tokens, "gpt-training");
  const args = [
    "--tokens",
    tokens.file,
    "--vocab",
    String(V),
    "--layers",
    String(BENCH.nLayer),
    "--heads",
    String(BENCH.nHead),
    "--embd",
    String(BENCH.nEmbd),
    "--block",
    String(T),
    "--batch",
    String(B),
    "--lr",
    String(BENCH.lr),
    "--beta2",
    String(BENCH.beta2),
    "--weight-decay",
    String(BENCH.weightDecay),
    "--clip",
    String(BENCH.gradClip),
    "--seed",
    String(SEED),
    ...(BENCH.bias ? [] : ["--no-bias"]),
  ];
  const counts = N > 1 ? [1, N] : [1];
  const torches = new Map<number, TorchServer>();
  for (const n of counts) {
    const t = await startTorch(o.python, args, n);
    if (t.failure) console.log(`${t.label}: NOT MEASURED: ${t.failure}`);
    torches.set(n, t);
  }

  const seqlab = new SeqlabTrainer(corpus.tokens, V);
  console.log(`seqlab: ${seqlab.model.parameterCount()} parameters`);
  type Contender = {
    key: string;
    threads: number;
    torch?: TorchServer;
    label: string;
    run: (n: number) => Promise<{ ms: number; loss: number }>;
  };
  const contenders: Contender[] = [];
  for (const n of counts) {
    contenders.push({
      key: `seqlab_${n}t`,
      threads: n,
      label: `seqlab GPT (${choice.backend}), ${n} thread${n > 1 ? "s" : ""}`,
      run: async (k) => (setThreadCount(n), seqlab.train(k)),
    });
    const t = torches.get(n)!;
    contenders.push({
      key: `torch_${n}t`,
      threads: n,
      torch: t,
      label: `torch [${t.info ? t.blasSummary() : "not run"}], ${n} thread${n > 1 ? "s" : ""}`,
      run: async (k) => t.request(`train ${k}`),
    });
  }
  const rows: Record<string, { rates: number[]; losses: number[] }> = Object.fromEntries(
    contenders.map((c) => [c.key, { rates: [], losses: [] }]),
  );
  const attempt = async (c: Contender, n: number) => {
    if (c.torch?.failure) return undefined;
    try {
      return await c.run(n);
    } catch (e) {
      if (!c.torch) throw e;
      c.torch.failure = `failed: ${(e as Error).message}`;
      return undefined;
    }
  };
  for (const c of contenders) {
    if (o.warmup === 0) break;
    const r = await attempt(c, o.warmup);
    if (r) console.log(`warm-up ${c.label}: ${o.warmup} steps in ${r.ms.toFixed(0)} ms, loss ${r.loss.toFixed(3)}`);
  }
  let tensors0 = o.warmup > 0 ? tf.memory().numTensors : -1;
  const paired: Record<number, number[]> = { 1: [], [N]: [] };
  for (let round = 0; round < o.rounds; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
    const got: Record<string, number> = {};
    for (const c of order) {
      const r = await attempt(c, o.steps);
      if (!r) continue;
      const rate = (o.steps * B * T) / (r.ms / 1000);
      rows[c.key].rates.push(rate);
      rows[c.key].losses.push(r.loss);
      got[c.key] = rate;
    }
    for (const n of counts) if (got[`seqlab_${n}t`] && got[`torch_${n}t`]) paired[n].push(got[`seqlab_${n}t`] / got[`torch_${n}t`]);
    console.log(
      `round ${round + 1}/${o.rounds} (tokens/s): ${Object.entries(got)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(", ")}; load ${loadavg()}`,
    );
    if (tensors0 < 0) tensors0 = tf.memory().numTensors;
  }
  const tensors1 = tf.memory().numTensors;
  for (const t of torches.values()) await t.stop();
  seqlab.dispose();
  tokens.remove();

  console.log("");
  console.log(
    `${"training".padEnd(40)} ${"tok/s med".padStart(9)} ${"min".padStart(7)} ${"max".padStart(7)} ${"rounds".padStart(6)} ${"ms/step".padStart(8)} ${"last loss".padStart(9)}`,
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
      : "NA".padStart(9);
    console.log(`${c.label.padEnd(40)} ${line}${c.torch?.failure ? `  (${c.torch.failure})` : ""}`);
  }
  console.log(
    `tensors: ${tensors0} after ${o.warmup > 0 ? "the warm-up" : "round 1"}, ${tensors1} after the last round (${tensors1 === tensors0 ? "no leak" : "LEAK"})`,
  );
  console.log(`load average: ${load0} before, ${loadavg()} after`);
  const med = (key: string) => median(rows[key]?.rates ?? []);
  const ratios: Record<number, number> = {};
  for (const n of counts) {
    const ratio = med(`seqlab_${n}t`) / med(`torch_${n}t`);
    ratios[n] = ratio;
    const what = `target: seqlab >= 0.6x PyTorch-OpenBLAS at ${n} thread${n > 1 ? "s" : ""}`;
    if (Number.isFinite(ratio))
      console.log(
        `${what}: ${ratio >= 0.6 ? "met" : "NOT met"} (${ratio.toFixed(3)}x of the medians; per-round paired median ${fmt(median(paired[n]))}x)`,
      );
    else console.log(`${what}: not measured (PyTorch did not run)`);
  }
  if (N > 1)
    console.log(
      `speed-up from 1 to ${N} threads: seqlab ${fmt(med(`seqlab_${N}t`) / med("seqlab_1t"), 2)}x, torch ${fmt(med(`torch_${N}t`) / med("torch_1t"), 2)}x`,
    );
  const a = med(`seqlab_${N}t`);
  const b = med(`torch_${N}t`);
  console.log(
    `gpt-training: threads=${N} seqlab_1t_tok_s=${fmt(med("seqlab_1t"))} torch_1t_tok_s=${fmt(med("torch_1t"))} ratio_1t=${fmt(ratios[1])} ` +
      `seqlab_tok_s=${fmt(a)} torch_tok_s=${fmt(b)} seqlab_ms_per_step=${fmt((1000 * B * T) / a, 1)} torch_ms_per_step=${fmt((1000 * B * T) / b, 1)} ratio=${fmt(a / b)}`,
  );
  if (!Number.isFinite(a / b) || !Number.isFinite(ratios[1])) process.exitCode = 1;
}

// --- the nanoGPT reference run ------------------------------------------------------------------------

async function reference(o: Options): Promise<void> {
  const t0 = performance.now();
  console.log(`gpt-reference: ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} CPUs, load average ${loadavg()}`);
  const corpus = await loadShakespeare();
  if (!corpus.vocab.length) throw new Error(`gpt-training --reference needs Tiny Shakespeare: ${corpus.source}`);
  const V = corpus.vocab.length;
  const n = Math.floor(0.9 * corpus.tokens.length);
  const train = corpus.tokens.subarray(0, n);
  const val = corpus.tokens.subarray(n);
  console.log(`data: ${corpus.source}; train ${train.length}, val ${val.length} (nanoGPT's 90/10 split)`);
  const choice = await useBackend({ quiet: true });
  console.log(choice.message);
  const { nLayer, nHead, nEmbd, blockSize: T, batch: B } = NANO;
  const model = new GPT({ vocabSize: V, blockSize: T, nLayer, nHead, nEmbd, bias: NANO.bias, seed: NANO.seed });
  const opt = new AdamW(model.variables(), { learningRate: NANO.lr, beta2: NANO.beta2, weightDecay: NANO.weightDecay });
  const schedule = { learningRate: NANO.lr, minLr: NANO.minLr, warmupIters: NANO.warmupIters, decayIters: o.iters };
  console.log(
    `model: ${nLayer} layers, ${nHead} heads, embedding ${nEmbd}, block ${T}, batch ${B}, no biases, ${model.parameterCount()} parameters (${(model.parameterCount({ nonEmbedding: true }) / 1e6).toFixed(2)}M non-embedding); ${o.iters} iterations, eval every ${o.evalInterval} on ${o.evalIters} batches`,
  );
  const rand = new SeededRandom(NANO.seed);
  const evalAt = (it: number, batches: number) => ({
    train: estimateLoss(model, train, { batches, batchSize: B, T, seed: 10_000 + it }),
    val: estimateLoss(model, val, { batches, batchSize: B, T, seed: 20_000 + it }),
  });
  let last = { train: NaN, val: NaN };
  let trainLoss = NaN;
  let stepMs = 0;
  for (let it = 0; it <= o.iters; it++) {
    if (it % o.evalInterval === 0 || it === o.iters) {
      last = evalAt(it, o.evalIters);
      console.log(
        `step ${it}: train loss ${last.train.toFixed(4)}, val loss ${last.val.toFixed(4)}; ${((performance.now() - t0) / 60000).toFixed(1)} min; ${stepMs ? `${(stepMs / Math.min(it, o.evalInterval)).toFixed(0)} ms/iter, ` : ""}load ${loadavg()}`,
      );
      stepMs = 0;
    }
    if (it === o.iters) break;
    opt.learningRate = cosineLearningRate(it, schedule);
    const s0 = performance.now();
    const batch = windowBatch(train, randomWindows(rand, B, train.length, T), T);
    trainLoss = trainStep(batch, { params: model, loss: (b) => model.loss(b), optimizer: opt, clipNorm: NANO.gradClip }).loss;
    stepMs += performance.now() - s0;
  }
  const final = evalAt(999_999, o.finalEvalIters);
  const minutes = (performance.now() - t0) / 60000;
  console.log(`final estimate on ${o.finalEvalIters} batches: train ${final.train.toFixed(4)}, val ${final.val.toFixed(4)}`);
  const nl = corpus.vocab.indexOf("\n");
  const text = model
    .generate([nl], 300, { seed: 1, temperature: 0.8 })
    .slice(1)
    .map((t) => corpus.vocab[t])
    .join("");
  console.log(`sample (temperature 0.8):\n${text}\n`);
  opt.dispose();
  model.dispose();
  let torchPart = "";
  if (o.torch) {
    const tokens = writeTokens(corpus.tokens, "gpt-reference");
    const torch = await startTorch(o.python, [
      "--tokens",
      tokens.file,
      "--vocab",
      String(V),
      "--layers",
      String(nLayer),
      "--heads",
      String(nHead),
      "--embd",
      String(nEmbd),
      "--block",
      String(T),
      "--batch",
      String(B),
      "--lr",
      String(NANO.lr),
      "--beta2",
      String(NANO.beta2),
      "--weight-decay",
      String(NANO.weightDecay),
      "--clip",
      String(NANO.gradClip),
      "--seed",
      String(NANO.seed),
      "--no-bias",
    ]);
    if (torch.failure) console.log(`torch: NOT RUN: ${torch.failure}`);
    else {
      try {
        const r = await torch.request(
          `reference ${o.iters} ${NANO.minLr} ${NANO.warmupIters} ${o.evalInterval} ${o.evalIters} ${o.finalEvalIters}`,
        );
        for (const l of r.log as string[]) console.log(`torch ${l}`);
        console.log(
          `torch: final estimate on ${o.finalEvalIters} batches: train ${r.train.toFixed(4)}, val ${r.val.toFixed(4)}; ${(r.ms / 60000).toFixed(1)} min`,
        );
        torchPart = ` torch_val_loss=${fmt(r.val_last, 4)} torch_val_loss_final=${fmt(r.val, 4)} torch_minutes=${fmt(r.ms / 60000, 1)}`;
      } catch (e) {
        console.log(`torch: failed: ${(e as Error).message}`);
      }
      await torch.stop();
    }
    tokens.remove();
  }
  console.log(`load average at the end: ${loadavg()}`);
  console.log(
    `gpt-reference: iters=${o.iters} val_loss=${fmt(last.val, 4)} val_loss_final=${fmt(final.val, 4)} train_loss=${fmt(final.train, 4)} last_batch_loss=${fmt(trainLoss, 4)} minutes=${fmt(minutes, 1)}${torchPart}`,
  );
}

export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  if (o.reference) await reference(o);
  else await throughput(o);
}
