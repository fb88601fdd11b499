// ELMo's bidirectional language model (Peters et al., 2018) and its scalar mix.
//
// biLM: one token embedding (ELMo: a character CNN) and one softmax layer, shared; L forward LSTM
// layers and L backward LSTM layers, separate. Trained on the sum of both log-likelihoods:
//
//   Σ_k [ log p(x_k | x_1..x_{k-1}; Θ_x, Θ→_LSTM, Θ_s) + log p(x_k | x_{k+1}..x_n; Θ_x, Θ←_LSTM, Θ_s) ]
//
// (the forward LM reads <bos> x_1.., the backward LM reads <eos> x_n.., as in ./lm.ts).
//
// Representations of token k: layer 0 is its embedding twice, [x_k; x_k]; layer j is
// [h→_{k,j}; h←_{k,j}], the forward LSTM's state after reading x_1..x_k and the backward LSTM's
// state after reading x_n..x_k, concatenated ([B, T, 2H]; the embedding size equals H).
//
// Scalar mix, for a downstream task:  ELMo_k = γ Σ_j s_j h_{k,j},  s = softmax(w),
// with w (L+1 numbers, 0 at first: an even mix) and γ (1 at first) learned by the task.
import * as tf from "@tensorflow/tfjs";
import { subSeed } from "../data/random";
import type { SequenceInput } from "../models/input";
import { RecurrentStack } from "../models/stack";
import { Dense } from "../nn/dense";
import { Module, prefixed } from "../nn/module";
import { crossEntropy } from "../nn/losses";
import { RESERVED_IDS, gatherPositions, reverseIndex, tokenIds, validLengths, type TokenIdsInput } from "./common";

export interface BiLMOptions {
  vocabSize: number;
  /** The embedding size and every LSTM's hidden size. */
  dim: number;
  /** LSTM layers per direction (default 2, as ELMo). */
  numLayers?: number;
  seed?: number;
  padId?: number;
  bosId?: number;
  eosId?: number;
}

/** What one biLM pass computes for a batch. */
export interface BiLMPass {
  /** Forward and backward LM losses (mean cross-entropy over the real tokens). */
  forwardLoss: tf.Scalar;
  backwardLoss: tf.Scalar;
  /** The L+1 representations of every token, [B, T, 2·dim] each, in the input's order. */
  layers: tf.Tensor3D[];
}

export class BiLM extends Module {
  readonly forwardLstm: RecurrentStack; // owns the shared token embedding
  readonly backwardLstm: RecurrentStack; // shares the forward one's embedding
  readonly softmax: Dense; // shared by both directions
  readonly numLayers: number;
  private readonly ids: { pad: number; bos: number; eos: number };

  constructor(readonly opts: BiLMOptions) {
    super();
    const seed = opts.seed ?? 0;
    this.numLayers = opts.numLayers ?? 2;
    const stack = (k: number, input?: SequenceInput) =>
      new RecurrentStack(
        {
          vocabSize: opts.vocabSize,
          embedDim: opts.dim,
          embedScale: 0.1,
          hiddenSize: opts.dim,
          numLayers: this.numLayers,
          seed: subSeed(seed, k),
        },
        input,
        "biLM",
      );
    this.forwardLstm = stack(0);
    this.backwardLstm = stack(1, this.forwardLstm.input);
    this.softmax = new Dense(opts.dim, opts.vocabSize, { seed: subSeed(seed, 2) });
    this.ids = { pad: opts.padId ?? RESERVED_IDS.pad, bos: opts.bosId ?? RESERVED_IDS.bos, eos: opts.eosId ?? RESERVED_IDS.eos };
  }

  /**
   * Both directions over x [B, T] (rows padded with <pad> at the end). Each LSTM reads T+1
   * tokens, the boundary token first: its outputs 0..T-1 predict the tokens (the loss), its
   * outputs 1..T are the representations.
   */
  run(x: TokenIdsInput): BiLMPass {
    const t = tokenIds(x);
    const [B, T] = t.shape;
    const lengths = validLengths(t, this.ids.pad);
    const rev = reverseIndex(t.shape, lengths);
    // [B, T+1]: the boundary token, then the row (forward) or the row reversed within its length (backward)
    const withStart = (start: number, index?: Int32Array) => {
      const a = new Int32Array(B * (T + 1));
      for (let b = 0; b < B; b++) {
        a[b * (T + 1)] = start;
        for (let k = 0; k < T; k++) a[b * (T + 1) + k + 1] = t.ids[index ? index[b * T + k] : b * T + k];
      }
      return a;
    };
    const fwdIn = withStart(this.ids.bos);
    const bwdIn = withStart(this.ids.eos, rev);
    const weights = new Float32Array(B * T);
    for (let b = 0; b < B; b++) weights.fill(1, b * T, b * T + lengths[b]);
    const fwdTargets = t.ids;
    const bwdTargets = Int32Array.from(rev, (i) => t.ids[i]);
    return tf.tidy(() => {
      const run = (stack: RecurrentStack, input: Int32Array) => stack.run(tf.tensor2d(input, [B, T + 1], "int32")).outputs;
      const predictions = (hs: tf.Tensor3D) => tf.slice(hs, [0, 0, 0], [B, T, this.opts.dim]) as tf.Tensor3D; // outputs 0..T-1
      const states = (hs: tf.Tensor3D) => tf.slice(hs, [0, 1, 0], [B, T, this.opts.dim]) as tf.Tensor3D; // outputs 1..T
      const f = run(this.forwardLstm, fwdIn);
      const bw = run(this.backwardLstm, bwdIn);
      const forwardLoss = crossEntropy(this.softmax.apply(predictions(f[f.length - 1])), fwdTargets, weights);
      const backwardLoss = crossEntropy(this.softmax.apply(predictions(bw[bw.length - 1])), bwdTargets, weights);
      // Representations: token k's embedding twice, then per layer [forward state; backward state]
      // with the backward states put back in the input's order (the same reversal undoes itself).
      const emb = this.forwardLstm.input.apply("biLM.run", tf.tensor2d(t.ids, [B, T], "int32"));
      const layers: tf.Tensor3D[] = [tf.concat([emb, emb], 2)];
      for (let l = 0; l < this.numLayers; l++) {
        layers.push(tf.concat([states(f[l]), gatherPositions(states(bw[l]), rev) as tf.Tensor3D], 2));
      }
      return { forwardLoss, backwardLoss, layers };
    });
  }

