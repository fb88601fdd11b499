// Batches for sequence models, as plain Int32Arrays with their shapes (wrap them with
// tf.tensor2d(b.x, b.shape, "int32")): d2l's random and sequential partitioning of a token stream,
// nanoGPT's random windows, padding/truncation of variable-length sequences, batches of similar
// length, and seeded train/validation splits. A corpus stays an Int32Array in JavaScript and each
// batch is built from it (one small upload of B·T ints), never sliced out of a corpus tensor: on
// tfjs's wasm backend a slice copies the whole input.
import { SeededRandom, toRandom } from "../data/random";

/** Inputs and targets, row-major [batch, steps]; y is x shifted one token ahead. */
export interface Batch {
  x: Int32Array;
  y: Int32Array;
  shape: [number, number];
}

export interface PartitionOptions {
  /** A seed, or a generator to draw from (default seed 0). Pass one generator to get fresh epochs. */
  seed?: number | string | SeededRandom;
}

function checkSizes(batchSize: number, numSteps: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(numSteps) || numSteps < 1) throw new RangeError(`numSteps must be a positive integer, got ${numSteps}`);
}

/**
 * d2l's seq_data_iter_random: drop a random offset in [0, numSteps-1] from the start, cut the rest
 * into non-overlapping subsequences of numSteps tokens, shuffle them, and yield batchSize of them
 * at a time; each target row is its input row one token later in the stream. Adjacent batches are
 * not adjacent in the stream.
 */
export function* seqDataIterRandom(
  corpus: ArrayLike<number>,
  batchSize: number,
  numSteps: number,
  options: PartitionOptions = {},
): Generator<Batch> {
  checkSizes(batchSize, numSteps);
  const rng = toRandom(options.seed);
  const offset = rng.randint(0, numSteps - 1);
  const n = corpus.length - offset;
  const numSubseqs = Math.max(0, Math.floor((n - 1) / numSteps));
  const starts: number[] = [];
  for (let i = 0; i < numSubseqs; i++) starts.push(offset + i * numSteps);
  rng.shuffle(starts);
  const numBatches = Math.floor(numSubseqs / batchSize);
  for (let b = 0; b < numBatches; b++) yield windowBatch(corpus, starts.slice(b * batchSize, (b + 1) * batchSize), numSteps);
}

/**
 * The windows of a token stream that start at `starts`: row b is x = tokens[s .. s+length) and
 * y = tokens[s+1 .. s+length] (the next token at every position).
 */
export function windowBatch(tokens: ArrayLike<number>, starts: readonly number[], length: number): Batch {
  const B = starts.length;
  const x = new Int32Array(B * length);
  const y = new Int32Array(B * length);
  starts.forEach((s, b) => {
    if (!(Number.isInteger(s) && s >= 0 && s + length < tokens.length)) {
      throw new RangeError(`windowBatch: start ${s} needs tokens[${s}..${s + length}] but there are ${tokens.length}`);
    }
    for (let t = 0; t < length; t++) {
      x[b * length + t] = tokens[s + t];
      y[b * length + t] = tokens[s + t + 1];
    }
  });
  return { x, y, shape: [B, length] };
}

/** `count` random window starts s with tokens[s .. s+length] inside `n` tokens (nanoGPT's get_batch). */
export function randomWindows(random: SeededRandom, count: number, n: number, length: number): number[] {
  return Array.from({ length: count }, () => Math.floor(random.next() * (n - length - 1)));
}

/**
 * nanoGPT's get_batch, endlessly: batches of `batchSize` windows of `length` tokens at random
 * starts (drawn with replacement), from a seed or a generator. Stop it with train's `steps`.
 */
export function* randomWindowBatches(
  tokens: ArrayLike<number>,
  batchSize: number,
  length: number,
  options: PartitionOptions = {},
): Generator<Batch> {
  checkSizes(batchSize, length);
  if (tokens.length < length + 2) throw new RangeError(`randomWindowBatches: ${tokens.length} tokens are too few for windows of ${length}`);
  const rng = toRandom(options.seed);
  for (;;) yield windowBatch(tokens, randomWindows(rng, batchSize, tokens.length, length), length);
}

/**
 * d2l's seq_data_iter_sequential: drop a random offset in [0, numSteps] from the start, lay the
 * rest out as batchSize parallel streams (rows), and walk along them numSteps at a time, so row i
 * of one batch continues row i of the previous batch (the hidden state may be carried over).
 */
