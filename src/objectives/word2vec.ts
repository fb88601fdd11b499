// word2vec (Mikolov et al., 2013) with negative sampling, skip-gram and CBOW, and fastText's
// subword vectors as an option.
//
//   skip-gram  each word predicts each word around it:        center c -> context o
//   CBOW       the mean of the context predicts the word:     mean(v_o for o in window) -> c
//
// Two tables: input vectors v (the word vectors kept afterwards) and output vectors u (zeros at
// first, as in word2vec). Negative sampling replaces the softmax over the vocabulary by K words
// drawn from the noise distribution P_n(w) ∝ count(w)^0.75 (NoiseSampler):
//
//   loss = -log σ(u_o·v_c) - Σ_{k=1..K} log σ(-u_{n_k}·v_c)      (mean over the batch)
//
// The window is word2vec's: for each center a window size b is drawn from 1..window (nearer
// words are used more often); windows stop at sentence ends. Optional sub-sampling of frequent
// words drops a word with probability 1 - sqrt(t / f(w)).
//
// With `subwords`, an input vector is the sum of the word's own row and its character n-gram
// rows (./subwords.ts), so words never seen in training get vectors too (fastText).
import * as tf from "@tensorflow/tfjs";
import { toRandom } from "../data/random";
import { embeddingLookup } from "../nn/embedding";
import { Module } from "../nn/module";
import { subSeed } from "../data/random";
import { uniformValues } from "../nn/init";
import { logSigmoid } from "../nn/losses";
import { NoiseSampler, RESERVED_IDS, type SeedLike } from "./common";
import { subwordBuckets, type SubwordOptions } from "./subwords";

export interface SkipGramBatch {
  kind: "skipgram";
  centers: Int32Array; // [n]
  contexts: Int32Array; // [n]
  negatives: Int32Array; // [n, numNegatives]
  numNegatives: number;
}

export interface CbowBatch {
  kind: "cbow";
  /** [n, width] context ids (0 where a window is shorter), with weights 1 / 0. */
  contexts: Int32Array;
  contextWeights: Float32Array;
  width: number;
  centers: Int32Array; // [n]
  negatives: Int32Array; // [n, numNegatives]
  numNegatives: number;
}

export type Word2VecBatch = SkipGramBatch | CbowBatch;

export interface Word2VecDataOptions {
  /** The noise distribution of the negatives (a NoiseSampler over the corpus's counts). */
  noise: NoiseSampler;
  /** The largest distance from the center (default 2). */
  window?: number;
  /** Draw each center's window from 1..window, as word2vec (default true). */
  dynamicWindow?: boolean;
  /** Negatives per example (default 5). */
  negatives?: number;
  /** Examples per batch (default 256). */
  batchSize?: number;
  /** Sub-sampling threshold t (e.g. 1e-3; default 0: off); needs `counts`. */
  subsample?: number;
  counts?: ArrayLike<number>;
  /** Ids below this are never centers or contexts (default 5: seqlab's reserved tokens). */
  reservedBelow?: number;
  seed?: SeedLike;
}

interface Example {
  center: number;
  contexts: number[];
}

/** One epoch's (center, contexts) examples, shuffled. */
function examples(sentences: readonly ArrayLike<number>[], o: Word2VecDataOptions): { list: Example[]; rng: ReturnType<typeof toRandom> } {
  const rng = toRandom(o.seed);
  const window = o.window ?? 2;
  const reserved = o.reservedBelow ?? RESERVED_IDS.count;
  let keep: ((id: number) => boolean) | null = null;
  if (o.subsample) {
    if (!o.counts) throw new Error("word2vec: subsample needs counts");
    const counts = o.counts;
    let total = 0;
    for (let i = 0; i < counts.length; i++) total += counts[i];
    const t = o.subsample;
    keep = (id) => {
      const f = counts[id] / total;
      return f <= 0 || rng.next() < Math.sqrt(t / f);
    };
  }
  const list: Example[] = [];
  for (const sentence of sentences) {
    const s = Array.from(sentence).filter((id) => id >= reserved && (!keep || keep(id)));
    for (let i = 0; i < s.length; i++) {
      const b = o.dynamicWindow === false ? window : rng.randint(1, window);
      const contexts: number[] = [];
      for (let j = Math.max(0, i - b); j <= Math.min(s.length - 1, i + b); j++) if (j !== i) contexts.push(s[j]);
      if (contexts.length) list.push({ center: s[i], contexts });
    }
  }
  rng.shuffle(list);
  return { list, rng };
}

