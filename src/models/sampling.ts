// Choosing the next token from a model's scores, for every model that generates: greedy (argmax),
// or drawn from softmax(logits / temperature), optionally only among the k most likely tokens
// (top-k) or the fewest most likely tokens whose probabilities reach p (top-p, nucleus sampling),
// with a seeded generator, so a sample repeats from its seed.
import { toRandom, type SeededRandom } from "../data/random";

export interface SampleOptions {
  /** Always take the most likely token (the same as temperature 0). */
  greedy?: boolean;
  /** Divide the logits by this before the softmax (default 1): < 1 sharper, > 1 flatter; 0 = greedy. */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /** Nucleus sampling: only among the most likely tokens whose probabilities sum to p (0 < p <= 1). */
  topP?: number;
}

export interface GenerateOptions extends SampleOptions {
  /** Seed of the sampling, or a generator to draw from (default seed 0). */
  seed?: number | string | SeededRandom;
}

/**
 * The tokens top-k and top-p keep, by their probabilities p (unnormalised, in index order): a 0/1
 * flag per token. Candidates go by decreasing probability; top-k keeps k of them, then top-p the
 * shortest prefix whose mass reaches p of what is left.
 */
function kept(p: Float64Array, opts: SampleOptions): Uint8Array {
  const V = p.length;
  let order = Array.from({ length: V }, (_, i) => i).sort((a, b) => p[b] - p[a]);
  if (opts.topK !== undefined) {
    if (!(Number.isInteger(opts.topK) && opts.topK >= 1)) throw new RangeError(`topK must be a positive integer, got ${opts.topK}`);
    order = order.slice(0, opts.topK);
  }
  if (opts.topP !== undefined) {
    if (!(opts.topP > 0 && opts.topP <= 1)) throw new RangeError(`topP must be in (0, 1], got ${opts.topP}`);
    const total = order.reduce((s, i) => s + p[i], 0);
    let acc = 0;
    let n = 0;
    while (n < order.length && acc < opts.topP * total) acc += p[order[n++]];
    order = order.slice(0, n);
  }
  const keep = new Uint8Array(V);
  for (const i of order) keep[i] = 1;
  return keep;
}

/** A token id from one row of logits. `random` is drawn from (once) only when sampling. */
export function sampleToken(logits: ArrayLike<number>, opts: SampleOptions, random: SeededRandom): number {
  const V = logits.length;
  const temperature = opts.temperature ?? 1;
  if (!(temperature >= 0) || !Number.isFinite(temperature))
    throw new RangeError(`temperature must be a finite number >= 0, got ${temperature}`);
  let best = 0;
  for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
  if (opts.greedy || temperature === 0) return best;
  // softmax(logits / T) in float64, shifted by the maximum, unnormalised
  const p = new Float64Array(V);
  for (let i = 0; i < V; i++) p[i] = Math.exp((logits[i] - logits[best]) / temperature);
  if (opts.topK !== undefined || opts.topP !== undefined) {
    const keep = kept(p, opts);
    for (let i = 0; i < V; i++) if (!keep[i]) p[i] = 0;
  }
  let sum = 0;
  for (let i = 0; i < V; i++) sum += p[i];
  // the inverse of the cumulative distribution, in index order
  let u = random.next() * sum;
  for (let i = 0; i < V; i++) {
    u -= p[i];
    if (u < 0) return i;
  }
  return best; // rounding at the very end of the range (the best token is always kept)
}

/** The generator a GenerateOptions asks for. */
export function generatorOf(opts: GenerateOptions): SeededRandom {
  return toRandom(opts.seed);
}
