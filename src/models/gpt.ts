// A tiny GPT in one file, in the spirit of nanoGPT's model.py (Karpathy): a decoder-only
// Transformer that reads token ids [B, T] and predicts the next token at every position.
//
//   x   = wte[idx] + wpe[0..T)                                  token + position embeddings [B, T, C]
//   for each of nLayer blocks (pre-LayerNorm, residual):
//     x = x + Attn(LN1(x))                                      causal multi-head self-attention
//     x = x + MLP(LN2(x))                                       C -> 4C -> GELU -> C
//   logits = LN_f(x) · W_headᵀ                                  W_head = wte when weights are tied
//
// Attention, for all heads at once (H heads of size hd = C / H):
//   q, k, v = split(x · W_qkv + b_qkv)                          each [B, T, C] -> [B, H, T, hd]
//   att     = softmax(q kᵀ / sqrt(hd) + bias)                   [B, H, T, T]: one batched matmul
//   y       = att · v                                           [B, H, T, hd]: one batched matmul
//   out     = merge heads(y) · W_proj + b_proj                  [B, T, C]
// `bias` is 0 where position i may look at position j and -1e9 where it may not; for the causal
// mask (j > i hidden) exp(-1e9 - max) is exactly 0 in float32, so a later token cannot change an
// earlier position's output in any bit. Other masks can be passed (a bidirectional encoder: "full";
// XLNet's permutation masks: a 0/1 tensor, see src/objectives/permutation-lm.ts); with a custom
// mask a row that may attend to nothing gets zero attention (not a uniform average).
//
// On tfjs's wasm backend the two attention products are rank-4 batched matmuls, which seqlab's
// patched BatchMatMul (src/backend/wasm-kernels.ts) runs as XNNPACK products on heap views; no
// tensor is sliced per head. Linear layers, LayerNorm and GELU are fused ops (one tf.customGrad each,
// below); the GELU is GPT-2's tanh form (within 5e-4 of the exact one). The token lookup is a one-hot
// product for vocabularies up to 1,024, else src/nn's embeddingLookup; both train on every backend.
// Training as nanoGPT does (AdamW, warm-up + cosine learning rate, clipping): adamW, trainStep, fit
// and estimateLoss. Parameters are drawn in JavaScript from a seed (nanoGPT's init: N(0, 0.02), the
// residual projections N(0, 0.02/sqrt(2·nLayer)), biases 0, LayerNorm 1 and 0), so a seed gives
// the same model on every backend.
import * as tf from "@tensorflow/tfjs";
import { performance } from "perf_hooks";
import { tokenBatch } from "../backend/hot-loops";
import { embeddingLookup } from "../nn/embedding";
import { crossEntropy } from "../nn/losses";
import { mulberry32, subSeed } from "../data/random";
import { normalVariable } from "../nn/init";
import { AdamW, cosineLearningRate, type AdamWOptions, type LearningRateSchedule } from "../train/adamw";

export interface GPTConfig {
  vocabSize: number;
  /** The longest context (number of positions) the model can read. */
  blockSize: number;
  nLayer: number;
  nHead: number;
  /** The model width C; a multiple of nHead. */
  nEmbd: number;
  /** Dropout on attention weights and residual branches while training (default 0: none). */
  dropout?: number;
  /** Biases in the linear layers (default true). */
  bias?: boolean;
  /** Tie the output layer to the token embedding, as GPT-2 and nanoGPT do (default true). */
  tieWeights?: boolean;
  /** Seed of the initialisation (default 0). */
  seed?: number;
}

/**
 * Which positions may attend to which: "causal" (GPT, the default), "full" (every position sees
 * every position: a bidirectional encoder, e.g. for a masked LM), or a 0/1 tensor [Tq, Tk] or
 * [B, Tq, Tk] with 1 where query i may attend to key j.
 */
export type AttentionMask = "causal" | "full" | tf.Tensor;

export interface GPTForwardOptions {
  mask?: AttentionMask;
  /** Apply dropout (only matters when config.dropout > 0; default false). */
  training?: boolean;
  /** Also return every layer's attention weights [B, H, T, T] (for plotting). */
  returnAttention?: boolean;
}