function negativesFor(positives: Int32Array, k: number, noise: NoiseSampler): Int32Array {
  const out = new Int32Array(positives.length * k);
  for (let i = 0; i < positives.length; i++) {
    for (let j = 0; j < k; j++) {
      let w = noise.draw();
      for (let tries = 0; w === positives[i] && tries < 10; tries++) w = noise.draw(); // word2vec skips the target itself
      out[i * k + j] = w;
    }
  }
  return out;
}

/** One epoch of skip-gram batches: every (center, context) pair in the windows, shuffled. */
export function* skipGramBatches(sentences: readonly ArrayLike<number>[], opts: Word2VecDataOptions): Generator<SkipGramBatch> {
  const { list } = examples(sentences, opts);
  const pairs: [number, number][] = [];
  for (const e of list) for (const c of e.contexts) pairs.push([e.center, c]);
  const size = opts.batchSize ?? 256;
  const k = opts.negatives ?? 5;
  for (let start = 0; start < pairs.length; start += size) {
    const chunk = pairs.slice(start, start + size);
    const centers = Int32Array.from(chunk, (p) => p[0]);
    const contexts = Int32Array.from(chunk, (p) => p[1]);
    yield { kind: "skipgram", centers, contexts, negatives: negativesFor(contexts, k, opts.noise), numNegatives: k };
  }
}

/** One epoch of CBOW batches: every center with its window, shuffled. */
export function* cbowBatches(sentences: readonly ArrayLike<number>[], opts: Word2VecDataOptions): Generator<CbowBatch> {
  const { list } = examples(sentences, opts);
  const width = 2 * (opts.window ?? 2);
  const size = opts.batchSize ?? 256;
  const k = opts.negatives ?? 5;
  for (let start = 0; start < list.length; start += size) {
    const chunk = list.slice(start, start + size);
    const contexts = new Int32Array(chunk.length * width);
    const contextWeights = new Float32Array(chunk.length * width);
    chunk.forEach((e, i) =>
      e.contexts.forEach((c, j) => {
        contexts[i * width + j] = c;
        contextWeights[i * width + j] = 1;
      }),
    );
    const centers = Int32Array.from(chunk, (e) => e.center);
    yield { kind: "cbow", contexts, contextWeights, width, centers, negatives: negativesFor(centers, k, opts.noise), numNegatives: k };
  }
}

export interface Word2VecOptions {
  vocabSize: number;
  dim: number;
  /** Word of each id (a Vocab's `tokens`): needed for subwords and for looking words up by name. */
  words?: readonly string[];
  /** fastText subword vectors (true for the defaults, or the n-gram options). */
  subwords?: boolean | SubwordOptions;
  /** Ids below this get no n-grams (default 5: seqlab's reserved tokens). */
  reservedBelow?: number;
  seed?: number;
}

/** A neighbour found by similarity. */
export interface Neighbour {
  word: string;
  id: number;
  similarity: number;
}

export class Word2Vec extends Module {
  /** Input vectors: V word rows, then (with subwords) one row per n-gram bucket. */
  readonly input: tf.Variable;
  /** Output (context) vectors [V, D], zeros at first. */
  readonly output: tf.Variable;
  readonly vocabSize: number;
  readonly dim: number;
  readonly words?: readonly string[];
  readonly subwordOptions: Required<SubwordOptions> | null;
  private readonly wordIds = new Map<string, number>();
  /** Per id, its input rows: rows[start[id] .. start[id + 1]) (ragged: a long word does not pad the short ones). */
  private readonly rows: { start: Int32Array; rows: Int32Array } | null;

