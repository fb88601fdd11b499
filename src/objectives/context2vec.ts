// context2vec (Melamud, Goldberger & Dagan, 2016): a sentential context embedding learned with
// word2vec's negative sampling.
//
// For the word at position i of a sentence x_1..x_n:
//   left   l_i = forward LSTM state after reading  <bos> x_1 .. x_{i-1}
//   right  r_i = backward LSTM state after reading <eos> x_n .. x_{i+1}
//   context c_i = MLP([l_i; r_i])            (Linear, ReLU, Linear; the word x_i itself is never read)
//   target  t_w = a separate target-word embedding
// and the objective is skip-gram's, with the context in place of the center word:
//   loss = -log σ(t_{x_i}·c_i) - Σ_k log σ(-t_{n_k}·c_i),   n_k ~ count^0.75 (NoiseSampler)
// Cloze filling ("the cat ___ on the mat"): rank every word w by t_w·c at the blank.
import * as tf from "@tensorflow/tfjs";
import { RecurrentStack } from "../models/stack";
import { Dense } from "../nn/dense";
import { Module, prefixed } from "../nn/module";
import { embeddingLookup } from "../nn/embedding";
import { subSeed } from "../data/random";
import { uniformValues } from "../nn/init";
import { logSigmoid } from "../nn/losses";
import { NoiseSampler, RESERVED_IDS, gatherPositions, reverseIndex, tokenIds, validLengths, type TokenIdsInput } from "./common";

export interface Context2VecOptions {
  vocabSize: number;
  /** Context word embedding size (default 32). */
  embedDim?: number;
  /** Each LSTM's hidden size (default 32). */
  hiddenSize?: number;
  /** The MLP's hidden size (default 2·hiddenSize). */
  mlpSize?: number;
  /** Context and target vector size (default 32). */
  dim?: number;
  seed?: number;
  padId?: number;
  bosId?: number;
  eosId?: number;
  /** Put at the blank of a cloze (default 1, <unk>). */
  unkId?: number;
  /** Ids below this are never targets and never ranked in cloze answers (default 5). */
  reservedBelow?: number;
}

export class Context2Vec extends Module {
  readonly left: RecurrentStack;
  readonly right: RecurrentStack; // shares the left one's word embedding
  readonly mlp1: Dense;
  readonly mlp2: Dense;
  readonly targets: tf.Variable; // [V, dim] target word embeddings
  readonly dim: number;
  private readonly ids: { pad: number; bos: number; eos: number; reserved: number };

  constructor(readonly opts: Context2VecOptions) {
    super();
    const seed = opts.seed ?? 0;
    const E = opts.embedDim ?? 32;
    const H = opts.hiddenSize ?? 32;
    this.dim = opts.dim ?? 32;
    const stack = { vocabSize: opts.vocabSize, embedDim: E, embedScale: 0.1, hiddenSize: H };
    this.left = new RecurrentStack({ ...stack, seed: subSeed(seed, 0) }, undefined, "context2vec");
    this.right = new RecurrentStack({ ...stack, seed: subSeed(seed, 1) }, this.left.input, "context2vec");
    this.mlp1 = new Dense(2 * H, opts.mlpSize ?? 2 * H, { seed: subSeed(seed, 2) });
    this.mlp2 = new Dense(opts.mlpSize ?? 2 * H, this.dim, { seed: subSeed(seed, 3) });
    this.targets = tf.tidy(() =>
      tf.variable(
        tf.tensor2d(uniformValues(opts.vocabSize * this.dim, 1 / Math.sqrt(this.dim), subSeed(seed, 4)), [opts.vocabSize, this.dim]),
      ),
    );
    this.ids = {
      pad: opts.padId ?? RESERVED_IDS.pad,
      bos: opts.bosId ?? RESERVED_IDS.bos,
      eos: opts.eosId ?? RESERVED_IDS.eos,
      reserved: opts.reservedBelow ?? RESERVED_IDS.count,
    };
  }

