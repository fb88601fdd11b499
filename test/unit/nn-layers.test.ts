// Embedding and Dense (cpu backend, tiny sizes).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { Embedding, Dense, scatterAddRows } from "../../src/nn";

before(async () => {
  await useBackend({ backend: "cpu", quiet: true });
});

test("Embedding looks up rows, its gradient scatter-adds (equals tf.gather's), and bad ids are refused", () => {
  tf.tidy(() => {
    const emb = new Embedding(6, 3, { seed: 5 });
    const ids = tf.tensor2d(
      [
        [5, 1],
        [1, 0],
      ],
      [2, 2],
      "int32",
    );
    const y = emb.apply(ids);
    assert.deepEqual(y.shape, [2, 2, 3]);
    const table = emb.table.arraySync() as number[][];
    assert.deepEqual((y.arraySync() as number[][][])[0][0], table[5]);
    const R = tf.randomUniform([2, 2, 3], -1, 1, "float32", 7);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(emb.apply(ids), R)) as tf.Scalar, [emb.table]);
    const ref = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.reshape(tf.gather(t, tf.tensor1d([5, 1, 1, 0], "int32")), [2, 2, 3]), R)))(
      emb.table,
    );
    assert.ok(tf.max(tf.abs(tf.sub(grads[emb.table.name], ref))).dataSync()[0] < 1e-6);
    assert.throws(() => emb.apply(tf.tensor1d([6], "int32")), /token id 6 is outside \[0, 6\)/);
    emb.dispose();
  });
});

test("scatterAddRows: the JavaScript fallback equals the kernel path", () => {
  tf.tidy(() => {
    const dy = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
    const ids = Int32Array.from([2, 0, 2, 3]);
    const kernel = scatterAddRows(dy, ids, 4).arraySync();
    assert.deepEqual(kernel, [
      [3, 4],
      [0, 0],
      [1 + 5, 2 + 6],
      [7, 8],
    ]);
    // force the fallback by hiding the kernel on this backend
    const cfg = tf.getKernel("UnsortedSegmentSum", "cpu")!;
    tf.unregisterKernel("UnsortedSegmentSum", "cpu");
    try {
      assert.deepEqual(scatterAddRows(dy, ids, 4).arraySync(), kernel);
    } finally {
      tf.registerKernel(cfg);
    }
  });
});

test("Dense applies x W + b on the last axis, for [B, D] and [B, T, D]", () => {
  tf.tidy(() => {
    const d = new Dense(3, 2, { seed: 1 });
    d.b!.assign(tf.tensor1d([0.5, -1]));
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 3]);
    const y = d.apply(x);
    assert.deepEqual(y.shape, [2, 2, 2]);
    const W = d.W.arraySync() as number[][];
    const row = [7, 8, 9];
    const expect = [0, 1].map((j) => row.reduce((s, v, k) => s + v * W[k][j], 0) + [0.5, -1][j]);
    const got = (y.arraySync() as number[][][])[1][0];
    expect.forEach((e, j) => assert.ok(Math.abs(got[j] - e) < 1e-5, `${got[j]} vs ${e}`));
    assert.deepEqual(d.apply(tf.tensor2d([row], [1, 3])).shape, [1, 2]);
    assert.equal(new Dense(3, 2, { bias: false }).variables().length, 1);
    d.dispose();
  });
});
