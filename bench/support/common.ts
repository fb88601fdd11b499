// What the training benchmarks share: the corpus as nanoGPT encodes it, batches as tensors, and
// small statistics.
import * as os from "os";
import * as tf from "@tensorflow/tfjs";
import { loadCorpus } from "../../src/data/loader";
import { mulberry32 } from "../../src/data/random";
import { windowBatch } from "../../src/text/batching";

export interface Corpus {
  tokens: Int32Array;
  vocab: string[]; // id -> character ([] for random tokens)
  source: string;
}

/**
 * Tiny Shakespeare through the corpus loader (SEQLAB_DATA: the cache or mirror folder), encoded as
 * nanoGPT's prepare.py does: the sorted distinct characters are the vocabulary. When it cannot be
 * loaded, a million seeded random tokens over 65 symbols, and `source` says so and why.
 */
export async function loadShakespeare(): Promise<Corpus> {
  try {
    const text = await loadCorpus("tinyshakespeare");
    const chars = Array.from(text);
    const vocab = [...new Set(chars)].sort();
    const id = new Map(vocab.map((c, i) => [c, i]));
    const tokens = Int32Array.from(chars, (c) => id.get(c)!);
    return { tokens, vocab, source: `tinyshakespeare (${tokens.length} characters, vocabulary ${vocab.length})` };
  } catch (e) {
    const n = 1_000_000,
      V = 65;
    const rand = mulberry32(12345);
    const tokens = Int32Array.from({ length: n }, () => Math.floor(rand() * V));
    return {
      tokens,
      vocab: [],
      source: `RANDOM TOKENS (${n}, vocabulary ${V}): tinyshakespeare could not be loaded: ${(e as Error).message}`,
    };
  }
}

export const median = (xs: number[]): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const loadavg = (): string =>
  os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(" ");
/** The geometric mean of positive numbers. */
export const geomean = (xs: number[]): number => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

export const fmt = (x: number, d = 3): string => (Number.isFinite(x) ? x.toFixed(d) : "NA");

/** The windows of `tokens` at `starts` as int32 tensors [B, T]: inputs and next-token targets. */
export function tensorBatch(
  tokens: ArrayLike<number>,
  starts: readonly number[],
  T: number,
): { inputs: tf.Tensor2D; targets: tf.Tensor2D } {
  const b = windowBatch(tokens, starts, T);
  return { inputs: tf.tensor2d(b.x, b.shape, "int32"), targets: tf.tensor2d(b.y, b.shape, "int32") };
}
