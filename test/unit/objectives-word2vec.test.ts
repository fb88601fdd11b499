// word2vec (skip-gram and CBOW with negative sampling), fastText subwords, the noise distribution
// and the planted-analogy corpus.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { Vocab } from "../../src/text";
import { SeededRandom } from "../../src/data";
import {
  NoiseSampler,
  tokenCounts,
  skipGramBatches,
  cbowBatches,
  Word2Vec,
  analogyAccuracy,
  plantedAnalogyCorpus,
  charNgrams,
  subwordBuckets,
  fnv1a,
  cosine,
  type Word2VecBatch,
} from "../../src/objectives";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

test("the noise distribution is unigram^0.75, drawn within binomial bounds, and repeats from its seed", () => {
  const counts = [0, 0, 100, 10, 1, 0, 50];
  const s = new NoiseSampler(counts, { seed: 1 });
  const w = counts.map((c) => Math.pow(c, 0.75));
  const total = w.reduce((a, b) => a + b, 0);
  s.probs.forEach((p, i) => assert.ok(Math.abs(p - w[i] / total) < 1e-12));
  const N = 200_000;
  const draws = s.sample(N);
  const seen = new Array(counts.length).fill(0);
  for (const d of draws) seen[d]++;
  for (let i = 0; i < counts.length; i++) {
    const p = w[i] / total;
    const bound = 5 * Math.sqrt(N * p * (1 - p)) + 1e-9;
    assert.ok(Math.abs(seen[i] - N * p) <= bound, `id ${i}: ${seen[i]} draws, expected ${N * p} ± ${bound}`);
  }
  assert.equal(seen[0] + seen[1] + seen[5], 0, "zero counts are never drawn");
  assert.deepEqual(new NoiseSampler(counts, { seed: 1 }).sample(50), draws.subarray(0, 50));
  assert.notDeepEqual(new NoiseSampler(counts, { seed: 2 }).sample(50), draws.subarray(0, 50));
});

test("skip-gram pairs stay inside sentences and windows; CBOW rows hold the window; negatives avoid the positive", () => {
  const sentences = [Int32Array.of(5, 6, 7, 8), Int32Array.of(9, 10), Int32Array.of(11)];
  const noise = new NoiseSampler(tokenCounts(sentences, 12), { seed: 3 });
  const sameSentence = (a: number, b: number) => sentences.some((s) => s.includes(a) && s.includes(b));
  const pairs: [number, number][] = [];
  for (const b of skipGramBatches(sentences, { noise, window: 1, dynamicWindow: false, batchSize: 4, negatives: 3, seed: 1 })) {
    assert.equal(b.negatives.length, 3 * b.centers.length);
    b.centers.forEach((c, i) => {
      pairs.push([c, b.contexts[i]]);
      for (let k = 0; k < 3; k++) assert.notEqual(b.negatives[i * 3 + k], b.contexts[i]);
    });
  }
  // window 1: neighbours only, both directions; the lone "11" has no pairs
  const expected = [[5, 6], [6, 5], [6, 7], [7, 6], [7, 8], [8, 7], [9, 10], [10, 9]];
  assert.deepEqual(pairs.map((p) => p.join()).sort(), expected.map((p) => p.join()).sort());
  for (const [a, b] of pairs) assert.ok(sameSentence(a, b));
  let rows = 0;
  for (const b of cbowBatches(sentences, { noise, window: 2, dynamicWindow: false, batchSize: 10, seed: 1 })) {
    assert.equal(b.width, 4);
    b.centers.forEach((c, i) => {
      rows++;
      const ctx = Array.from(b.contexts.subarray(i * 4, i * 4 + 4)).filter((_, j) => b.contextWeights[i * 4 + j] === 1);
      const s = Array.from(sentences.find((x) => x.includes(c))!);
      const at = s.indexOf(c);
      assert.deepEqual(ctx.sort(), s.filter((_, j) => j !== at && Math.abs(j - at) <= 2).sort());
    });
  }
  assert.equal(rows, 6);
});

test("plantedAnalogyCorpus: pairs share topic words, sides share markers, every analogy is listed", () => {
  const c = plantedAnalogyCorpus({ seed: 2, sentencesPerWord: 5 });
  assert.equal(c.pairs.length, 8);
  assert.equal(c.analogies.length, 2 * 8 * 7);
  assert.equal(c.sentences.length, 16 * 5);
  for (const s of c.sentences) {
    const pair = c.pairs.findIndex((p) => p.some((w) => s.includes(w)));
    const side = c.pairs[pair].indexOf(c.pairs[pair].find((w) => s.includes(w))!);
    assert.ok(s.some((w) => c.markers[side].includes(w)) && !s.some((w) => c.markers[1 - side].includes(w)));
    assert.ok(s.filter((w) => c.topics[pair].includes(w)).length === 2);
    assert.ok(!s.some((w) => c.topics.some((t, i) => i !== pair && t.includes(w))));
  }
  assert.deepEqual(plantedAnalogyCorpus({ seed: 2, sentencesPerWord: 5 }).sentences, c.sentences);
});

