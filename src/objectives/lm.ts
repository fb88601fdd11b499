// Language-model objectives, forward and backward, and the small LSTM language model the other
// objectives build on (ELMo's biLM, Dai & Le's pretraining, pre-trained seq2seq).
//
// For a sequence x_1 .. x_n (a row of a batch, padded with <pad> after its n tokens):
//
//   forward LM    p(x_1..x_n) = Π_k p(x_k | x_1..x_{k-1})
//                 inputs  <bos> x_1 .. x_{n-1}        targets x_1 .. x_n
//   backward LM   p(x_1..x_n) = Π_k p(x_k | x_{k+1}..x_n)
//                 inputs  <eos> x_n .. x_2            targets x_n .. x_1
//
// Both predict every token once, each from a boundary token and the context on its side, so the
// backward LM's targets are exactly the forward LM's targets reversed (within the row's length;
// padding stays at the end and gets weight 0). The backward LM is therefore just a forward LM
// trained on reversed rows: the same model code serves both.
import * as tf from "@tensorflow/tfjs";
import { Dense } from "../nn/dense";
import { Embedding } from "../nn/embedding";
import { fusedLstm } from "../nn/fused-lstm";
import { lstmParams, type LstmParams, type LstmState } from "../nn/lstm";
import { subSeed } from "../data/random";
import { crossEntropy } from "../nn/losses";
import { RESERVED_IDS, idsTensor2d, reverseSequences, tokenIds, validLengths, type TokenIds, type TokenIdsInput } from "./common";

/** Inputs and next-token targets, row-major [B, T], with a weight per target (0 on padding). */
export interface LmBatch {
  inputs: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
  shape: [number, number];
  /** Each row's number of real tokens. */
  lengths: Int32Array;
}

export interface LmBatchOptions {
  padId?: number;
  /** The boundary token read first: <bos> for the forward LM, <eos> for the backward one. */
  startId?: number;
  /** Row lengths, when <pad> is not at the end of every row (default: from padId). */
  lengths?: ArrayLike<number>;
}

function shiftRight(x: TokenIds, lengths: ArrayLike<number>, startId: number, padId: number): LmBatch {
  const [B, T] = x.shape;
  const inputs = new Int32Array(B * T).fill(padId);
  const targets = new Int32Array(B * T).fill(padId);
  const weights = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    const n = lengths[b];
    for (let t = 0; t < n; t++) {
      inputs[b * T + t] = t === 0 ? startId : x.ids[b * T + t - 1];
      targets[b * T + t] = x.ids[b * T + t];
      weights[b * T + t] = 1;
    }
  }
  return { inputs, targets, weights, shape: [B, T], lengths: Int32Array.from(lengths) };
}

/** Forward LM: inputs <bos> x_1 .. x_{n-1}, targets x_1 .. x_n. */
export function forwardLmBatch(x: TokenIdsInput, opts: LmBatchOptions = {}): LmBatch {
  const t = tokenIds(x);
  const padId = opts.padId ?? RESERVED_IDS.pad;
  const lengths = opts.lengths ?? validLengths(t, padId);
  return shiftRight(t, lengths, opts.startId ?? RESERVED_IDS.bos, padId);
}

/** Backward LM: inputs <eos> x_n .. x_2, targets x_n .. x_1 (the forward targets, reversed). */
export function backwardLmBatch(x: TokenIdsInput, opts: LmBatchOptions = {}): LmBatch {
  const t = tokenIds(x);
  const padId = opts.padId ?? RESERVED_IDS.pad;
  const lengths = opts.lengths ?? validLengths(t, padId);
  return shiftRight(reverseSequences(t, { lengths }), lengths, opts.startId ?? RESERVED_IDS.eos, padId);
}

export interface LstmStackOptions {
  vocabSize: number;
  embedDim: number;
  hiddenSize: number;
  /** Stacked LSTM layers (default 1). */
  numLayers?: number;
  seed?: number;
}

/** An embedding and stacked LSTM layers (src/nn's fusedLstm): the body of LMs and encoders. */
export class LstmStack {
  readonly embedding: Embedding;
  readonly layers: LstmParams[];
  readonly hiddenSize: number;
  /** `embedding`: share this one (a [vocabSize, embedDim] Embedding) instead of making a new one. */
  constructor(readonly opts: LstmStackOptions, embedding?: Embedding) {
    const seed = opts.seed ?? 0;
    this.hiddenSize = opts.hiddenSize;
    if (embedding && (embedding.vocabSize !== opts.vocabSize || embedding.dim !== opts.embedDim)) {
      throw new RangeError(`LstmStack: a shared embedding [${embedding.vocabSize}, ${embedding.dim}] does not fit [${opts.vocabSize}, ${opts.embedDim}]`);
    }
    this.embedding = embedding ?? new Embedding(opts.vocabSize, opts.embedDim, { seed: subSeed(seed, 0), scale: 0.1 });
    this.layers = [];
    for (let l = 0; l < (opts.numLayers ?? 1); l++) {
      this.layers.push(lstmParams(l === 0 ? opts.embedDim : opts.hiddenSize, opts.hiddenSize, subSeed(seed, l + 1)));
    }
  }

