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
//           1 thread (torch.set_num_threads(1), OMP/OPENBLAS/MKL_NUM_THREADS=1,
//           OMP_WAIT_POLICY=PASSIVE), LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread for that
//           process only (OpenBLAS; the system alternative is never changed). It reports the BLAS
//           libraries mapped into it.
//
// Interleaving, as bench/lstm-training.ts: the torch process is started once and serves commands on
// stdin; every round runs each contender's --steps timed steps back to back, order alternating; medians
// over rounds. Warm-up: --warmup untimed steps each. A timed step includes making the batch and reading
// the loss back.
//
// Last line:
//   gpt-training: seqlab_tok_s=.. torch_tok_s=.. seqlab_ms_per_step=.. torch_ms_per_step=.. ratio=<seqlab ÷ torch>
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
import { useBackend } from "../src/backend";
import { OPENBLAS_DIR, TorchServer, torchEnv, writeTokens } from "./support/torch-server";
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
const BENCH = { nLayer: 2, nHead: 4, nEmbd: 128, blockSize: 64, batch: 32, lr: 1e-3, beta2: 0.99, weightDecay: 0.1, gradClip: 1, bias: true };
/** nanoGPT's CPU shakespeare_char run. */
const NANO = { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64, batch: 12, lr: 1e-3, minLr: 1e-4, warmupIters: 100, beta2: 0.99, weightDecay: 0.1, gradClip: 1, bias: false, seed: 1337 };

