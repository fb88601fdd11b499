// Gradient clipping by global norm (Pascanu et al. 2013; TensorFlow's clip_by_global_norm):
//   ‖g‖ = sqrt(Σ_i Σ g_i²) over every parameter's gradient;  g ← g · maxNorm / max(‖g‖, maxNorm)
// so the direction is kept and the norm is at most maxNorm. RNNs need it: the gradient through
// many steps can explode.
import * as tf from "@tensorflow/tfjs";

/** sqrt(Σ g²) over all the tensors, as a scalar tensor (no read-back). */
export function globalNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (grads.length === 0) return tf.scalar(0);
    return tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
  });
}

/**
 * Scale the gradients so that their global norm is at most maxNorm. Returns new tensors (the
 * caller disposes them and the originals) and the norm *before* clipping.
 */
export function clipByGlobalNorm<G extends tf.Tensor[] | tf.NamedTensorMap>(grads: G, maxNorm: number): { grads: G; norm: number } {
  if (!(maxNorm > 0)) throw new RangeError(`clipByGlobalNorm: maxNorm must be positive, got ${maxNorm}`);
  const list = Array.isArray(grads) ? (grads as tf.Tensor[]) : Object.values(grads as tf.NamedTensorMap);
  const n = globalNorm(list);
  const norm = n.dataSync()[0];
  n.dispose();
  const scale = norm > maxNorm ? maxNorm / norm : 1;
  const f = (g: tf.Tensor) => tf.mul(g, scale);
  const out = Array.isArray(grads)
    ? (grads as tf.Tensor[]).map(f)
    : Object.fromEntries(Object.entries(grads as tf.NamedTensorMap).map(([k, g]) => [k, f(g)]));
  return { grads: out as G, norm };
}
