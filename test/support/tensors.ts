// Helpers for tests that compare tensors.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { mulberry32 } from "../../src/data/random";

/** A seeded tensor of uniform values in [-scale, scale). */
export function randomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  const r = mulberry32(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => (2 * r() - 1) * scale),
    shape,
  );
}

/** The largest absolute difference of two tensors of the same shape. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}
