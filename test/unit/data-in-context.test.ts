// The in-context lookup task (src/data/in-context.ts): token layout, one dictionary per sequence,
// answers only after queries, prompts and their "seen" flags, the ceiling, and lastTokenAccuracy
// against a model that looks up perfectly (its accuracy must match the ceiling) and one that
// ignores the prompt (chance).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { LookupTask, lastTokenAccuracy } from "../../src/data/in-context";
import { SeededRandom } from "../../src/data/random";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

test("tokens: queries, pairs and answers are distinct ids below vocabSize, and describe() names them", () => {
  const t = new LookupTask(4);
  assert.equal(t.vocabSize, 24);
  const ids = new Set<number>();
  for (let k = 0; k < 4; k++) {
    ids.add(t.query(k));
    ids.add(t.answer(k));
    for (let v = 0; v < 4; v++) ids.add(t.pair(k, v));
  }
  assert.equal(ids.size, 24);
  assert.ok(Math.max(...ids) === 23 && Math.min(...ids) === 0);
  assert.deepEqual([t.describe(t.query(2)), t.describe(t.pair(2, 1)), t.describe(t.answer(3))], ["k2?", "k2→v1", "v3"]);
  assert.throws(() => new LookupTask(1), /keys/);
});

test("a batch: query then pair, one dictionary per sequence, the answer after each query and -1 elsewhere", () => {
  const t = new LookupTask(3);
  const b = t.batch(50, 6, 1);
  assert.deepEqual(b.shape, [50, 12]);
  for (let r = 0; r < 50; r++) {
    const dict = new Map<number, number>();
    for (let i = 0; i < 6; i++) {
      const q = b.x[r * 12 + 2 * i],
        p = b.x[r * 12 + 2 * i + 1];
      assert.ok(q < 3, "a query token");
      const k = Math.floor((p - 3) / 3),
        v = (p - 3) % 3;
      assert.equal(k, q, "the pair shows the queried key");
      if (dict.has(k)) assert.equal(dict.get(k), v, "one value per key within a sequence");
      dict.set(k, v);
      assert.equal(b.y[r * 12 + 2 * i], t.answer(v));
      assert.equal(b.y[r * 12 + 2 * i + 1], -1);
    }
  }
  assert.deepEqual(Array.from(t.batch(4, 3, new SeededRandom(9)).x), Array.from(t.batch(4, 3, 9).x), "seeded");
});

test("prompts: 2k + 1 tokens ending in a query; seen says whether that key was shown; the ceiling formula", () => {
  const t = new LookupTask(4);
  const p = t.prompts(400, 3, 2);
  for (const [i, prompt] of p.prompts.entries()) {
    assert.equal(prompt.length, 7);
    const q = prompt[6];
    assert.ok(q < 4);
    assert.equal(
      p.seen[i],
      [0, 2, 4].some((j) => prompt[j] === q),
    );
  }
  const share = p.seen.filter(Boolean).length / 400;
  assert.ok(Math.abs(share - (1 - 0.75 ** 3)) < 0.06, `shown share ${share}`);
  assert.equal(t.ceiling(0), 0.25);
  assert.ok(Math.abs(t.ceiling(1) - (0.25 + 0.75 * 0.25)) < 1e-12);
  assert.deepEqual(t.prompts(1, 0, 3).prompts[0].length, 1, "zero-shot: the query alone");
});

test("lastTokenAccuracy: a perfect lookup scores about the ceiling, a model blind to the prompt about chance", () => {
  const t = new LookupTask(4);
  const { prompts, answers } = t.prompts(2000, 4, 5);
  // A fake model: logits 1 for the value of the last example with the query's key (else for value 0).
  const model = (perfect: boolean) => ({
    forward: (ids: number[][]) => {
      const T = ids[0].length,
        V = t.vocabSize;
      const v = new Float32Array(ids.length * T * V);
      ids.forEach((row, r) => {
        let val = 0;
        if (perfect) for (let j = 1; j < T - 1; j += 2) if ((row[j] - 4) >> 2 === row[T - 1]) val = (row[j] - 4) & 3;
        v[(r * T + T - 1) * V + t.answer(val)] = 1;
      });
      return tf.tensor3d(v, [ids.length, T, V]);
    },
  });
  const perfect = lastTokenAccuracy(model(true), prompts, answers);
  assert.ok(Math.abs(perfect - t.ceiling(4)) < 0.04, `perfect ${perfect} vs ceiling ${t.ceiling(4)}`);
  const blind = lastTokenAccuracy(model(false), prompts, answers);
  assert.ok(Math.abs(blind - 0.25) < 0.04, `blind ${blind}`);
  assert.throws(() => lastTokenAccuracy(model(true), [[0], [0, 1, 2]], [0, 0]), /one length/);
});
