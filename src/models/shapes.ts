// The four shapes of recurrent model (Karpathy's diagram), each a small class on the cells of
// src/nn: apply(...) → scores, loss(batch) → mean cross-entropy, variables(), dispose().
//
//   one-to-one    features [B, D]            → one cell step from h₀ = 0 → scores [B, C]
//   one-to-many   features [B, D] + tokens   → h₀ = tanh(x W + b), a language model → [B, T, V]
//   many-to-one   sequence [B, T]            → the last state h_T → scores [B, C]
//   many-to-many  sequence [B, T]            → every h_t → scores [B, T, C] (synced: tagging)
//
// (Encoder–decoder, the unsynced many-to-many, is in encoder-decoder.ts.) Sequences are token ids
// [batch, steps] (give vocabSize, and embedDim for an embedding; without, one-hot) or float
// features [batch, steps, inputSize] (give inputSize). Plain JS data works too: nested arrays, or
// flat typed arrays with the batch's `shape`.
import * as tf from "@tensorflow/tfjs";
import { subSeed } from "../data/random";
import { Dense } from "../nn";
import { Module, prefixed } from "../nn/module";
import { crossEntropy } from "../nn/losses";
import { checkShape } from "../nn/shape";
import { idsTensor, lengthsArray, toTensor, type TensorInput } from "./tensor-input";
import type { SequenceInput, SequenceInputOptions } from "./input";
import { LanguageModel, type TokenBatch } from "./language-model";
import { Recurrent, disposeState, type CellKind, type RecurrentState } from "./recurrent";
import type { GenerateOptions } from "./sampling";
import { RecurrentStack } from "./stack";

export interface ShapeModelOptions {
  hiddenSize: number;
  /** "lstm" (default), "gru" or "rnn". */
  cell?: CellKind;
  /** Seed of the initial parameters (default 0). */
  seed?: number;
  /** fusedLstm for an LSTM, packedLstm over padded rows (default true). */
  fused?: boolean;
}

// ---- one-to-one ---------------------------------------------------------------------------------

export interface OneToOneOptions extends ShapeModelOptions {
  inputSize: number;
  outputSize: number;
}

/** One input, one output: a single cell step from the zero state (an RNN with T = 1 is an MLP). */
export class OneToOne extends Module {
  readonly rnn: Recurrent;
  readonly head: Dense;
  constructor(readonly opts: OneToOneOptions) {
    super();
    // the cell subSeed(seed, 1), the output layer subSeed(seed, 2), as the sequence models
    const seed = (k: number) => subSeed(opts.seed ?? 0, k);
    this.rnn = new Recurrent({ cell: opts.cell, inputSize: opts.inputSize, hiddenSize: opts.hiddenSize, seed: seed(1) });
    this.head = new Dense(opts.hiddenSize, opts.outputSize, { seed: seed(2) });
  }
  /** features [batch, inputSize] → scores [batch, outputSize]. */
  apply(x: TensorInput, shape?: readonly number[]): tf.Tensor2D {
    return tf.tidy(() => {
      const t = toTensor(x, "float32", shape);
      checkShape("oneToOne.apply", "features", t.shape, ["batch", this.opts.inputSize]);
      const h = this.rnn.step(t as tf.Tensor2D, this.rnn.zeroState(t.shape[0])).h;
      return this.head.apply(h) as tf.Tensor2D;
    });
  }
  /** Cross-entropy of apply(batch.x) against class ids batch.y [batch]. */
  loss(batch: { x: TensorInput; y: TensorInput; shape?: readonly number[] }): tf.Scalar {
    return tf.tidy(() => {
      const scores = this.apply(batch.x, batch.shape);
      const y = idsTensor(batch.y, batch.shape ? [batch.shape[0]] : undefined);
      checkShape("oneToOne.loss", "labels", y.shape, [scores.shape[0]]);
      return crossEntropy(scores, y);
    });
  }
  namedVariables(): Record<string, tf.Variable> {
    return { ...prefixed(`${this.rnn.kind}/`, this.rnn.namedVariables()), ...prefixed("dense/", this.head.namedVariables()) };
  }
}

// ---- one-to-many --------------------------------------------------------------------------------