export function* seqDataIterSequential(
  corpus: ArrayLike<number>,
  batchSize: number,
  numSteps: number,
  options: PartitionOptions = {},
): Generator<Batch> {
  checkSizes(batchSize, numSteps);
  const rng = toRandom(options.seed);
  const offset = rng.randint(0, numSteps);
  const numTokens = Math.max(0, Math.floor((corpus.length - offset - 1) / batchSize) * batchSize);
  const rowLen = numTokens / batchSize;
  const numBatches = Math.floor(rowLen / numSteps);
  for (let b = 0; b < numBatches; b++) {
    const x = new Int32Array(batchSize * numSteps);
    const y = new Int32Array(batchSize * numSteps);
    for (let r = 0; r < batchSize; r++) {
      const base = offset + r * rowLen + b * numSteps;
      for (let t = 0; t < numSteps; t++) {
        x[r * numSteps + t] = corpus[base + t];
        y[r * numSteps + t] = corpus[base + t + 1];
      }
    }
    yield { x, y, shape: [batchSize, numSteps] };
  }
}

export interface SeqDataLoaderOptions extends PartitionOptions {
  batchSize: number;
  numSteps: number;
  /** Random partitioning (default) or sequential. */
  random?: boolean;
}

/**
 * d2l's SeqDataLoader: iterate it once per epoch. One seeded generator serves every epoch, so
 * epochs differ from each other but the whole run repeats from the same seed.
 */
export class SeqDataLoader implements Iterable<Batch> {
  private readonly rng: SeededRandom;
  readonly batchSize: number;
  readonly numSteps: number;
  readonly random: boolean;

  constructor(
    readonly corpus: ArrayLike<number>,
    options: SeqDataLoaderOptions,
  ) {
    checkSizes(options.batchSize, options.numSteps);
    this.batchSize = options.batchSize;
    this.numSteps = options.numSteps;
    this.random = options.random ?? true;
    this.rng = toRandom(options.seed);
  }

  [Symbol.iterator](): Iterator<Batch> {
    const f = this.random ? seqDataIterRandom : seqDataIterSequential;
    return f(this.corpus, this.batchSize, this.numSteps, { seed: this.rng });
  }
}

export interface Padded {
  /** Row-major [n, length]. */
  data: Int32Array;
  shape: [number, number];
  /** How many tokens of each row are not padding (d2l's valid_len). */
  validLens: Int32Array;
}

export interface PadOptions {
  /** Cut long sequences at the end ("post", default, as d2l's truncate_pad) or the start ("pre"). */
  truncating?: "post" | "pre";
  /** Pad at the end ("post", default) or the start ("pre"). */
  padding?: "post" | "pre";
}

/** Pad or truncate every sequence to `length` tokens with `padId` (d2l's truncate_pad, batched). */
export function padSequences(seqs: readonly ArrayLike<number>[], length: number, padId: number, options: PadOptions = {}): Padded {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
  if (!Number.isInteger(padId)) throw new RangeError(`padId must be an integer, got ${padId} (is <pad> in the vocabulary?)`);
  const n = seqs.length;
  const data = new Int32Array(n * length).fill(padId);
  const validLens = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = seqs[i];
    const keep = Math.min(s.length, length);
    const from = options.truncating === "pre" ? s.length - keep : 0;
    const at = options.padding === "pre" ? length - keep : 0;
    for (let t = 0; t < keep; t++) data[i * length + at + t] = s[from + t];
    validLens[i] = keep;
  }
  return { data, shape: [n, length], validLens };
}

/**
 * Index batches of sequences of similar length: sort by length (ties in random order), cut into
 * batches of `size`, shuffle the batches. Padded to each batch's longest, a batch then holds
 * almost no <pad>. Every index appears in exactly one batch.
 */
export function lengthBatches(lengths: readonly number[], size: number, random: SeededRandom): number[][] {
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`lengthBatches: size must be a positive integer, got ${size}`);
  const order = lengths.map((_, i) => i);
  random.shuffle(order);
  order.sort((a, b) => lengths[a] - lengths[b]);
  const batches = Array.from({ length: Math.ceil(order.length / size) }, (_, i) => order.slice(i * size, (i + 1) * size));
  return random.shuffle(batches);
}

export interface SplitOptions<T> {
  /** The share of items for validation, in [0, 1] (default 0.1); rounded to a whole count. */
  validFraction?: number;
  /** A seed, or a generator (default seed 0). */
  seed?: number | string | SeededRandom;
  /** Shuffle before splitting (default true); without, the last items are the validation set. */
  shuffle?: boolean;
  /** Split each group (e.g. each label) in the same proportion. */
  stratify?: (item: T) => unknown;
}

/** A seeded split into training and validation items; every item lands in exactly one. */
export function trainValidSplit<T>(items: readonly T[], options: SplitOptions<T> = {}): { train: T[]; valid: T[] } {
  const fraction = options.validFraction ?? 0.1;
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`validFraction must be in [0, 1], got ${fraction}`);
  const rng = toRandom(options.seed);
  const shuffle = options.shuffle ?? true;
  const groups = new Map<unknown, number[]>();
  items.forEach((it, i) => {
    const k = options.stratify ? options.stratify(it) : 0;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(i);
  });
  const validIdx = new Set<number>();
  for (const g of groups.values()) {
    if (shuffle) rng.shuffle(g);
    const nValid = Math.round(g.length * fraction);
    for (const i of g.slice(g.length - nValid)) validIdx.add(i);
  }
  const order = items.map((_, i) => i);
  if (shuffle) rng.shuffle(order);
  const train: T[] = [];
  const valid: T[] = [];
  for (const i of order) (validIdx.has(i) ? valid : train).push(items[i]);
  return { train, valid };
}

