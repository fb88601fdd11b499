// Metrics for sequence models: perplexity (exp of the mean cross-entropy per token), accuracy,
// evaluate() for a validation set and nanoGPT's estimateLoss. (The loss itself, crossEntropy: src/nn/losses.ts.)
import * as tf from "@tensorflow/tfjs";
import { toRandom } from "../data/random";
import { randomWindows, windowBatch, type Batch } from "../text/batching";
import { checkShape } from "../nn/shape";

/** exp(mean cross-entropy per token): 1 is perfect, the vocabulary size is a uniform guess. */
export function perplexity(meanCrossEntropy: number): number {
  return Math.exp(meanCrossEntropy);
}

/** The share of positions (masked-in ones, with a mask) where argmax(logits) equals the label. */
export function accuracy(logits: tf.Tensor, labels: tf.Tensor, mask?: tf.Tensor): number {
  const lead = logits.shape.slice(0, -1);
  checkShape("accuracy", "labels", labels.shape, lead);
  if (mask) checkShape("accuracy", "mask", mask.shape, lead);
  const acc = tf.tidy(() => {
    const hit = tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(labels, "int32")), "float32");
    if (!mask) return tf.mean(hit);
    const m = tf.cast(mask, "float32");
    return tf.div(tf.sum(tf.mul(hit, m)), tf.maximum(tf.sum(m), 1));
  });
  const value = acc.dataSync()[0];
  acc.dispose();
  return value;
}

/** Scores of a binary tagger (e.g. "is a space after this syllable?"), over the positions that count. */
export interface TagScores {
  /** Share of counted positions where the prediction equals the label (any number of classes). */
  accuracy: number;
  /** The accuracy of always predicting "not positive" (the share of labels that are not `positive`). */
  baseline: number;
  /** Of the positions predicted positive, the share that are (0 when none is predicted). */
  precision: number;
  /** Of the positive labels, the share predicted (0 when there is none). */
  recall: number;
  /** Number of positions counted. */
  n: number;
}

/**
 * Accuracy, the "never positive" baseline, precision and recall of predicted tags against labels,
 * over the positions whose mask is non-zero (all positions without a mask).
 */
export function tagScores(pred: ArrayLike<number>, labels: ArrayLike<number>, mask?: ArrayLike<number>, positive = 1): TagScores {
  if (pred.length !== labels.length) throw new RangeError(`tagScores: ${pred.length} predictions but ${labels.length} labels`);
  if (mask && mask.length !== labels.length) throw new RangeError(`tagScores: ${mask.length} mask values but ${labels.length} labels`);
  let right = 0,
    n = 0,
    negatives = 0,
    tp = 0,
    fp = 0,
    fn = 0;
  for (let i = 0; i < pred.length; i++) {
    if (mask && !mask[i]) continue;
    const p = pred[i] === positive,
      y = labels[i] === positive;
    n++;
    if (pred[i] === labels[i]) right++; // exact: with more than two classes, 0 ≠ 2 though neither is positive
    if (!y) negatives++;
    if (p && y) tp++;
    else if (p) fp++;
    else if (y) fn++;
  }
  return {
    accuracy: n ? right / n : 0,
    baseline: n ? negatives / n : 0,
    precision: tp / Math.max(1, tp + fp),
    recall: tp / Math.max(1, tp + fn),
    n,
  };
}

export type Evaluation = {
  /** Mean loss over the batches. */
  loss: number;
  /** exp(loss): meaningful when the loss is a mean cross-entropy per token. */
  perplexity: number;
  batches: number;
};

export interface EvaluateOptions<B> {
  /**
   * Each batch's weight in the mean (default 1). A loss that is a mean over a batch's rows, from
   * batches of unequal size: `weight: (b) => b.shape[0]` gives the mean over all rows.
   */
  weight?: (batch: B) => number;
}

/**
 * The mean of `loss(batch)` over `batches`, summed in float64 (a float32 sum of many losses loses
 * digits), without gradients (each batch in its own tf.tidy, yielding to the event loop between
 * batches). For `train`'s `validate`: `validate: () => evaluate(validBatches, (b) => model.loss(b))`.
 */
export async function evaluate<B>(batches: Iterable<B>, loss: (batch: B) => tf.Tensor, opts: EvaluateOptions<B> = {}): Promise<Evaluation> {
  let sum = 0;
  let total = 0;
  let n = 0;
  for (const b of batches) {
    const w = opts.weight ? opts.weight(b) : 1;
    if (!(Number.isFinite(w) && w >= 0)) throw new RangeError(`evaluate: a batch's weight must be a finite number ≥ 0, got ${w}`);
    const t = tf.tidy(() => loss(b));
    sum += t.dataSync()[0] * w;
    t.dispose();
    total += w;
    n++;
    await new Promise<void>((r) => setImmediate(r));
  }
  if (n === 0) throw new Error("evaluate: there were no batches");
  if (total === 0) throw new Error("evaluate: every batch had weight 0");
  const mean = sum / total;
  return { loss: mean, perplexity: Math.exp(mean), batches: n };
}

/** A model whose loss reads a batch of token windows, and can leave dropout off (GPT). */
export interface WindowModel {
  loss(batch: Batch, opts: { training: boolean }): tf.Scalar;
}

/**
 * nanoGPT's estimate_loss for one split: the mean loss over `batches` batches of `batchSize`
 * random windows of T tokens of `tokens`, drawn from `seed` (default 0), without dropout. The same
 * seed draws the same windows, so estimates at different steps compare like with like.
 */
export function estimateLoss(
  model: WindowModel,
  tokens: ArrayLike<number>,
  opts: { batches: number; batchSize: number; T: number; seed?: number },
): number {
  const random = toRandom(opts.seed ?? 0);
  let sum = 0;
  for (let i = 0; i < opts.batches; i++) {
    const l = model.loss(windowBatch(tokens, randomWindows(random, opts.batchSize, tokens.length, opts.T), opts.T), { training: false });
    sum += l.dataSync()[0];
    l.dispose();
  }
  return sum / opts.batches;
}
