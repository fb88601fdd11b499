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
  const expected = [
    [5, 6],
    [6, 5],
    [6, 7],
    [7, 6],
    [7, 8],
    [8, 7],
    [9, 10],
    [10, 9],
  ];
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

function trainPlanted(
  mode: "skipgram" | "cbow",
  epochs: number,
  subwords = false,
): { model: Word2Vec; corpus: ReturnType<typeof plantedAnalogyCorpus>; vocab: Vocab } {
  const corpus = plantedAnalogyCorpus({ seed: 1 });
  const vocab = new Vocab(corpus.sentences);
  const sentences = corpus.sentences.map((s) => vocab.encode(s));
  const noise = new NoiseSampler(tokenCounts(sentences, vocab.size), { seed: 2 });
  const model = new Word2Vec({
    vocabSize: vocab.size,
    dim: 16,
    words: vocab.tokens,
    subwords: subwords ? { buckets: 1000 } : false,
    seed: 3,
  });
  const opt = tf.train.adam(0.05);
  const rng = new SeededRandom(4);
  for (let e = 0; e < epochs; e++) {
    const batches: Iterable<Word2VecBatch> =
      mode === "skipgram"
        ? skipGramBatches(sentences, { noise, window: 5, seed: rng })
        : cbowBatches(sentences, { noise, window: 5, seed: rng });
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
  for (const [unseen, stem] of [
    ["kings", "king"],
    ["queens", "queen"],
    ["fathers", "father"],
    ["sisterly", "sister"],
    ["husbands", "husband"],
    ["uncles", "uncle"],
  ]) {
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

test("CBOW averages over the context words a window actually holds (not 2b), in value and gradient", () => {
  // Non-zero output vectors, so that the loss depends on the mean (the output table starts at zero).
  const model = new Word2Vec({ vocabSize: 12, dim: 4, seed: 5 });
  model.output.assign(tf.randomNormal([12, 4], 0, 1, "float32", 6));
  // Two centers with window 2 (width 4): one holds 4 context words, one (at a line end) holds 2.
  const batch = {
    kind: "cbow" as const,
    width: 4,
    numNegatives: 2,
    contexts: Int32Array.of(5, 6, 8, 9, 10, 11, 0, 0),
    contextWeights: Float32Array.of(1, 1, 1, 1, 1, 1, 0, 0),
    centers: Int32Array.of(7, 9),
    negatives: Int32Array.of(10, 11, 5, 6),
  };
  const byHand = () => {
    const V = model.input as tf.Tensor2D,
      U = model.output as tf.Tensor2D;
    const mean = (ids: number[]) => tf.mean(tf.gather(V, ids), 0);
    const v = [mean([5, 6, 8, 9]), mean([10, 11])];
    // log σ(x) = −log(1 + e^{−x}) (tf.logSigmoid's own gradient fails on the wasm backend)
    const logSig = (x: tf.Tensor) => tf.neg(tf.log1p(tf.exp(tf.neg(x))));
    const lossOf = (i: number) => {
      const pos = logSig(tf.sum(tf.mul(tf.gather(U, [batch.centers[i]]).squeeze(), v[i])));
      const negIds = Array.from(batch.negatives.subarray(2 * i, 2 * i + 2));
      const neg = tf.sum(logSig(tf.neg(tf.sum(tf.mul(tf.gather(U, negIds), v[i]), 1))));
      return tf.neg(tf.add(pos, neg));
    };
    return tf.div(tf.add(lossOf(0), lossOf(1)), 2) as tf.Scalar;
  };
  const vars = [model.input, model.output];
  const lib = tf.variableGrads(() => model.loss(batch), vars);
  const hand = tf.variableGrads(byHand, vars);
  assert.ok(Math.abs(lib.value.dataSync()[0] - hand.value.dataSync()[0]) < 1e-6);
  for (const v of vars) {
    const d = tf.max(tf.abs(tf.sub(lib.grads[v.name], hand.grads[v.name]))).dataSync()[0];
    assert.ok(d < 1e-6, `gradient of ${v.name} differs by ${d}`);
  }
  // dividing the short window by 2b = 4 would give another loss: the test can tell the two apart
  const wrong = tf.tidy(() => {
    const h = tf.div(tf.sum(tf.gather(model.input, [10, 11]), 0), 4);
    return tf.sum(tf.mul(tf.gather(model.output, [9]).squeeze(), h)).dataSync()[0];
  });
  const right = tf.tidy(
    () => tf.sum(tf.mul(tf.gather(model.output, [9]).squeeze(), tf.mean(tf.gather(model.input, [10, 11]), 0))).dataSync()[0],
  );
  assert.ok(Math.abs(wrong - right) > 1e-3);
  tf.dispose([lib.value, hand.value, ...Object.values(lib.grads), ...Object.values(hand.grads)]);
  model.dispose();
});

test("cbowLogProbs is log softmax over the vocabulary of u_w · (mean of the context's input vectors)", () => {
  const model = new Word2Vec({ vocabSize: 9, dim: 3, seed: 7 });
  model.output.assign(tf.randomNormal([9, 3], 0, 1, "float32", 8));
  const logp = model.cbowLogProbs([5, 7, 8]);
  assert.equal(logp.length, 9);
  const total = Array.from(logp).reduce((s, x) => s + Math.exp(x), 0);
  assert.ok(Math.abs(total - 1) < 1e-5, `probabilities sum to ${total}`);
  const vin = model.input.arraySync() as number[][],
    u = model.output.arraySync() as number[][];
  const mean = [0, 1, 2].map((j) => (vin[5][j] + vin[7][j] + vin[8][j]) / 3);
  const scores = u.map((row) => row.reduce((s, x, j) => s + x * mean[j], 0));
  const z = Math.log(scores.reduce((s, x) => s + Math.exp(x), 0));
  scores.forEach((sc, w) => assert.ok(Math.abs(logp[w] - (sc - z)) < 1e-5, `word ${w}`));
  // a bag: the order of the context does not matter
  assert.deepEqual(
    Array.from(model.cbowLogProbs([8, 5, 7])).map((x) => x.toFixed(5)),
    Array.from(logp).map((x) => x.toFixed(5)),
  );
  assert.throws(() => model.cbowLogProbs([]), /empty/);
  model.dispose();
});