export interface GPTGenerateOptions {
  /** Divide the logits by this before sampling (default 1); 0 means greedy (argmax). */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /** Nucleus sampling: only among the most likely tokens whose probabilities sum to p. */
  topP?: number;
  /** Seed of the sampling (default 0): the same seed gives the same text. */
  seed?: number;
}

/** Token ids: an int32 tensor [B, T], rows of numbers, or {ids, shape} (row-major, as seqlab's batches). */
export type GPTInput = tf.Tensor | ArrayLike<number>[] | { ids: Int32Array; shape: [number, number] };

interface LayerNormParams {
  g: tf.Variable; // [C]
  b: tf.Variable; // [C]
}
interface Linear {
  W: tf.Variable; // [in, out]
  b: tf.Variable | null; // [out]
}
interface Block {
  ln1: LayerNormParams;
  attn: { qkv: Linear; proj: Linear };
  ln2: LayerNormParams;
  mlp: { fc: Linear; proj: Linear };
}

function constant(shape: number[], value: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value)));
}

// ---- fused ops --------------------------------------------------------------------------------
// Each op below is one tf.customGrad: the tape records one node instead of five to ten, and the
// backward pass is written so that tfjs's wasm backend runs it fast. Reductions over rows (a bias or
// LayerNorm gradient: Σ over B·T) are folded into products (an extra row of the weight gradient's
// product, or ones[1, N]·M for several sums at once) instead of tf.sum over axis 0, which wasm runs
// as a transpose and a sum per call; exp and erf are scalar loops on wasm while sigmoid is
// vectorised (XNNPACK), so GELU is written with sigmoid.

/** tf.customGrad typed by the caller's signature (tfjs types its inputs as one rest parameter). */
function fused<F>(f: (...args: any[]) => { value: tf.Tensor; gradFunc: (dy: any, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[] }): F {
  return tf.customGrad(f as Parameters<typeof tf.customGrad>[0]) as unknown as F;
}

const linearBias = fused<(x: tf.Tensor, W: tf.Tensor, b: tf.Tensor) => tf.Tensor>((x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  save([x, W]);
  return {
    value: tf.fused.matMul({ a: x, b: W, bias: b }),
    // [dW; db] = [x | 1]ᵀ · dy: the bias gradient is one more row of the weight gradient's product
    gradFunc: (dy: tf.Tensor2D, [xs, Ws]: tf.Tensor[]) => {
      const [N, inSize] = xs.shape;
      const gWb = tf.matMul(tf.concat([xs, tf.ones([N, 1])], 1) as tf.Tensor2D, dy, true, false);
      const out = dy.shape[1];
      return [tf.matMul(dy, Ws as tf.Tensor2D, false, true), tf.slice(gWb, [0, 0], [inSize, out]), tf.reshape(tf.slice(gWb, [inSize, 0], [1, out]), [out])];
    },
  };
});

/** x · W + b over the last axis ([..., in] -> [..., out]): one 2-D matmul (bias fused in). */
function linear(p: { W: tf.Tensor; b: tf.Tensor | null }, x: tf.Tensor): tf.Tensor {
  const [inSize, outSize] = p.W.shape;
  const lead = x.shape.slice(0, -1);
  const x2 = tf.reshape(x, [-1, inSize]);
  const y = p.b ? linearBias(x2, p.W, p.b) : tf.matMul(x2 as tf.Tensor2D, p.W as tf.Tensor2D);
  return tf.reshape(y, [...lead, outSize]);
}

const layerNormOp = fused<(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor>((x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  const xc = tf.sub(x, tf.mean(x, -1, true));
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), 1e-5));
  const xhat = tf.mul(xc, rstd);
  save([xhat, rstd, g]);
  return {
    value: tf.add(tf.mul(xhat, g), b),
    // dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)), dx̂ = dy · g; dg = Σ dy · x̂, db = Σ dy
    gradFunc: (dy: tf.Tensor2D, [xh, rs, gs]: tf.Tensor[]) => {
      const dxhat = tf.mul(dy, gs);
      const dx = tf.mul(tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xh, tf.mean(tf.mul(dxhat, xh), -1, true))), rs);
      const { dg, db } = layerNormParamGrads(dy, xh as tf.Tensor2D);
      return [dx, dg, db];
    },
  };
});

/**
 * dg = Σ_rows dy·x̂ and db = Σ_rows dy, summed in JavaScript over copies of dy and x̂ [N, C]: a read
 * of 2·N·C floats, where tfjs's wasm Sum over axis 0 transposes first and a ones·M product makes
 * XNNPACK pack M (both several times slower for a [2048, 128] batch).
 */
