// Choosing the next token from a model's scores: greedy (argmax) or sampled from
// softmax(logits / temperature) with a seeded generator, so a sample repeats from its seed.
import { toRandom, type SeededRandom } from "../data/random";

export interface GenerateOptions {
  /** Always take the most likely token (the same as temperature 0). */
  greedy?: boolean;
  /** Divide the logits by this before the softmax (default 1): < 1 sharper, > 1 flatter; 0 = greedy. */
  temperature?: number;
  /** Seed of the sampling, or a generator to draw from (default seed 0). */
  seed?: number | string | SeededRandom;
}

/** A token id from one row of logits. `random` is drawn from only when sampling. */
export function sampleToken(logits: ArrayLike<number>, opts: { greedy?: boolean; temperature?: number }, random: SeededRandom): number {
  const V = logits.length;
  const temperature = opts.temperature ?? 1;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new RangeError(`temperature must be a finite number >= 0, got ${temperature}`);
  let best = 0;
  for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
  if (opts.greedy || temperature === 0) return best;
  // softmax(logits / T) in float64, shifted by the maximum
  const p = new Float64Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += p[i] = Math.exp((logits[i] - logits[best]) / temperature);
  let u = random.next() * sum;
  for (let i = 0; i < V; i++) {
    u -= p[i];
    if (u < 0) return i;
  }
  return best; // rounding at the very end of the range
}

/** The generator a GenerateOptions asks for. */
export function generatorOf(opts: GenerateOptions): SeededRandom {
  return toRandom(opts.seed);
}
