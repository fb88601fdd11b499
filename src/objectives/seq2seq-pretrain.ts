// Pre-trained sequence to sequence learning (Ramachandran, Liu & Le, 2017): train a language model
// on source-language text and one on target-language text, then initialise a seq2seq model from
// them and fine-tune it on the (smaller) parallel data:
//
//   encoder  (embedding + LSTM)             <- the source LM's embedding + LSTM
//   decoder  (embedding + LSTM + softmax)   <- the target LM's embedding + LSTM + softmax
//
// The paper keeps training the LM objectives during fine-tuning, so the encoder and decoder do
// not forget their language ("the LM losses as a regulariser"): build the model with
// `{ share: true }` (the seq2seq model then uses the LMs' own variables) and add the LM losses with
// `lmWeight` in seq2seqFineTuneLoss. With `share: false` the weights are copied and the LMs stay
// as they were.
//
// Sources are read left-padded (padding first), so the encoder's final state — the decoder's
// initial state — is the one after the last real token; decoder rows are right-padded.
import * as tf from "@tensorflow/tfjs";
import { Dense } from "../nn/dense";
import { subSeed } from "../data/random";
import type { LstmState } from "../nn/lstm";
import { crossEntropy } from "../nn/losses";
import { RESERVED_IDS } from "./common";
import { LstmLM, LstmStack, cloneLstmStack, copyVariables, type LmBatch } from "./lm";

/** Source ids (left-padded) and the decoder's inputs, targets and weights (right-padded). */
export interface PairBatch {
  source: Int32Array;
  sourceShape: [number, number];
  /** <bos> y_1 .. y_m */
  decoderInputs: Int32Array;
  /** y_1 .. y_m <eos> */
  decoderTargets: Int32Array;
  weights: Float32Array;
  targetShape: [number, number];
}

export interface PairBatchOptions {
  /** Source length (longer sources lose their first tokens: the end is what the encoder passes on). */
  sourceLength: number;
  /** Decoder length: m + 1 for targets of m tokens (longer targets are cut, without <eos>). */
  targetLength: number;
  padId?: number;
  bosId?: number;
  eosId?: number;
}

/** A batch of (source, target) id sequences. */
export function pairBatch(pairs: readonly { source: ArrayLike<number>; target: ArrayLike<number> }[], opts: PairBatchOptions): PairBatch {
  const { sourceLength: S, targetLength: T } = opts;
  const pad = opts.padId ?? RESERVED_IDS.pad;
  const bos = opts.bosId ?? RESERVED_IDS.bos;
  const eos = opts.eosId ?? RESERVED_IDS.eos;
  const B = pairs.length;
  const source = new Int32Array(B * S).fill(pad);
  const decoderInputs = new Int32Array(B * T).fill(pad);
  const decoderTargets = new Int32Array(B * T).fill(pad);
  const weights = new Float32Array(B * T);
  pairs.forEach(({ source: s, target: y }, b) => {
    const keep = Math.min(s.length, S);
    for (let i = 0; i < keep; i++) source[b * S + S - keep + i] = s[s.length - keep + i];
    const full = [...Array.from(y), eos];
    for (let t = 0; t < Math.min(full.length, T); t++) {
      decoderInputs[b * T + t] = t === 0 ? bos : full[t - 1];
      decoderTargets[b * T + t] = full[t];
      weights[b * T + t] = 1;
    }
  });
  return { source, sourceShape: [B, S], decoderInputs, decoderTargets, weights, targetShape: [B, T] };
}

export interface LstmSeq2SeqOptions {
  sourceVocabSize: number;
  /** Default: the source's (one vocabulary). */
  targetVocabSize?: number;
  embedDim: number;
  hiddenSize: number;
  numLayers?: number;
  /** One embedding for encoder and decoder (needs one vocabulary; default false). */
  shareEmbedding?: boolean;
  seed?: number;
}

/** An LSTM encoder–decoder: the decoder starts from the encoder's final states. */
export class LstmSeq2Seq {
  constructor(readonly encoder: LstmStack, readonly decoder: LstmStack, readonly out: Dense) {
    if (encoder.layers.length !== decoder.layers.length || encoder.hiddenSize !== decoder.hiddenSize) {
      throw new RangeError("LstmSeq2Seq: encoder and decoder need the same number of layers and the same hidden size");
    }
  }

  /** A new model with seeded weights. */
  static create(opts: LstmSeq2SeqOptions): LstmSeq2Seq {
    const seed = opts.seed ?? 0;
    const base = { embedDim: opts.embedDim, hiddenSize: opts.hiddenSize, numLayers: opts.numLayers };
    const encoder = new LstmStack({ ...base, vocabSize: opts.sourceVocabSize, seed: subSeed(seed, 0) });
    const targetVocab = opts.targetVocabSize ?? opts.sourceVocabSize;
    if (opts.shareEmbedding && targetVocab !== opts.sourceVocabSize) throw new RangeError("LstmSeq2Seq: shareEmbedding needs one vocabulary");
    const decoder = new LstmStack({ ...base, vocabSize: targetVocab, seed: subSeed(seed, 1) }, opts.shareEmbedding ? encoder.embedding : undefined);
    return new LstmSeq2Seq(encoder, decoder, new Dense(opts.hiddenSize, targetVocab, { seed: subSeed(seed, 2) }));
  }

