// BERT's masked language model (Devlin et al., 2019).
//
// Of the positions holding ordinary tokens (never <pad> or another reserved token), each is chosen
// with probability 15%. A chosen position's input becomes
//     <mask>             with probability 80%,
//     a random token     with probability 10% (uniform over the ordinary tokens),
//     itself, unchanged  with probability 10%,
// and the model must predict the original token there. The loss is the cross-entropy on the
// chosen positions only. (The random and unchanged 20% keep the model from learning that only
// <mask> positions matter, since <mask> never occurs when the model is used.) The choices are
// drawn independently per position (as Hugging Face's collator), from a seeded generator.
//
// The model is any bidirectional encoder giving logits [B, T, V]: e.g. src/models/gpt.ts's GPT
// with `mask: paddingMask(batch)` (every position sees every non-padding position).
import * as tf from "@tensorflow/tfjs";
import { toRandom } from "../data/random";
import { crossEntropy } from "../nn/losses";
import { RESERVED_IDS, tokenIds, type SeedLike, type TokenIdsInput } from "./common";

/** What happened at each position. */
export const MASK_ACTION = { none: 0, mask: 1, random: 2, keep: 3 } as const;

export interface MaskTokensOptions {
  vocabSize: number;
  maskId?: number;
  /** Ids below this are reserved: never chosen, never drawn as random tokens (default 5). */
  reservedBelow?: number;
  /** The share of positions chosen (default 0.15). */
  rate?: number;
  /** Of the chosen: replaced by <mask> (default 0.8), by a random token (default 0.1); the rest unchanged. */
  maskProb?: number;
  randomProb?: number;
  seed?: SeedLike;
}

export interface MaskedLmBatch {
  /** The corrupted inputs [B, T]. */
  inputs: Int32Array;
  /** The original token at chosen positions, -1 elsewhere. */
  targets: Int32Array;
  /** 1 at chosen positions, 0 elsewhere. */
  weights: Float32Array;
  /** MASK_ACTION per position. */
  actions: Uint8Array;
  shape: [number, number];
  /** The uncorrupted ids. */
  original: Int32Array;
}

/** BERT's corruption of a batch. */
export function maskTokens(x: TokenIdsInput, opts: MaskTokensOptions): MaskedLmBatch {
  const t = tokenIds(x);
  const rng = toRandom(opts.seed);
  const reserved = opts.reservedBelow ?? RESERVED_IDS.count;
  const maskId = opts.maskId ?? RESERVED_IDS.mask;
  const rate = opts.rate ?? 0.15;
  const pMask = opts.maskProb ?? 0.8;
  const pRandom = opts.randomProb ?? 0.1;
  if (!(rate >= 0 && rate <= 1 && pMask >= 0 && pRandom >= 0 && pMask + pRandom <= 1))
    throw new RangeError("maskTokens: probabilities must be in [0, 1] with maskProb + randomProb <= 1");
  if (opts.vocabSize <= reserved)
    throw new RangeError(`maskTokens: vocabSize ${opts.vocabSize} leaves no ordinary tokens above ${reserved} reserved ids`);
  const n = t.ids.length;
  const inputs = Int32Array.from(t.ids);
  const targets = new Int32Array(n).fill(-1);
  const weights = new Float32Array(n);
  const actions = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const id = t.ids[i];
    if (id < reserved) continue;
    if (rng.next() >= rate) continue;
    targets[i] = id;
    weights[i] = 1;
    const u = rng.next();
    if (u < pMask) {
      inputs[i] = maskId;
      actions[i] = MASK_ACTION.mask;
    } else if (u < pMask + pRandom) {
      inputs[i] = reserved + rng.int(opts.vocabSize - reserved);
      actions[i] = MASK_ACTION.random;
    } else {
      actions[i] = MASK_ACTION.keep;
    }
  }
  return { inputs, targets, weights, actions, shape: t.shape, original: t.ids };
}

/** The masked-LM loss: mean cross-entropy of logits [B, T, V] on the chosen positions only. */
export function maskedLmLoss(logits: tf.Tensor, batch: MaskedLmBatch): tf.Scalar {
  return crossEntropy(logits, batch.targets, batch.weights);
}

/**
 * An attention mask [B, T, T] for a bidirectional encoder: 1 where the key is not <pad> (every
 * query sees every real token of its row). Pass it as GPT's `mask`.
 */
