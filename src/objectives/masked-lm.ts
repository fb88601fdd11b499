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
import { RESERVED_IDS, maskedCrossEntropy, tokenIds, type SeedLike, type TokenIdsInput } from "./common";

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
  if (!(rate >= 0 && rate <= 1 && pMask >= 0 && pRandom >= 0 && pMask + pRandom <= 1)) throw new RangeError("maskTokens: probabilities must be in [0, 1] with maskProb + randomProb <= 1");
  if (opts.vocabSize <= reserved) throw new RangeError(`maskTokens: vocabSize ${opts.vocabSize} leaves no ordinary tokens above ${reserved} reserved ids`);
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
  return maskedCrossEntropy(logits, batch.targets, batch.weights);
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
  forward(idx: tf.Tensor, opts: { mask: tf.Tensor; training?: boolean }): tf.Tensor;
}

/** The masked-LM loss of a bidirectional encoder (a GPT with the padding mask) on a batch. */
export function maskedLmModelLoss(model: MaskedEncoder, batch: MaskedLmBatch, opts: { padId?: number; training?: boolean } = {}): tf.Scalar {
  return tf.tidy(() => {
    const inputs = tf.tensor2d(batch.inputs, batch.shape, "int32");
    const mask = paddingMask({ ids: batch.original, shape: batch.shape }, opts.padId);
    return maskedLmLoss(model.forward(inputs, { mask, training: opts.training }), batch);
  });
}