interface Options {
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
  const o: Options = { steps: 8, warmup: 3, rounds: 5, python: "/usr/bin/python3", reference: false, iters: 2000, evalInterval: 250, evalIters: 20, finalEvalIters: 200, torch: false };
  const count = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new Error(`gpt-training: ${flag} expects an integer >= ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    switch (a) {
      case "--steps": o.steps = count(a, args[++i], 1); break;
      case "--warmup": o.warmup = count(a, args[++i], 0); break;
      case "--rounds": o.rounds = count(a, args[++i], 1); break;
      case "--iters": o.iters = count(a, args[++i], 1); break;
      case "--eval-interval": o.evalInterval = count(a, args[++i], 1); break;
      case "--eval-iters": o.evalIters = count(a, args[++i], 1); break;
      case "--final-eval-iters": o.finalEvalIters = count(a, args[++i], 1); break;
      case "--reference": o.reference = true; break;
      case "--torch": o.torch = true; break;
      case "--python":
        if (args[i + 1] === undefined) throw new Error("gpt-training: --python expects a path");
        o.python = args[++i];
        break;
      default:
        throw new Error(
          `gpt-training: unknown argument ${JSON.stringify(a)}; accepted: --steps N --warmup N --rounds N --python PATH | --reference --iters N --eval-interval N --eval-iters N --final-eval-iters N --torch`,
        );
    }
  }
  return o;
}


// --- data ----------------------------------------------------------------------------------------

// --- the torch process -----------------------------------------------------------------------------


/** Start the torch process (1 thread, OpenBLAS by LD_LIBRARY_PATH), or say why it cannot run. */
async function startTorch(python: string, args: string[]): Promise<TorchServer> {
  const s = new TorchServer("torch", torchEnv(OPENBLAS_DIR), REQUEST_TIMEOUT_MS);
  if (!existsSync(python)) s.failure = `${python} does not exist`;
  else if (!existsSync(OPENBLAS_DIR)) s.failure = `${OPENBLAS_DIR} does not exist (apt-get install -y libopenblas0-pthread)`;
  else {
    const r = spawnSync(python, ["-c", "import torch, numpy"], { encoding: "utf8" });
    if (r.status !== 0) s.failure = `${python} cannot import torch: ${(r.stderr || r.error?.message || "").trim().split("\n").pop()} (apt-get install -y python3-torch libopenblas0-pthread)`;
  }
  if (s.failure) return s;
  try {
    await s.start(python, path.join(ROOT, "bench", "torch", "gpt_training.py"), args);
    const i = s.info!;
    console.log(`torch: ${i.torch}, Python ${i.python}, ${i.threads} thread(s), LD_LIBRARY_PATH=${i.ld_library_path || "(unset)"}, ${i.params} parameters`);
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
  constructor(private readonly tokens: Int32Array, V: number) {
    this.model = new GPT({ vocabSize: V, blockSize: BENCH.blockSize, nLayer: BENCH.nLayer, nHead: BENCH.nHead, nEmbd: BENCH.nEmbd, bias: BENCH.bias, seed: SEED });
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
  console.log(`gpt-training: ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load average ${load0}`);
  console.log(`model: ${BENCH.nLayer} layers, ${BENCH.nHead} heads, embedding ${BENCH.nEmbd}, context ${T}, batch ${B}, AdamW lr ${BENCH.lr}; ${o.warmup} warm-up + ${o.steps} timed steps per round, ${o.rounds} rounds`);
  const corpus = await loadShakespeare();
  const V = corpus.vocab.length || 65;
  console.log(`data: ${corpus.source}`);
  const choice = await useBackend({ quiet: true });
  console.log(choice.message);

  const tokens = writeTokens(corpus.tokens, "gpt-training");
  const torch = await startTorch(o.python, [
    "--tokens", tokens.file, "--vocab", String(V), "--layers", String(BENCH.nLayer), "--heads", String(BENCH.nHead), "--embd", String(BENCH.nEmbd),
    "--block", String(T), "--batch", String(B), "--lr", String(BENCH.lr), "--beta2", String(BENCH.beta2), "--weight-decay", String(BENCH.weightDecay),
    "--clip", String(BENCH.gradClip), "--seed", String(SEED), "--threads", "1", ...(BENCH.bias ? [] : ["--no-bias"]),
  ]);
  if (torch.failure) console.log(`torch: NOT MEASURED: ${torch.failure}`);

  const seqlab = new SeqlabTrainer(corpus.tokens, V);
  console.log(`seqlab: ${seqlab.model.parameterCount()} parameters`);
  type Contender = { key: "seqlab" | "torch"; label: string; run: (n: number) => Promise<{ ms: number; loss: number }> };
  const contenders: Contender[] = [
    { key: "seqlab", label: `seqlab GPT (${choice.backend})`, run: async (n) => seqlab.train(n) },
    { key: "torch", label: `torch [${torch.info ? torch.blasSummary() : "not run"}]`, run: async (n) => torch.request(`train ${n}`) },
  ];
  const rows: Record<string, { rates: number[]; losses: number[] }> = { seqlab: { rates: [], losses: [] }, torch: { rates: [], losses: [] } };
  const failed = (c: Contender) => c.key === "torch" && !!torch.failure;
  const attempt = async (c: Contender, n: number) => {
    if (failed(c)) return undefined;
    try {
      return await c.run(n);
    } catch (e) {
      if (c.key !== "torch") throw e;
      torch.failure = `failed: ${(e as Error).message}`;
      return undefined;
    }
  };
  for (const c of contenders) {
    if (o.warmup === 0) break;
    const r = await attempt(c, o.warmup);
    if (r) console.log(`warm-up ${c.label}: ${o.warmup} steps in ${r.ms.toFixed(0)} ms, loss ${r.loss.toFixed(3)}`);
  }
  let tensors0 = o.warmup > 0 ? tf.memory().numTensors : -1;
  const paired: number[] = [];
  for (let round = 0; round < o.rounds; round++) {
    const order = round % 2 ? [...contenders].reverse() : contenders;
    const got: Record<string, number> = {};
    for (const c of order) {
      const r = await attempt(c, o.steps);
      if (!r) continue;
      const rate = (o.steps * B * T) / (r.ms / 1000);
      rows[c.key].rates.push(rate);
      rows[c.key].losses.push(r.loss);
      got[c.key] = rate;
    }
    if (got.seqlab && got.torch) paired.push(got.seqlab / got.torch);
    console.log(`round ${round + 1}/${o.rounds} (tokens/s): ${Object.entries(got).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", ")}; load ${loadavg()}`);
    if (tensors0 < 0) tensors0 = tf.memory().numTensors;
  }
  const tensors1 = tf.memory().numTensors;
  await torch.stop();
  seqlab.dispose();
  tokens.remove();

  console.log("");
  console.log(`${"training".padEnd(30)} ${"tok/s med".padStart(9)} ${"min".padStart(7)} ${"max".padStart(7)} ${"rounds".padStart(6)} ${"ms/step".padStart(8)} ${"last loss".padStart(9)}`);
  for (const c of contenders) {
    const r = rows[c.key];
    const m = median(r.rates);
    const line = r.rates.length
      ? `${m.toFixed(0).padStart(9)} ${Math.min(...r.rates).toFixed(0).padStart(7)} ${Math.max(...r.rates).toFixed(0).padStart(7)} ${String(r.rates.length).padStart(6)} ${((1000 * B * T) / m).toFixed(1).padStart(8)} ${r.losses[r.losses.length - 1].toFixed(3).padStart(9)}`
      : "NA".padStart(9);
    console.log(`${c.label.padEnd(30)} ${line}${failed(c) ? `  (${torch.failure})` : ""}`);
  }
  console.log(`tensors: ${tensors0} after ${o.warmup > 0 ? "the warm-up" : "round 1"}, ${tensors1} after the last round (${tensors1 === tensors0 ? "no leak" : "LEAK"})`);
  console.log(`load average: ${load0} before, ${loadavg()} after`);
  const a = median(rows.seqlab.rates);
  const b = median(rows.torch.rates);
  const ratio = a / b;
  if (Number.isFinite(ratio)) console.log(`target: seqlab >= 0.3x PyTorch-OpenBLAS: ${ratio >= 0.3 ? "met" : "NOT met"} (${ratio.toFixed(3)}x of the medians; per-round paired median ${fmt(median(paired))}x)`);
  else console.log("target: seqlab >= 0.3x PyTorch-OpenBLAS: not measured (PyTorch did not run)");
  console.log(`gpt-training: seqlab_tok_s=${fmt(a)} torch_tok_s=${fmt(b)} seqlab_ms_per_step=${fmt((1000 * B * T) / a, 1)} torch_ms_per_step=${fmt((1000 * B * T) / b, 1)} ratio=${fmt(ratio)}`);
  if (!Number.isFinite(b) || !Number.isFinite(a)) process.exitCode = 1;
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
  console.log(`model: ${nLayer} layers, ${nHead} heads, embedding ${nEmbd}, block ${T}, batch ${B}, no biases, ${model.parameterCount()} parameters (${(model.parameterCount({ nonEmbedding: true }) / 1e6).toFixed(2)}M non-embedding); ${o.iters} iterations, eval every ${o.evalInterval} on ${o.evalIters} batches`);
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
      console.log(`step ${it}: train loss ${last.train.toFixed(4)}, val loss ${last.val.toFixed(4)}; ${((performance.now() - t0) / 60000).toFixed(1)} min; ${stepMs ? `${(stepMs / Math.min(it, o.evalInterval)).toFixed(0)} ms/iter, ` : ""}load ${loadavg()}`);
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
  const text = model.generate([nl], 300, { seed: 1, temperature: 0.8 }).slice(1).map((t) => corpus.vocab[t]).join("");
  console.log(`sample (temperature 0.8):\n${text}\n`);
  opt.dispose();
  model.dispose();
  let torchPart = "";
  if (o.torch) {
    const tokens = writeTokens(corpus.tokens, "gpt-reference");
    const torch = await startTorch(o.python, ["--tokens", tokens.file, "--vocab", String(V), "--layers", String(nLayer), "--heads", String(nHead), "--embd", String(nEmbd), "--block", String(T), "--batch", String(B), "--lr", String(NANO.lr), "--beta2", String(NANO.beta2), "--weight-decay", String(NANO.weightDecay), "--clip", String(NANO.gradClip), "--seed", String(NANO.seed), "--threads", "1", "--no-bias"]);
    if (torch.failure) console.log(`torch: NOT RUN: ${torch.failure}`);
    else {
      try {
        const r = await torch.request(`reference ${o.iters} ${NANO.minLr} ${NANO.warmupIters} ${o.evalInterval} ${o.evalIters} ${o.finalEvalIters}`);
        for (const l of r.log as string[]) console.log(`torch ${l}`);
        console.log(`torch: final estimate on ${o.finalEvalIters} batches: train ${r.train.toFixed(4)}, val ${r.val.toFixed(4)}; ${(r.ms / 60000).toFixed(1)} min`);
        torchPart = ` torch_val_loss=${fmt(r.val_last, 4)} torch_val_loss_final=${fmt(r.val, 4)} torch_minutes=${fmt(r.ms / 60000, 1)}`;
      } catch (e) {
        console.log(`torch: failed: ${(e as Error).message}`);
      }
      await torch.stop();
    }
    tokens.remove();
  }
  console.log(`load average at the end: ${loadavg()}`);
  console.log(`gpt-reference: iters=${o.iters} val_loss=${fmt(last.val, 4)} val_loss_final=${fmt(final.val, 4)} train_loss=${fmt(final.train, 4)} last_batch_loss=${fmt(trainLoss, 4)} minutes=${fmt(minutes, 1)}${torchPart}`);
}

export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  if (o.reference) await reference(o);
  else await throughput(o);
}
