// Losses and metrics for sequence models: cross-entropy over integer labels (optionally masked, for
// padded batches), perplexity (exp of the mean cross-entropy per token), accuracy, and evaluate()
// for a validation set.
import * as tf from "@tensorflow/tfjs";
import { checkShape } from "../models/check";

function checkLabelRange(where: string, labels: tf.Tensor, classes: number): void {
  const v = labels.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (!(v[i] >= 0 && v[i] < classes && Number.isInteger(v[i]))) {
      throw new RangeError(`${where}: label ${v[i]} is outside [0, ${classes})`);
    }
  }
}

/**
 * Mean cross-entropy −log softmax(logits)[label] over every position: logits [..., C], labels the
 * same shape without the last axis. With a mask (same shape as labels, 1 = counts, 0 = padding)
 * the mean runs over the masked-in positions only. Differentiable with respect to the logits.
 */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor, mask?: tf.Tensor): tf.Scalar {
  const C = logits.shape[logits.shape.length - 1];
  const lead = logits.shape.slice(0, -1);
  checkShape("crossEntropy", "labels", labels.shape, lead);
  if (mask) checkShape("crossEntropy", "mask", mask.shape, lead);
  checkLabelRange("crossEntropy", labels, C);
  return tf.tidy(() => {
    const logp = tf.logSoftmax(tf.reshape(logits, [-1, C]) as tf.Tensor2D);
    const onehot = tf.oneHot(tf.reshape(tf.cast(labels, "int32"), [-1]) as tf.Tensor1D, C);
    const nll = tf.neg(tf.sum(tf.mul(logp, onehot), 1));
    if (!mask) return tf.mean(nll) as tf.Scalar;
    const m = tf.reshape(tf.cast(mask, "float32"), [-1]);
    return tf.div(tf.sum(tf.mul(nll, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  });
}

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

export type Evaluation = {
  /** Mean loss over the batches. */
  loss: number;
  /** exp(loss): meaningful when the loss is a mean cross-entropy per token. */
  perplexity: number;
  batches: number;
};

/**
 * The mean of `loss(batch)` over `batches`, without gradients (each batch in its own tf.tidy,
 * yielding to the event loop between batches). For `train`'s `validate`:
 * `validate: () => evaluate(validBatches, (b) => model.loss(b))`.
 */
export async function evaluate<B>(batches: Iterable<B>, loss: (batch: B) => tf.Tensor): Promise<Evaluation> {
  let sum = 0;
  let n = 0;
  for (const b of batches) {
    const t = tf.tidy(() => loss(b));
    sum += t.dataSync()[0];
    t.dispose();
    n++;
    await new Promise<void>((r) => setImmediate(r));
  }
  if (n === 0) throw new Error("evaluate: there were no batches");
  const mean = sum / n;
  return { loss: mean, perplexity: Math.exp(mean), batches: n };
}
