// Language-model objectives, forward and backward, for src/models' LanguageModel (which ELMo's biLM,
// Dai & Le's pretraining and pre-trained seq2seq build on).
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
// trained on reversed rows: the same model serves both.
import * as tf from "@tensorflow/tfjs";
import type { LanguageModel } from "../models/language-model";
import { disposeState } from "../models/recurrent";
import { RESERVED_IDS, reverseSequences, tokenIds, validLengths, type TokenIds, type TokenIdsInput } from "./common";

/** Inputs x and next-token targets y, row-major [B, T], with a mask (0 on padding): LanguageModel.loss's batch. */
export interface LmBatch {
  x: Int32Array;
  y: Int32Array;
  mask: Float32Array;
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
  return { x: inputs, y: targets, mask: weights, shape: [B, T], lengths: Int32Array.from(lengths) };
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

/**
 * log p of each token of each continuation after a context, under an LM that reads `startId`
 * then the context: for continuation c, [log p(c_1 | start, context), log p(c_2 | start, context,
 * c_1), ...]. All continuations run as one padded batch. For a backward LM pass the right context
 * and the continuation reversed, with startId <eos>: the scores of filling a blank from its right.
 */
export function continuationLogProbs(
  model: LanguageModel,
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
  const logp = tf.tidy(() => tf.logSoftmax(model.apply(tf.tensor2d(inputs, [B, T], "int32")).logits).arraySync() as number[][][]);
  // the prediction at input position C + k is the distribution of the continuation's token k
  return continuations.map((c, b) => Array.from({ length: c.length }, (_, k) => logp[b][C + k][c[k]]));
}

/**
 * The total −ln p (nats) of every token of every sequence under an LM that reads `startId` first
 * and then the sequence: Σ_k −ln p(s_k | start, s_1 .. s_{k−1}). The sequences run as one batch
 * in windows of `window` steps with the state carried from window to window, so a long text costs
 * memory for one window only and every token is still predicted from everything before it.
 * (Bits per character: nats / characters / ln 2.)
 */
export function sequenceNats(
  model: LanguageModel,
  sequences: readonly ArrayLike<number>[],
  opts: { startId?: number; window?: number } = {},
): { nats: number; tokens: number; perSequence: number[] } {
  const start = opts.startId ?? RESERVED_IDS.bos;
  const W = opts.window ?? 128;
  if (!(Number.isInteger(W) && W >= 1)) throw new RangeError(`sequenceNats: window must be a positive integer, got ${W}`);
  const B = sequences.length;
  const perSequence = new Array<number>(B).fill(0);
  const L = Math.max(0, ...sequences.map((s) => s.length));
  let state = model.zeroState(B);
  for (let from = 0; from < L; from += W) {
    const w = Math.min(W, L - from);
    // a finished sequence keeps reading <start> (its predictions get weight 0)
    const x = new Int32Array(B * w).fill(start);
    const y = new Int32Array(B * w);
    const mask = new Float32Array(B * w);
    sequences.forEach((s, b) => {
      for (let t = 0; t < w && from + t < s.length; t++) {
        const p = from + t;
        x[b * w + t] = p === 0 ? start : s[p - 1];
        y[b * w + t] = s[p];
        mask[b * w + t] = 1;
      }
    });
    const out = tf.tidy(() => {
      const { logits, state: next } = model.apply(tf.tensor2d(x, [B, w], "int32"), state);
      const logp = tf.logSoftmax(logits); // [B, w, V]
      const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor2d(y, [B, w], "int32"), logits.shape[2])), -1);
      return { rows: tf.sum(tf.mul(picked, tf.tensor2d(mask, [B, w])), 1), next };
    });
    const rows = out.rows.dataSync();
    out.rows.dispose();
    for (let b = 0; b < B; b++) perSequence[b] -= rows[b];
    disposeState(state);
    state = out.next;
  }
  disposeState(state);
  return { nats: perSequence.reduce((a, b) => a + b, 0), tokens: sequences.reduce((n, s) => n + s.length, 0), perSequence };
}