  constructor(opts: Word2VecOptions) {
    super();
    const { vocabSize: V, dim: D } = opts;
    this.vocabSize = V;
    this.dim = D;
    this.words = opts.words;
    if (opts.words) {
      if (opts.words.length !== V) throw new RangeError(`Word2Vec: ${opts.words.length} words for vocabSize ${V}`);
      opts.words.forEach((w, i) => this.wordIds.set(w, i));
    }
    const seed = opts.seed ?? 0;
    if (opts.subwords) {
      if (!opts.words) throw new Error("Word2Vec: subwords need `words` (the word of every id)");
      const so = opts.subwords === true ? {} : opts.subwords;
      this.subwordOptions = { minN: so.minN ?? 3, maxN: so.maxN ?? 6, buckets: so.buckets ?? 2000 };
      const reserved = opts.reservedBelow ?? RESERVED_IDS.count;
      const lists = opts.words.map((w, id) => [id, ...(id < reserved ? [] : subwordBuckets(w, this.subwordOptions!).map((b) => V + b))]);
      const start = new Int32Array(V + 1);
      lists.forEach((l, id) => (start[id + 1] = start[id] + l.length));
      this.rows = { start, rows: Int32Array.from(lists.flat()) };
    } else {
      this.subwordOptions = null;
      this.rows = null;
    }
    const rows = V + (this.subwordOptions?.buckets ?? 0);
    this.input = tf.tidy(() => tf.variable(tf.tensor2d(uniformValues(rows * D, 0.5 / D, subSeed(seed, 0)), [rows, D])));
    this.output = tf.tidy(() => tf.variable(tf.zeros([V, D])));
  }

  /** Input vectors [n, D] of ids (with subwords: the sum of each word's rows). */
  inputVectors(ids: Int32Array): tf.Tensor2D {
    return tf.tidy(() => {
      if (!this.rows) return embeddingLookup(this.input as tf.Tensor2D, tf.tensor1d(ids, "int32")) as tf.Tensor2D;
      // Every row of every word, end to end, and which word each belongs to; then a segment sum.
      const { start, rows } = this.rows;
      const n = ids.length;
      let total = 0;
      for (let i = 0; i < n; i++) {
        if (!(ids[i] >= 0 && ids[i] < this.vocabSize))
          throw new RangeError(`Word2Vec: token id ${ids[i]} is outside [0, ${this.vocabSize})`);
        total += start[ids[i] + 1] - start[ids[i]];
      }
      const flat = new Int32Array(total);
      const word = new Int32Array(total);
      for (let i = 0, at = 0; i < n; i++) {
        const from = start[ids[i]],
          to = start[ids[i] + 1];
        flat.set(rows.subarray(from, to), at);
        word.fill(i, at, at + to - from);
        at += to - from;
      }
      const parts = embeddingLookup(this.input as tf.Tensor2D, tf.tensor1d(flat, "int32")); // [total, D]
      return tf.unsortedSegmentSum(parts, tf.tensor1d(word, "int32"), n) as tf.Tensor2D;
    });
  }

  /** Negative-sampling loss of v [n, D] against positives [n] and negatives [n, K]. */
  private nsLoss(v: tf.Tensor2D, positives: Int32Array, negatives: Int32Array, k: number): tf.Scalar {
    const n = positives.length;
    const uPos = embeddingLookup(this.output as tf.Tensor2D, tf.tensor1d(positives, "int32")); // [n, D]
    const uNeg = embeddingLookup(this.output as tf.Tensor2D, tf.tensor2d(negatives, [n, k], "int32")); // [n, K, D]
    const pos = logSigmoid(tf.sum(tf.mul(v, uPos), 1)); // [n]
    const neg = tf.sum(logSigmoid(tf.neg(tf.sum(tf.mul(uNeg, tf.expandDims(v, 1)), 2))), 1); // [n]
    return tf.neg(tf.mean(tf.add(pos, neg))) as tf.Scalar;
  }

