// XLNet's permutation LM: orders, masks, batches, and the two-stream pass through a GPT (no
// position ever sees its own token or anything later in the order).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { SeededRandom } from "../../src/data";
import {
  sampleOrder,
  orderRanks,
  permutationMasks,
  permutationLmBatch,
  permutationLmLogits,
  permutationLmLoss,
  permutationLmLossByRank,
} from "../../src/objectives";
import { GPT } from "../../src/models/gpt";
import { mulberry32 } from "../../src/data/random";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

test("sampleOrder: a seeded permutation", () => {
  const o = sampleOrder(12, 3);
  assert.deepEqual(
    Array.from(o).sort((a, b) => a - b),
    Array.from({ length: 12 }, (_, i) => i),
  );
  assert.deepEqual(sampleOrder(12, 3), o);
  assert.notDeepEqual(sampleOrder(12, 4), o);
  assert.throws(() => orderRanks([0, 0, 1]), /not a permutation/);
});

test("permutation masks are a valid ordering: no self, nothing later, the first sees nothing, and the rank structure matches", () => {
  const rng = new SeededRandom(1);
  for (let trial = 0; trial < 50; trial++) {
    const T = 1 + rng.int(10);
    const order = sampleOrder(T, rng);
    const { query, content } = permutationMasks(order);
    const rank = orderRanks(order);
    for (let i = 0; i < T; i++) {
      assert.equal(query[i * T + i], 0, "a position attends to itself");
      assert.equal(content[i * T + i], 1, "the content stream sees itself");
      let rowSum = 0;
      for (let j = 0; j < T; j++) {
        rowSum += query[i * T + j];
        assert.equal(query[i * T + j], rank[j] < rank[i] ? 1 : 0, `query ${i} -> ${j}`);
        assert.equal(content[i * T + j], query[i * T + j] + (i === j ? 1 : 0));
      }
      assert.equal(rowSum, rank[i], "a position sees exactly the positions before it in the order");
    }
    // the first in the order attends to nothing
    assert.ok(query.subarray(order[0] * T, order[0] * T + T).every((v) => v === 0));
    // rows and columns permuted into the order: strictly lower triangular, all ones below the diagonal
    for (let r = 0; r < T; r++) for (let s = 0; s < T; s++) assert.equal(query[order[r] * T + order[s]], s < r ? 1 : 0);
    // nested: what z_{r+1} sees is what z_r sees plus z_r
    for (let r = 0; r + 1 < T; r++) {
      for (let j = 0; j < T; j++) {
        const next = query[order[r + 1] * T + j];
        assert.equal(next, query[order[r] * T + j] || j === order[r] ? 1 : 0);
      }
    }
  }
});

test("batches: orders over each row's real tokens; padding is seen by no one; predictFraction predicts the last of each order", () => {
  const x = [
    [5, 6, 7, 8, 9, 10],
    [11, 12, 13, 0, 0, 0],
  ];
  const b = permutationLmBatch(x, { seed: 2, predictFraction: 0.5 });
  assert.deepEqual(b.shape, [2, 6]);
  assert.equal(b.orders[0].length, 6);
  assert.deepEqual(Array.from(b.orders[1]).sort(), [0, 1, 2]);
  const T = 6;
  for (let i = 0; i < T; i++)
    for (let j = 3; j < T; j++) {
      assert.equal(b.queryMask[T * T + i * T + j], 0);
      if (i !== j) assert.equal(b.contentMask[T * T + i * T + j], 0);
    }
  const predicted = (row: number) => Array.from({ length: T }, (_, t) => t).filter((t) => b.weights[row * T + t] === 1);
  assert.deepEqual(predicted(0).sort(), Array.from(b.orders[0].slice(3)).sort());
  assert.deepEqual(predicted(1).sort(), Array.from(b.orders[1].slice(1)).sort());
  for (let p = 0; p < 12; p++) assert.equal(b.targets[p], b.weights[p] ? b.inputs[p] : -1);
  assert.deepEqual(Array.from(b.inputs), x.flat(), "the tokens stay in place");
});

