// fastText's subword units (Bojanowski et al., 2017): a word is wrapped in boundary symbols,
// "<where>", and represented by its character n-grams (minN..maxN, default 3..6) plus the whole
// word itself:  <wh, whe, her, ere, re>, <whe, ..., <where>  — and the word's own vector.
// The n-grams are hashed (FNV-1a, 32 bits, over the UTF-8 bytes, as fastText) into a fixed number
// of buckets, so the table does not grow with the number of n-grams; different n-grams may share a
// bucket. A word's vector is the sum of its n-gram vectors (and its own, when it is in the
// vocabulary), so a word never seen in training still gets a vector from its n-grams.

export interface SubwordOptions {
  /** Shortest n-gram (default 3). */
  minN?: number;
  /** Longest n-gram (default 6). */
  maxN?: number;
  /** Hash buckets for the n-grams (default 2,000; fastText uses 2,000,000). */
  buckets?: number;
}

/** The character n-grams of "<word>" (minN..maxN, in code points), the whole "<word>" left out. */
export function charNgrams(word: string, opts: SubwordOptions = {}): string[] {
  const minN = opts.minN ?? 3;
  const maxN = opts.maxN ?? 6;
  if (!(Number.isInteger(minN) && Number.isInteger(maxN) && minN >= 1 && maxN >= minN))
    throw new RangeError(`charNgrams: need integers 1 <= minN <= maxN, got ${minN}, ${maxN}`);
  const chars = Array.from(`<${word}>`);
  const out: string[] = [];
  for (let n = minN; n <= maxN; n++) {
    for (let i = 0; i + n <= chars.length; i++) {
      if (n === chars.length) continue; // the whole word has its own vector
      out.push(chars.slice(i, i + n).join(""));
    }
  }
  return out;
}

const encoder = new TextEncoder();

/** FNV-1a (32 bits) of the UTF-8 bytes of s. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(s)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The bucket of each n-gram of `word`, in 0..buckets-1 (duplicates kept, as fastText). */
export function subwordBuckets(word: string, opts: SubwordOptions = {}): number[] {
  const buckets = opts.buckets ?? 2000;
  if (!(Number.isInteger(buckets) && buckets >= 1))
    throw new RangeError(`subwordBuckets: buckets must be a positive integer, got ${buckets}`);
  return charNgrams(word, opts).map((g) => fnv1a(g) % buckets);
}
