import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend, tokenBatch, timeSteps, stackSteps } from "../../src/backend";

before(async () => {
  await useBackend({ backend: "cpu", quiet: true });
});

test("tokenBatch builds inputs and next-token targets from a JS token array", () => {
  const tokens = Int32Array.from([10, 11, 12, 13, 14, 15]);
  const { inputs, targets } = tokenBatch(tokens, [0, 2], 3);
  assert.equal(inputs.dtype, "int32");
  assert.deepEqual(inputs.arraySync(), [[10, 11, 12], [12, 13, 14]]);
  assert.deepEqual(targets.arraySync(), [[11, 12, 13], [13, 14, 15]]);
  assert.throws(() => tokenBatch(tokens, [3], 3), /needs tokens\[3..6\]/);
  tf.dispose([inputs, targets]);
});

test("timeSteps and stackSteps invert each other, and the gradient flows even for T = 1", () => {
  tf.tidy(() => {
    for (const T of [1, 3]) {
      const x = tf.randomNormal([2, T, 4], 0, 1, "float32", 1) as tf.Tensor3D;
      const steps = timeSteps(x);
      assert.equal(steps.length, T);
      assert.deepEqual(steps[0].shape, [2, 4]);
      assert.equal(tf.max(tf.abs(tf.sub(stackSteps(steps), x))).dataSync()[0], 0);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(timeSteps(v as tf.Tensor3D)[0], 2)))(x);
      assert.equal(tf.sum(g).dataSync()[0], 2 * 2 * 4);
    }
  });
});