  /**
   * Run over ids [B, T] from `state0` (one state per layer; default zeros). Returns every layer's
   * outputs [B, T, H] (bottom first) and every layer's final state.
   */
  run(ids: tf.Tensor2D, state0?: LstmState[]): { outputs: tf.Tensor3D[]; states: LstmState[] } {
    type Result = { outputs: tf.Tensor3D[]; states: LstmState[] };
    return tf.tidy((): tf.TensorContainer => {
      let x = this.embedding.apply(ids) as tf.Tensor3D;
      const outputs: tf.Tensor3D[] = [];
      const states: LstmState[] = [];
      this.layers.forEach((p, l) => {
        const r = fusedLstm(p, x, state0?.[l]);
        outputs.push(r.hs);
        states.push({ h: r.h, c: r.c });
        x = r.hs;
      });
      return { outputs, states } as Result as unknown as tf.TensorContainer;
    }) as unknown as Result;
  }

  variables(): tf.Variable[] {
    return [...this.embedding.variables(), ...this.layers.flatMap((p) => [p.Wx, p.Wh, p.b])];
  }

  dispose(): void {
    this.variables().forEach((v) => v.dispose());
  }
}

/** An LSTM language model: LstmStack, then a softmax layer over the vocabulary. */
export class LstmLM {
  readonly stack: LstmStack;
  readonly out: Dense;
  constructor(opts: LstmStackOptions) {
    this.stack = new LstmStack(opts);
    this.out = new Dense(opts.hiddenSize, opts.vocabSize, { seed: subSeed(opts.seed ?? 0, 100) });
  }

  /** Logits [B, T, V] for inputs [B, T]. */
  logits(inputs: tf.Tensor2D, state0?: LstmState[]): tf.Tensor3D {
    return tf.tidy(() => {
      const { outputs } = this.stack.run(inputs, state0);
      return this.out.apply(outputs[outputs.length - 1]) as tf.Tensor3D;
    });
  }

  /** log p of each token of each continuation after `context` (see continuationLogProbs). */
  continuationLogProbs(context: ArrayLike<number>, continuations: readonly ArrayLike<number>[], opts: { startId?: number; padId?: number } = {}): number[][] {
    return continuationLogProbs(this, context, continuations, opts);
  }

  /** Mean cross-entropy over the weighted targets of a forward or backward LM batch. */
  loss(batch: LmBatch): tf.Scalar {
    return tf.tidy(() => crossEntropy(this.logits(idsTensor2d({ ids: batch.inputs, shape: batch.shape })), batch.targets, batch.weights));
  }

  variables(): tf.Variable[] {
    return [...this.stack.variables(), ...this.out.variables()];
  }

  dispose(): void {
    this.stack.dispose();
    this.out.dispose();
  }
}

/** The loss of an LM on a batch: `(model, batch) => scalar`, for any training loop. */
export function lmLoss(model: LstmLM, batch: LmBatch): tf.Scalar {
  return model.loss(batch);
}

/**
 * Copy `from`'s values into `to`, variable by variable (shapes must match); the variables stay
 * separate (later training of one does not change the other).
 */
export function copyVariables(from: readonly tf.Tensor[], to: readonly tf.Variable[]): void {
  if (from.length !== to.length) throw new RangeError(`copyVariables: ${from.length} sources for ${to.length} targets`);
  from.forEach((f, i) => {
    const t = to[i];
    if (f.shape.join() !== t.shape.join()) throw new RangeError(`copyVariables: variable ${i}: shape [${f.shape}] into [${t.shape}]`);
    t.assign(f);
  });
}

/** A new LstmStack with the same options and a copy of `source`'s weights. */
export function cloneLstmStack(source: LstmStack): LstmStack {
  const copy = new LstmStack(source.opts);
  copyVariables(source.variables(), copy.variables());
  return copy;
}

/**
 * log p of each token of each continuation after a context, under an LM that reads `startId`
 * then the context: for continuation c, [log p(c_1 | start, context), log p(c_2 | start, context,
 * c_1), ...]. All continuations run as one padded batch. For a backward LM pass the right context
 * and the continuation reversed, with startId <eos>: the scores of filling a blank from its right.
 */
export function continuationLogProbs(
  model: LstmLM,
  context: ArrayLike<number>,
  continuations: readonly ArrayLike<number>[],
  opts: { startId?: number; padId?: number } = {},
): number[][] {
  if (!continuations.length) return [];
  const start = opts.startId ?? RESERVED_IDS.bos;
  const pad = opts.padId ?? RESERVED_IDS.pad;
  const C = context.length;
  const lens = continuations.map((c) => c.length);
  const T = C + Math.max(...lens); // inputs: start, context, the continuation but its last token
  const B = continuations.length;
  const inputs = new Int32Array(B * T).fill(pad);
  continuations.forEach((c, b) => {
    inputs[b * T] = start;
    for (let t = 0; t < C; t++) if (t + 1 < T) inputs[b * T + t + 1] = context[t];
    for (let k = 0; k + 1 < c.length; k++) inputs[b * T + C + 1 + k] = c[k];
  });
  const logp = tf.tidy(() => tf.logSoftmax(model.logits(tf.tensor2d(inputs, [B, T], "int32"))).arraySync() as number[][][]);
  // the prediction at input position C + k is the distribution of the continuation's token k
  return continuations.map((c, b) => Array.from({ length: c.length }, (_, k) => logp[b][C + k][c[k]]));
}