export function paddingMask(x: TokenIdsInput, padId: number = RESERVED_IDS.pad): tf.Tensor3D {
  const t = tokenIds(x);
  const [B, T] = t.shape;
  const m = new Float32Array(B * T * T);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < T; j++) {
      if (t.ids[b * T + j] === padId) continue;
      for (let i = 0; i < T; i++) m[(b * T + i) * T + j] = 1;
    }
  }
  return tf.tensor3d(m, [B, T, T]);
}

/** Any model mapping ids [B, T] and an attention mask to logits [B, T, V] (e.g. GPT). */
export interface MaskedEncoder {
  forward(idx: tf.Tensor, opts: { mask: tf.Tensor | "full"; training?: boolean }): tf.Tensor;
}

/** The encoder's attention mask for these ids: "full" when no row holds <pad> (cheaper), else paddingMask. */
export function encoderMask(x: TokenIdsInput, padId: number = RESERVED_IDS.pad): tf.Tensor3D | "full" {
  const t = tokenIds(x);
  return t.ids.includes(padId) ? paddingMask(t, padId) : "full";
}

/** The masked-LM loss of a bidirectional encoder (a GPT with the padding mask) on a batch. */
export function maskedLmModelLoss(
  model: MaskedEncoder,
  batch: MaskedLmBatch,
  opts: { padId?: number; training?: boolean } = {},
): tf.Scalar {
  return tf.tidy(() => {
    const inputs = tf.tensor2d(batch.inputs, batch.shape, "int32");
    const mask = encoderMask({ ids: batch.original, shape: batch.shape }, opts.padId);
    return maskedLmLoss(model.forward(inputs, { mask, training: opts.training }), batch);
  });
}

/**
 * The encoder's most likely token at every position of a corrupted batch, and how many of the
 * chosen positions it gets right (masked-token accuracy). Runs `chunk` rows at a time.
 */
export function maskedLmAccuracy(
  model: MaskedEncoder,
  batch: MaskedLmBatch,
  opts: { padId?: number; chunk?: number } = {},
): { correct: number; total: number; accuracy: number; predictions: Int32Array } {
  const [B, T] = batch.shape;
  const chunk = opts.chunk ?? 64;
  const predictions = new Int32Array(B * T);
  for (let r = 0; r < B; r += chunk) {
    const n = Math.min(chunk, B - r);
    const slice = (a: Int32Array) => ({ ids: a.subarray(r * T, (r + n) * T), shape: [n, T] as [number, number] });
    const best = tf.tidy(() => {
      const mask = encoderMask(slice(batch.original), opts.padId);
      return tf.argMax(model.forward(tf.tensor2d(slice(batch.inputs).ids, [n, T], "int32"), { mask }), -1);
    });
    predictions.set(best.dataSync() as Int32Array, r * T);
    best.dispose();
  }
  let correct = 0;
  let total = 0;
  for (let i = 0; i < B * T; i++) {
    if (!batch.weights[i]) continue;
    total++;
    if (predictions[i] === batch.targets[i]) correct++;
  }
  return { correct, total, accuracy: total ? correct / total : NaN, predictions };
}

/**
 * log p(original token) at each of `positions` of one row, under the encoder, with those positions
 * replaced by <mask>: one at a time (the others visible: the pseudo-log-likelihood of Salazar et
 * al., 2020, is the sum) or all together (one pass; BERT then predicts them independently).
 */
export function maskedTokenLogProbs(
  model: MaskedEncoder,
  ids: ArrayLike<number>,
  positions: readonly number[],
  opts: { together?: boolean; maskId?: number; padId?: number } = {},
): number[] {
  const T = ids.length;
  const maskId = opts.maskId ?? RESERVED_IDS.mask;
  for (const p of positions)
    if (!(Number.isInteger(p) && p >= 0 && p < T)) throw new RangeError(`maskedTokenLogProbs: position ${p} is outside the row of ${T}`);
  if (positions.length === 0) return [];
  const rows = opts.together ? [positions] : positions.map((p) => [p]);
  const inputs = new Int32Array(rows.length * T);
  rows.forEach((masked, r) => {
    for (let t = 0; t < T; t++) inputs[r * T + t] = ids[t];
    for (const p of masked) inputs[r * T + p] = maskId;
  });
  const logp = tf.tidy(() => {
    const mask = encoderMask([Array.from(ids)], opts.padId);
    return tf.logSoftmax(model.forward(tf.tensor2d(inputs, [rows.length, T], "int32"), { mask }));
  });
  const V = logp.shape[2]!;
  const values = logp.dataSync();
  logp.dispose();
  return positions.map((p, k) => values[((opts.together ? 0 : k) * T + p) * V + ids[p]]);
}
