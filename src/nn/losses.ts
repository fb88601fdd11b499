// The loss every model and objective in seqlab trains on: the mean cross-entropy of integer labels
// under softmax(logits), over the positions that count.
//
//   nll_n = −log softmax(logits_n)[label_n]                       one position n
//   loss  = Σ_n w_n · nll_n / Σ_n w_n                             w: 1 = counts, 0 = padding
//
// A negative label is ignored (w = 0: PyTorch's ignore_index); without weights or ignored labels
// the loss is the plain mean of nll. (On the wasm backend tf.mean is the same sum and the same one
// division, so the two branches agree to the bit; on the cpu backend tf.mean divides first.)
import * as tf from "@tensorflow/tfjs";
import { checkShape } from "./shape";

/** Labels or weights given as a tensor, or as row-major JavaScript numbers over the positions. */
export type PerPosition = tf.Tensor | ArrayLike<number>;

function flat(where: string, what: string, x: PerPosition, lead: readonly number[], dtype: "int32" | "float32"): tf.Tensor1D {
  const n = lead.reduce((p, d) => p * d, 1);
  if (x instanceof tf.Tensor) {
    if (!(x.rank === 1 && x.size === n)) checkShape(where, what, x.shape, lead);
    return tf.reshape(x.dtype === dtype ? x : tf.cast(x, dtype), [n]) as tf.Tensor1D;
  }
  if (x.length !== n) throw new RangeError(`${where}: ${x.length} ${what} for ${n} positions`);
  return tf.tensor1d(x as ArrayLike<number> as number[], dtype);
}

/**
 * Mean cross-entropy of `labels` (integers in [0, C), or negative to ignore) under softmax(logits):
 * logits [..., C]; labels and `weights` over the leading axes (the same shape, or flat row-major
 * arrays of that many values). Differentiable with respect to the logits.
 */
export function crossEntropy(logits: tf.Tensor, labels: PerPosition, weights?: PerPosition): tf.Scalar {
  const where = "crossEntropy";
  const C = logits.shape[logits.rank - 1];
  const lead = logits.shape.slice(0, -1);
  const ids = labels instanceof tf.Tensor ? labels.dataSync() : labels;
  let ignored = false;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id < 0) ignored = true;
    else if (!(id < C && Number.isInteger(id))) throw new RangeError(`${where}: label ${id} is outside [0, ${C})`);
  }
  return tf.tidy(() => {
    const y = flat(where, "labels", labels, lead, "int32");
    const logp = tf.logSoftmax(tf.reshape(logits, [-1, C]) as tf.Tensor2D);
    const nll = tf.neg(tf.sum(tf.mul(logp, tf.oneHot(y, C)), 1)); // a negative label is a zero row: nll 0
    if (weights === undefined && !ignored) return tf.mean(nll) as tf.Scalar;
    const w = weights === undefined ? tf.cast(tf.greaterEqual(y, 0), "float32") : flat(where, "weights", weights, lead, "float32");
    return tf.div(tf.sum(tf.mul(nll, w)), tf.maximum(tf.sum(w), 1e-9)) as tf.Scalar;
  });
}

/** log σ(x), computed stably as −softplus(−x): the loss of word2vec's negative sampling. */
export function logSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.neg(tf.softplus(tf.neg(x)));
}
