// OpenAI GPT's fine-tuning (Radford et al. 2018, "Improving language understanding by generative
// pre-training", §3.2): a Transformer language model pretrained on unlabelled text reads a labelled
// text wrapped in a start token and an "extract" token; the last layer's state at the extract token,
// through one new linear layer, gives the class logits:
//
//   P(y | x_1 .. x_m) = softmax(h_L^m W_y)
//   L_3 = L_2 (the labels' cross-entropy) + λ · L_1 (the language-model loss on the same text)
//
// with λ = 0.5 in the paper (the auxiliary LM objective "improves generalization and accelerates
// convergence"). Here the rows are <bos> x_1 .. x_m <eos>, right-padded: <eos> plays the extract
// token, which the pretrained LM has learned to predict at the end of every sentence. Right padding
// matters less than for an LSTM read to its end: with causal attention no position ever sees a
// later one, so <pad> after the extract token cannot change its state. (GPT-1's blocks normalise
// after the residual; seqlab's GPT is GPT-2's pre-LayerNorm, so the state read is the final
// LayerNorm's output, the one the LM head reads.)
import * as tf from "@tensorflow/tfjs";
import { subSeed } from "../data/random";
import { layerNorm } from "../nn/layer-norm";
import { crossEntropy } from "../nn/losses";
import { Module, prefixed, copyVariables } from "../nn/module";
import { normalVariable, constantVariable } from "../nn/init";
import { RESERVED_IDS } from "../objectives/common";
import { GPT, type GPTConfig } from "./gpt";

/** Token ids [B, T], row-major (right-padded rows). */
export interface GPTTokenRows {
  ids: Int32Array;
  shape: [number, number];
}

/** <bos> x <eos> rows, right-padded with `padId` to the longest (or to `length`). */
export function gptRows(
  seqs: readonly ArrayLike<number>[],
  opts: { bosId?: number; eosId?: number; padId?: number; length?: number } = {},
): GPTTokenRows {
  const bos = opts.bosId ?? RESERVED_IDS.bos;
  const eos = opts.eosId ?? RESERVED_IDS.eos;
  const pad = opts.padId ?? RESERVED_IDS.pad;
  const T = opts.length ?? Math.max(1, ...seqs.map((s) => s.length + 2));
  const ids = new Int32Array(seqs.length * T).fill(pad);
  seqs.forEach((s, b) => {
    const row = [bos, ...Array.from(s), eos].slice(0, T);
    ids.set(row, b * T);
  });
  return { ids, shape: [seqs.length, T] };
}

/**
 * The next-token batch of right-padded rows, for GPT.loss: x = the rows, y[t] = x[t + 1] where
 * that is a real token, -1 (ignored) at the last real token and on padding.
 */
export function nextTokenBatch(
  rows: GPTTokenRows,
  padId: number = RESERVED_IDS.pad,
): { x: Int32Array; y: Int32Array; shape: [number, number] } {
  const [B, T] = rows.shape;
  const y = new Int32Array(B * T).fill(-1);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + 1 < T; t++) {
      const next = rows.ids[b * T + t + 1];
      if (next === padId) break;
      y[b * T + t] = next;
    }
  }
  return { x: rows.ids, y, shape: rows.shape };
}

export interface GPTClassifierOptions {
  numClasses: number;
  /** Seed of the new linear layer and of the dropout masks (default 0). */
  seed?: number;
  /** λ, the weight of the auxiliary LM loss while fine-tuning (default 0.5, as the paper; 0: none). */
  lmWeight?: number;
  /** Dropout on the extract token's state before the linear layer (default 0.1, as the paper). */
  dropout?: number;
  padId?: number;
}

/** A GPT that classifies a text from its state at the last real token (the extract token). */
export class GPTClassifier extends Module {
  readonly W: tf.Variable; // [C, K]
  readonly b: tf.Variable; // [K]
  readonly lmWeight: number;
  readonly dropout: number;
  readonly padId: number;
  private dropSeed: number;

  constructor(
    readonly gpt: GPT,
    opts: GPTClassifierOptions,
  ) {
    super();
    const seed = opts.seed ?? 0;
    if (!(Number.isInteger(opts.numClasses) && opts.numClasses >= 2))
      throw new RangeError(`GPTClassifier: numClasses must be an integer >= 2, got ${opts.numClasses}`);
    this.lmWeight = opts.lmWeight ?? 0.5;
    this.dropout = opts.dropout ?? 0.1;
    if (!(this.lmWeight >= 0)) throw new RangeError(`GPTClassifier: lmWeight must be >= 0, got ${this.lmWeight}`);
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new RangeError(`GPTClassifier: dropout must be in [0, 1), got ${this.dropout}`);
    this.padId = opts.padId ?? RESERVED_IDS.pad;
    this.W = normalVariable([gpt.config.nEmbd, opts.numClasses], 0.02, subSeed(seed, 11));
    this.b = constantVariable([opts.numClasses], 0);
    this.dropSeed = subSeed(seed, 12);
  }

