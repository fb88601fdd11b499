// A tiny GPT in one file, in the spirit of nanoGPT's model.py (Karpathy): a decoder-only
// Transformer that reads token ids [B, T] and predicts the next token at every position.
//
//   x   = wte[idx] + wpe[0..T)                                  token + position embeddings [B, T, C]
//   for each of nLayer blocks (pre-LayerNorm, residual):
//     x = x + Attn(LN1(x))                                      causal multi-head self-attention
//     x = x + MLP(LN2(x))                                       C -> 4C -> GELU -> C
//   logits = LN_f(x) · W_headᵀ                                  W_head = wte when weights are tied
//
// The layers' ops live in src/nn, each fused into one tf.customGrad and tested there: attention
// (attention.ts), LayerNorm (layer-norm.ts), GPT-2's tanh GELU (gelu.ts) and the linear op
// (linear.ts). The token lookup is a one-hot product for vocabularies up to 1,024, else src/nn's
// embeddingLookup; both train on every backend. Parameters are drawn in JavaScript from a seed
// (nanoGPT's init: N(0, 0.02), the residual projections N(0, 0.02/sqrt(2·nLayer)), biases 0,
// LayerNorm 1 and 0), so a seed gives the same model on every backend. Training is src/train's
// loop (AdamW and nanoGPT's schedule: src/train/adamw.ts); the loss estimate is src/train/metrics.ts's.
import * as tf from "@tensorflow/tfjs";
import { subSeed } from "../data/random";
import { attention, CausalBias, type AttentionMask } from "../nn/attention";
import { embeddingLookup } from "../nn/embedding";
import { gelu } from "../nn/gelu";
import { constantVariable, normalVariable } from "../nn/init";
import { layerNorm } from "../nn/layer-norm";
import { linear } from "../nn/linear";
import { crossEntropy } from "../nn/losses";
import { Module } from "../nn/module";
import type { TokenBatch } from "./tensor-input";
import { generatorOf, sampleToken, type GenerateOptions } from "./sampling";

export type { AttentionMask } from "../nn/attention";

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

export interface GPTForwardOptions {
  /** "causal" (GPT, the default), "full" (a bidirectional encoder) or a 0/1 tensor: see src/nn/attention.ts. */
  mask?: AttentionMask;
  /** Apply dropout (only matters when config.dropout > 0; default false). */
  training?: boolean;
  /** Also return every layer's attention weights [B, H, T, T] (for plotting). */
  returnAttention?: boolean;
}

/** Token ids: an int32 tensor [B, T], rows of numbers, or {ids, shape} (row-major, as seqlab's batches). */
export type GPTInput = tf.Tensor | ArrayLike<number>[] | { ids: ArrayLike<number>; shape: readonly number[] };

interface Linear {
  W: tf.Variable; // [in, out]
  b: tf.Variable | null; // [out]
}
interface LayerNormParams {
  g: tf.Variable; // [C]
  b: tf.Variable; // [C]
}
interface Block {
  ln1: LayerNormParams;
  attn: { qkv: Linear; proj: Linear };
  ln2: LayerNormParams;
  mlp: { fc: Linear; proj: Linear };
}

/** Up to this vocabulary size token embeddings are a one-hot product (XNNPACK), above it a gather. */
const ONE_HOT_EMBEDDING_MAX_VOCAB = 1024;

export class GPT extends Module {
  readonly config: Required<GPTConfig>;
  readonly wte: tf.Variable; // [V, C] token embeddings
  readonly wpe: tf.Variable; // [blockSize, C] position embeddings
  readonly blocks: Block[];
  readonly lnF: LayerNormParams;
  readonly lmHead: tf.Variable | null; // [C, V], null when tied to wte
  private readonly causal = new CausalBias();
  // dropout masks: the k-th is seeded subSeed(dropoutSeed, 1e6 + k) (randomState, for checkpoints)
  private dropoutSeed: number;
  private dropoutCalls = 0;