  /**
   * Ramachandran et al.: the encoder from the source LM, the decoder and its softmax from the target
   * LM — the same variables with `share`, else copies.
   */
  static fromLanguageModels(sourceLm: LstmLM, targetLm: LstmLM, opts: { share?: boolean } = {}): LstmSeq2Seq {
    if (opts.share) return new LstmSeq2Seq(sourceLm.stack, targetLm.stack, targetLm.out);
    const out = new Dense(targetLm.out.inputSize, targetLm.out.outputSize);
    copyVariables(targetLm.out.variables(), out.variables());
    return new LstmSeq2Seq(cloneLstmStack(sourceLm.stack), cloneLstmStack(targetLm.stack), out);
  }

  /** The encoder's final state per layer for left-padded sources [B, S]. */
  encode(source: Int32Array, shape: [number, number]): LstmState[] {
    return this.encoder.run(tf.tensor2d(source, shape, "int32")).states;
  }

  /** Decoder logits [B, T, V] (teacher forcing). */
  logits(batch: PairBatch): tf.Tensor3D {
    return tf.tidy(() => {
      const states = this.encode(batch.source, batch.sourceShape);
      const { outputs } = this.decoder.run(tf.tensor2d(batch.decoderInputs, batch.targetShape, "int32"), states);
      return this.out.apply(outputs[outputs.length - 1]) as tf.Tensor3D;
    });
  }

  /** Mean cross-entropy of the decoder's predictions. */
  loss(batch: PairBatch): tf.Scalar {
    return tf.tidy(() => crossEntropy(this.logits(batch), batch.decoderTargets, batch.weights));
  }

  /**
   * Greedy decoding of one source, at most maxLength tokens, stopping at <eos>. Pass the training
   * batches' `sourceLength` to left-pad (or cut) the source the same way.
   */
  translate(source: ArrayLike<number>, maxLength: number, opts: { sourceLength?: number; padId?: number; bosId?: number; eosId?: number } = {}): number[] {
    const bos = opts.bosId ?? RESERVED_IDS.bos;
    const eos = opts.eosId ?? RESERVED_IDS.eos;
    const S = opts.sourceLength ?? source.length;
    const src = pairBatch([{ source, target: [] }], { sourceLength: S, targetLength: 1, padId: opts.padId }).source;
    let states = this.encode(src, [1, S]);
    let token = bos;
    const out: number[] = [];
    for (let i = 0; i < maxLength; i++) {
      const step = tf.tidy(() => {
        const r = this.decoder.run(tf.tensor2d([[token]], [1, 1], "int32"), states);
        return { logits: this.out.apply(r.outputs[r.outputs.length - 1]), states: r.states as unknown as tf.TensorContainer };
      }) as unknown as { logits: tf.Tensor; states: LstmState[] };
      tf.dispose(states.flatMap((s) => [s.h, s.c]));
      states = step.states;
      token = tf.tidy(() => tf.argMax(tf.reshape(step.logits, [-1])).dataSync()[0]);
      step.logits.dispose();
      if (token === eos) break;
      out.push(token);
    }
    tf.dispose(states.flatMap((s) => [s.h, s.c]));
    return out;
  }

  /** The variables, each once (shared embeddings counted once). */
  variables(): tf.Variable[] {
    return [...new Set([...this.encoder.variables(), ...this.decoder.variables(), ...this.out.variables()])];
  }

  dispose(): void {
    this.variables().forEach((v) => v.dispose());
  }
}

/**
 * Fine-tuning loss: the seq2seq loss plus, with lmWeight > 0, the LM losses that keep the encoder
 * and decoder good language models (pass the LMs the model shares its weights with).
 */
export function seq2seqFineTuneLoss(
  model: LstmSeq2Seq,
  batch: PairBatch,
  opts: { lmWeight?: number; sourceLm?: LstmLM; sourceBatch?: LmBatch; targetLm?: LstmLM; targetBatch?: LmBatch } = {},
): tf.Scalar {
  return tf.tidy(() => {
    let loss = model.loss(batch);
    const w = opts.lmWeight ?? 0;
    if (w > 0) {
      if (opts.sourceLm && opts.sourceBatch) loss = tf.add(loss, tf.mul(w, opts.sourceLm.loss(opts.sourceBatch)));
      if (opts.targetLm && opts.targetBatch) loss = tf.add(loss, tf.mul(w, opts.targetLm.loss(opts.targetBatch)));
    }
    return loss;
  });
}