  /**
   * A classifier on a copy of a pretrained GPT (the pretrained model is left as it is). `config`
   * overrides the copy's settings that do not change its weights' shapes: `dropout`, and `seed`
   * (for a copy, only the seed of its dropout masks: the weights are copied).
   */
  static fromPretrained(
    pretrained: GPT,
    opts: GPTClassifierOptions & { config?: Partial<Pick<GPTConfig, "dropout" | "seed">> },
  ): GPTClassifier {
    const copy = new GPT({ ...pretrained.config, ...opts.config });
    copyVariables(pretrained.variables(), copy.variables());
    return new GPTClassifier(copy, opts);
  }

  /** Each row's index of its last real token (the extract token). */
  private lastIndex(rows: GPTTokenRows): Int32Array {
    const [B, T] = rows.shape;
    const at = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      let last = 0;
      for (let t = 0; t < T; t++) if (rows.ids[b * T + t] !== this.padId) last = t;
      at[b] = b * T + last;
    }
    return at;
  }

  /** The final states [B, T, C] (after the last LayerNorm) and the class logits [B, K]. */
  private run(rows: GPTTokenRows, training: boolean): { states: tf.Tensor3D; logits: tf.Tensor2D } {
    const [B, T] = rows.shape;
    const C = this.gpt.config.nEmbd;
    let x = this.gpt.embed({ ids: rows.ids, shape: rows.shape });
    for (let l = 0; l < this.gpt.config.nLayer; l++) x = this.gpt.block(l, x, { training });
    const states = layerNorm(this.gpt.lnF, x) as tf.Tensor3D;
    let features = tf.gather(tf.reshape(states, [B * T, C]), tf.tensor1d(this.lastIndex(rows), "int32"));
    if (training && this.dropout > 0) features = tf.dropout(features, this.dropout, undefined, this.dropSeed++);
    return { states, logits: tf.add(tf.matMul(features, this.W), this.b) as tf.Tensor2D };
  }

  /** Class logits [B, numClasses] (no dropout). */
  logits(rows: GPTTokenRows): tf.Tensor2D {
    return tf.tidy(() => this.run(rows, false).logits);
  }

  /**
   * The fine-tuning loss L_2 + λ·L_1: the labels' cross-entropy plus λ times the next-token loss on
   * the same rows (one forward pass serves both), with dropout.
   */
  loss(rows: GPTTokenRows, labels: ArrayLike<number>): tf.Scalar {
    return tf.tidy(() => {
      const { states, logits } = this.run(rows, true);
      const clf = crossEntropy(logits, Int32Array.from(labels));
      if (this.lmWeight === 0) return clf;
      const [B, T, C] = states.shape;
      const tied = this.gpt.lmHead ?? null;
      const h = tf.reshape(states, [B * T, C]) as tf.Tensor2D;
      const lmLogits = tied ? tf.matMul(h, tied as tf.Tensor2D) : tf.matMul(h, this.gpt.wte as tf.Tensor2D, false, true);
      const lm = crossEntropy(tf.reshape(lmLogits, [B, T, -1]), nextTokenBatch(rows, this.padId).y);
      return tf.add(clf, tf.mul(lm, this.lmWeight)) as tf.Scalar;
    });
  }

  /** The share of rows whose highest logit is the label. */
  accuracy(rows: GPTTokenRows, labels: ArrayLike<number>): number {
    const pred = tf.tidy(() => tf.argMax(this.logits(rows), 1).dataSync());
    let ok = 0;
    for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) ok++;
    return labels.length ? ok / labels.length : 0;
  }

  namedVariables(): Record<string, tf.Variable> {
    return { ...prefixed("gpt/", this.gpt.namedVariables()), "head/W": this.W, "head/b": this.b };
  }

  randomState(): Record<string, number> {
    const out: Record<string, number> = { dropSeed: this.dropSeed };
    for (const [k, v] of Object.entries(this.gpt.randomState())) out[`gpt/${k}`] = v;
    return out;
  }

  setRandomState(state: Record<string, number>): void {
    if (state.dropSeed !== undefined) this.dropSeed = state.dropSeed;
    const g: Record<string, number> = {};
    for (const [k, v] of Object.entries(state)) if (k.startsWith("gpt/")) g[k.slice(4)] = v;
    this.gpt.setRandomState(g);
  }
}