  /** The context vector of every position of x [B, T]: [B, T, dim] (built without the word there). */
  contextVectors(x: TokenIdsInput): tf.Tensor3D {
    const t = tokenIds(x);
    const [B, T] = t.shape;
    const lengths = validLengths(t, this.ids.pad);
    const rev = reverseIndex(t.shape, lengths);
    // Left: <bos> x_1 .. x_{T-1}; output i is the state after x_{i-1}. Right: <eos> then the row
    // reversed (within its length), shifted the same way; output k is the state after reading
    // from the end down to the word after position i, where k is i's place in the reversed row.
    const leftIn = new Int32Array(B * T);
    const rightIn = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      leftIn[b * T] = this.ids.bos;
      rightIn[b * T] = this.ids.eos;
      for (let k = 1; k < T; k++) {
        leftIn[b * T + k] = t.ids[b * T + k - 1];
        rightIn[b * T + k] = t.ids[rev[b * T + k - 1]];
      }
    }
    return tf.tidy(() => {
      const l = this.left.run(tf.tensor2d(leftIn, [B, T], "int32")).outputs[0];
      const r = gatherPositions(this.right.run(tf.tensor2d(rightIn, [B, T], "int32")).outputs[0], rev);
      return this.mlp2.apply(tf.relu(this.mlp1.apply(tf.concat([l, r], 2)))) as tf.Tensor3D;
    });
  }

  /**
   * Negative-sampling loss over every real token of x [B, T] (rows padded at the end): each
   * position's context vector against its word and `negatives` noise words.
   */
  loss(x: TokenIdsInput, noise: NoiseSampler, negatives = 5): tf.Scalar {
    const t = tokenIds(x);
    const [B, T] = t.shape;
    const lengths = validLengths(t, this.ids.pad);
    const weights = new Float32Array(B * T);
    for (let b = 0; b < B; b++) for (let i = 0; i < lengths[b]; i++) if (t.ids[b * T + i] >= this.ids.reserved) weights[b * T + i] = 1;
    const negs = new Int32Array(B * T * negatives);
    for (let i = 0; i < B * T; i++) {
      for (let k = 0; k < negatives; k++) {
        let w = noise.draw();
        for (let tries = 0; w === t.ids[i] && tries < 10; tries++) w = noise.draw(); // as word2vec: not the target itself
        negs[i * negatives + k] = w;
      }
    }
    return tf.tidy(() => {
      const c = tf.reshape(this.contextVectors(t), [B * T, this.dim]);
      const pos = tf.sum(tf.mul(c, embeddingLookup(this.targets as tf.Tensor2D, tf.tensor1d(t.ids, "int32"))), 1);
      const neg = tf.sum(
        tf.mul(embeddingLookup(this.targets as tf.Tensor2D, tf.tensor2d(negs, [B * T, negatives], "int32")), tf.expandDims(c, 1)),
        2,
      );
      const perToken = tf.add(logSigmoid(pos), tf.sum(logSigmoid(tf.neg(neg)), 1));
      const w = tf.tensor1d(weights);
      return tf.neg(tf.div(tf.sum(tf.mul(perToken, w)), tf.maximum(tf.sum(w), 1))) as tf.Scalar;
    });
  }

  /**
   * Cloze: the ordinary words ranked by t_w·c at position `blank` of the sentence `ids` (the
   * token there is ignored). Returns the k best ids, best first, with their scores.
   */
  fill(ids: ArrayLike<number>, blank: number, k = 10): { id: number; score: number }[] {
    if (!(Number.isInteger(blank) && blank >= 0 && blank < ids.length))
      throw new RangeError(`Context2Vec.fill: blank ${blank} is outside the sentence of ${ids.length}`);
    const row = Array.from(ids);
    row[blank] = this.opts.unkId ?? RESERVED_IDS.unk; // never read; only keeps a <pad> there from shortening the row
    const scores = tf.tidy(() => {
      const c = tf.slice(this.contextVectors([row]), [0, blank, 0], [1, 1, this.dim]);
      return tf.matMul(tf.reshape(c, [1, this.dim]) as tf.Tensor2D, this.targets as tf.Tensor2D, false, true);
    });
    const s = scores.dataSync();
    scores.dispose();
    const ranked: { id: number; score: number }[] = [];
    for (let id = this.ids.reserved; id < s.length; id++) ranked.push({ id, score: s[id] });
    ranked.sort((a, b) => b.score - a.score);
    return ranked.slice(0, k);
  }

  /** left/…, right/… (the shared embedding once, under left/), mlp1/…, mlp2/…, targets. */
  namedVariables(): Record<string, tf.Variable> {
    const right = Object.entries(this.right.namedVariables()).filter(([name]) => name !== "embedding/table");
    return {
      ...prefixed("left/", this.left.namedVariables()),
      ...prefixed("right/", Object.fromEntries(right)),
      ...prefixed("mlp1/", this.mlp1.namedVariables()),
      ...prefixed("mlp2/", this.mlp2.namedVariables()),
      targets: this.targets,
    };
  }
}
