// The plain (Elman) recurrent cell:  h_t = tanh(x_t W_x + h_{t-1} W_h + b).
// W_x [D, H] and W_h [H, H] are the two blocks of W in h_t = tanh(W [h_{t-1}, x_t] + b).
import * as tf from "@tensorflow/tfjs";
import { makeCell, type Cell, type CellOptions } from "./cell";
import { subSeed } from "../data/random";
import { constantVariable, glorotVariable, uniformVariable } from "./init";

export interface RnnParams {
  Wx: tf.Variable; // [D, H]
  Wh: tf.Variable; // [H, H]
  b: tf.Variable; // [H]
}
export interface RnnState {
  h: tf.Tensor2D; // [B, H]
}

/** Seeded parameters: W_x Glorot-uniform, W_h uniform(±1/sqrt(H)), b zero. */
export function rnnParams(inputSize: number, hiddenSize: number, seed = 0): RnnParams {
  return {
    Wx: glorotVariable(inputSize, hiddenSize, subSeed(seed, 0)),
    Wh: uniformVariable([hiddenSize, hiddenSize], 1 / Math.sqrt(hiddenSize), subSeed(seed, 1)),
    b: constantVariable([hiddenSize]),
  };
}

/** One step of the tanh RNN. */
export function rnnStep(p: RnnParams, x: tf.Tensor2D, { h }: RnnState): RnnState {
  return tf.tidy(() => {
    const a = tf.add(tf.add(tf.matMul(x, p.Wx), tf.matMul(h, p.Wh)), p.b);
    return { h: tf.tanh(a) as tf.Tensor2D };
  });
}

/** A tanh RNN cell with its own seeded parameters. */
export function rnnCell(opts: CellOptions): Cell<RnnParams, RnnState> {
  return makeCell("rnn", opts, rnnParams(opts.inputSize, opts.hiddenSize, opts.seed ?? 0), rnnStep, ["h"]);
}
