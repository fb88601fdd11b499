// Token embeddings: a [vocab, dim] table whose rows are looked up by token id. The lookup is
// tf.gather; its gradient (a scatter-add of the output gradient into the looked-up rows) is
// defined here, because tfjs's own needs the UnsortedSegmentSum kernel, which the stock wasm
// backend lacks. The gradient uses that kernel where the backend has it (cpu, tensorflow, wasm
// after useBackend()/patchWasm()) and a JavaScript scatter-add otherwise: it trains everywhere.
import * as tf from "@tensorflow/tfjs";
import { subSeed } from "../data/random";
import { uniformVariable } from "./init";
import { Module } from "./module";

/** Σ of the rows of dy [N, D] into a [rows, D] matrix at row ids[n]. */
export function scatterAddRows(dy: tf.Tensor2D, ids: Int32Array, rows: number): tf.Tensor2D {
  if (tf.getKernel("UnsortedSegmentSum", tf.getBackend())) {
    return tf.tidy(() => tf.unsortedSegmentSum(dy, tf.tensor1d(ids, "int32"), rows)) as tf.Tensor2D;
  }
  const D = dy.shape[1];
  const g = dy.dataSync();
  const out = new Float32Array(rows * D);
  for (let n = 0; n < ids.length; n++) {
    const src = n * D;
    const dst = ids[n] * D;
    for (let j = 0; j < D; j++) out[dst + j] += g[src + j];
  }
  return tf.tensor2d(out, [rows, D]);
}

/** table[ids]: [...ids.shape, D], with a gradient for `table` on every backend. */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  const [V, D] = table.shape;
  const flat = Int32Array.from(ids.dataSync());
  for (const id of flat) {
    if (!(id >= 0 && id < V)) throw new RangeError(`embeddingLookup: token id ${id} is outside [0, ${V})`);
  }
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const t = args[0] as tf.Tensor;
    const value = tf.tidy(() => tf.reshape(tf.gather(t as tf.Tensor2D, tf.tensor1d(flat, "int32")), [...ids.shape, D]));
    const gradFunc = (dy: tf.Tensor) => tf.tidy(() => scatterAddRows(tf.reshape(dy, [flat.length, D]) as tf.Tensor2D, flat, V));
    return { value, gradFunc };
  });
  return lookup(table);
}

export interface EmbeddingOptions {
  seed?: number;
  /** Initial values uniform in ±scale (default 0.05, as tf.layers.embedding). */
  scale?: number;
}

/** An embedding layer: apply(ids int32 [...]) -> float32 [..., dim]. */
export class Embedding extends Module {
  readonly table: tf.Variable; // [vocab, dim]
  constructor(
    readonly vocabSize: number,
    readonly dim: number,
    opts: EmbeddingOptions = {},
  ) {
    super();
    this.table = uniformVariable([vocabSize, dim], opts.scale ?? 0.05, subSeed(opts.seed ?? 0, 0));
  }
  apply(ids: tf.Tensor): tf.Tensor {
    return embeddingLookup(this.table as tf.Tensor2D, ids);
  }
  namedVariables(): Record<string, tf.Variable> {
    return { table: this.table };
  }
}