function layerNormParamGrads(dy: tf.Tensor2D, xhat: tf.Tensor2D): { dg: tf.Tensor1D; db: tf.Tensor1D } {
  const [N, C] = dy.shape;
  const d = dy.dataSync() as Float32Array;
  const x = xhat.dataSync() as Float32Array;
  const g = new Float64Array(C);
  const b = new Float64Array(C);
  for (let i = 0; i < N; i++) {
    const o = i * C;
    for (let j = 0; j < C; j++) {
      const v = d[o + j];
      g[j] += v * x[o + j];
      b[j] += v;
    }
  }
  return { dg: tf.tensor1d(Float32Array.from(g)), db: tf.tensor1d(Float32Array.from(b)) };
}

/** LayerNorm over the last axis (ε = 1e-5, as PyTorch). */
function layerNorm(p: LayerNormParams, x: tf.Tensor): tf.Tensor {
  const C = x.shape[x.rank - 1];
  return tf.reshape(layerNormOp(tf.reshape(x, [-1, C]), p.g, p.b), x.shape);
}

// GELU, GPT-2's tanh form: x/2 · (1 + tanh(√(2/π)(x + 0.044715x³))) = x · σ(2√(2/π)(x + 0.044715x³)).
const GELU_K = 2 * Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;
const geluOp = fused<(x: tf.Tensor) => tf.Tensor>((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const x2 = tf.square(x);
  const s = tf.sigmoid(tf.mul(tf.mul(x, tf.add(tf.mul(x2, GELU_A), 1)), GELU_K));
  save([x, x2, s]);
  return {
    value: tf.mul(x, s),
    // d/dx x·σ(u) = σ(u) + x · σ(u)(1 − σ(u)) · u',  u' = K (1 + 3A x²)
    gradFunc: (dy: tf.Tensor, [xs, x2s, ss]: tf.Tensor[]) => [
      tf.mul(dy, tf.add(ss, tf.mul(tf.mul(xs, tf.mul(ss, tf.sub(1, ss))), tf.add(tf.mul(x2s, 3 * GELU_A * GELU_K), GELU_K)))),
    ],
  };
});

/** GELU in GPT-2's tanh form (within 5e-4 of the exact x·Φ(x) that nn.GELU() computes). */
function gelu(x: tf.Tensor): tf.Tensor {
  return geluOp(x);
}

/** Up to this vocabulary size token embeddings are a one-hot product (XNNPACK), above it a gather. */
const ONE_HOT_EMBEDDING_MAX_VOCAB = 1024;

export class GPT {
  readonly config: Required<GPTConfig>;
  readonly wte: tf.Variable; // [V, C] token embeddings
  readonly wpe: tf.Variable; // [blockSize, C] position embeddings
  readonly blocks: Block[];
  readonly lnF: LayerNormParams;
  readonly lmHead: tf.Variable | null; // [C, V], null when tied to wte
  private readonly causalBiases = new Map<number, tf.Tensor>();
  private dropoutCalls = 0;

  constructor(config: GPTConfig) {
    const c: Required<GPTConfig> = { dropout: 0, bias: true, tieWeights: true, seed: 0, ...config };
    for (const k of ["vocabSize", "blockSize", "nLayer", "nHead", "nEmbd"] as const) {
      if (!Number.isInteger(c[k]) || c[k] < 1) throw new RangeError(`GPT: ${k} must be a positive integer, got ${c[k]}`);
    }
    if (c.nEmbd % c.nHead !== 0) throw new RangeError(`GPT: nEmbd ${c.nEmbd} must be a multiple of nHead ${c.nHead}`);
    if (!(c.dropout >= 0 && c.dropout < 1)) throw new RangeError(`GPT: dropout must be in [0, 1), got ${c.dropout}`);
    this.config = c;
    const C = c.nEmbd;
    let k = 0;
    const seed = () => subSeed(c.seed, k++);
    const lin = (i: number, o: number, std = 0.02): Linear => ({ W: normalVariable([i, o], std, seed()), b: c.bias ? constant([o], 0) : null });
    const ln = (): LayerNormParams => ({ g: constant([C], 1), b: constant([C], 0) });
    const projStd = 0.02 / Math.sqrt(2 * c.nLayer);
    this.wte = normalVariable([c.vocabSize, C], 0.02, seed());
    this.wpe = normalVariable([c.blockSize, C], 0.02, seed());
    this.blocks = [];
    for (let l = 0; l < c.nLayer; l++) {
      this.blocks.push({
        ln1: ln(),
        attn: { qkv: lin(C, 3 * C), proj: lin(C, C, projStd) },
        ln2: ln(),
        mlp: { fc: lin(C, 4 * C), proj: lin(4 * C, C, projStd) },
      });
    }
    this.lnF = ln();
    this.lmHead = c.tieWeights ? null : normalVariable([C, c.vocabSize], 0.02, seed());
  }

