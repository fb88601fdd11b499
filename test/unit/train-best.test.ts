// BestWeights (src/train/best.ts): early stopping's snapshot of the best validation score.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { BestWeights } from "../../src/train/best";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

test("restore() brings back the weights of the best score; a tie keeps the earlier; dispose frees the snapshot", () => {
  const w = tf.variable(tf.tensor1d([0, 0]));
  const n0 = tf.memory().numTensors;
  const best = new BestWeights([w]);
  assert.equal(tf.memory().numTensors, n0 + 1, "one snapshot per variable");
  const offers: [number, number, number][] = [
    [0.5, 25, 1],
    [0.7, 50, 2],
    [0.6, 75, 3],
    [0.7, 100, 4],
    [0.65, 125, 5],
  ];
  const taken = offers.map(([score, step, value]) => {
    const v = tf.tensor1d([value, -value]);
    w.assign(v);
    v.dispose();
    return best.offer(score, step);
  });
  assert.deepEqual(taken, [true, true, false, false, false]);
  assert.equal(best.score, 0.7);
  assert.equal(best.step, 50);
  best.restore();
  assert.deepEqual(Array.from(w.dataSync()), [2, -2]);
  best.dispose();
  assert.equal(tf.memory().numTensors, n0);
  w.dispose();
});

test("with nothing offered, restore() gives the weights it started from; NaN is never best", () => {
  const w = tf.variable(tf.tensor1d([3]));
  const best = new BestWeights([w]);
  assert.equal(best.offer(NaN, 1), false);
  w.assign(tf.tensor1d([9]));
  best.restore();
  assert.deepEqual(Array.from(w.dataSync()), [3]);
  best.dispose();
  w.dispose();
});
