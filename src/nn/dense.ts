// A fully connected layer, y = x W + b, applied to the last axis (so [B, T, D] -> [B, T, N] works:
// an output layer over every time step is one matmul).
import * as tf from "@tensorflow/tfjs";
import { subSeed } from "../data/random";
import { constantVariable, glorotVariable } from "./init";
import { Module } from "./module";

export interface DenseOptions {
  seed?: number;
  /** Add a bias (default true). */
  bias?: boolean;
}

export class Dense extends Module {
  readonly W: tf.Variable; // [inputSize, outputSize]
  readonly b: tf.Variable | null; // [outputSize]
  constructor(
    readonly inputSize: number,
    readonly outputSize: number,
    opts: DenseOptions = {},
  ) {
    super();
    this.W = glorotVariable(inputSize, outputSize, subSeed(opts.seed ?? 0, 0));
    this.b = opts.bias === false ? null : constantVariable([outputSize]);
  }
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      let y: tf.Tensor = tf.matMul(tf.reshape(x, [-1, this.inputSize]) as tf.Tensor2D, this.W as tf.Tensor2D);
      if (this.b) y = tf.add(y, this.b);
      return tf.reshape(y, [...lead, this.outputSize]);
    });
  }
  namedVariables(): Record<string, tf.Variable> {
    return this.b ? { W: this.W, b: this.b } : { W: this.W };
  }
}
