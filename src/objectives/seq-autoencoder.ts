// Semi-supervised sequence learning (Dai & Le, 2015): pretrain an LSTM without labels, then use its
// weights to initialise a classifier LSTM and fine-tune on the labelled data.
//
//   SA-LSTM  a sequence autoencoder: the encoder LSTM reads x_1..x_n, the decoder LSTM starts from
//            its final state and reproduces x_1..x_n <eos> (teacher forcing, <bos> first);
//   LM-LSTM  a language model (./lm.ts's LstmLM) trained on the same text;
// then SequenceClassifier.fromPretrained(encoder) copies (or shares) the embedding and LSTM weights
// into a classifier that reads a sequence and predicts its label from the final hidden state.
//
// Sequences are left-padded (padding first), so the final state is the one after the last real
// token: classifierInputs() and pairBatch() do this.
import * as tf from "@tensorflow/tfjs";
import { Dense } from "../nn/dense";
import { subSeed } from "../nn/init";
import { RESERVED_IDS, maskedCrossEntropy, type TokenIds } from "./common";
import { LstmStack, cloneLstmStack, type LstmStackOptions } from "./lm";
import { LstmSeq2Seq, pairBatch, type PairBatch } from "./seq2seq-pretrain";

/** Dai & Le's sequence autoencoder: an LstmSeq2Seq over one vocabulary, embedding shared. */
export function sequenceAutoencoder(opts: LstmStackOptions): LstmSeq2Seq {
  return LstmSeq2Seq.create({ sourceVocabSize: opts.vocabSize, embedDim: opts.embedDim, hiddenSize: opts.hiddenSize, numLayers: opts.numLayers, shareEmbedding: true, seed: opts.seed });
}

/** Autoencoder batch: each sequence is its own target (source left-padded to `length`). */
export function autoencoderBatch(seqs: readonly ArrayLike<number>[], length: number, ids: { padId?: number; bosId?: number; eosId?: number } = {}): PairBatch {
  return pairBatch(seqs.map((s) => ({ source: s, target: s })), { sourceLength: length, targetLength: length + 1, ...ids });
}

/** Sequences left-padded (or cut at the front) to `length`: a classifier's input. */
export function classifierInputs(seqs: readonly ArrayLike<number>[], length: number, padId: number = RESERVED_IDS.pad): TokenIds {
  return { ids: pairBatch(seqs.map((s) => ({ source: s, target: [] })), { sourceLength: length, targetLength: 1, padId }).source, shape: [seqs.length, length] };
}

/**
 * What the classifier reads from the LSTM: the top layer's final hidden state (`"last"`, Dai & Le), or the mean of its
 * outputs over the positions that are not <pad> (`"mean"`).
 */
export type SequencePooling = "last" | "mean";

/** An LSTM that reads a sequence and classifies it from the top layer's final hidden state (or its mean output). */
export class SequenceClassifier {
  readonly out: Dense;
  constructor(readonly encoder: LstmStack, readonly numClasses: number, seed = 0, readonly pool: SequencePooling = "last", readonly padId: number = RESERVED_IDS.pad) {
    this.out = new Dense(encoder.hiddenSize, numClasses, { seed: subSeed(seed, 7) });
  }

  /** A classifier with fresh, seeded weights (the baseline without pretraining). */
  static create(opts: LstmStackOptions & { numClasses: number; pool?: SequencePooling; padId?: number }): SequenceClassifier {
    return new SequenceClassifier(new LstmStack(opts), opts.numClasses, opts.seed, opts.pool, opts.padId);
  }

  /**
   * A classifier whose embedding and LSTM start from a pretrained encoder: the autoencoder's
   * `encoder` or a language model's `stack`. Copied by default; `share: true` uses the same variables.
   */
  static fromPretrained(encoder: LstmStack, numClasses: number, opts: { share?: boolean; seed?: number; pool?: SequencePooling; padId?: number } = {}): SequenceClassifier {
    return new SequenceClassifier(opts.share ? encoder : cloneLstmStack(encoder), numClasses, opts.seed, opts.pool, opts.padId);
  }

  /** Class logits [B, numClasses] for left-padded inputs [B, T]. */
  logits(x: TokenIds): tf.Tensor2D {
    return tf.tidy(() => {
      const ids = tf.tensor2d(x.ids, x.shape, "int32");
      const { outputs, states } = this.encoder.run(ids);
      if (this.pool === "last") return this.out.apply(states[states.length - 1].h) as tf.Tensor2D;
      const mask = tf.expandDims(tf.cast(tf.notEqual(ids, this.padId), "float32"), 2); // [B, T, 1]
      const sum = tf.sum(tf.mul(outputs[outputs.length - 1], mask), 1);
      return this.out.apply(tf.div(sum, tf.maximum(tf.sum(mask, 1), 1))) as tf.Tensor2D;
    });
  }

  /** Mean cross-entropy against integer labels. */
  loss(x: TokenIds, labels: ArrayLike<number>): tf.Scalar {
    return tf.tidy(() => maskedCrossEntropy(this.logits(x), Int32Array.from(labels)));
  }

  /** The share of rows whose highest logit is the label. */
  accuracy(x: TokenIds, labels: ArrayLike<number>): number {
    const pred = tf.tidy(() => tf.argMax(this.logits(x), 1).dataSync());
    let ok = 0;
    for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) ok++;
    return labels.length ? ok / labels.length : 0;
  }

  variables(): tf.Variable[] {
    return [...this.encoder.variables(), ...this.out.variables()];
  }

  dispose(): void {
    this.variables().forEach((v) => v.dispose());
  }
}