  // ---- the forward pass, in pieces ----------------------------------------------------------

  /** Token plus position embeddings of idx [B, T]: [B, T, C]. */
  embed(idx: GPTInput): tf.Tensor3D {
    return tf.tidy(() => {
      const ids = this.ids(idx);
      const [B, T] = ids.shape;
      const { vocabSize: V, nEmbd: C } = this.config;
      let tok: tf.Tensor;
      if (V <= ONE_HOT_EMBEDDING_MAX_VOCAB) {
        // one-hot [B·T, V] · wte: a product forward and backward (wasm's gather is slow, and its gradient a scatter)
        const flat = ids.dataSync();
        for (const id of flat) if (!(id >= 0 && id < V)) throw new RangeError(`GPT: token id ${id} is outside [0, ${V})`);
        tok = tf.reshape(tf.matMul(tf.oneHot(tf.reshape(ids, [-1]) as tf.Tensor1D, V), this.wte), [B, T, C]);
      } else {
        tok = embeddingLookup(this.wte as tf.Tensor2D, ids);
      }
      const pos = tf.slice(this.wpe, [0, 0], [T, this.config.nEmbd]);
      return tf.add(tok, pos) as tf.Tensor3D;
    });
  }

  /**
   * Block l on x [B, Tq, C]: x + Attn(LN1(x)), then + MLP(LN2(·)). With `kv` [B, Tk, C] the keys
   * and values come from kv instead of x (XLNet's query stream reads the content stream so);
   * `attention`, when given, receives this layer's weights [B, H, Tq, Tk].
   */
  block(l: number, x: tf.Tensor3D, opts: { kv?: tf.Tensor3D; mask?: AttentionMask; training?: boolean; attention?: tf.Tensor4D[] } = {}): tf.Tensor3D {
    const p = this.blocks[l];
    if (!p) throw new RangeError(`GPT.block: no layer ${l} (the model has ${this.blocks.length})`);
    const { training = false } = opts;
    const { out, att } = tf.tidy(() => {
      const { y, att } = this.attention(p, layerNorm(p.ln1, x), opts.kv ? layerNorm(p.ln1, opts.kv) : null, opts.mask ?? "causal", training);
      const x1 = tf.add(x, this.dropout(y, training));
      const m = linear(p.mlp.proj, gelu(linear(p.mlp.fc, layerNorm(p.ln2, x1))));
      return { out: tf.add(x1, this.dropout(m, training)) as tf.Tensor3D, att: opts.attention ? (att as tf.Tensor4D) : undefined };
    });
    if (att) opts.attention?.push(att);
    return out;
  }

