// agree(): the notebooks' check that a hand-written piece equals the library's, in values and in
// the gradient with respect to every input. It must pass equal functions, and fail (throw) on a
// wrong value, a wrong gradient behind a right value, and a shape mismatch.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { agree, agreement, relativeDifference } from "../../src/exercises/agree";
import { randomTensor } from "../support/tensors";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

const softmaxByHand = (x: tf.Tensor) => {
  const e = tf.exp(tf.sub(x, tf.max(x, -1, true)));
  return tf.div(e, tf.sum(e, -1, true));
};

test("equal functions agree in values and gradients, and the result says so", () => {
  const x = randomTensor([3, 5], 1);
  const r = agreement("softmax", softmaxByHand, (x) => tf.softmax(x), [x]);
  assert.equal(r.ok, true);
  assert.ok(r.value < 1e-6 && r.grads.length === 1 && r.grads[0] < 1e-5, r.message);
  assert.match(r.message, /^✓ softmax: largest relative difference: values .*; gradients /);
  assert.equal(
    agree("softmax", softmaxByHand, (x) => tf.softmax(x), [x], { quiet: true }),
    undefined,
    "agree returns nothing to show twice",
  );
  x.dispose();
});

test("a wrong value throws, naming the piece", () => {
  const x = randomTensor([3, 5], 2);
  assert.throws(
    () =>
      agree(
        "scaled",
        (x) => tf.mul(x, 1.001),
        (x) => x,
        [x],
        { quiet: true },
      ),
    /scaled: largest relative difference.*does not agree with the library/,
  );
  x.dispose();
});

test("a wrong gradient behind a right value throws (Σ f ⊙ R, not Σ f)", () => {
  const x = randomTensor([4, 6], 3);
  // Right values; the gradient of softmax's row sum is 0 whatever the error, so only a weighted sum can see it.
  const wrongGrad = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = tf.softmax(x);
    save([y]);
    return { value: y, gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => tf.mul(dy, s) }; // drops the −s·Σ(dy·s) term
  }) as any) as (x: tf.Tensor) => tf.Tensor;
  assert.throws(() => agree("softmax", wrongGrad, (x) => tf.softmax(x), [x], { quiet: true }), /gradients/);
  // values alone cannot tell
  assert.equal(agreement("softmax", wrongGrad, (x) => tf.softmax(x), [x], { valuesOnly: true }).ok, true);
  assert.equal(agreement("softmax", wrongGrad, (x) => tf.softmax(x), [x]).ok, false);
  x.dispose();
});

test("shapes that differ are a disagreement, not a broadcast", () => {
  const x = randomTensor([2, 3], 4);
  assert.throws(
    () =>
      agree(
        "shape",
        (x) => tf.transpose(x),
        (x) => x,
        [x],
        { quiet: true },
      ),
    /shapes differ/,
  );
  assert.equal(relativeDifference(tf.zeros([2, 3]), tf.zeros([3, 2])), Infinity);
  x.dispose();
});

test("differences are relative to the reference's scale (at least 1)", () => {
  const big = tf.tensor1d([1000, -2000]);
  const close = tf.tensor1d([1000.5, -2000]); // exact in float32
  assert.ok(Math.abs(relativeDifference(close, big) - 0.5 / 2000) < 1e-12);
  const small = tf.tensor1d([1e-3]);
  assert.ok(Math.abs(relativeDifference(tf.tensor1d([2e-3]), small) - 1e-3) < 1e-8, "below 1 the difference is absolute");
  tf.dispose([big, close, small]);
});
