// Optimisers, from tf.train: plain SGD (d2l's RNN chapters: lr 1 with clipping) and Adam.
import * as tf from "@tensorflow/tfjs";

export type OptimizerName = "sgd" | "adam";

/** θ ← θ − lr·g */
export function sgd(learningRate: number): tf.Optimizer {
  return tf.train.sgd(learningRate);
}

/** Adam (Kingma & Ba 2014): moments m, v with bias correction by β₁ᵗ, β₂ᵗ. */
export function adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): tf.Optimizer {
  return tf.train.adam(learningRate, beta1, beta2, epsilon);
}

/** An optimiser by name ("adam" default lr 0.001, "sgd" default lr 0.1), or the one given. */
export function makeOptimizer(spec: tf.Optimizer | OptimizerName = "adam", learningRate?: number): tf.Optimizer {
  if (typeof spec !== "string") return spec;
  if (spec === "sgd") return sgd(learningRate ?? 0.1);
  if (spec === "adam") return adam(learningRate ?? 0.001);
  throw new RangeError(`unknown optimizer "${spec}": use "sgd", "adam" or a tf.Optimizer`);
}
