// Running a cell over a sequence: h_t = f(h_{t-1}, x_t; Θ) for t = 1..T.
import * as tf from "@tensorflow/tfjs";
import type { Cell } from "./cell";
import { timeSteps } from "../backend/hot-loops";

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