  /** The final LayerNorm and the output layer: x [B, T, C] -> logits [B, T, V]. */
  head(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T, C] = x.shape;
      const h = tf.reshape(layerNorm(this.lnF, x), [B * T, C]) as tf.Tensor2D;
      const logits = this.lmHead ? tf.matMul(h, this.lmHead as tf.Tensor2D) : tf.matMul(h, this.wte as tf.Tensor2D, false, true);
      return tf.reshape(logits, [B, T, this.config.vocabSize]) as tf.Tensor3D;
    });
  }

  /** Logits [B, T, V] for idx [B, T] (T <= blockSize); with returnAttention, also the attention. */
  forward(idx: GPTInput, opts?: GPTForwardOptions & { returnAttention?: false }): tf.Tensor3D;
  forward(idx: GPTInput, opts: GPTForwardOptions & { returnAttention: true }): { logits: tf.Tensor3D; attention: tf.Tensor4D[] };
  forward(idx: GPTInput, opts: GPTForwardOptions = {}): tf.Tensor3D | { logits: tf.Tensor3D; attention: tf.Tensor4D[] } {
    const { logits, attention } = tf.tidy(() => {
      const attention: tf.Tensor4D[] = [];
      let x = this.dropout(this.embed(idx), opts.training ?? false) as tf.Tensor3D;
      for (let l = 0; l < this.blocks.length; l++) {
        x = this.block(l, x, { mask: opts.mask, training: opts.training, attention: opts.returnAttention ? attention : undefined });
      }
      return { logits: this.head(x), attention };
    });
    return opts.returnAttention ? { logits, attention } : logits;
  }

  /**
   * Mean cross-entropy of the next-token predictions: logits for idx [B, T] against targets
   * [B, T] (int32). Targets < 0 are ignored (PyTorch's ignore_index = -1).
   */
  loss(idx: GPTInput, targets: GPTInput, opts: Omit<GPTForwardOptions, "returnAttention"> = {}): tf.Scalar {
    return tf.tidy(() => crossEntropy(this.forward(idx, opts), this.ids(targets)));
  }

  /**
   * Continue `prompt` (token ids) by maxNewTokens sampled tokens; returns prompt + new tokens.
   * The context is cropped to the last blockSize tokens. Sampling is seeded (opts.seed).
   */
  generate(prompt: ArrayLike<number>, maxNewTokens: number, opts: GPTGenerateOptions = {}): number[] {
    const out = Array.from(prompt);
    if (out.length === 0) throw new RangeError("GPT.generate: the prompt is empty (start with a <bos> or any token)");
    const rand = mulberry32(opts.seed ?? 0);
    const { blockSize, nEmbd } = this.config;
    for (let n = 0; n < maxNewTokens; n++) {
      const ctx = out.slice(-blockSize);
      const logits = tf.tidy(() => {
        let x = this.embed([ctx]);
        for (let l = 0; l < this.blocks.length; l++) x = this.block(l, x);
        const last = tf.slice(x, [0, ctx.length - 1, 0], [1, 1, nEmbd]) as tf.Tensor3D; // only the last position is needed
        return this.head(last);
      });
      const values = logits.dataSync() as Float32Array;
      logits.dispose();
      out.push(sampleLogits(values, opts, rand));
    }
    return out;
  }

  // ---- training (nanoGPT's recipe; the functions below, as methods so "seqlab"'s GPT export carries them)

  /** AdamW over this model's variables (decay on matrices only, as nanoGPT). */
  adamW(opts: AdamWOptions = {}): AdamW {
    return new AdamW(this.variables(), opts);
  }

  /** One step: loss, gradients, clipping to global norm (default 1), update; returns the loss. */
  trainStep(opt: AdamW, inputs: GPTInput, targets: GPTInput, opts: { gradClip?: number; mask?: AttentionMask } = {}): number {
    return gptTrainStep(this, opt, inputs, targets, opts);
  }

  /** Mean loss over random [batchSize, blockSize] windows of `tokens` (nanoGPT's estimate_loss). */
  estimateLoss(tokens: ArrayLike<number>, opts: { batches: number; batchSize: number; T?: number; seed?: number }): number {
    return gptEstimateLoss(this, tokens, opts);
  }

  /**
   * nanoGPT's training loop on a token sequence: `iters` steps on random [batchSize, T] windows of
   * `train`, AdamW with the learning rate of `schedule` (or a constant learningRate), clipping,
   * and every `evalInterval` steps (and at the end) the loss estimated on `evalIters` batches of
   * train and `val`. Awaits between steps now and then, so a notebook stays responsive (live charts,
   * interrupt). Returns the per-step losses and the estimates.
   */
  async fit(train: ArrayLike<number>, opts: GPTFitOptions): Promise<GPTFitResult> {
    const T = opts.T ?? this.config.blockSize;
    const { iters, batchSize } = opts;
    const evalInterval = opts.evalInterval ?? Math.max(1, Math.floor(iters / 8));
    const evalIters = opts.evalIters ?? 20;
    const opt = this.adamW({ learningRate: opts.schedule?.learningRate ?? opts.learningRate ?? 1e-3, beta2: opts.beta2 ?? 0.99, weightDecay: opts.weightDecay ?? 0.1 });
    const rand = mulberry32(opts.seed ?? 1337);
    const losses: number[] = [];
    const evals: GPTFitResult["evals"] = [];
    const t0 = performance.now();
    const estimate = (it: number) => {
      const e = { step: it, train: this.estimateLoss(train, { batches: evalIters, batchSize, T, seed: 10_000 + it }), val: opts.val ? this.estimateLoss(opts.val, { batches: evalIters, batchSize, T, seed: 20_000 + it }) : NaN };
      evals.push(e);
      opts.onEval?.(e);
    };
    try {
      let lastYield = performance.now();
      for (let it = 0; it < iters; it++) {
        if (it % evalInterval === 0) estimate(it);
        if (opts.schedule) opt.learningRate = cosineLearningRate(it, opts.schedule);
        const { inputs, targets } = tokenBatch(train, randomWindows(rand, batchSize, train.length, T), T);
        try {
          losses.push(this.trainStep(opt, inputs, targets, { gradClip: opts.gradClip ?? 1 }));
        } finally {
          tf.dispose([inputs, targets]);
        }
        opts.onStep?.(it, losses[losses.length - 1]);
        if (performance.now() - lastYield > 200) {
          await new Promise((r) => setImmediate(r));
          lastYield = performance.now();
        }
      }
      estimate(iters);
    } finally {
      opt.dispose();
    }
    return { losses, evals, seconds: (performance.now() - t0) / 1000 };
  }

  /** nanoGPT's learning rate at iteration `it`: warm-up, cosine decay, floor. */
  static cosineLearningRate(it: number, s: LearningRateSchedule): number {
    return cosineLearningRate(it, s);
  }

  /** Random window starts for a batch (nanoGPT's get_batch offsets). */
  static randomWindows(rand: () => number, count: number, n: number, T: number): number[] {
    return randomWindows(rand, count, n, T);
  }

  // ---- parameters ---------------------------------------------------------------------------

  /** The trainable variables by name (nanoGPT's names, shortened). */
  params(): Record<string, tf.Variable> {
    const p: Record<string, tf.Variable> = { wte: this.wte, wpe: this.wpe };
    const lin = (name: string, l: Linear) => {
      p[`${name}.W`] = l.W;
      if (l.b) p[`${name}.b`] = l.b;
    };
    this.blocks.forEach((b, i) => {
      p[`h${i}.ln_1.g`] = b.ln1.g;
      p[`h${i}.ln_1.b`] = b.ln1.b;
      lin(`h${i}.attn.c_attn`, b.attn.qkv);
      lin(`h${i}.attn.c_proj`, b.attn.proj);
      p[`h${i}.ln_2.g`] = b.ln2.g;
      p[`h${i}.ln_2.b`] = b.ln2.b;
      lin(`h${i}.mlp.c_fc`, b.mlp.fc);
      lin(`h${i}.mlp.c_proj`, b.mlp.proj);
    });
    p["ln_f.g"] = this.lnF.g;
    p["ln_f.b"] = this.lnF.b;
    if (this.lmHead) p["lm_head.W"] = this.lmHead;
    return p;
  }

  /** The trainable variables, for optimizers and tf.variableGrads. */
  variables(): tf.Variable[] {
    return Object.values(this.params());
  }

  /**
   * The number of parameters (a tied output layer counted once). Like nanoGPT's get_num_params,
   * `nonEmbedding: true` leaves out the position embeddings.
   */
  parameterCount(opts: { nonEmbedding?: boolean } = {}): number {
    let n = this.variables().reduce((s, v) => s + v.size, 0);
    if (opts.nonEmbedding) n -= this.wpe.size;
    return n;
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
    for (const t of this.causalBiases.values()) t.dispose();
    this.causalBiases.clear();
  }

  // ---- internals ----------------------------------------------------------------------------

  /** idx as an int32 tensor [B, T] (made inside the caller's tidy), checked against blockSize. */
  private ids(idx: GPTInput): tf.Tensor2D {
    const t = (
      idx instanceof tf.Tensor ? idx
      : "ids" in idx && "shape" in idx ? tf.tensor2d(idx.ids, idx.shape, "int32")
      : tf.tensor2d(Array.from(idx as ArrayLike<number>[], (r) => Array.from(r)), undefined, "int32")
    ) as tf.Tensor2D;
    if (t.rank !== 2) throw new RangeError(`GPT: token ids must be [B, T], got shape [${t.shape}]`);
    if (t.shape[1] > this.config.blockSize) throw new RangeError(`GPT: a sequence of ${t.shape[1]} tokens is longer than blockSize ${this.config.blockSize}`);
    if (t.shape[1] < 1) throw new RangeError("GPT: a sequence needs at least one token");
    return t;
  }

  /** 0 on and below the diagonal, -1e9 above: [T, T], made once per T. */
  private causalBias(T: number): tf.Tensor {
    let b = this.causalBiases.get(T);
    if (!b) {
      const v = new Float32Array(T * T);
      for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) v[i * T + j] = -1e9;
      b = tf.keep(tf.tensor2d(v, [T, T]));
      this.causalBiases.set(T, b);
    }
    return b;
  }

  /** Multi-head attention of queries from x over keys and values from kv (or x): the output [B, Tq, C] and the weights. */
  private attention(p: Block, x: tf.Tensor, kv: tf.Tensor | null, mask: AttentionMask, training: boolean): { y: tf.Tensor; att: tf.Tensor } {
    const { nHead: H, nEmbd: C } = this.config;
    const hd = C / H;
    const [B, Tq] = x.shape;
    const Tk = kv ? kv.shape[1]! : Tq;
    let q: tf.Tensor, k: tf.Tensor, v: tf.Tensor;
    if (!kv) {
      [q, k, v] = tf.split(linear(p.attn.qkv, x), 3, -1);
    } else {
      // Queries from x, keys and values from kv: the same weights, used in two pieces.
      const { W, b } = p.attn.qkv;
      q = linear({ W: tf.slice(W, [0, 0], [C, C]), b: b ? tf.slice(b, [0], [C]) : null }, x);
      [k, v] = tf.split(linear({ W: tf.slice(W, [0, C], [C, 2 * C]), b: b ? tf.slice(b, [C], [2 * C]) : null }, kv), 2, -1);
    }
    const heads = (t: tf.Tensor, T: number) => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]); // [B, H, T, hd]
    // the 1/√hd scale on q (B·T·C values) rather than on the scores (B·H·T·T)
    let scores = tf.matMul(heads(tf.mul(q, 1 / Math.sqrt(hd)), Tq) as tf.Tensor4D, heads(k, Tk) as tf.Tensor4D, false, true); // [B, H, Tq, Tk]
    let allowed: tf.Tensor | null = null;
    if (mask === "causal") {
      if (Tq !== Tk) throw new Error("GPT: the causal mask needs as many keys as queries");
      scores = tf.add(scores, this.causalBias(Tq));
    } else if (mask !== "full") {
      // [Tq, Tk] or [B, Tq, Tk] -> broadcastable to [B, H, Tq, Tk]
      const m = tf.cast(mask, "float32");
      allowed = mask.rank === 2 ? m : tf.reshape(m, [mask.shape[0], 1, Tq, Tk]);
      scores = tf.add(scores, tf.mul(tf.sub(1, allowed), -1e9));
    }
    let att = tf.softmax(scores);
    if (allowed) att = tf.mul(att, allowed); // a row with nothing allowed: zeros, not a uniform average
    const y = tf.matMul(this.dropout(att, training) as tf.Tensor4D, heads(v, Tk) as tf.Tensor4D); // [B, H, Tq, hd]
    const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, Tq, C]);
    return { y: linear(p.attn.proj, merged), att };
  }

  private dropout(x: tf.Tensor, training: boolean): tf.Tensor {
    const rate = this.config.dropout;
    if (!training || rate === 0) return x;
    return tf.dropout(x, rate, undefined, subSeed(this.config.seed, 1_000_000 + this.dropoutCalls++));
  }
}

