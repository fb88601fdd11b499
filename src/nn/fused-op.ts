// One tf.customGrad per layer op (linear, LayerNorm, GELU): the tape records one node instead of
// five to ten, and each backward pass is written so that tfjs's wasm backend runs it fast.
import * as tf from "@tensorflow/tfjs";

type CustomGradResult = { value: tf.Tensor; gradFunc: (dy: never, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[] };

/**
 * tf.customGrad typed by the caller's signature (tfjs types its inputs as one rest parameter).
 * Made on the first call, not when a module defines its op: defining one must not load
 * TensorFlow.js (seqlab loads it on first use; src/lazy.ts).
 */
export function fusedOp<F>(f: (...args: never[]) => CustomGradResult): F {
  let op: ((...args: unknown[]) => unknown) | undefined;
  const call = (...args: unknown[]) =>
    (op ??= tf.customGrad(f as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: unknown[]) => unknown)(...args);
  return call as unknown as F;
}
