// Running a cell over a sequence: h_t = f(h_{t-1}, x_t; Θ) for t = 1..T, and the rules a loop over
// time steps follows on tfjs's wasm backend, where the cost of an op is often the copying around it
// rather than the arithmetic:
//  1. Never slice one big tensor once per step (x.slice, tf.split, tf.unstack, indexing): split it
//     once (timeSteps below) and index the array. Stock tfjs-backend-wasm copies the *whole* input
//     out of the heap for every piece (seqlab's patched Slice/SplitV/Unpack copy only the piece,
//     but one pass is still cheaper than T).
//  2. Compute what does not depend on the recurrence for all steps at once: x·W_x for every time
//     step is one [B·T, D]·[D, 4H] matmul, not T small ones (fusedLstm does this).
//  3. Collect per-step outputs in an array and stack them once (stackSteps); tf.concat inside the
//     loop is quadratic.
import * as tf from "@tensorflow/tfjs";
import type { Cell } from "./cell";

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

export type StepFn<S, O extends S> = (x: tf.Tensor2D, state: S) => O;

/**
 * Apply `cell` to every time step of `xs` (batch-major [B, T, D], or an array of T tensors
 * [B, D]) starting from `state0` (default: the cell's zero state). Returns every step's output —
 * for an LSTM, [{f, i, o, g, c, h}, ...] — in time order. Stack a field with
 * `tf.stack(steps.map(s => s.h), 1)` for [B, T, H].
 */
export function unroll<S extends object, O extends S>(
  cell: Cell<object, S, O> | StepFn<S, O>,
  xs: tf.Tensor3D | tf.Tensor2D[],
  state0?: S,
): O[] {
  const step: StepFn<S, O> = typeof cell === "function" ? cell : (x, s) => cell.step(x, s);
  const inputs = Array.isArray(xs) ? xs : timeSteps(xs);
  let state: S | undefined = state0;
  if (!state) {
    if (typeof cell === "function") throw new Error("unroll: pass state0 when the cell is a plain step function");
    state = cell.zeroState(inputs[0].shape[0]);
  }
  const out: O[] = [];
  for (const x of inputs) {
    const o = step(x, state);
    out.push(o);
    state = o;
  }
  if (!Array.isArray(xs)) inputs.forEach((x) => x.dispose());
  return out;
}
