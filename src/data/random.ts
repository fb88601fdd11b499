// seqlab's one seeded random number generator (mulberry32), so that data sets, shuffles, batches,
// initial parameters and samples are reproducible from a seed on every backend. Not
// cryptographic; not Python's Mersenne Twister, so the same seed gives different numbers than
// d2l's `random` does (the algorithms that use it are the same).

/** Hash a string seed (FNV-1a) into 32 bits. */
function hashSeed(seed: number | string): number {
  if (typeof seed === "number") {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    // Mix the integer and fractional parts so 1 and 1.5 differ; keep small integers distinct.
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    return (lo ^ Math.imul(hi, 0x9e3779b1) ^ Math.imul(Math.round((seed % 1) * 2 ** 20), 0x85ebca6b)) >>> 0;
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class SeededRandom {
  private state: number;

  constructor(seed: number | string = 0) {
    this.state = hashSeed(seed);
  }

  /** A generator whose 32-bit state is `bits` as given (no hashing): mulberry32(bits)'s stream. */
  static fromBits(bits: number): SeededRandom {
    const r = new SeededRandom(0);
    r.state = bits >>> 0;
    return r;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer n, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** An integer in [a, b], both ends included (Python's random.randint). */
  randint(a: number, b: number): number {
    if (!Number.isInteger(a) || !Number.isInteger(b) || b < a) throw new RangeError(`randint(a, b) needs integers a <= b, got ${a}, ${b}`);
    return a + this.int(b - a + 1);
  }

  /** One element of a non-empty array. */
  choice<T>(xs: ArrayLike<T>): T {
    if (xs.length === 0) throw new RangeError("choice() of an empty array");
    return xs[this.int(xs.length)];
  }

  /** Shuffle in place (Fisher–Yates) and return the same array. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i];
      xs[i] = xs[j];
      xs[j] = t;
    }
    return xs;
  }
}

/** A generator from a seed, or the generator itself when one is given. */
export function toRandom(r: SeededRandom | number | string | undefined): SeededRandom {
  return r instanceof SeededRandom ? r : new SeededRandom(r ?? 0);
}

/**
 * mulberry32 as a function: uniform numbers in [0, 1) from a 32-bit seed (`seed >>> 0`). For a seed
 * in 0..2³²−1 it is the stream of `new SeededRandom(seed).next()`.
 */
export function mulberry32(seed: number): () => number {
  const r = SeededRandom.fromBits(seed);
  return () => r.next();
}

/** A seed for the k-th part of something seeded with `seed` (distinct streams). */
export function subSeed(seed: number, k: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(k + 1, 0x85ebca77)) >>> 0;
}
