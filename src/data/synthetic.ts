// Synthetic sequence tasks, made in code from a seed: addition and copy/reverse for
// encoder–decoder models, and a long-range dependency task on which a plain RNN fails and an LSTM
// succeeds.
import { SeededRandom, toRandom } from "./random";

export interface Seq2SeqExample {
  source: string;
  target: string;
}

export interface TaskOptions {
  /** A seed, or a generator to draw from (default seed 0). */
  seed?: number | string | SeededRandom;
}

/**
 * Addition: "12+7=" → "19". Both operands are uniform in [0, 10^maxDigits). Sources are at most
 * 2·maxDigits + 2 characters, targets at most maxDigits + 1; the alphabet is "0123456789+=".
 */
export function additionTask(n: number, options: TaskOptions & { maxDigits?: number } = {}): Seq2SeqExample[] {
  const digits = options.maxDigits ?? 3;
  if (!Number.isInteger(digits) || digits < 1 || digits > 7) throw new RangeError(`maxDigits must be an integer in 1..7, got ${digits}`);
  checkCount(n);
  const rng = toRandom(options.seed);
  const limit = 10 ** digits;
  const out: Seq2SeqExample[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.int(limit);
    const b = rng.int(limit);
    out.push({ source: `${a}+${b}=`, target: String(a + b) });
  }
  return out;
}

export interface SymbolTaskOptions extends TaskOptions {
  /** The symbols, one character each (default "abcdefghij"). */
  alphabet?: string;
  minLength?: number;
  maxLength?: number;
}

/** Copy: the target is the source, a random string of minLength..maxLength symbols. */
export function copyTask(n: number, options: SymbolTaskOptions = {}): Seq2SeqExample[] {
  return symbolTask(n, options, (s) => s);
}

/** Reverse: the target is the source reversed. */
export function reverseTask(n: number, options: SymbolTaskOptions = {}): Seq2SeqExample[] {
  return symbolTask(n, options, (s) => Array.from(s).reverse().join(""));
}

function symbolTask(n: number, options: SymbolTaskOptions, f: (s: string) => string): Seq2SeqExample[] {
  checkCount(n);
  const alphabet = Array.from(options.alphabet ?? "abcdefghij");
  if (alphabet.length === 0) throw new RangeError("the alphabet is empty");
  const min = options.minLength ?? 1;
  const max = options.maxLength ?? 10;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) {
    throw new RangeError(`need integers 1 <= minLength <= maxLength, got ${min}, ${max}`);
  }
  const rng = toRandom(options.seed);
  const out: Seq2SeqExample[] = [];
  for (let i = 0; i < n; i++) {
    const len = rng.randint(min, max);
    let s = "";
    for (let j = 0; j < len; j++) s += rng.choice(alphabet);
    out.push({ source: s, target: f(s) });
  }
  return out;
}

export interface LongRangeOptions extends TaskOptions {
  /** Sequence length, the label symbol included (default 50). */
  length?: number;
  /** Number of classes; the label symbols are ids 0..numClasses-1 (default 2). */
  numClasses?: number;
  /** Number of noise symbols, ids numClasses..numClasses+numNoise-1 (default 8). */
  numNoise?: number;
}

export interface LongRangeTask {
  /** Token ids, row-major [n, length]. */
  x: Int32Array;
  /** The label of each sequence: its first symbol. */
  y: Int32Array;
  shape: [number, number];
  /** numClasses + numNoise: the number of distinct input ids. */
  vocabSize: number;
  numClasses: number;
}

/**
 * A long-range dependency: each sequence starts with its label symbol, followed by length-1 noise
 * symbols that carry no information. Reading the sequence left to right, a model must carry the
 * first symbol across every step; the noise symbols never equal a label symbol. Labels are drawn
 * uniformly, so chance accuracy is 1/numClasses.
 */
export function longRangeTask(n: number, options: LongRangeOptions = {}): LongRangeTask {
  checkCount(n);
  const length = options.length ?? 50;
  const numClasses = options.numClasses ?? 2;
  const numNoise = options.numNoise ?? 8;
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`length must be a positive integer, got ${length}`);
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new RangeError(`numClasses must be an integer >= 2, got ${numClasses}`);
  if (!Number.isInteger(numNoise) || numNoise < 1) throw new RangeError(`numNoise must be a positive integer, got ${numNoise}`);
  const rng = toRandom(options.seed);
  const x = new Int32Array(n * length);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = rng.int(numClasses);
    y[i] = label;
    x[i * length] = label;
    for (let t = 1; t < length; t++) x[i * length + t] = numClasses + rng.int(numNoise);
  }
  return { x, y, shape: [n, length], vocabSize: numClasses + numNoise, numClasses };
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`the number of examples must be a non-negative integer, got ${n}`);
}
