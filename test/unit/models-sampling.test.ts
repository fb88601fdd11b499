// The one sampler (src/models/sampling.ts) and every model path that samples with it: the
// frequencies of many draws against softmax(logits / temperature) (restricted and renormalised for
// top-k and top-p), by a chi-squared bound. A sampler that ignored its temperature, its top-k or
// its top-p, or a model that did not pass them on, fails here: seeds or "all tokens appear" could
// not tell.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { SeededRandom } from "../../src/data/random";
import { EncoderDecoder, GPT, LanguageModel, sampleToken, type SampleOptions } from "../../src/models";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

/**
 * The distribution a sample should follow, computed independently of the sampler: softmax(logits / τ),
 * then (top-k) the k largest probabilities, then (top-p) the fewest largest whose normalised mass
 * reaches p, renormalised.
 */
function expected(logits: ArrayLike<number>, opts: SampleOptions): number[] {
  const t = opts.temperature ?? 1;
  const e = Array.from(logits, (l) => Math.exp(l / t));
  const z = e.reduce((a, b) => a + b, 0);
  const ranked = e.map((x, i) => ({ i, p: x / z })).sort((a, b) => b.p - a.p);
  const topK = ranked.slice(0, opts.topK ?? ranked.length);
  const mass = topK.reduce((a, c) => a + c.p, 0);
  const cumulative = topK.map((_, n) => topK.slice(0, n + 1).reduce((a, c) => a + c.p, 0) / mass);
  const n = opts.topP === undefined ? topK.length : cumulative.findIndex((c) => c >= opts.topP! - 1e-12) + 1;
  const chosen = topK.slice(0, n);
  const total = chosen.reduce((a, c) => a + c.p, 0);
  const out = new Array<number>(e.length).fill(0);
  for (const c of chosen) out[c.i] = c.p / total;
  return out;
}

/**
 * Pearson's χ² of observed counts against probabilities, with categories expected fewer than 5
 * times pooled, and its degrees of freedom. A draw of a token with probability 0 fails at once.
 */
function chiSquared(counts: number[], probs: number[]): { chi2: number; df: number } {
  const n = counts.reduce((a, b) => a + b, 0);
  const bins: { o: number; e: number }[] = [];
  let pooled = { o: 0, e: 0 };
  counts.forEach((o, i) => {
    const e = probs[i] * n;
    if (e === 0) assert.equal(o, 0, `token ${i} has probability 0 but was drawn ${o} times`);
    else if (e < 5) pooled = { o: pooled.o + o, e: pooled.e + e };
    else bins.push({ o, e });
  });
  if (pooled.e > 0) bins.push(pooled);
  return { chi2: bins.reduce((s, b) => s + (b.o - b.e) ** 2 / b.e, 0), df: bins.length - 1 };
}

/** χ² at the 1e-4 upper tail (Wilson–Hilferty): a correct sampler exceeds it once in 10,000 seeds. */
function critical(df: number): number {
  const z = 3.719; // standard normal quantile of 1 − 1e-4
  return df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
}

function assertFits(where: string, counts: number[], probs: number[]): void {
  const { chi2, df } = chiSquared(counts, probs);
  assert.ok(df >= 1, `${where}: too few categories to test`);
  assert.ok(
    chi2 < critical(df),
    `${where}: χ² = ${chi2.toFixed(1)} with ${df} degrees of freedom (bound ${critical(df).toFixed(1)}); counts ${counts.join(" ")}, expected ${probs.map((p) => (p * counts.reduce((a, b) => a + b, 0)).toFixed(0)).join(" ")}`,
  );
}

const LOGITS = [0.5, 2.0, -1.0, 1.2, 0.0, 1.8, -0.5, 0.9];
const SETTINGS: SampleOptions[] = [
  { temperature: 1 },
  { temperature: 0.5 },
  { temperature: 2 },
  { topK: 3 },
  { topK: 3, temperature: 0.7 },
  { topP: 0.6 },
  { topP: 0.9, temperature: 1.5 },
];

test("sampleToken: draw frequencies fit softmax(logits / τ), restricted to top-k / top-p (χ², 10,000 draws each)", () => {
  for (const opts of SETTINGS) {
    const random = new SeededRandom(1);
    const counts = new Array(LOGITS.length).fill(0);
    for (let i = 0; i < 10_000; i++) counts[sampleToken(LOGITS, opts, random)]++;
    assertFits(JSON.stringify(opts), counts, expected(LOGITS, opts));
  }
});

test("the χ² bound tells the settings apart: draws at τ = 1 do not fit τ = 0.5, top-3 does not fit the full softmax", () => {
  const random = new SeededRandom(2);
  const counts = new Array(LOGITS.length).fill(0);
  for (let i = 0; i < 10_000; i++) counts[sampleToken(LOGITS, { temperature: 1 }, random)]++;
  assert.ok(chiSquared(counts, expected(LOGITS, { temperature: 0.5 })).chi2 > 10 * critical(7));
  const top3 = new Array(LOGITS.length).fill(0);
  for (let i = 0; i < 2_000; i++) top3[sampleToken(LOGITS, { topK: 3 }, random)]++;
  assert.equal(top3.filter((c) => c > 0).length, 3);
});

