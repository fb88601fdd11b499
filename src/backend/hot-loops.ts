// Helpers for training and generation loops, and the rules they follow. On tfjs's wasm backend the
// cost of an op is often the copying around it rather than the arithmetic, so:
//
//  1. Never slice one big tensor once per step (x.slice, tf.split, tf.unstack, indexing): split it
//     once (timeSteps below) and index the array, or build the per-step piece from JS data. Stock
//     tfjs-backend-wasm copies the *whole* input out of the heap for every piece (seqlab's patched
//     Slice/SplitV/Unpack copy only the piece, but one pass is still cheaper than T).
//  2. Keep a corpus as an Int32Array and build each batch with tokenBatch (one small upload of
//     B*T ints), not by slicing a corpus tensor.
//  3. Compute what does not depend on the recurrence for all steps at once: x·W_x for every time
//     step is one [B*T, D]·[D, 4H] matmul, not T small ones (fusedLstm does this).
//  4. Collect per-step outputs in an array and tf.stack them once; tf.concat inside the loop is
//     quadratic.
//  5. Put each training step in tf.tidy (a step that throws otherwise leaks every tensor it made),
//     and return only tensors or small numbers from tf.tidy: it walks every element of a returned
//     array, so returning x.dataSync() of 65k floats costs ~30 ms.
//  6. Read back once per step (the loss), not per tensor: each dataSync is a copy (and a GPU/native
//     sync on other backends).
import * as tf from "@tensorflow/tfjs";

/**
 * The time steps of a batch-major [B, T, D] tensor as T tensors [B, D], split once
 * (differentiable). T = 1 is a reshape: in tfjs 4.22 tf.unstack over an axis of length 1 has a
 * broken gradient (its single output's gradient reaches tf.stack as a tensor, not an array).
 */
export function timeSteps(x: tf.Tensor3D): tf.Tensor2D[] {
  const [B, T, D] = x.shape;
  if (T === 1) return [tf.reshape(x, [B, D])];
  return tf.unstack(x, 1) as tf.Tensor2D[];
}

/** Stack per-step tensors [B, ...] into one batch-major [B, T, ...] tensor, once. */
export function stackSteps<R extends tf.Rank>(steps: tf.Tensor<R>[]): tf.Tensor {
  return tf.stack(steps, 1);
}

/**
 * Inputs and next-token targets for windows of a token sequence kept in JS: for each start s,
 * inputs = tokens[s .. s+length), targets = tokens[s+1 .. s+length]. Both int32 [starts.length, length].
 */
export function tokenBatch(tokens: ArrayLike<number>, starts: readonly number[], length: number): { inputs: tf.Tensor2D; targets: tf.Tensor2D } {
  const B = starts.length;
  const x = new Int32Array(B * length);
  const y = new Int32Array(B * length);
  starts.forEach((s, b) => {
    if (!(Number.isInteger(s) && s >= 0 && s + length < tokens.length)) {
      throw new RangeError(`tokenBatch: start ${s} needs tokens[${s}..${s + length}] but there are ${tokens.length}`);
    }
    for (let t = 0; t < length; t++) {
      x[b * length + t] = tokens[s + t];
      y[b * length + t] = tokens[s + t + 1];
    }
  });
  return { inputs: tf.tensor2d(x, [B, length], "int32"), targets: tf.tensor2d(y, [B, length], "int32") };
}