  /** Skip-gram with negative sampling. */
  skipGramLoss(b: SkipGramBatch): tf.Scalar {
    return tf.tidy(() => this.nsLoss(this.inputVectors(b.centers), b.contexts, b.negatives, b.numNegatives));
  }

  /**
   * CBOW with negative sampling: the mean of the context's input vectors predicts the center. The
   * mean divides by the number of context words the window holds (its size is drawn from 1..b and
   * it stops at line ends), not by 2b: the weights mark the words that are there.
   */
  cbowLoss(b: CbowBatch): tf.Scalar {
    return tf.tidy(() => {
      const n = b.centers.length;
      const ctx = tf.reshape(this.inputVectors(b.contexts), [n, b.width, this.dim]);
      const w = tf.tensor3d(b.contextWeights, [n, b.width, 1]);
      const h = tf.div(tf.sum(tf.mul(ctx, w), 1), tf.maximum(tf.sum(w, 1), 1)) as tf.Tensor2D;
      return this.nsLoss(h, b.centers, b.negatives, b.numNegatives);
    });
  }

  /**
   * CBOW as a language model: log p(w | context) for every id w, with
   *
   *   p(w | context) = softmax_w(u_w · v̄),   v̄ = the mean of the context words' input vectors
   *
   * (what a full softmax would have trained; negative sampling trains the same scores u_w · v̄
   * without normalising them, so this normalises them over the vocabulary). A blank's context is
   * the words on both sides of it, in any order: CBOW is a bag of words.
   */
  cbowLogProbs(context: ArrayLike<number>): Float32Array {
    if (!context.length) throw new RangeError("Word2Vec.cbowLogProbs: the context is empty");
    return tf.tidy(() => {
      const mean = tf.mean(this.inputVectors(Int32Array.from(context)), 0, true); // [1, D]
      const scores = tf.matMul(mean, this.output, false, true); // [1, V]
      return Float32Array.from(tf.logSoftmax(scores).dataSync());
    });
  }

  /** The loss of either kind of batch. */
  loss(b: Word2VecBatch): tf.Scalar {
    return b.kind === "skipgram" ? this.skipGramLoss(b) : this.cbowLoss(b);
  }

  /** Every id's word vector, [V·D] row-major (read back once). */
  wordVectors(): Float32Array {
    const all = Int32Array.from({ length: this.vocabSize }, (_, i) => i);
    const t = this.inputVectors(all);
    const v = t.dataSync() as Float32Array;
    t.dispose();
    return v;
  }

  /**
   * The vector of a word: its row (and n-grams) when it is in the vocabulary; with subwords, the
   * sum of its n-gram rows when it is not (fastText); otherwise undefined.
   */
  vector(word: string): Float32Array | undefined {
    const id = this.wordIds.get(word);
    if (id !== undefined) {
      const t = this.inputVectors(Int32Array.of(id));
      const v = t.dataSync() as Float32Array;
      t.dispose();
      return v;
    }
    if (!this.subwordOptions) return undefined;
    const buckets = subwordBuckets(word, this.subwordOptions);
    const v = new Float32Array(this.dim);
    if (!buckets.length) return v;
    const rows = tf.tidy(() =>
      tf.gather(
        this.input,
        tf.tensor1d(
          buckets.map((b) => this.vocabSize + b),
          "int32",
        ),
      ),
    );
    const data = rows.dataSync();
    rows.dispose();
    for (let r = 0; r < buckets.length; r++) for (let j = 0; j < this.dim; j++) v[j] += data[r * this.dim + j];
    return v;
  }