test("two streams through a GPT: the prediction at a position never depends on its own token or on anything later in the order", () => {
  const V = 14;
  const T = 7;
  const model = new GPT({ vocabSize: V, blockSize: T, nLayer: 2, nHead: 2, nEmbd: 16, seed: 3 });
  const r = mulberry32(4);
  const x = [Array.from({ length: T }, () => 5 + Math.floor(r() * 9))];
  const batch = permutationLmBatch(x, { seed: 5 });
  const order = batch.orders[0];
  const logitsFor = (ids: number[]) => {
    const t = permutationLmLogits(model, { ...batch, inputs: Int32Array.from(ids) });
    const v = t.arraySync()[0];
    t.dispose();
    return v;
  };
  const base = logitsFor(x[0]);
  for (let r0 = 0; r0 < T; r0++) {
    const changedPos = order[r0];
    const y = x[0].slice();
    y[changedPos] = y[changedPos] === 5 ? 6 : 5;
    const after = logitsFor(y);
    for (let rr = 0; rr < T; rr++) {
      const p = order[rr];
      if (rr <= r0) assert.deepEqual(after[p], base[p], `position ${p} (rank ${rr}) saw the token at ${changedPos} (rank ${r0})`);
      else assert.notDeepEqual(after[p], base[p], `position ${p} (rank ${rr}) should see the token at ${changedPos} (rank ${r0})`);
    }
  }
  model.dispose();
});

test("the permutation-LM loss trains: repeated-token rows become predictable from any earlier position in the order", () => {
  const V = 12;
  const T = 6;
  const model = new GPT({ vocabSize: V, blockSize: T, nLayer: 1, nHead: 2, nEmbd: 32, seed: 6 });
  const r = mulberry32(7);
  const rng = new SeededRandom(8);
  const rows = () => Array.from({ length: 16 }, () => new Array<number>(T).fill(5 + Math.floor(r() * 7)));
  const evalBatch = permutationLmBatch(rows(), { seed: 9 });
  const lossNow = () => tf.tidy(() => permutationLmLoss(model, evalBatch).dataSync()[0]);
  const before = lossNow();
  const opt = tf.train.adam(0.01);
  for (let step = 0; step < 40; step++) {
    const batch = permutationLmBatch(rows(), { seed: rng });
    tf.dispose(opt.minimize(() => permutationLmLoss(model, batch), true, model.variables())!);
  }
  const after = lossNow();
  // the first position of each order has no context: its loss stays near log 7, 1/T of the total
  assert.ok(before > 1.8 && after < Math.log(7) / T + 0.25, `${before} -> ${after}`);
  model.dispose();
  opt.dispose();
});

test("the loss by rank: every predicted position counted once, and its weighted mean is the permutation-LM loss", () => {
  const V = 14;
  const T = 6;
  const model = new GPT({ vocabSize: V, blockSize: T, nLayer: 1, nHead: 2, nEmbd: 16, seed: 11 });
  const r = mulberry32(12);
  const x = Array.from({ length: 4 }, (_, b) => Array.from({ length: T }, (_, t) => (b === 3 && t >= 4 ? 0 : 5 + Math.floor(r() * 9))));
  const batch = permutationLmBatch(x, { seed: 13, predictFraction: 0.5 });
  const { loss, count } = permutationLmLossByRank(model, batch);
  const predicted = batch.weights.reduce((a, w) => a + w, 0);
  assert.equal(
    count.reduce((a, c) => a + c, 0),
    predicted,
  );
  // predictFraction 0.5 predicts the last half of each order: ranks below 2 are never predicted
  assert.equal(count[0] + count[1], 0);
  assert.ok(Number.isNaN(loss[0]));
  let sum = 0;
  loss.forEach((l, k) => (sum += count[k] ? l * count[k] : 0));
  const whole = tf.tidy(() => permutationLmLoss(model, batch).dataSync()[0]);
  assert.ok(Math.abs(sum / predicted - whole) < 1e-4, `${sum / predicted} vs ${whole}`);
  model.dispose();
});