export interface OneToManyOptions extends ShapeModelOptions {
  /** Size of the conditioning features. */
  inputSize: number;
  /** The output tokens' vocabulary. */
  vocabSize: number;
  /** Embedding size of the output tokens fed back in (0 or omitted: one-hot). */
  embedDim?: number;
}

/**
 * One input, a sequence out (captioning's shape): the features set the initial state
 * h₀ = tanh(x W + b) (c₀ = 0 for an LSTM), then a language model writes the tokens. Trained with
 * teacher forcing (the true previous token as input); generate() feeds back its own tokens.
 */
export class OneToMany extends Module {
  readonly init: Dense;
  readonly decoder: LanguageModel;
  constructor(readonly opts: OneToManyOptions) {
    super();
    const seed = opts.seed ?? 0;
    this.init = new Dense(opts.inputSize, opts.hiddenSize, { seed: subSeed(seed, 3) });
    this.decoder = new LanguageModel(
      {
        vocabSize: opts.vocabSize,
        hiddenSize: opts.hiddenSize,
        embedDim: opts.embedDim,
        cell: opts.cell,
        seed: subSeed(seed, 4),
        fused: opts.fused,
      },
      "oneToMany",
    );
  }
  /** features [batch, inputSize] → the decoder's initial state. */
  initialState(features: TensorInput, where = "oneToMany.initialState"): RecurrentState {
    return tf.tidy(() => {
      const x = toTensor(features, "float32");
      checkShape(where, "features", x.shape, ["batch", this.opts.inputSize]);
      const h = tf.tanh(this.init.apply(x)) as tf.Tensor2D;
      return this.decoder.rnn.kind === "lstm" ? { h, c: tf.zerosLike(h) } : { h };
    });
  }
  /** features [batch, inputSize] and input tokens [batch, steps] → logits [batch, steps, vocab]. */
  apply(features: TensorInput, tokens: TensorInput, shape?: readonly number[]): tf.Tensor3D {
    return tf.tidy(() => {
      const bind: Record<string, number> = {};
      const x = this.decoder.input.tensor("oneToMany.apply", tokens, shape, bind);
      const f = toTensor(features, "float32");
      checkShape("oneToMany.apply", "features", f.shape, ["batch", this.opts.inputSize], bind);
      return this.decoder.apply(x, this.initialState(f, "oneToMany.apply")).logits;
    });
  }
  /** Teacher-forced cross-entropy: x = the tokens fed in (starting with <bos>), y = the next tokens. */
  loss(batch: TokenBatch & { features: TensorInput }): tf.Scalar {
    return tf.tidy(() => {
      const logits = this.apply(batch.features, batch.x, batch.shape);
      const y = idsTensor(batch.y, batch.shape);
      checkShape("oneToMany.loss", "targets", y.shape, logits.shape.slice(0, 2));
      const mask = batch.mask !== undefined ? toTensor(batch.mask, "float32", batch.shape) : undefined;
      return crossEntropy(logits, y, mask);
    });
  }
  /** Up to maxLen tokens per row, starting from bosId, stopping at eosId. */
  generate(features: TensorInput, opts: GenerateOptions & { bosId: number; eosId?: number; maxLen: number }): number[][] {
    const s0 = this.initialState(features, "oneToMany.generate");
    try {
      return this.decoder.generateFrom(s0, new Array(s0.h.shape[0]).fill(opts.bosId), opts.maxLen, opts);
    } finally {
      disposeState(s0);
    }
  }
  namedVariables(): Record<string, tf.Variable> {
    return { ...prefixed("init/", this.init.namedVariables()), ...prefixed("decoder/", this.decoder.namedVariables()) };
  }
  dispose(): void {
    this.decoder.resetState();
    super.dispose();
  }
}

// ---- many-to-one and many-to-many ---------------------------------------------------------------

export interface SequenceModelOptions extends ShapeModelOptions, SequenceInputOptions {
  /** Number of classes (or outputs) per sequence (many-to-one) or per step (many-to-many). */
  outputSize: number;
}

