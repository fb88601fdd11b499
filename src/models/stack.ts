// The body every recurrent model here shares: token ids (or features) through an input layer
// (embedding, one-hot or features: ./input.ts), then stacked recurrent layers (./recurrent.ts),
// layer l reading layer l−1's outputs. A language model puts a softmax layer on top, a classifier
// a dense layer on its last state, an encoder–decoder hands the encoder's final state to a
// decoder; pretrained, one model's stack starts another (shared, or cloned).
//
// Seeds: the input layer's subSeed(seed, 0), layer l's subSeed(seed, l + 1).
import * as tf from "@tensorflow/tfjs";
import { subSeed } from "../data/random";
import { Module, copyVariables, prefixed } from "../nn/module";
import type { TensorInput } from "./tensor-input";
import { SequenceInput, type SequenceInputOptions } from "./input";
import { Recurrent, type CellKind, type RecurrentState } from "./recurrent";

export interface RecurrentStackOptions extends SequenceInputOptions {
  hiddenSize: number;
  /** Stacked recurrent layers (default 1). */
  numLayers?: number;
  /** "lstm" (default), "gru" or "rnn". */
  cell?: CellKind;
  seed?: number;
  /** fusedLstm for LSTM layers, packedLstm over padded rows (default true). */
  fused?: boolean;
  /** Extra values appended to each step's input of the first layer (a context vector: LanguageModel's contextSize). */
  extraInputSize?: number;
}

export class RecurrentStack extends Module {
  readonly input: SequenceInput;
  readonly layers: Recurrent[];

  /** `input`: share this input layer (another stack's) instead of making one. */
  constructor(
    readonly opts: RecurrentStackOptions,
    input?: SequenceInput,
    readonly name = "recurrentStack",
  ) {
    super();
    const seed = opts.seed ?? 0;
    const numLayers = opts.numLayers ?? 1;
    if (!(Number.isInteger(numLayers) && numLayers >= 1))
      throw new RangeError(`${name}: numLayers must be a positive integer, got ${numLayers}`);
    this.input = input ?? new SequenceInput(name, opts, subSeed(seed, 0));
    this.layers = [];
    for (let l = 0; l < numLayers; l++) {
      const inputSize = l === 0 ? this.input.size + (opts.extraInputSize ?? 0) : opts.hiddenSize;
      this.layers.push(
        new Recurrent({ cell: opts.cell, inputSize, hiddenSize: opts.hiddenSize, seed: subSeed(seed, l + 1), fused: opts.fused }),
      );
    }
  }

  get hiddenSize(): number {
    return this.opts.hiddenSize;
  }

  /** The raw input as a checked tensor and its embedding (or one-hot, or features) [B, T, size]. */
  embed(where: string, x: TensorInput, shape?: readonly number[], bind?: Record<string, number>): { ids: tf.Tensor; xs: tf.Tensor3D } {
    const ids = this.input.tensor(where, x, shape, bind);
    return { ids, xs: this.input.apply(where, ids) };
  }

  /**
   * The layers over xs [B, T, size] (the input layer's output, extra inputs appended), each from
   * its state in `state0` (default zeros): every layer's outputs [B, T, H] (bottom first) and final
   * state. With validLens (one per row) a row's state stops changing after its length.
   */
  runLayers(
    xs: tf.Tensor3D,
    state0?: readonly (RecurrentState | undefined)[],
    validLens?: readonly number[],
  ): { outputs: tf.Tensor3D[]; states: RecurrentState[] } {
    const outputs: tf.Tensor3D[] = [];
    const states: RecurrentState[] = [];
    let x = xs;
    this.layers.forEach((layer, l) => {
      const r = layer.run(x, state0?.[l], validLens);
      outputs.push(r.hs);
      states.push(r.state);
      x = r.hs;
    });
    return { outputs, states };
  }

  /** ids [B, T] (or features) through the input layer and every layer: see runLayers. */
  run(
    x: TensorInput,
    opts: { shape?: readonly number[]; state0?: readonly (RecurrentState | undefined)[]; validLens?: readonly number[] } = {},
  ): { outputs: tf.Tensor3D[]; states: RecurrentState[] } {
    type Result = { outputs: tf.Tensor3D[]; states: RecurrentState[] };
    return tf.tidy(
      (): tf.TensorContainer =>
        this.runLayers(this.embed(`${this.name}.run`, x, opts.shape).xs, opts.state0, opts.validLens) as unknown as tf.TensorContainer,
    ) as unknown as Result;
  }

  /** A new stack with the same options and a copy of these weights (its own input layer). */
  clone(): RecurrentStack {
    const copy = new RecurrentStack(this.opts, undefined, this.name);
    copyVariables(this.variables(), copy.variables());
    return copy;
  }

  /** "embedding/table", then each layer's parameters: "lstm/Wx" for the first, "lstm2/Wx" for the second, ... */
  namedVariables(): Record<string, tf.Variable> {
    return Object.assign(
      {},
      this.input.namedVariables("embedding"),
      ...this.layers.map((r, l) => prefixed(`${r.kind}${l === 0 ? "" : l + 1}/`, r.namedVariables())),
    );
  }
}
