// XLNet's permutation language model (Yang et al., 2019), simplified.
//
// Sample a factorisation order z (a permutation of a row's positions) and maximise
//     Σ_t log p(x_{z_t} | x_{z_1} .. x_{z_{t-1}})
// — an autoregressive LM over a shuffled order, so every position learns from context on both
// sides, with no <mask> token in the inputs. The tokens stay in place (positions keep their
// position embeddings); only *who may attend to whom* changes: with rank(j) = where j comes in z,
//
//   query mask    position i may attend to j  iff  rank(j) <  rank(i)   (no self, nothing later)
//   content mask  position i may attend to j  iff  rank(j) <= rank(i)   (self included)
//
// The first position in the order attends to nothing in the query mask (it is predicted from
// its position alone). Two streams, as XLNet, run through the same Transformer blocks:
//
//   content stream h: starts from token + position embeddings, attends with the content mask;
//   query stream   g: starts from the <mask> embedding + position (it must not see its own
//                     token), queries from g, keys and values from the previous layer's h,
//                     with the query mask; the predictions are read from g.
//
// Simplified against XLNet: no Transformer-XL memory or segment recurrence, absolute position
// embeddings instead of relative ones, the query stream's start vector is the <mask> token's
// embedding rather than a separate learned vector, and the predicted positions are the last
// `predictFraction` of each order (XLNet's partial prediction, K = 1/predictFraction) with
// default 1: every position is predicted.
//
// The model is src/models/gpt.ts's GPT (its embed, block and head), or anything shaped alike.
import * as tf from "@tensorflow/tfjs";
import { toRandom } from "../data/random";
import { crossEntropy } from "../nn/losses";
import { RESERVED_IDS, tokenIds, validLengths, type SeedLike, type TokenIdsInput } from "./common";

/** A random permutation of 0..n-1: the order in which positions are predicted. */
export function sampleOrder(n: number, seed?: SeedLike): Int32Array {
  const rng = toRandom(seed);
  return Int32Array.from(rng.shuffle(Array.from({ length: n }, (_, i) => i)));
}

/** rank[position] = its index in the order (-1 for positions of [0, T) not in it). */
export function orderRanks(order: ArrayLike<number>, T: number = order.length): Int32Array {
  const rank = new Int32Array(T).fill(-1);
  for (let r = 0; r < order.length; r++) {
    const p = order[r];
    if (!(Number.isInteger(p) && p >= 0 && p < T) || rank[p] !== -1)
      throw new RangeError(`orderRanks: the order ${Array.from(order)} is not a permutation of distinct positions below ${T}`);
    rank[p] = r;
  }
  return rank;
}

/**
 * The query and content masks [T, T] (row = query position i, column = key position j, 1 = may
 * attend) of an order over the first order.length positions; positions past it (padding) are
 * seen by no one, and see nothing (query) or only themselves (content).
 */
export function permutationMasks(order: ArrayLike<number>, T: number = order.length): { query: Float32Array; content: Float32Array } {
  const rank = orderRanks(order, T);
  const query = new Float32Array(T * T);
  const content = new Float32Array(T * T);
  for (let i = 0; i < T; i++) {
    if (rank[i] < 0) {
      content[i * T + i] = 1;
      continue;
    }
    for (let j = 0; j < T; j++) {
      if (rank[j] < 0) continue;
      if (rank[j] < rank[i]) query[i * T + j] = 1;
      if (rank[j] <= rank[i]) content[i * T + j] = 1;
    }
  }
  return { query, content };
}

export interface PermutationLmBatch {
  /** The tokens, unchanged [B, T]. */
  inputs: Int32Array;
  /** The token at predicted positions, -1 elsewhere; weights 1 / 0 alike. */
  targets: Int32Array;
  weights: Float32Array;
  shape: [number, number];
  /** Each row's factorisation order (over its real tokens). */
  orders: Int32Array[];
  /** [B, T, T] each. */
  queryMask: Float32Array;
  contentMask: Float32Array;
}

export interface PermutationLmOptions {
  seed?: SeedLike;
  padId?: number;
  /** Predict only this share of each row's positions, the last in its order (default 1: all). */
  predictFraction?: number;
}

