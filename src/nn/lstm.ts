// The LSTM cell, written from its equations (gates in the course's order f, i, o, g):
//
//   z   = x_t W_x + h_{t-1} W_h + b              [B, 4H], columns [f | i | o | g]
//   f_t = σ(z_f)    i_t = σ(z_i)    o_t = σ(z_o)  forget, input and output gates
//   g_t = tanh(z_g)                               the candidate c̃_t
//   c_t = f_t ∘ c_{t-1} + i_t ∘ g_t
//   h_t = o_t ∘ tanh(c_t)
//
// W_x [D, 4H] and W_h [H, 4H] are the two row blocks of W in σ(W [h_{t-1}, x_t] + b). Keras and
// tf.layers order the columns [i, f, c̃, o] instead (and default to a hard sigmoid):
// lstmParamsFromKeras converts.
import * as tf from "@tensorflow/tfjs";
import { makeCell, type Cell, type CellOptions } from "./cell";
import { subSeed } from "../data/random";
import { glorotVariable, uniformVariable } from "./init";

/** Column blocks of W_x, W_h and b, in order. */
export const LSTM_GATES = ["f", "i", "o", "g"] as const;

export interface LstmParams {
  Wx: tf.Variable; // [D, 4H]
  Wh: tf.Variable; // [H, 4H]
  b: tf.Variable; // [4H]
}
export interface LstmState {
  h: tf.Tensor2D; // [B, H]
  c: tf.Tensor2D; // [B, H]
}
export interface LstmStep extends LstmState {
  f: tf.Tensor2D;
  i: tf.Tensor2D;
  o: tf.Tensor2D;
  g: tf.Tensor2D;
}

/**
 * Seeded parameters: W_x Glorot-uniform, W_h uniform(±1/sqrt(H)), b zero except the forget
 * gate's bias, 1 (so c is kept by default early in training).
 */
export function lstmParams(inputSize: number, hiddenSize: number, seed = 0): LstmParams {
  const H = hiddenSize;
  const bias = new Float32Array(4 * H);
  bias.fill(1, 0, H);
  return {
    Wx: glorotVariable(inputSize, 4 * H, subSeed(seed, 0)),
    Wh: uniformVariable([H, 4 * H], 1 / Math.sqrt(H), subSeed(seed, 1)),
    b: tf.tidy(() => tf.variable(tf.tensor1d(bias), true)),
  };
}

/** One LSTM step; returns the gates and the new state {f, i, o, g, c, h}. */
export function lstmStep(p: LstmParams, x: tf.Tensor2D, { h, c }: LstmState): LstmStep {
  return tf.tidy(() => {
    const z = tf.add(tf.add(tf.matMul(x, p.Wx), tf.matMul(h, p.Wh)), p.b);
    const [zf, zi, zo, zg] = tf.split(z, 4, 1) as tf.Tensor2D[];
    const f = tf.sigmoid(zf);
    const i = tf.sigmoid(zi);
    const o = tf.sigmoid(zo);
    const g = tf.tanh(zg);
    const cNew = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D;
    const hNew = tf.mul(o, tf.tanh(cNew)) as tf.Tensor2D;
    return { f, i, o, g, c: cNew, h: hNew };
  });
}

/** An LSTM cell with its own seeded parameters. */
export function lstmCell(opts: CellOptions): Cell<LstmParams, LstmState, LstmStep> {
  return makeCell("lstm", opts, lstmParams(opts.inputSize, opts.hiddenSize, opts.seed ?? 0), lstmStep, ["h", "c"]);
}

/** Reorder the last axis of a [..., 4H] Keras tensor from [i, f, c̃, o] to [f, i, o, g]. */
export function kerasToLstmOrder(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [i, f, g, o] = tf.split(x, 4, -1);
    return tf.concat([f, i, o, g], -1);
  });
}

/** Reorder the last axis of a [..., 4H] tensor from [f, i, o, g] to Keras's [i, f, c̃, o]. */
export function lstmToKerasOrder(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [f, i, o, g] = tf.split(x, 4, -1);
    return tf.concat([i, f, g, o], -1);
  });
}

/** Parameters from a Keras / tf.layers LSTM's [kernel, recurrentKernel, bias] (copied, reordered). */
export function lstmParamsFromKeras(kernel: tf.Tensor, recurrentKernel: tf.Tensor, bias: tf.Tensor): LstmParams {
  return tf.tidy(() => ({
    Wx: tf.variable(kerasToLstmOrder(kernel), true),
    Wh: tf.variable(kerasToLstmOrder(recurrentKernel), true),
    b: tf.variable(kerasToLstmOrder(bias), true),
  }));
}
