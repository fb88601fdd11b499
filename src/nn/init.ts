// Deterministic, seeded parameter initialisation. Values are drawn in JavaScript from seqlab's
// seeded generator (src/data/random.ts), so the same seed gives the same parameters on every
// backend and machine. No orthogonal initialiser: on the cpu backend tf.layers' one takes minutes
// for a 256x1024 matrix.
import * as tf from "@tensorflow/tfjs";
import { mulberry32 } from "../data/random";

/** Uniform values in [-limit, limit). */
export function uniformValues(size: number, limit: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const v = new Float32Array(size);
  for (let i = 0; i < size; i++) v[i] = (2 * rand() - 1) * limit;
  return v;
}

/** N(0, std) values (Box–Muller, two values per pair of uniforms). */
export function normalValues(size: number, std: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const v = new Float32Array(size);
  for (let i = 0; i < size; i += 2) {
    const u = 1 - rand(); // (0, 1]
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    const a = 2 * Math.PI * rand();
    v[i] = r * Math.cos(a);
    if (i + 1 < size) v[i + 1] = r * Math.sin(a);
  }
  return v;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** A trainable variable of uniform values in [-limit, limit). */
export function uniformVariable(shape: number[], limit: number, seed: number, name?: string): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(uniformValues(sizeOf(shape), limit, seed), shape), true, name));
}

/** A trainable variable of N(0, std) values. */
export function normalVariable(shape: number[], std: number, seed: number, name?: string): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(normalValues(sizeOf(shape), std, seed), shape), true, name));
}

/** Glorot (Xavier) uniform for a [fanIn, fanOut] matrix: limit sqrt(6 / (fanIn + fanOut)). */
export function glorotVariable(fanIn: number, fanOut: number, seed: number, name?: string): tf.Variable {
  return uniformVariable([fanIn, fanOut], Math.sqrt(6 / (fanIn + fanOut)), seed, name);
}

/** A trainable variable filled with `value` (zeros by default). */
export function constantVariable(shape: number[], value = 0, name?: string): tf.Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value), true, name));
}
