// What the pretraining objectives share: token-id batches (an Int32Array with its shape, as
// src/text's batching makes them), reversing sequences inside their valid
// length, gathering rows with a gradient on every backend, and the seeded unigram^0.75 noise
// distribution of negative sampling.
//
// Ids follow seqlab's Vocab defaults: <pad>=0, <unk>=1, <bos>=2, <eos>=3, <mask>=4, and the
// ordinary tokens from 5 on (RESERVED_IDS below); every function takes the ids as options too.
import * as tf from "@tensorflow/tfjs";
import { SeededRandom, toRandom } from "../data/random";
import { embeddingLookup } from "../nn/embedding";

/** Token ids, row-major [batch, steps]. */
export interface TokenIds {
  ids: Int32Array;
  shape: [number, number];
}

/** Token ids as {ids, shape}, an int tensor [B, T], or rows of numbers (all of one length). */
export type TokenIdsInput = TokenIds | tf.Tensor | ArrayLike<number>[];

/** The ids of a default Vocab's reserved tokens; ordinary tokens start at `count`. */
export const RESERVED_IDS = { pad: 0, unk: 1, bos: 2, eos: 3, mask: 4, count: 5 } as const;

/** A seed, or a generator to draw from (pass one generator to get fresh batches every call). */
export type SeedLike = number | string | SeededRandom;

/** {ids, shape} from any TokenIdsInput (a tensor is read back once). */
export function tokenIds(x: TokenIdsInput): TokenIds {
  if (x instanceof tf.Tensor) {
    if (x.rank !== 2) throw new RangeError(`token ids must be [B, T], got shape [${x.shape}]`);
    return { ids: Int32Array.from(x.dataSync()), shape: [x.shape[0], x.shape[1]] as [number, number] };
  }
  if ("ids" in x && "shape" in x) {
    const t = x as TokenIds;
    if (t.ids.length !== t.shape[0] * t.shape[1]) throw new RangeError(`token ids: ${t.ids.length} ids do not fill shape [${t.shape}]`);
    return t;
  }
  const rows = Array.from(x as ArrayLike<number>[]);
  const T = rows.length ? rows[0].length : 0;
  const ids = new Int32Array(rows.length * T);
  rows.forEach((r, b) => {
    if (r.length !== T) throw new RangeError(`token ids: row ${b} has ${r.length} ids, row 0 has ${T}`);
    for (let t = 0; t < T; t++) ids[b * T + t] = r[t];
  });
  return { ids, shape: [rows.length, T] };
}

/** An int32 tensor [B, T] of the ids. */
export function idsTensor2d(x: TokenIds): tf.Tensor2D {
  return tf.tensor2d(x.ids, x.shape, "int32");
}

/** Each row's length: the position after its last token that is not <pad>. */
export function validLengths(x: TokenIds, padId: number = RESERVED_IDS.pad): Int32Array {
  const [B, T] = x.shape;
  const lens = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let n = T;
    while (n > 0 && x.ids[b * T + n - 1] === padId) n--;
    lens[b] = n;
  }
  return lens;
}

/**
 * For each row, the indices that reverse its first lengths[b] positions and leave the rest (the
 * padding) in place: out[b, t] = x[b, index[b, t]], as flat indices into [B·T]. Applying it twice
 * is the identity.
 */
export function reverseIndex(shape: [number, number], lengths: ArrayLike<number>): Int32Array {
  const [B, T] = shape;
  const idx = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const n = lengths[b];
    for (let t = 0; t < T; t++) idx[b * T + t] = b * T + (t < n ? n - 1 - t : t);
  }
  return idx;
}

/** Every row reversed within its valid length (padding stays at the end). */
export function reverseSequences(x: TokenIdsInput, opts: { padId?: number; lengths?: ArrayLike<number> } = {}): TokenIds {
  const t = tokenIds(x);
  const lens = opts.lengths ?? validLengths(t, opts.padId);
  const idx = reverseIndex(t.shape, lens);
  return { ids: Int32Array.from(idx, (i) => t.ids[i]), shape: t.shape };
}

/**
 * Rows of x [B, T, ...] picked by flat indices into its first two axes, as [B, T, ...] again:
 * out[b, t] = x.reshape([B·T, ...])[index[b·T + t]]. Differentiable on every backend (through
 * src/nn's embeddingLookup, so no UnsortedSegmentSum is needed).
 */
export function gatherPositions(x: tf.Tensor, index: Int32Array): tf.Tensor {
  return tf.tidy(() => {
    const [B, T, ...rest] = x.shape;
    const inner = rest.reduce((p, d) => p * d, 1);
    const flat = tf.reshape(x, [B * T, inner]) as tf.Tensor2D;
    const picked = embeddingLookup(flat, tf.tensor1d(index, "int32"));
    return tf.reshape(picked, [B, T, ...rest]);
  });
}

/**
 * Counts of every id in a corpus (or in sentences), for a noise distribution; reserved ids
 * (below `reservedBelow`, default 5) are not counted.
 */
export function tokenCounts(
  corpus: ArrayLike<number> | ArrayLike<number>[],
  vocabSize: number,
  reservedBelow: number = RESERVED_IDS.count,
): Float64Array {
  const counts = new Float64Array(vocabSize);
  const add = (id: number) => {
    if (id >= reservedBelow && id < vocabSize) counts[id]++;
  };
  const first = (corpus as ArrayLike<unknown>)[0];
  if (typeof first === "object" && first !== null)
    for (const s of Array.from(corpus as ArrayLike<number>[])) for (let i = 0; i < s.length; i++) add(s[i]);
  else for (let i = 0; i < corpus.length; i++) add((corpus as ArrayLike<number>)[i]);
  return counts;
}

/**
 * word2vec's noise distribution P_n(w) ∝ count(w)^power (power 0.75), sampled in O(1) per draw
 * with Walker's alias method from a seeded generator.
 */
export class NoiseSampler {
  /** The normalised probabilities. */
  readonly probs: Float64Array;
  private readonly alias: Int32Array;
  private readonly cut: Float64Array;
  private readonly rng: SeededRandom;

  constructor(counts: ArrayLike<number>, opts: { power?: number; seed?: SeedLike } = {}) {
    const power = opts.power ?? 0.75;
    const n = counts.length;
    const w = Float64Array.from(counts, (c) => (c > 0 ? Math.pow(c, power) : 0));
    const total = w.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new RangeError("NoiseSampler: every count is zero");
    this.probs = w.map((x) => x / total);
    this.rng = toRandom(opts.seed);
    // Vose's alias table: each column i keeps i with probability cut[i], else gives alias[i].
    this.alias = new Int32Array(n);
    this.cut = new Float64Array(n);
    const scaled = this.probs.map((p) => p * n);
    const small: number[] = [];
    const large: number[] = [];
    scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
    while (small.length && large.length) {
      const s = small.pop()!;
      const l = large.pop()!;
      this.cut[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] -= 1 - scaled[s];
      (scaled[l] < 1 ? small : large).push(l);
    }
    for (const i of [...small, ...large]) {
      this.cut[i] = 1;
      this.alias[i] = i;
    }
  }

  /** One id. */
  draw(): number {
    const i = this.rng.int(this.cut.length);
    return this.rng.next() < this.cut[i] ? i : this.alias[i];
  }

  /** n ids. */
  sample(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.draw();
    return out;
  }
}