test("a seed pins the draws: one uniform number per token, inverted through the cumulative distribution in token order", () => {
  // Pinned so that the course's samples (notebooks 03-06, 11) cannot change silently: a sampler
  // drawing from the same distribution in another order would pass the χ² tests but not this one.
  const draws = (opts: SampleOptions) => {
    const random = new SeededRandom(42);
    return Array.from({ length: 16 }, () => sampleToken(LOGITS, opts, random));
  };
  assert.deepEqual(draws({}), [5, 3, 5, 5, 1, 3, 1, 5, 5, 3, 1, 6, 5, 1, 1, 3]);
  assert.deepEqual(draws({ temperature: 0.5 }), [3, 1, 5, 5, 1, 3, 1, 5, 5, 1, 1, 5, 5, 1, 1, 1]);
  assert.deepEqual(draws({ topK: 3 }), [3, 3, 5, 5, 1, 3, 1, 3, 5, 3, 1, 5, 5, 1, 1, 3]);
});

test("sampleToken: greedy and temperature 0 are argmax without a draw; bad options are refused", () => {
  const random = new SeededRandom(3);
  const before = random.next();
  const again = new SeededRandom(3);
  assert.equal(sampleToken(LOGITS, { temperature: 0 }, again), 1);
  assert.equal(sampleToken(LOGITS, { greedy: true, temperature: 5 }, again), 1);
  assert.equal(again.next(), before, "greedy choices draw nothing from the generator");
  assert.equal(sampleToken(LOGITS, { topK: 1 }, again), 1);
  assert.throws(() => sampleToken(LOGITS, { temperature: -1 }, random), /temperature/);
  assert.throws(() => sampleToken(LOGITS, { topK: 0 }, random), /topK/);
  assert.throws(() => sampleToken(LOGITS, { topP: 1.5 }, random), /topP/);
});

/** Make a model's scores spread over a few nats, so that the temperature matters. */
function scale(v: tf.Variable, k: number): void {
  tf.tidy(() => v.assign(tf.mul(v, k)));
}

const PATHS: SampleOptions[] = [{ temperature: 0.5 }, { topK: 4, temperature: 1.5 }, { topP: 0.8 }];

test("GPT.generate draws its next token from softmax(logits / τ) of its own forward pass (χ², top-k, top-p)", () => {
  const m = new GPT({ vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16, seed: 5 });
  scale(m.wte, 7);
  const prompt = [3, 1, 4];
  const logits = tf.tidy(() => Array.from(tf.slice(m.forward([prompt]), [0, 2, 0], [1, 1, 11]).dataSync()));
  assert.ok(Math.max(...logits) - Math.min(...logits) > 1.5, `the logits should spread: ${logits}`);
  for (const opts of PATHS) {
    const random = new SeededRandom(7);
    const counts = new Array(11).fill(0);
    for (let i = 0; i < 1500; i++) counts[m.generate(prompt, 1, { ...opts, seed: random })[3]]++;
    assertFits(`GPT ${JSON.stringify(opts)}`, counts, expected(logits, opts));
  }
  m.dispose();
});

test("LanguageModel.sample and generateFrom draw from softmax(logits / τ) of the model's step (χ², top-k, top-p)", () => {
  const lm = new LanguageModel({ vocabSize: 9, embedDim: 6, hiddenSize: 8, seed: 4 });
  scale(lm.input.embedding!.table, 40);
  scale(lm.head.W, 10);
  const state = lm.zeroState(3000);
  const logits = tf.tidy(() => Array.from(lm.step([2], lm.zeroState(1)).logits.dataSync()));
  assert.ok(Math.max(...logits) - Math.min(...logits) > 1.5, `the logits should spread: ${logits}`);
  for (const opts of PATHS) {
    const rows = lm.generateFrom(state, new Array(3000).fill(2), 1, { ...opts, seed: 9 });
    const counts = new Array(9).fill(0);
    for (const r of rows) counts[r[0]]++;
    assertFits(`LanguageModel ${JSON.stringify(opts)}`, counts, expected(logits, opts));
  }
  // sample() is generateFrom from the prefix's state
  const random = new SeededRandom(1);
  const counts = new Array(9).fill(0);
  for (let i = 0; i < 1500; i++) counts[lm.sample([2], 1, { temperature: 0.5, seed: random })[0]]++;
  assertFits("LanguageModel.sample τ = 0.5", counts, expected(logits, { temperature: 0.5 }));
  tf.dispose([state.h, state.c!]);
  lm.dispose();
});

test("EncoderDecoder.generate samples at the temperature it is given (greedy only without one)", () => {
  const m = new EncoderDecoder({ srcVocabSize: 7, tgtVocabSize: 9, embedDim: 4, hiddenSize: 8, seed: 3 });
  scale(m.decoder.input.embedding!.table, 40);
  scale(m.decoder.head.W, 12);
  const B = 3000;
  const src = new Array(B).fill([5, 6, 5]);
  const logits = tf.tidy(() => {
    const state = m.encode([[5, 6, 5]]);
    return Array.from(m.decoder.step([1], state, state.h).logits.dataSync());
  });
  for (const opts of PATHS) {
    const rows = m.generate(src, { ...opts, bosId: 1, eosId: -1, maxLen: 1, seed: 2 });
    const counts = new Array(9).fill(0);
    for (const r of rows) counts[r[0]]++;
    assertFits(`EncoderDecoder ${JSON.stringify(opts)}`, counts, expected(logits, opts));
  }
  const greedy = m.generate(src.slice(0, 50), { bosId: 1, eosId: -1, maxLen: 1 });
  assert.ok(greedy.every((r) => r[0] === logits.indexOf(Math.max(...logits))));
  m.dispose();
});