/**
 * One token drawn from logits (a JS array): temperature (0 = argmax), then top-k, then top-p
 * (nucleus) filtering; `rand` is a uniform [0, 1) generator (mulberry32 for a seed).
 */
export function sampleLogits(logits: ArrayLike<number>, opts: Omit<GPTGenerateOptions, "seed">, rand: () => number): number {
  const n = logits.length;
  const temperature = opts.temperature ?? 1;
  if (!(temperature >= 0)) throw new RangeError(`temperature must be >= 0, got ${temperature}`);
  let best = 0;
  for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
  if (temperature === 0) return best;
  // Candidates by decreasing logit; keep the top k, then the smallest prefix with mass >= p.
  let order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b] - logits[a]);
  if (opts.topK !== undefined) {
    if (!(Number.isInteger(opts.topK) && opts.topK >= 1)) throw new RangeError(`topK must be a positive integer, got ${opts.topK}`);
    order = order.slice(0, opts.topK);
  }
  const max = logits[order[0]];
  let probs = order.map((i) => Math.exp((logits[i] - max) / temperature));
  let total = probs.reduce((a, b) => a + b, 0);
  if (opts.topP !== undefined) {
    if (!(opts.topP > 0 && opts.topP <= 1)) throw new RangeError(`topP must be in (0, 1], got ${opts.topP}`);
    let acc = 0;
    let keep = 0;
    while (keep < probs.length && acc < opts.topP * total) acc += probs[keep++];
    order = order.slice(0, keep);
    probs = probs.slice(0, keep);
    total = acc;
  }
  let r = rand() * total;
  for (let i = 0; i < order.length; i++) {
    r -= probs[i];
    if (r < 0) return order[i];
  }
  return order[order.length - 1];
}