/** A sequence batch: x [batch, steps] ids or [batch, steps, inputSize] features; y the labels. */
export interface SequenceBatch {
  x: TensorInput;
  y: TensorInput;
  /** [batch, steps] of x when x and y are flat typed arrays. */
  shape?: readonly number[];
  /** Real (unpadded) length of each row. */
  validLens?: TensorInput;
  /** many-to-many: 1 where a label counts, 0 for padding. */
  mask?: TensorInput;
}

abstract class SequenceModel extends Module {
  readonly stack: RecurrentStack;
  readonly head: Dense;
  constructor(
    readonly where: string,
    readonly opts: SequenceModelOptions,
  ) {
    super();
    const seed = opts.seed ?? 0;
    this.stack = new RecurrentStack(opts, undefined, where); // the input layer subSeed(seed, 0), the recurrent layer subSeed(seed, 1)
    this.head = new Dense(opts.hiddenSize, opts.outputSize, { seed: subSeed(seed, 2) });
  }
  get input(): SequenceInput {
    return this.stack.input;
  }
  get rnn(): Recurrent {
    return this.stack.layers[0];
  }
  /** hs [B, T, H] and the final state (frozen after each row's valid length). */
  protected encode(method: string, x: TensorInput, opts: { validLens?: TensorInput; shape?: readonly number[] }) {
    const where = `${this.where}.${method}`;
    const t = this.input.tensor(where, x, opts.shape);
    const [B, T] = t.shape;
    const lens = lengthsArray(where, opts.validLens, B, T);
    return this.rnn.run(this.input.apply(where, t), undefined, lens && lens.some((n) => n !== T) ? lens : undefined);
  }
  namedVariables(): Record<string, tf.Variable> {
    return { ...this.stack.namedVariables(), ...prefixed("dense/", this.head.namedVariables()) };
  }
}

/** A sequence in, one output: scores from the last state (a sentiment or intent classifier). */
export class ManyToOne extends SequenceModel {
  constructor(opts: SequenceModelOptions) {
    super("manyToOne", opts);
  }
  /** x [batch, steps] → scores [batch, outputSize]; with validLens, from each row's last real step. */
  apply(x: TensorInput, opts: { validLens?: TensorInput; shape?: readonly number[] } = {}): tf.Tensor2D {
    return tf.tidy(() => this.head.apply(this.encode("apply", x, opts).state.h) as tf.Tensor2D);
  }
  /** Cross-entropy against class ids y [batch]. */
  loss(batch: SequenceBatch): tf.Scalar {
    return tf.tidy(() => {
      const scores = this.apply(batch.x, batch);
      const y = idsTensor(batch.y, batch.shape ? [batch.shape[0]] : undefined);
      checkShape("manyToOne.loss", "labels", y.shape, [scores.shape[0]]);
      return crossEntropy(scores, y);
    });
  }
}

/** A sequence in, an output at every step (synced: tagging, e.g. Korean spacing labels). */
export class ManyToMany extends SequenceModel {
  constructor(opts: SequenceModelOptions) {
    super("manyToMany", opts);
  }
  /** x [batch, steps] → scores [batch, steps, outputSize]. */
  apply(x: TensorInput, opts: { shape?: readonly number[] } = {}): tf.Tensor3D {
    return tf.tidy(() => this.head.apply(this.encode("apply", x, opts).hs) as tf.Tensor3D);
  }
  /** Cross-entropy against labels y [batch, steps], over mask (or validLens) when given. */
  loss(batch: SequenceBatch): tf.Scalar {
    return tf.tidy(() => {
      const scores = this.apply(batch.x, batch);
      const [B, T] = scores.shape;
      const y = idsTensor(batch.y, batch.shape ? batch.shape.slice(0, 2) : undefined);
      checkShape("manyToMany.loss", "labels", y.shape, [B, T]);
      let mask: tf.Tensor | undefined;
      if (batch.mask !== undefined) {
        mask = toTensor(batch.mask, "float32", [B, T]);
        checkShape("manyToMany.loss", "mask", mask.shape, [B, T]);
      } else if (batch.validLens !== undefined) {
        const lens = lengthsArray("manyToMany.loss", batch.validLens, B, T)!;
        mask = tf.tensor2d(
          lens.flatMap((n) => Array.from({ length: T }, (_, t) => (t < n ? 1 : 0))),
          [B, T],
        );
      }
      return crossEntropy(scores, y, mask);
    });
  }
}
