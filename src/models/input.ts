// What a sequence model reads at each step: token ids through an embedding, token ids as one-hot
// vectors (d2l's RNN from scratch), or float features as they are.
import * as tf from "@tensorflow/tfjs";
import { Embedding } from "../nn";
import { checkShape } from "../nn/shape";
import { toTensor, type TensorInput } from "./tensor-input";

export interface SequenceInputOptions {
  /** Inputs are token ids in [0, vocabSize), shaped [batch, steps]. */
  vocabSize?: number;
  /** Embedding size for token ids; 0 or omitted: one-hot vectors of size vocabSize. */
  embedDim?: number;
  /** The embedding's initial values are uniform in ±embedScale (default 0.05, as tf.layers.embedding). */
  embedScale?: number;
  /** Inputs are float features [batch, steps, inputSize] instead of ids. */
  inputSize?: number;
}

export class SequenceInput {
  readonly kind: "embedding" | "onehot" | "features";
  /** The size of each step's vector after this layer (what the cell reads). */
  readonly size: number;
  readonly embedding: Embedding | null = null;
  readonly vocabSize: number | undefined;

  constructor(where: string, opts: SequenceInputOptions, seed: number) {
    const { vocabSize, embedDim, inputSize } = opts;
    if ((vocabSize === undefined) === (inputSize === undefined)) {
      throw new Error(
        `${where}: give vocabSize (token ids, with embedDim for an embedding) or inputSize (float features), not ${vocabSize === undefined ? "neither" : "both"}`,
      );
    }
    if (inputSize !== undefined) {
      if (!(Number.isInteger(inputSize) && inputSize > 0))
        throw new RangeError(`${where}: inputSize must be a positive integer, got ${inputSize}`);
      this.kind = "features";
      this.size = inputSize;
      return;
    }
    if (!(Number.isInteger(vocabSize) && vocabSize! > 0))
      throw new RangeError(`${where}: vocabSize must be a positive integer, got ${vocabSize}`);
    this.vocabSize = vocabSize;
    if (embedDim) {
      if (!(Number.isInteger(embedDim) && embedDim > 0))
        throw new RangeError(`${where}: embedDim must be a positive integer, got ${embedDim}`);
      this.kind = "embedding";
      this.size = embedDim;
      this.embedding = new Embedding(vocabSize!, embedDim, { seed, scale: opts.embedScale });
    } else {
      this.kind = "onehot";
      this.size = vocabSize!;
    }
  }

  /** What the input is called in errors, and its shape pattern. */
  get expected(): { what: string; pattern: (string | number)[] } {
    return this.kind === "features"
      ? { what: "features", pattern: ["batch", "steps", this.size] }
      : { what: "token ids", pattern: ["batch", "steps"] };
  }

  /** The raw input (tensor, nested arrays, or flat data with `shape`) as a checked tensor. */
  tensor(where: string, x: TensorInput, shape?: readonly number[], bind: Record<string, number> = {}): tf.Tensor {
    const t = toTensor(x, this.kind === "features" ? "float32" : "int32", shape);
    const { what, pattern } = this.expected;
    checkShape(where, what, t.shape, pattern, bind);
    return t;
  }

  /** [B, T] ids or [B, T, D] features → [B, T, size]. */
  apply(where: string, x: tf.Tensor): tf.Tensor3D {
    return tf.tidy(() => {
      if (this.kind === "features") return tf.cast(x, "float32") as tf.Tensor3D;
      if (this.embedding) return this.embedding.apply(x) as tf.Tensor3D;
      const ids = x.dataSync();
      for (const id of ids) {
        if (!(id >= 0 && id < this.size)) throw new RangeError(`${where}: token id ${id} is outside [0, ${this.size})`);
      }
      return tf.oneHot(tf.cast(x, "int32"), this.size) as tf.Tensor3D;
    });
  }

  /** One step's ids [B] (or features [B, D]) → [B, size]. */
  applyStep(where: string, x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
      const B = x.shape[0];
      const seq = this.kind === "features" ? tf.reshape(x, [B, 1, this.size]) : tf.reshape(x, [B, 1]);
      return tf.reshape(this.apply(where, seq), [B, this.size]) as tf.Tensor2D;
    });
  }

  namedVariables(prefix: string): Record<string, tf.Variable> {
    return this.embedding ? { [`${prefix}/table`]: this.embedding.table } : {};
  }

  dispose(): void {
    this.embedding?.dispose();
  }
}
