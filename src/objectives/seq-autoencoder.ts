// Semi-supervised sequence learning (Dai & Le, 2015): pretrain an LSTM without labels, then use its
// weights to initialise a classifier LSTM and fine-tune on the labelled data.
//
//   SA-LSTM  a sequence autoencoder (src/models' EncoderDecoder over one vocabulary, one embedding):
//            the encoder LSTM reads x_1..x_n, the decoder LSTM starts from its final state and
//            reproduces x_1..x_n <eos> (teacher forcing, <bos> first);
//   LM-LSTM  a language model (src/models' LanguageModel) trained on the same text;
// then SequenceClassifier.fromPretrained(stack) copies (or shares) the embedding and LSTM weights
// into a classifier that reads a sequence and predicts its label from the hidden state after its
// last token (or the mean over its tokens).
//
// Classifier inputs are right-padded (classifierInputs): the LSTM reads the sentence first, as the
// LM read its text, and the state the classifier takes is the one at the row's last real token, so
// <pad> never reaches it and a question is read the same in any batch. (Left padding, Dai & Le's
// layout for the autoencoder's encoder, made the LSTM read <pad> before the sentence: the state
// then depended on how long the batch's longest row was.)
import * as tf from "@tensorflow/tfjs";
import { subSeed } from "../data/random";
import { EncoderDecoder } from "../models/encoder-decoder";
import { RecurrentStack } from "../models/stack";
import { Dense } from "../nn/dense";
import { crossEntropy } from "../nn/losses";
import { Module, prefixed } from "../nn/module";
import { RESERVED_IDS, type TokenIds } from "./common";
import { pairBatch, type PairBatch } from "./seq2seq-pretrain";

/** The sizes of a token stack: an embedding and LSTM layers. */
export interface StackOptions {
  vocabSize: number;
  embedDim: number;
  hiddenSize: number;
  /** LSTM layers (default 1). */
  numLayers?: number;
  seed?: number;
}

/**
 * Dai & Le's sequence autoencoder: an EncoderDecoder over one vocabulary with one embedding, the
 * decoder reading no context (the sentence reaches it only through the encoder's final state).
 */
export function sequenceAutoencoder(opts: Omit<StackOptions, "numLayers">): EncoderDecoder {
  return new EncoderDecoder({
    srcVocabSize: opts.vocabSize,
    tgtVocabSize: opts.vocabSize,
    embedDim: opts.embedDim,
    hiddenSize: opts.hiddenSize,
    shareEmbedding: true,
    context: false,
    seed: opts.seed,
  });
}

/** Autoencoder batch: each sequence is its own target (source left-padded to `length`). */
export function autoencoderBatch(
  seqs: readonly ArrayLike<number>[],
  length: number,
  ids: { padId?: number; bosId?: number; eosId?: number } = {},
): PairBatch {
  return pairBatch(
    seqs.map((s) => ({ source: s, target: s })),
    { sourceLength: length, targetLength: length + 1, ...ids },
  );
}

/**
 * Sequences right-padded (or cut at the end) to `length`: a classifier's input. `side: "left"` pads in front (and cuts
 * the front), the layout of an encoder whose final state must be the last token's.
 */
export function classifierInputs(
  seqs: readonly ArrayLike<number>[],
  length: number,
  padId: number = RESERVED_IDS.pad,
  side: "right" | "left" = "right",
): TokenIds {
  if (side === "left")
    return {
      ids: pairBatch(
        seqs.map((s) => ({ source: s, target: [] })),
        { sourceLength: length, targetLength: 1, padId },
      ).src,
      shape: [seqs.length, length],
    };
  const ids = new Int32Array(seqs.length * length).fill(padId);
  seqs.forEach((s, b) => {
    for (let t = 0; t < Math.min(s.length, length); t++) ids[b * length + t] = s[t];
  });
  return { ids, shape: [seqs.length, length] };
}

/**
 * What the classifier reads from the LSTM: the top layer's hidden state at each row's last token that is not <pad>
 * (`"last"`, Dai & Le), or the mean of its outputs over the positions that are not <pad> (`"mean"`).
 */
export type SequencePooling = "last" | "mean";

/**
 * Dropout while fine-tuning (0 = none): on the embeddings (`embedding`, one mask per sequence: the same units dropped at
 * every step), on the LSTM's outputs (`hidden`), on the pooled features before the dense layer (`features`).
 */
export interface ClassifierDropout {
  embedding?: number;
  hidden?: number;
  features?: number;
}

export interface ClassifierOptions {
  pool?: SequencePooling;
  padId?: number;
  dropout?: ClassifierDropout;
}

