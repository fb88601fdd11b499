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
// tensor is sliced per head. The token lookup uses src/nn's embeddingLookup, which trains on every
// backend. Parameters are drawn in JavaScript from a seed (nanoGPT's init: N(0, 0.02), the
// residual projections N(0, 0.02/sqrt(2·nLayer)), biases 0, LayerNorm 1 and 0), so a seed gives
// the same model on every backend.
import * as tf from "@tensorflow/tfjs";
import { embeddingLookup } from "../nn/embedding";
import { mulberry32, subSeed } from "../nn/init";

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

/** N(0, std) values from a seed (Box–Muller on mulberry32). */
function normalValues(size: number, std: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const v = new Float32Array(size);
  for (let i = 0; i < size; i += 2) {
    const u = 1 - rand(); // (0, 1]
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    const a = 2 * Math.PI * rand();
    v[i] = r * Math.cos(a);
    if (i + 1 < size) v[i + 1] = r * Math.sin(a);
  }
  return v;
}

function normalVariable(shape: number[], std: number, seed: number): tf.Variable {
  const size = shape.reduce((p, d) => p * d, 1);
  return tf.tidy(() => tf.variable(tf.tensor(normalValues(size, std, seed), shape)));
}

function constant(shape: number[], value: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value)));
}

/** x · W + b over the last axis ([..., in] -> [..., out]): one 2-D matmul. */
function linear(p: { W: tf.Tensor; b: tf.Tensor | null }, x: tf.Tensor): tf.Tensor {
  const [inSize, outSize] = p.W.shape;
  const lead = x.shape.slice(0, -1);
  let y: tf.Tensor = tf.matMul(tf.reshape(x, [-1, inSize]) as tf.Tensor2D, p.W as tf.Tensor2D);
  if (p.b) y = tf.add(y, p.b);
  return tf.reshape(y, [...lead, outSize]);
}

/** LayerNorm over the last axis (ε = 1e-5, as PyTorch). */
function layerNorm(p: LayerNormParams, x: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), p.g), p.b);
}

/** GELU, exact (nn.GELU()'s default): x · Φ(x) = x/2 · (1 + erf(x/√2)). */
function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

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
      const [, T] = ids.shape;
      const tok = embeddingLookup(this.wte as tf.Tensor2D, ids);
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
    return tf.tidy(() => gptCrossEntropy(this.forward(idx, opts), this.ids(targets)));
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
    let scores = tf.mul(tf.matMul(heads(q, Tq) as tf.Tensor4D, heads(k, Tk) as tf.Tensor4D, false, true), 1 / Math.sqrt(hd)); // [B, H, Tq, Tk]
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
 * Mean cross-entropy of logits [..., V] against integer targets [...]; targets < 0 are ignored.
 * (oneHot of a negative id is a zero row, so ignored positions add nothing.)
 */
export function gptCrossEntropy(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const V = logits.shape[logits.rank - 1];
    const flatT = tf.reshape(targets, [-1]);
    const logp = tf.logSoftmax(tf.reshape(logits, [-1, V]));
    const picked = tf.sum(tf.mul(tf.oneHot(tf.cast(flatT, "int32"), V), logp));
    const count = tf.maximum(tf.sum(tf.cast(tf.greaterEqual(flatT, 0), "float32")), 1);
    return tf.neg(tf.div(picked, count)) as tf.Scalar;
  });
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
