// The one cross-entropy (src/nn/losses.ts): its value against a float64 reference, ignored and
// weighted positions, errors, and — on the wasm backend the course runs on — the very bits of the
// three functions it replaced (train's crossEntropy, the objectives' maskedCrossEntropy, GPT's
// loss), values and gradients, so that training runs repeat exactly.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { mulberry32 } from "../../src/data/random";
import { crossEntropy, logSigmoid } from "../../src/nn/losses";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

function data(N: number, C: number, seed: number) {
  const r = mulberry32(seed);
  const logits = Array.from({ length: N * C }, () => 4 * (r() - 0.5));
  const labels = Int32Array.from({ length: N }, () => Math.floor(r() * C));
  return { logits, labels };
}

/** −log softmax(l)[y], in float64. */
function nll64(l: number[], y: number): number {
  const m = Math.max(...l);
  return Math.log(l.reduce((s, x) => s + Math.exp(x - m), 0)) + m - l[y];
}

test("the mean of −log softmax[label] (float64 reference); negative labels and weight 0 are left out; weights weigh", () => {
  const N = 12,
    C = 7;
  const { logits, labels } = data(N, C, 1);
  const rows = Array.from({ length: N }, (_, n) => logits.slice(n * C, (n + 1) * C));
  const ref = rows.map((l, n) => nll64(l, labels[n]));
  const lt = tf.tensor3d(logits, [3, 4, C]);
  const value = (t: tf.Scalar) => {
    const v = t.dataSync()[0];
    t.dispose();
    return v;
  };
  const mean = ref.reduce((a, b) => a + b, 0) / N;
  assert.ok(Math.abs(value(crossEntropy(lt, tf.tensor2d(labels, [3, 4], "int32"))) - mean) < 1e-5);
  assert.ok(Math.abs(value(crossEntropy(lt, labels)) - mean) < 1e-5, "labels as a flat Int32Array");
  const ignored = Int32Array.from(labels, (y, n) => (n % 3 === 0 ? -1 : y));
  const kept = ref.filter((_, n) => n % 3 !== 0);
  assert.ok(Math.abs(value(crossEntropy(lt, ignored)) - kept.reduce((a, b) => a + b, 0) / kept.length) < 1e-5);
  const w = Float32Array.from({ length: N }, (_, n) => (n % 2 ? 0 : n % 4 ? 2 : 1));
  const wsum = w.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(value(crossEntropy(lt, labels, w)) - ref.reduce((a, x, n) => a + w[n] * x, 0) / wsum) < 1e-5);
  assert.equal(value(crossEntropy(lt, labels, new Float32Array(N))), 0, "nothing counts: 0, not NaN");
  assert.throws(
    () =>
      crossEntropy(
        lt,
        Int32Array.from(labels, (y, n) => (n === 5 ? C : y)),
      ),
    /label 7 is outside \[0, 7\)/,
  );
  assert.throws(() => crossEntropy(lt, tf.tensor1d([0, 1], "int32")), {
    message: "crossEntropy: expected labels of shape [3, 4], got [2]",
  });
  assert.throws(() => crossEntropy(lt, labels, new Float32Array(5)), /5 weights for 12 positions/);
  lt.dispose();
});