  constructor(config: GPTConfig) {
    super();
    const c: Required<GPTConfig> = { dropout: 0, bias: true, tieWeights: true, seed: 0, ...config };
    for (const k of ["vocabSize", "blockSize", "nLayer", "nHead", "nEmbd"] as const) {
      if (!Number.isInteger(c[k]) || c[k] < 1) throw new RangeError(`GPT: ${k} must be a positive integer, got ${c[k]}`);
    }
    if (c.nEmbd % c.nHead !== 0) throw new RangeError(`GPT: nEmbd ${c.nEmbd} must be a multiple of nHead ${c.nHead}`);
    if (!(c.dropout >= 0 && c.dropout < 1)) throw new RangeError(`GPT: dropout must be in [0, 1), got ${c.dropout}`);
    this.config = c;
    this.dropoutSeed = c.seed;
    const C = c.nEmbd;
    let k = 0;
    const seed = () => subSeed(c.seed, k++);
    const lin = (i: number, o: number, std = 0.02): Linear => ({
      W: normalVariable([i, o], std, seed()),
      b: c.bias ? constantVariable([o], 0) : null,
    });
    const ln = (): LayerNormParams => ({ g: constantVariable([C], 1), b: constantVariable([C], 0) });
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
      const pos = tf.slice(this.wpe, [0, 0], [T, C]);
      return tf.add(tok, pos) as tf.Tensor3D;
    });
  }

  /**
   * Block l on x [B, Tq, C]: x + Attn(LN1(x)), then + MLP(LN2(·)). With `kv` [B, Tk, C] the keys
   * and values come from kv instead of x (XLNet's query stream reads the content stream so);
   * `attention`, when given, receives this layer's weights [B, H, Tq, Tk].
   */
  block(
    l: number,
    x: tf.Tensor3D,
    opts: { kv?: tf.Tensor3D; mask?: AttentionMask; training?: boolean; attention?: tf.Tensor4D[] } = {},
  ): tf.Tensor3D {
    const p = this.blocks[l];
    if (!p) throw new RangeError(`GPT.block: no layer ${l} (the model has ${this.blocks.length})`);
    const training = opts.training ?? false;
    const { out, att } = tf.tidy(() => {
      const { y, att } = attention(p.attn, layerNorm(p.ln1, x), {
        nHead: this.config.nHead,
        kv: opts.kv ? layerNorm(p.ln1, opts.kv) : null,
        mask: opts.mask,
        causal: this.causal,
        // none without dropout: attention then runs as one wasm kernel where it can (src/nn/attention.ts)
        dropout: training && this.config.dropout > 0 ? (a) => this.dropout(a, training) : undefined,
      });
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
   * The training loss: mean cross-entropy of the next-token predictions for batch.x [B, T] against
   * batch.y [B, T] (targets < 0 are ignored, PyTorch's ignore_index = -1), with dropout unless
   * `training: false` (as nanoGPT's model.eval() for estimates).
   */
  loss(batch: TokenBatch, opts: Omit<GPTForwardOptions, "returnAttention"> = {}): tf.Scalar {
    const flat = (v: TokenBatch["x"]) => batch.shape && !(v instanceof tf.Tensor) && !Array.isArray((v as ArrayLike<unknown>)[0]);
    const input = (v: TokenBatch["x"]): GPTInput => (flat(v) ? { ids: v as ArrayLike<number>, shape: batch.shape! } : (v as GPTInput));
    return tf.tidy(() => crossEntropy(this.forward(input(batch.x), { training: true, ...opts }), this.ids(input(batch.y))));
  }

  /**
   * Continue `prompt` (token ids) by maxNewTokens sampled tokens; returns prompt + new tokens.
   * The context is cropped to the last blockSize tokens. Sampling is seeded (opts.seed).
   */
  generate(prompt: ArrayLike<number>, maxNewTokens: number, opts: GenerateOptions = {}): number[] {
    const out = Array.from(prompt);
    if (out.length === 0) throw new RangeError("GPT.generate: the prompt is empty (start with a <bos> or any token)");
    const random = generatorOf(opts);
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
      out.push(sampleToken(values, opts, random));
    }
    return out;
  }

  // ---- parameters ---------------------------------------------------------------------------

  /** The trainable variables by name (nanoGPT's names, shortened). */
  namedVariables(): Record<string, tf.Variable> {
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

  /**
   * The number of parameters (a tied output layer counted once). Like nanoGPT's get_num_params,
   * `nonEmbedding: true` leaves out the position embeddings.
   */
  parameterCount(opts: { nonEmbedding?: boolean } = {}): number {
    return super.parameterCount() - (opts.nonEmbedding ? this.wpe.size : 0);
  }

  randomState(): Record<string, number> {
    return { dropoutSeed: this.dropoutSeed, dropoutCalls: this.dropoutCalls };
  }

  setRandomState(state: Record<string, number>): void {
    this.dropoutSeed = state.dropoutSeed ?? this.dropoutSeed;
    this.dropoutCalls = state.dropoutCalls ?? 0;
  }

  dispose(): void {
    super.dispose();
    this.causal.dispose();
  }

  // ---- internals ----------------------------------------------------------------------------

  /** idx as an int32 tensor [B, T] (made inside the caller's tidy), checked against blockSize. */
  private ids(idx: GPTInput): tf.Tensor2D {
    const t = (
      idx instanceof tf.Tensor
        ? idx
        : "ids" in idx && "shape" in idx
          ? tf.tensor(Int32Array.from(idx.ids), Array.from(idx.shape) as [number, number], "int32")
          : tf.tensor2d(
              Array.from(idx as ArrayLike<number>[], (r) => Array.from(r)),
              undefined,
              "int32",
            )
    ) as tf.Tensor2D;
    if (t.rank !== 2) throw new RangeError(`GPT: token ids must be [B, T], got shape [${t.shape}]`);
    if (t.shape[1] > this.config.blockSize)
      throw new RangeError(`GPT: a sequence of ${t.shape[1]} tokens is longer than blockSize ${this.config.blockSize}`);
    if (t.shape[1] < 1) throw new RangeError("GPT: a sequence needs at least one token");
    return t;
  }

  private dropout(x: tf.Tensor, training: boolean): tf.Tensor {
    const rate = this.config.dropout;
    if (!training || rate === 0) return x;
    return tf.dropout(x, rate, undefined, subSeed(this.dropoutSeed, 1_000_000 + this.dropoutCalls++));
  }
}