export interface WindowSplitOptions {
  /** Tokens per window (d2l's num_steps): inputs x[i .. i+numSteps), targets one later. */
  numSteps: number;
  /** Windows 0 … numTrain−1 train. */
  numTrain: number;
  /** Windows numTrain … numTrain+numVal−1 validate. */
  numVal: number;
  /** Training windows per batch (an epoch's last batch holds the rest). */
  batchSize: number;
  /** Validation windows per batch (default 1000). */
  valBatchSize?: number;
}

/**
 * d2l v1.0's `TimeMachine` data module over any token stream: one window of numSteps + 1 tokens
 * starts at every position i (x = tokens[i .. i+numSteps), y one token later), and the *windows*
 * are split: the first numTrain train, the next numVal validate. Every epoch shuffles the training
 * windows (Fisher–Yates, `random.shuffle`) and cuts them into batches; the validation batches are
 * fixed. Neighbouring windows overlap, so the training windows cover only numTrain + numSteps
 * tokens, and the first validation windows reach back into them (as in d2l).
 */
export class WindowSplit {
  readonly numSteps: number;
  readonly numTrain: number;
  readonly numVal: number;
  readonly batchSize: number;
  /** The validation windows in order, `valBatchSize` at a time. */
  readonly valBatches: Batch[];

  constructor(
    readonly tokens: ArrayLike<number>,
    opts: WindowSplitOptions,
  ) {
    const { numSteps, numTrain, numVal, batchSize } = opts;
    const valBatchSize = opts.valBatchSize ?? 1000;
    checkSizes(batchSize, numSteps);
    checkSizes(valBatchSize, numSteps);
    for (const [name, v] of [
      ["numTrain", numTrain],
      ["numVal", numVal],
    ] as const) {
      if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`WindowSplit: ${name} must be a positive integer, got ${v}`);
    }
    // The last validation window, numTrain + numVal − 1, needs its numSteps + 1 tokens.
    if (numTrain + numVal + numSteps > tokens.length) {
      throw new RangeError(
        `WindowSplit: ${numTrain} + ${numVal} windows of ${numSteps + 1} tokens need ${numTrain + numVal + numSteps} tokens, there are ${tokens.length}`,
      );
    }
    this.numSteps = numSteps;
    this.numTrain = numTrain;
    this.numVal = numVal;
    this.batchSize = batchSize;
    this.valBatches = [];
    for (let s = 0; s < numVal; s += valBatchSize)
      this.valBatches.push(this.windows(range(numTrain + s, Math.min(valBatchSize, numVal - s))));
  }

  /** The windows that start at `starts`, as one batch. */
  windows(starts: readonly number[]): Batch {
    return windowBatch(this.tokens, starts, this.numSteps);
  }

  /** One epoch: the training windows shuffled by `random`, `batchSize` at a time. */
  trainBatches(random: SeededRandom): Batch[] {
    const order = random.shuffle(range(0, this.numTrain));
    const out: Batch[] = [];
    for (let s = 0; s < this.numTrain; s += this.batchSize) out.push(this.windows(order.slice(s, s + this.batchSize)));
    return out;
  }

  /** The stream positions the training windows read, inputs and targets: [0, numTrain + numSteps). */
  get trainSpan(): [number, number] {
    return [0, this.numTrain + this.numSteps];
  }

  /**
   * The stream position of every validation target, window by window: window w's target t is
   * tokens[numTrain + w + t + 1]. Most positions occur numSteps times (the windows overlap).
   */
  valTargetPositions(): Int32Array {
    const { numTrain, numVal, numSteps } = this;
    const out = new Int32Array(numVal * numSteps);
    for (let w = 0; w < numVal; w++) for (let t = 0; t < numSteps; t++) out[w * numSteps + t] = numTrain + w + t + 1;
    return out;
  }
}

function range(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, k) => from + k);
}

/**
 * The [start, end) ranges that cut 0 … n−1 into consecutive batches of `size` (the last may be
 * shorter): chunkRanges(5, 2) = [[0, 2], [2, 4], [4, 5]].
 */
export function chunkRanges(n: number, size: number): [number, number][] {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`chunkRanges: n must be a non-negative integer, got ${n}`);
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`chunkRanges: size must be a positive integer, got ${size}`);
  return Array.from({ length: Math.ceil(n / size) }, (_, i): [number, number] => [i * size, Math.min(n, (i + 1) * size)]);
}
