// context2vec: the context vector at a position is built without the word there, from both sides,
// and a trained model ranks the planted filler of a cloze first.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { Vocab } from "../../src/text";
import { SeededRandom } from "../../src/data";
import { padSequences } from "../../src/text";
import { Context2Vec, NoiseSampler, tokenCounts } from "../../src/objectives";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

test("a position's context vector ignores its own word and sees both sides", () => {
  const m = new Context2Vec({ vocabSize: 20, embedDim: 8, hiddenSize: 8, dim: 8, seed: 1 });
  const x = [[5, 6, 7, 8, 9, 0]];
  const read = (ids: number[][]) => {
    const t = m.contextVectors(ids);
    const v = t.arraySync()[0];
    t.dispose();
    return v;
  };
  const base = read(x);
  for (const j of [0, 2, 4]) {
    const y = [x[0].slice()];
    y[0][j] = 15;
    const after = read(y);
    for (let i = 0; i < 5; i++) {
      if (i === j) assert.deepEqual(after[i], base[i], `position ${i} saw its own word`);
      else assert.notDeepEqual(after[i], base[i], `position ${i} did not see the word at ${j}`);
    }
  }
  m.dispose();
});

test("cloze: trained on a corpus where the middle word is fixed by its left AND right neighbours, the planted filler ranks first", () => {
  // "l<a> f<a><b> r<b>" between random noise words: the filler depends on both sides (as XOR),
  // so neither a left-to-right nor a right-to-left context alone can fill it.
  const rng = new SeededRandom(2);
  const noise = ["n0", "n1", "n2", "n3"];
  const sentences: string[][] = [];
  for (let i = 0; i < 64; i++) {
    const a = rng.int(2);
    const b = rng.int(2);
    sentences.push([rng.choice(noise), `l${a}`, `f${a}${b}`, `r${b}`, rng.choice(noise)]);
  }
  const vocab = new Vocab(sentences);
  const ids = sentences.map((s) => vocab.encode(s));
  const padded = padSequences(ids, 5, vocab.padId);
  const batch = { ids: padded.data, shape: padded.shape };
  const sampler = new NoiseSampler(tokenCounts(ids, vocab.size), { seed: 3 });
  const m = new Context2Vec({ vocabSize: vocab.size, embedDim: 16, hiddenSize: 16, dim: 16, seed: 4 });
  const opt = tf.train.adam(0.05);
  for (let step = 0; step < 70; step++) tf.dispose(opt.minimize(() => m.loss(batch, sampler, 10), true, m.variables())!);
  for (const a of [0, 1]) {
    for (const b of [0, 1]) {
      const sentence = vocab.encode(["n1", `l${a}`, "<unk>", `r${b}`, "n2"]);
      const ranked = m.fill(sentence, 2, 3);
      assert.equal(vocab.token(ranked[0].id), `f${a}${b}`, `l${a} _ r${b}: got ${ranked.map((r) => vocab.token(r.id))}`);
    }
  }
  m.dispose();
  opt.dispose();
});
