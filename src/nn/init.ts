// Deterministic, seeded parameter initialisation. Values are drawn in JavaScript from a small PRNG
// (mulberry32), so the same seed gives the same parameters on every backend and machine. No
// orthogonal initialiser: on the cpu backend tf.layers' one takes minutes for a 256x1024 matrix.
import * as tf from "@tensorflow/tfjs";

/** mulberry32: a tiny 32-bit PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for the k-th parameter of something seeded with `seed` (distinct streams). */
export function subSeed(seed: number, k: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(k + 1, 0x85ebca77)) >>> 0;
}

/** Uniform values in [-limit, limit). */
export function uniformValues(size: number, limit: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const v = new Float32Array(size);
  for (let i = 0; i < size; i++) v[i] = (2 * rand() - 1) * limit;
  return v;
}

/** A trainable variable of uniform values in [-limit, limit). */
export function uniformVariable(shape: number[], limit: number, seed: number, name?: string): tf.Variable {
  const size = shape.reduce((p, d) => p * d, 1);
  return tf.tidy(() => tf.variable(tf.tensor(uniformValues(size, limit, seed), shape), true, name));
}

/** Glorot (Xavier) uniform for a [fanIn, fanOut] matrix: limit sqrt(6 / (fanIn + fanOut)). */
export function glorotVariable(fanIn: number, fanOut: number, seed: number, name?: string): tf.Variable {
  return uniformVariable([fanIn, fanOut], Math.sqrt(6 / (fanIn + fanOut)), seed, name);
}

/** A trainable variable filled with `value` (zeros by default). */
export function constantVariable(shape: number[], value = 0, name?: string): tf.Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value), true, name));
}