  /** The biLM objective: forward plus backward LM loss (each a mean over the real tokens). */
  loss(x: TokenIdsInput): tf.Scalar {
    return tf.tidy(() => {
      const r = this.run(x);
      return tf.add(r.forwardLoss, r.backwardLoss) as tf.Scalar;
    });
  }

  /** The L+1 representations [B, T, 2·dim] of every token (positions past a row's length: padding). */
  layers(x: TokenIdsInput): tf.Tensor3D[] {
    const r = this.run(x);
    tf.dispose([r.forwardLoss, r.backwardLoss]);
    return r.layers;
  }

  /** A ScalarMixProbe sized for this biLM's L+1 layers of 2·dim (to train on its frozen layers). */
  probe(numClasses: number, seed = 0): ScalarMixProbe {
    return new ScalarMixProbe({ numLayers: this.numLayers + 1, dim: 2 * this.opts.dim, numClasses, seed });
  }

  /** forward/…, backward/… (the shared embedding once, under forward/), softmax/…. */
  namedVariables(): Record<string, tf.Variable> {
    const backward = Object.entries(this.backwardLstm.namedVariables()).filter(([name]) => name !== "embedding/table");
    return {
      ...prefixed("forward/", this.forwardLstm.namedVariables()),
      ...prefixed("backward/", Object.fromEntries(backward)),
      ...prefixed("softmax/", this.softmax.namedVariables()),
    };
  }
}

/** ELMo's task-specific combination of the biLM's layers: γ Σ_j softmax(w)_j h_j. */
export class ScalarMix extends Module {
  readonly w: tf.Variable; // [numLayers] (L+1 for a biLM of L layers)
  readonly gamma: tf.Variable; // scalar
  constructor(readonly numLayers: number) {
    super();
    if (!Number.isInteger(numLayers) || numLayers < 1)
      throw new RangeError(`ScalarMix: numLayers must be a positive integer, got ${numLayers}`);
    this.w = tf.tidy(() => tf.variable(tf.zeros([numLayers]))); // (tidy: the initial values are not kept)
    this.gamma = tf.tidy(() => tf.variable(tf.scalar(1)));
  }

  /** The mix of `layers` (all the same shape). */
  apply(layers: tf.Tensor[]): tf.Tensor {
    if (layers.length !== this.numLayers) throw new RangeError(`ScalarMix: ${layers.length} layers, expected ${this.numLayers}`);
    return tf.tidy(() => {
      const stacked = tf.stack(layers); // [L+1, ...]
      const s = tf.reshape(tf.softmax(this.w), [this.numLayers, ...new Array<number>(layers[0].rank).fill(1)]);
      return tf.mul(tf.sum(tf.mul(stacked, s), 0), this.gamma);
    });
  }

  /** The normalised weights s = softmax(w) (they sum to 1). */
  weights(): number[] {
    return tf.tidy(() => Array.from(tf.softmax(this.w).dataSync()));
  }

  namedVariables(): Record<string, tf.Variable> {
    return { w: this.w, gamma: this.gamma };
  }
}

/**
 * A token-level probe on frozen representations (ELMo's use downstream, in its simplest form):
 * a ScalarMix of the L+1 layers, then one linear layer to class scores at every position,
 *
 *   P(y_k | x) = softmax(W · γ Σ_j s_j h_{k,j} + b).
 *
 * Only the mix (w, γ) and W, b are trained; the layers come in as plain tensors (e.g. from
 * BiLM.layers, computed once), so no gradient reaches the biLM.
 */
export class ScalarMixProbe extends Module {
  readonly mix: ScalarMix;
  readonly out: Dense;
  constructor(readonly opts: { numLayers: number; dim: number; numClasses: number; seed?: number }) {
    super();
    this.mix = new ScalarMix(opts.numLayers);
    this.out = new Dense(opts.dim, opts.numClasses, { seed: subSeed(opts.seed ?? 0, 0) });
  }

  /** Class scores [B, T, numClasses] from the layers [B, T, dim] each. */
  logits(layers: tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => this.out.apply(this.mix.apply(layers)));
  }

  /** Mean cross-entropy over the positions with weight > 0 (labels and weights row-major [B·T]). */
  loss(batch: { layers: tf.Tensor[]; labels: Int32Array; weights: Float32Array }): tf.Scalar {
    return tf.tidy(() => crossEntropy(this.logits(batch.layers), batch.labels, batch.weights));
  }

  /** The most likely class at every position, row-major [B·T]. */
  predict(layers: tf.Tensor[]): Int32Array {
    return tf.tidy(() => Int32Array.from(tf.argMax(this.logits(layers), -1).dataSync()));
  }

  namedVariables(): Record<string, tf.Variable> {
    return { ...prefixed("mix/", this.mix.namedVariables()), ...prefixed("dense/", this.out.namedVariables()) };
  }
}