/** An LSTM that reads a sequence and classifies it from the top layer's hidden state after its last token (or its mean output). */
export class SequenceClassifier extends Module {
  readonly out: Dense;
  readonly pool: SequencePooling;
  readonly padId: number;
  readonly dropout: Required<ClassifierDropout>;
  private dropSeed: number;
  constructor(
    readonly encoder: RecurrentStack,
    readonly numClasses: number,
    seed = 0,
    opts: ClassifierOptions = {},
  ) {
    super();
    if (encoder.input.kind !== "embedding")
      throw new RangeError("SequenceClassifier: the encoder must read token ids through an embedding");
    this.out = new Dense(encoder.hiddenSize, numClasses, { seed: subSeed(seed, 7) });
    this.pool = opts.pool ?? "last";
    this.padId = opts.padId ?? RESERVED_IDS.pad;
    this.dropout = { embedding: 0, hidden: 0, features: 0, ...opts.dropout };
    for (const [k, r] of Object.entries(this.dropout)) {
      if (!(r >= 0 && r < 1)) throw new RangeError(`SequenceClassifier: dropout.${k} is ${r}; expected a rate in [0, 1)`);
    }
    this.dropSeed = subSeed(seed, 8); // dropout masks: seeded, a new one every training call
  }

  /**
   * A classifier with fresh, seeded weights (the baseline without pretraining): the stack's seeds
   * are subSeed(seed, 0) for the embedding (uniform ±0.1) and subSeed(seed, l + 1) for layer l.
   */
  static create(opts: StackOptions & ClassifierOptions & { numClasses: number }): SequenceClassifier {
    const stack = new RecurrentStack(
      {
        vocabSize: opts.vocabSize,
        embedDim: opts.embedDim,
        embedScale: 0.1,
        hiddenSize: opts.hiddenSize,
        numLayers: opts.numLayers,
        seed: opts.seed,
      },
      undefined,
      "sequenceClassifier",
    );
    return new SequenceClassifier(stack, opts.numClasses, opts.seed, opts);
  }

  /**
   * A classifier whose embedding and LSTM start from a pretrained stack: a language model's `stack`
   * or an autoencoder's `encoder`. Copied by default; `share: true` uses the same variables.
   */
  static fromPretrained(
    encoder: RecurrentStack,
    numClasses: number,
    opts: ClassifierOptions & { share?: boolean; seed?: number } = {},
  ): SequenceClassifier {
    return new SequenceClassifier(opts.share ? encoder : encoder.clone(), numClasses, opts.seed, opts);
  }

  /**
   * Class logits [B, numClasses] for inputs [B, T] (classifierInputs: right-padded). `training` applies the dropout
   * (loss() does); without it the classifier is deterministic.
   */
  logits(x: TokenIds, opts: { training?: boolean } = {}): tf.Tensor2D {
    const [B, T] = x.shape;
    const drop = (t: tf.Tensor, rate: number, noiseShape?: number[]) =>
      opts.training && rate > 0 ? tf.dropout(t, rate, noiseShape, this.dropSeed++) : t;
    return tf.tidy(() => {
      const ids = tf.tensor2d(x.ids, x.shape, "int32");
      let h = drop(this.encoder.input.apply("sequenceClassifier.logits", ids), this.dropout.embedding, [
        B,
        1,
        this.encoder.input.size,
      ]) as tf.Tensor3D;
      for (const layer of this.encoder.layers) h = layer.run(h).hs;
      h = drop(h, this.dropout.hidden) as tf.Tensor3D;
      let features: tf.Tensor2D;
      if (this.pool === "last") {
        // each row's state at its last real token: rows of hs [B·T, H] picked by index
        const at = new Int32Array(B);
        for (let b = 0; b < B; b++) {
          let last = 0;
          for (let t = 0; t < T; t++) if (x.ids[b * T + t] !== this.padId) last = t;
          at[b] = b * T + last;
        }
        features = tf.gather(tf.reshape(h, [B * T, -1]), tf.tensor1d(at, "int32")) as tf.Tensor2D;
      } else {
        const mask = tf.expandDims(tf.cast(tf.notEqual(ids, this.padId), "float32"), 2); // [B, T, 1]
        features = tf.div(tf.sum(tf.mul(h, mask), 1), tf.maximum(tf.sum(mask, 1), 1)) as tf.Tensor2D;
      }
      return this.out.apply(drop(features, this.dropout.features)) as tf.Tensor2D;
    });
  }

  /** Mean cross-entropy against integer labels, with the dropout (for training). */
  loss(x: TokenIds, labels: ArrayLike<number>): tf.Scalar {
    return tf.tidy(() => crossEntropy(this.logits(x, { training: true }), Int32Array.from(labels)));
  }

  /** The share of rows whose highest logit is the label. */
  accuracy(x: TokenIds, labels: ArrayLike<number>): number {
    const pred = tf.tidy(() => tf.argMax(this.logits(x), 1).dataSync());
    let ok = 0;
    for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) ok++;
    return labels.length ? ok / labels.length : 0;
  }

  namedVariables(): Record<string, tf.Variable> {
    return { ...prefixed("encoder/", this.encoder.namedVariables()), ...prefixed("dense/", this.out.namedVariables()) };
  }

  /** The dropout seed of the next training call. */
  randomState(): Record<string, number> {
    return { dropSeed: this.dropSeed };
  }

  setRandomState(state: Record<string, number>): void {
    if (state.dropSeed !== undefined) this.dropSeed = state.dropSeed;
  }
}
