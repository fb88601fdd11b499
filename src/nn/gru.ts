// The GRU cell in the convention tf.layers (and Keras with reset_after=False) uses, gates in the
// order z, r, g:
//
//   z_t = σ(x_t W_xz + h_{t-1} W_hz + b_z)          update gate
//   r_t = σ(x_t W_xr + h_{t-1} W_hr + b_r)          reset gate
//   g_t = tanh(x_t W_xg + (r_t ∘ h_{t-1}) W_hg + b_g) candidate (reset applied *before* W_hg)
//   h_t = z_t ∘ h_{t-1} + (1 - z_t) ∘ g_t
//
// (PyTorch and cuDNN apply the reset after the product, r ∘ (h W_hg + b_hg), and write
// h_t = (1 - z) ∘ g + z ∘ h — the same update.) W_x [D, 3H], W_h [H, 3H], b [3H], columns
// [z | r | g]: the layout of tf.layers.gru's kernel, recurrentKernel and bias, so no reordering.
import * as tf from "@tensorflow/tfjs";
import { makeCell, type Cell, type CellOptions } from "./cell";
import { subSeed } from "../data/random";
import { constantVariable, glorotVariable, uniformVariable } from "./init";

export interface GruParams {
  Wx: tf.Variable; // [D, 3H]
  Wh: tf.Variable; // [H, 3H]
  b: tf.Variable; // [3H]
}
export interface GruState {
  h: tf.Tensor2D;
}
export interface GruStep extends GruState {
  z: tf.Tensor2D;
  r: tf.Tensor2D;
  g: tf.Tensor2D;
}

/** Seeded parameters: W_x Glorot-uniform, W_h uniform(±1/sqrt(H)), b zero. */
export function gruParams(inputSize: number, hiddenSize: number, seed = 0): GruParams {
  const H = hiddenSize;
  return {
    Wx: glorotVariable(inputSize, 3 * H, subSeed(seed, 0)),
    Wh: uniformVariable([H, 3 * H], 1 / Math.sqrt(H), subSeed(seed, 1)),
    b: constantVariable([3 * H]),
  };
}

/** One GRU step; returns the gates and the new state {z, r, g, h}. */
export function gruStep(p: GruParams, x: tf.Tensor2D, { h }: GruState): GruStep {
  return tf.tidy(() => {
    const H = h.shape[1];
    const xw = tf.add(tf.matMul(x, p.Wx), p.b);
    const [xz, xr, xg] = tf.split(xw, 3, 1);
    const [Whzr, Whg] = tf.split(p.Wh, [2 * H, H], 1);
    const [hz, hr] = tf.split(tf.matMul(h, Whzr), 2, 1);
    const z = tf.sigmoid(tf.add(xz, hz)) as tf.Tensor2D;
    const r = tf.sigmoid(tf.add(xr, hr)) as tf.Tensor2D;
    const g = tf.tanh(tf.add(xg, tf.matMul(tf.mul(r, h), Whg))) as tf.Tensor2D;
    const hNew = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), g)) as tf.Tensor2D;
    return { z, r, g, h: hNew };
  });
}

/** A GRU cell with its own seeded parameters. */
export function gruCell(opts: CellOptions): Cell<GruParams, GruState, GruStep> {
  return makeCell("gru", opts, gruParams(opts.inputSize, opts.hiddenSize, opts.seed ?? 0), gruStep, ["h"]);
}