export interface GPTFitOptions {
  /** Training steps. */
  iters: number;
  batchSize: number;
  /** Window length (default blockSize). */
  T?: number;
  /** Validation tokens, estimated with the training loss. */
  val?: ArrayLike<number>;
  /** nanoGPT's warm-up + cosine learning rate; without it, a constant learningRate (default 1e-3). */
  schedule?: LearningRateSchedule;
  learningRate?: number;
  beta2?: number;
  weightDecay?: number;
  gradClip?: number;
  /** Estimate the losses every this many steps (default iters/8) on evalIters batches (default 20). */
  evalInterval?: number;
  evalIters?: number;
  /** Seed of the batch positions (default 1337). */
  seed?: number;
  onStep?: (step: number, loss: number) => void;
  onEval?: (e: { step: number; train: number; val: number }) => void;
}

export interface GPTFitResult {
  /** The training loss of every step (before its update). */
  losses: number[];
  /** Estimated mean losses (val is NaN without `val`). */
  evals: { step: number; train: number; val: number }[];
  seconds: number;
}

// ---- training the way nanoGPT does: AdamW and the warm-up + cosine schedule are in src/train/adamw.ts

/** `count` random window starts s with tokens[s .. s+T] inside `n` tokens (nanoGPT's get_batch). */
export function randomWindows(rand: () => number, count: number, n: number, T: number): number[] {
  return Array.from({ length: count }, () => Math.floor(rand() * (n - T - 1)));
}