  /**
   * The k words (ordinary ids, from reservedBelow on) most cosine-similar to a word (itself left
   * out) or to a vector.
   */
  nearest(query: string | Float32Array, k = 10, opts: { exclude?: readonly string[]; reservedBelow?: number } = {}): Neighbour[] {
    const words = this.requireWords();
    const q = typeof query === "string" ? this.vector(query) : query;
    if (!q) throw new Error(`Word2Vec: no vector for ${JSON.stringify(query)} (not in the vocabulary; subwords are off)`);
    const exclude = new Set([...(opts.exclude ?? []), ...(typeof query === "string" ? [query] : [])]);
    return nearestRows(this.wordVectors(), this.dim, q, k, {
      skip: (id) => id < (opts.reservedBelow ?? RESERVED_IDS.count) || exclude.has(words[id]),
    }).map(({ id, similarity }) => ({ word: words[id], id, similarity }));
  }

  /** a : b :: c : ?  — the words nearest to v_b - v_a + v_c, leaving out a, b and c. */
  analogy(a: string, b: string, c: string, k = 1): Neighbour[] {
    const [va, vb, vc] = [a, b, c].map((w) => {
      const v = this.vector(w);
      if (!v) throw new Error(`Word2Vec.analogy: ${JSON.stringify(w)} has no vector`);
      return unitVector(v);
    });
    const q = vb.map((x, i) => x - va[i] + vc[i]);
    return this.nearest(q, k, { exclude: [a, b, c] });
  }

  namedVariables(): Record<string, tf.Variable> {
    return { input: this.input, output: this.output };
  }

  private requireWords(): readonly string[] {
    if (!this.words) throw new Error("Word2Vec: pass `words` (a Vocab's tokens) to look words up by name");
    return this.words;
  }
}

/** v / |v|. */
export function unitVector(v: ArrayLike<number>): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  n = Math.sqrt(n) || 1;
  return Float32Array.from(v, (x) => x / n);
}

/** Cosine similarity. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / (Math.sqrt(aa * bb) || 1);
}

/** The k rows of table [n·dim] most cosine-similar to q, skipping some. */
export function nearestRows(
  table: Float32Array,
  dim: number,
  q: ArrayLike<number>,
  k: number,
  opts: { skip?: (id: number) => boolean } = {},
): { id: number; similarity: number }[] {
  const n = table.length / dim;
  const scored: { id: number; similarity: number }[] = [];
  for (let id = 0; id < n; id++) {
    if (opts.skip?.(id)) continue;
    scored.push({ id, similarity: cosine(table.subarray(id * dim, (id + 1) * dim), q) });
  }
  scored.sort((x, y) => y.similarity - x.similarity);
  return scored.slice(0, k);
}

/** The share of analogies a : b :: c : d whose nearest answer (a, b, c left out) is d. */
export function analogyAccuracy(
  model: Word2Vec,
  analogies: readonly (readonly [string, string, string, string])[],
): { accuracy: number; correct: number; total: number; wrong: { analogy: readonly string[]; got: string }[] } {
  const words = model.words;
  if (!words) throw new Error("analogyAccuracy: the model needs `words`");
  const table = model.wordVectors();
  const D = model.dim;
  const ids = new Map(words.map((w, i) => [w, i]));
  const vec = (w: string) => {
    const id = ids.get(w);
    if (id === undefined) throw new Error(`analogyAccuracy: ${JSON.stringify(w)} is not in the vocabulary`);
    return unitVector(table.subarray(id * D, (id + 1) * D));
  };
  let correct = 0;
  const wrong: { analogy: readonly string[]; got: string }[] = [];
  for (const q of analogies) {
    const [a, b, c, d] = q;
    const [va, vb, vc] = [vec(a), vec(b), vec(c)];
    const query = vb.map((x, i) => x - va[i] + vc[i]);
    const leave = new Set([ids.get(a), ids.get(b), ids.get(c)]);
    const [best] = nearestRows(table, D, query, 1, { skip: (id) => id < RESERVED_IDS.count || leave.has(id) });
    if (best && words[best.id] === d) correct++;
    else wrong.push({ analogy: q, got: best ? words[best.id] : "" });
  }
  return { accuracy: analogies.length ? correct / analogies.length : 0, correct, total: analogies.length, wrong };
}