// The three implementations crossEntropy replaced, verbatim, as references.
function trainCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, mask?: tf.Tensor): tf.Scalar {
  const C = logits.shape[logits.shape.length - 1];
  return tf.tidy(() => {
    const logp = tf.logSoftmax(tf.reshape(logits, [-1, C]) as tf.Tensor2D);
    const onehot = tf.oneHot(tf.reshape(tf.cast(labels, "int32"), [-1]) as tf.Tensor1D, C);
    const nll = tf.neg(tf.sum(tf.mul(logp, onehot), 1));
    if (!mask) return tf.mean(nll) as tf.Scalar;
    const m = tf.reshape(tf.cast(mask, "float32"), [-1]);
    return tf.div(tf.sum(tf.mul(nll, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  });
}
function maskedCrossEntropy(logits: tf.Tensor, targets: Int32Array, weights?: Float32Array): tf.Scalar {
  return tf.tidy(() => {
    const V = logits.shape[logits.rank - 1];
    const t = tf.tensor1d(targets, "int32");
    const w = weights === undefined ? tf.cast(tf.greaterEqual(t, 0), "float32") : tf.tensor1d(weights);
    const logp = tf.logSoftmax(tf.reshape(logits, [-1, V]));
    const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(t, V), logp), 1));
    return tf.div(tf.sum(tf.mul(nll, w)), tf.maximum(tf.sum(w), 1e-9)) as tf.Scalar;
  });
}
function gptCrossEntropy(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const V = logits.shape[logits.rank - 1];
    const flatT = tf.reshape(targets, [-1]);
    const logp = tf.logSoftmax(tf.reshape(logits, [-1, V]));
    const picked = tf.sum(tf.mul(tf.oneHot(tf.cast(flatT, "int32"), V), logp));
    const count = tf.maximum(tf.sum(tf.cast(tf.greaterEqual(flatT, 0), "float32")), 1);
    return tf.neg(tf.div(picked, count)) as tf.Scalar;
  });
}

test("wasm: the same bits as the three losses it replaced, value and gradient", () => {
  for (const [B, T, C, seed] of [
    [4, 16, 65, 1],
    [8, 32, 50, 2],
    [32, 1, 3, 3],
  ]) {
    const { logits, labels } = data(B * T, C, seed);
    const lt = tf.tensor3d(logits, [B, T, C]);
    const yt = tf.tensor2d(labels, [B, T], "int32");
    const mask = Float32Array.from({ length: B * T }, (_, n) => (n % 5 === 4 ? 0 : 1));
    const ignored = Int32Array.from(labels, (y, n) => (mask[n] ? y : -1));
    const same = (name: string, f: (l: tf.Tensor) => tf.Scalar, g: (l: tf.Tensor) => tf.Scalar) => {
      const a = tf.valueAndGrad(f)(lt);
      const b = tf.valueAndGrad(g)(lt);
      assert.equal(a.value.dataSync()[0], b.value.dataSync()[0], `${name}: value`);
      assert.deepEqual(a.grad.dataSync(), b.grad.dataSync(), `${name}: gradient`);
      tf.dispose([a.value, a.grad, b.value, b.grad]);
    };
    same(
      "train's",
      (l) => crossEntropy(l, yt),
      (l) => trainCrossEntropy(l, yt),
    );
    same(
      "train's, masked",
      (l) => crossEntropy(l, yt, tf.tensor2d(mask, [B, T])),
      (l) => trainCrossEntropy(l, yt, tf.tensor2d(mask, [B, T])),
    );
    same(
      "the objectives'",
      (l) => crossEntropy(l, labels),
      (l) => maskedCrossEntropy(l, labels),
    );
    same(
      "the objectives', weighted",
      (l) => crossEntropy(l, labels, mask),
      (l) => maskedCrossEntropy(l, labels, mask),
    );
    same(
      "GPT's",
      (l) => crossEntropy(l, yt),
      (l) => gptCrossEntropy(l, yt),
    );
    same(
      "GPT's, ignoring",
      (l) => crossEntropy(l, tf.tensor2d(ignored, [B, T], "int32")),
      (l) => gptCrossEntropy(l, tf.tensor2d(ignored, [B, T], "int32")),
    );
    tf.dispose([lt, yt]);
  }
});

test("logSigmoid is log σ(x) without overflow for large |x|", () => {
  const x = tf.tensor1d([-100, -3, 0, 3, 100]);
  const v = Array.from(logSigmoid(x).dataSync());
  const ref = [-100, -3.048587351573742, -Math.log(2), -0.04858735157374206, 0];
  v.forEach((y, i) => assert.ok(Math.abs(y - ref[i]) < 1e-5, `${y} vs ${ref[i]}`));
  x.dispose();
});