/**
 * One training step of `model` on inputs/targets [B, T]: loss, gradients, clipping to global
 * norm `gradClip` (0: none; PyTorch's clip_grad_norm_), `opt.update`.
 * Returns the loss before the update (one read-back).
 */
export function gptTrainStep(model: GPT, opt: AdamW, inputs: GPTInput, targets: GPTInput, opts: { gradClip?: number; mask?: AttentionMask } = {}): number {
  const gradClip = opts.gradClip ?? 1;
  const vars = opt.variables;
  const { value, grads } = tf.variableGrads(() => model.loss(inputs, targets, { training: true, mask: opts.mask }), vars);
  try {
    opt.update(vars.map((v) => grads[v.name]), { clipNorm: gradClip });
    return value.dataSync()[0];
  } finally {
    tf.dispose([value, ...Object.values(grads)]);
  }
}

/**
 * The mean loss over `batches` random windows batches of [batchSize, T] from `tokens` (nanoGPT's
 * estimate_loss for one split), drawn with a generator seeded by `seed`.
 */
export function gptEstimateLoss(model: GPT, tokens: ArrayLike<number>, opts: { batches: number; batchSize: number; T?: number; seed?: number }): number {
  const T = opts.T ?? model.config.blockSize;
  const rand = mulberry32(opts.seed ?? 0);
  let sum = 0;
  for (let i = 0; i < opts.batches; i++) {
    const { inputs, targets } = tokenBatch(tokens, randomWindows(rand, opts.batchSize, tokens.length, T), T);
    const l = model.loss(inputs, targets);
    tf.dispose([inputs, targets]);
    sum += l.dataSync()[0];
    l.dispose();
  }
  return sum / opts.batches;
}