/** Orders, masks and targets for a batch (rows padded with <pad> at the end). */
export function permutationLmBatch(x: TokenIdsInput, opts: PermutationLmOptions = {}): PermutationLmBatch {
  const t = tokenIds(x);
  const [B, T] = t.shape;
  const rng = toRandom(opts.seed);
  const fraction = opts.predictFraction ?? 1;
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`predictFraction must be in (0, 1], got ${fraction}`);
  const lengths = validLengths(t, opts.padId ?? RESERVED_IDS.pad);
  const targets = new Int32Array(B * T).fill(-1);
  const weights = new Float32Array(B * T);
  const queryMask = new Float32Array(B * T * T);
  const contentMask = new Float32Array(B * T * T);
  const orders: Int32Array[] = [];
  for (let b = 0; b < B; b++) {
    const n = lengths[b];
    const order = sampleOrder(n, rng);
    orders.push(order);
    const { query, content } = permutationMasks(order, T);
    queryMask.set(query, b * T * T);
    contentMask.set(content, b * T * T);
    const predicted = n === 0 ? 0 : Math.max(1, Math.ceil(fraction * n));
    for (let r = n - predicted; r < n; r++) {
      const p = b * T + order[r];
      targets[p] = t.ids[p];
      weights[p] = 1;
    }
  }
  return { inputs: Int32Array.from(t.ids), targets, weights, shape: [B, T], orders, queryMask, contentMask };
}

/** What the two-stream pass needs of a Transformer (src/models/gpt.ts's GPT has it). */
export interface TwoStreamTransformer {
  readonly config: { nLayer: number };
  embed(idx: tf.Tensor): tf.Tensor3D;
  block(l: number, x: tf.Tensor3D, opts: { kv?: tf.Tensor3D; mask?: tf.Tensor; training?: boolean }): tf.Tensor3D;
  head(x: tf.Tensor3D): tf.Tensor3D;
}

/** The query stream's logits [B, T, V]: at position i, the prediction of x_i from what precedes i in the order. */
export function permutationLmLogits(
  model: TwoStreamTransformer,
  batch: PermutationLmBatch,
  opts: { maskId?: number; training?: boolean } = {},
): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, T] = batch.shape;
    const query = tf.tensor3d(batch.queryMask, [B, T, T]);
    const content = tf.tensor3d(batch.contentMask, [B, T, T]);
    let h = model.embed(tf.tensor2d(batch.inputs, [B, T], "int32"));
    let g = model.embed(tf.fill([B, T], opts.maskId ?? RESERVED_IDS.mask, "int32"));
    for (let l = 0; l < model.config.nLayer; l++) {
      const gNext = model.block(l, g, { kv: h, mask: query, training: opts.training }); // reads the previous layer's h
      h = model.block(l, h, { mask: content, training: opts.training });
      g = gNext;
    }
    return model.head(g);
  });
}

/** The permutation-LM loss: mean cross-entropy of the query stream at the predicted positions. */
export function permutationLmLoss(
  model: TwoStreamTransformer,
  batch: PermutationLmBatch,
  opts: { maskId?: number; training?: boolean } = {},
): tf.Scalar {
  return tf.tidy(() => crossEntropy(permutationLmLogits(model, batch, opts), batch.targets, batch.weights));
}

/**
 * The query stream's cross-entropy (nats) grouped by rank in the order: entry r is the mean
 * -log p(x_{z_r} | x_{z_1} .. x_{z_{r-1}}) over the batch's predicted positions of rank r (NaN where
 * none), so entry r is the loss with r tokens of context. Also returns how many fell in each rank.
 */
export function permutationLmLossByRank(
  model: TwoStreamTransformer,
  batch: PermutationLmBatch,
  opts: { maskId?: number } = {},
): { loss: Float64Array; count: Int32Array } {
  const [B, T] = batch.shape;
  const nll = tf.tidy(() => {
    const logp = tf.logSoftmax(permutationLmLogits(model, batch, opts));
    const V = logp.shape[2];
    const targets = tf.tensor1d(
      Int32Array.from(batch.targets, (t) => Math.max(t, 0)),
      "int32",
    );
    return tf.neg(tf.sum(tf.mul(tf.reshape(logp, [B * T, V]), tf.oneHot(targets, V)), 1));
  });
  const values = nll.dataSync();
  nll.dispose();
  const sum = new Float64Array(T);
  const count = new Int32Array(T);
  batch.orders.forEach((order, b) => {
    order.forEach((p, r) => {
      const i = b * T + p;
      if (!batch.weights[i]) return;
      sum[r] += values[i];
      count[r]++;
    });
  });
  return { loss: sum.map((s, r) => (count[r] ? s / count[r] : NaN)), count };
}
