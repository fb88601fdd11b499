// Pre-trained sequence to sequence learning (Ramachandran, Liu & Le, 2017): train a language model
// on source-language text and one on target-language text, then initialise a seq2seq model from
// them and fine-tune it on the (smaller) parallel data:
//
//   encoder  (embedding + LSTM)             <- the source LM's embedding + LSTM
//   decoder  (embedding + LSTM + softmax)   <- the target LM's embedding + LSTM + softmax
//
// That is src/models' EncoderDecoder.fromLanguageModels. The paper keeps training the LM
// objectives during fine-tuning, so the encoder and decoder do not forget their language ("the LM
// losses as a regulariser"): build the model with `{ share: true }` (the seq2seq model then uses
// the LMs' own variables) and add the LM losses with `lmWeight` in seq2seqFineTuneLoss. With
// `share: false` the weights are copied and the LMs stay as they were.
//
// Sources are read left-padded (padding first), so the encoder's final state — the decoder's
// initial state — is the one after the last real token; decoder rows are right-padded.
import * as tf from "@tensorflow/tfjs";
import type { EncoderDecoder, Seq2SeqBatch } from "../models/encoder-decoder";
import type { LanguageModel } from "../models/language-model";
import { RESERVED_IDS } from "./common";
import type { LmBatch } from "./lm";

/** Source ids (left-padded) and the decoder's inputs, targets and mask (right-padded): an EncoderDecoder batch. */
export interface PairBatch extends Seq2SeqBatch {
  src: Int32Array;
  srcShape: [number, number];
  /** <bos> y_1 .. y_m */
  tgtIn: Int32Array;
  /** y_1 .. y_m <eos> */
  tgtOut: Int32Array;
  tgtMask: Float32Array;
  tgtShape: [number, number];
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
  return { src: source, srcShape: [B, S], tgtIn: decoderInputs, tgtOut: decoderTargets, tgtMask: weights, tgtShape: [B, T] };
}

/**
 * Fine-tuning loss: the seq2seq loss plus, with lmWeight > 0, the LM losses that keep the encoder
 * and decoder good language models (pass the LMs the model shares its weights with).
 */
export function seq2seqFineTuneLoss(
  model: EncoderDecoder,
  batch: PairBatch,
  opts: { lmWeight?: number; sourceLm?: LanguageModel; sourceBatch?: LmBatch; targetLm?: LanguageModel; targetBatch?: LmBatch } = {},
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