function trainPlanted(mode: "skipgram" | "cbow", epochs: number, subwords = false): { model: Word2Vec; corpus: ReturnType<typeof plantedAnalogyCorpus>; vocab: Vocab } {
  const corpus = plantedAnalogyCorpus({ seed: 1 });
  const vocab = new Vocab(corpus.sentences);
  const sentences = corpus.sentences.map((s) => vocab.encode(s));
  const noise = new NoiseSampler(tokenCounts(sentences, vocab.size), { seed: 2 });
  const model = new Word2Vec({ vocabSize: vocab.size, dim: 16, words: vocab.tokens, subwords: subwords ? { buckets: 1000 } : false, seed: 3 });
  const opt = tf.train.adam(0.05);
  const rng = new SeededRandom(4);
  for (let e = 0; e < epochs; e++) {
    const batches: Iterable<Word2VecBatch> = mode === "skipgram" ? skipGramBatches(sentences, { noise, window: 5, seed: rng }) : cbowBatches(sentences, { noise, window: 5, seed: rng });
    for (const b of batches) tf.dispose(opt.minimize(() => model.loss(b), true, model.variables())!);
  }
  opt.dispose();
  return { model, corpus, vocab };
}

test("skip-gram recovers at least 90% of the planted analogies (and an untrained model does not)", () => {
  const { model, corpus } = trainPlanted("skipgram", 4);
  const r = analogyAccuracy(model, corpus.analogies);
  assert.ok(r.accuracy >= 0.9, `skip-gram: ${r.correct}/${r.total}; wrong: ${JSON.stringify(r.wrong.slice(0, 3))}`);
  assert.equal(model.analogy("king", "queen", "man")[0].word, "woman");
  model.dispose();
  const { model: untrained, corpus: c2 } = trainPlanted("skipgram", 0);
  assert.ok(analogyAccuracy(untrained, c2.analogies).accuracy < 0.5);
  untrained.dispose();
});

test("CBOW recovers at least 90% of the planted analogies", () => {
  const { model, corpus } = trainPlanted("cbow", 8);
  const r = analogyAccuracy(model, corpus.analogies);
  assert.ok(r.accuracy >= 0.9, `CBOW: ${r.correct}/${r.total}; wrong: ${JSON.stringify(r.wrong.slice(0, 3))}`);
  model.dispose();
});

test("fastText n-grams: boundary symbols, hashing into buckets", () => {
  assert.deepEqual(charNgrams("where", { minN: 3, maxN: 3 }), ["<wh", "whe", "her", "ere", "re>"]);
  assert.ok(!charNgrams("her", { minN: 3, maxN: 6 }).includes("<her>"), "the whole word is not one of its n-grams");
  assert.equal(fnv1a(""), 0x811c9dc5);
  assert.equal(fnv1a("a"), 0xe40c292c);
  const b = subwordBuckets("queens", { buckets: 50 });
  assert.equal(b.length, charNgrams("queens").length);
  assert.ok(b.every((x) => Number.isInteger(x) && x >= 0 && x < 50));
});

test("fastText vectors exist for unseen words and are closest to the seen words sharing their n-grams", () => {
  const { model, vocab } = trainPlanted("skipgram", 3, true);
  const plain = new Word2Vec({ vocabSize: vocab.size, dim: 16, words: vocab.tokens });
  assert.equal(plain.vector("kings"), undefined, "without subwords an unseen word has no vector");
  plain.dispose();
  for (const [unseen, stem] of [["kings", "king"], ["queens", "queen"], ["fathers", "father"], ["sisterly", "sister"], ["husbands", "husband"], ["uncles", "uncle"]]) {
    assert.ok(!vocab.has(unseen));
    const v = model.vector(unseen)!;
    assert.ok(v && v.length === 16 && v.some((x) => x !== 0) && v.every(Number.isFinite));
    const best = model.nearest(v, 1)[0];
    assert.equal(best.word, stem, `${unseen}: nearest is ${best.word}`);
    // and closer to its stem than to a word sharing no n-gram with it
    assert.ok(cosine(v, model.vector(stem)!) > cosine(v, model.vector("t3a")!) + 0.2);
  }
  model.dispose();
});
