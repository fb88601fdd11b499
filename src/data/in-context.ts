// An in-context learning task small enough for a tiny GPT (notebook 12): key → value lookup in a
// dictionary that exists only in the prompt.
//
// Every sequence draws its own random dictionary (each of `keys` keys gets a value drawn uniformly
// from `keys` values, independently) and shows it one example at a time:
//
//   query(k₁) pair(k₁, v₁)  query(k₂) pair(k₂, v₂)  …  query(k)  →  answer(v)
//
// After each query token the model must give that key's value. Nothing in the weights can know it
// (the dictionary is new in every sequence); only an earlier example in the prompt with the same
// key can tell, so the best possible accuracy after k examples is
//   P(the key was among them) + P(not) / keys,   P = 1 − (1 − 1/keys)^k.
// Each example is one token, pair(k, v), so that one attention layer can do the lookup (query
// token against pair tokens, then copy the value): with a key token and a value token per example
// a model needs two layers and far more training to find it (an "induction head", Olsson et al.
// 2022). The model is trained on the answers only (the other targets are -1): in-context learning
// trained for on purpose, as in Garg et al. (2022), not the by-product of plain language modelling
// on web text that GPT-3 showed.
import * as tf from "@tensorflow/tfjs";
import { SeededRandom, toRandom } from "./random";

export interface LookupBatch {
  /** Token ids [n, 2·shots], row-major. */
  x: Int32Array;
  /** answer(v) after each query token, -1 elsewhere. */
  y: Int32Array;
  shape: [number, number];
}

export interface LookupPrompts {
  /** n prompts of k examples and a query: 2k + 1 tokens each. */
  prompts: number[][];
  /** The right answer token of each prompt. */
  answers: number[];
  /** Whether the query's key occurs among the prompt's examples. */
  seen: boolean[];
}

export class LookupTask {
  constructor(readonly keys = 4) {
    if (!(Number.isInteger(keys) && keys >= 2)) throw new RangeError(`LookupTask: keys must be an integer >= 2, got ${keys}`);
  }

  /** query(k), pair(k, v) and answer(v) tokens: keys + keys² + keys. */
  get vocabSize(): number {
    return this.keys * (this.keys + 2);
  }
  query(k: number): number {
    return k;
  }
  pair(k: number, v: number): number {
    return this.keys + k * this.keys + v;
  }
  answer(v: number): number {
    return this.keys + this.keys * this.keys + v;
  }

  /** A token as text: "k2?" (query), "k2→v1" (example), "v1" (answer). */
  describe(id: number): string {
    const K = this.keys;
    if (id < K) return `k${id}?`;
    if (id < K + K * K) return `k${Math.floor((id - K) / K)}→v${(id - K) % K}`;
    return `v${id - K - K * K}`;
  }

  /** One sequence of `shots` examples from a fresh dictionary: its tokens and the answers after each query. */
  private sequence(shots: number, random: SeededRandom): { tokens: number[]; answers: number[] } {
    const dict = Array.from({ length: this.keys }, () => random.int(this.keys));
    const tokens: number[] = [];
    const answers: number[] = [];
    for (let i = 0; i < shots; i++) {
      const k = random.int(this.keys);
      tokens.push(this.query(k), this.pair(k, dict[k]));
      answers.push(this.answer(dict[k]));
    }
    return { tokens, answers };
  }

  /** n training sequences of `shots` examples: x, and y = the answer after each query token (-1 elsewhere). */
  batch(n: number, shots: number, seed?: SeededRandom | number): LookupBatch {
    const random = toRandom(seed);
    const T = 2 * shots;
    const x = new Int32Array(n * T);
    const y = new Int32Array(n * T).fill(-1);
    for (let r = 0; r < n; r++) {
      const s = this.sequence(shots, random);
      x.set(s.tokens, r * T);
      s.answers.forEach((a, i) => (y[r * T + 2 * i] = a));
    }
    return { x, y, shape: [n, T] };
  }

  /** n test prompts with k examples and a query each (new dictionaries), their answers, and whether the key was shown. */
  prompts(n: number, k: number, seed?: SeededRandom | number): LookupPrompts {
    const random = toRandom(seed);
    const out: LookupPrompts = { prompts: [], answers: [], seen: [] };
    for (let r = 0; r < n; r++) {
      const s = this.sequence(k + 1, random);
      const prompt = s.tokens.slice(0, 2 * k + 1);
      out.prompts.push(prompt);
      out.answers.push(s.answers[k]);
      out.seen.push(prompt.slice(0, 2 * k).some((t, i) => i % 2 === 0 && t === prompt[2 * k]));
    }
    return out;
  }

  /** The best possible accuracy with k examples: P(key shown) + P(not shown) / keys. */
  ceiling(k: number): number {
    const shown = 1 - (1 - 1 / this.keys) ** k;
    return shown + (1 - shown) / this.keys;
  }
}

/** A model that maps token ids [B, T] to logits [B, T, V] (a GPT). */
export interface NextTokenModel {
  forward(ids: number[][]): tf.Tensor;
}

/** The share of prompts (all of one length) whose most likely next token, after the last one, is the answer. */
export function lastTokenAccuracy(model: NextTokenModel, prompts: readonly number[][], answers: readonly number[]): number {
  if (prompts.length === 0) return NaN;
  const T = prompts[0].length;
  if (prompts.some((p) => p.length !== T)) throw new RangeError("lastTokenAccuracy: the prompts must have one length (one batch)");
  const best = tf.tidy(() => {
    const logits = model.forward(prompts.map((p) => p.slice()));
    const V = logits.shape[2]!;
    return tf.argMax(tf.reshape(tf.slice(logits, [0, T - 1, 0], [prompts.length, 1, V]), [prompts.length, V]), 1).dataSync();
  });
  let right = 0;
  best.forEach((b, i) => (right += b === answers[i] ? 1 : 0));
  return right / prompts.length;
}
