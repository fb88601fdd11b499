// The Transformer's ops in src/nn, each fused into one tf.customGrad: linear, LayerNorm, GELU and
// multi-head attention, against the same formulas written with stock tfjs ops (values, and every
// gradient through tfjs's own autodiff), on the wasm backend the course runs on.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { attention, bandedMask, CausalBias, gelu, layerNorm, linear } from "../../src/nn";
import { randomTensor } from "../support/tensors";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

/** Largest |a − b| relative to the largest |b|. */
function relErr(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  assert.equal(x.length, y.length);
  let worst = 0;
  let scale = 1e-6;
  for (let i = 0; i < x.length; i++) {
    worst = Math.max(worst, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return worst / scale;
}

/** f and its plain twin agree in value and in the gradients of Σ f·w (w random) with respect to every input. */
function sameAsPlain(
  name: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  plain: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  tol = 1e-4,
): void {
  tf.tidy(() => {
    const y = f(...inputs);
    const w = randomTensor(y.shape, 99);
    assert.ok(relErr(y, plain(...inputs)) < tol, `${name}: values differ by ${relErr(y, plain(...inputs))}`);
    const ga = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), w)))(inputs);
    const gb = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(plain(...xs), w)))(inputs);
    ga.forEach((g, i) => assert.ok(relErr(g, gb[i]) < tol, `${name}: the gradient of input ${i} differs by ${relErr(g, gb[i])}`));
  });
}

test("linear: x·W + b over the last axis, with and without a bias, values and gradients", () => {
  const x = randomTensor([2, 5, 6], 1);
  const W = randomTensor([6, 4], 2);
  const b = randomTensor([4], 3);
  sameAsPlain(
    "linear",
    (x, W, b) => linear({ W, b }, x),
    (x, W, b) => tf.add(tf.reshape(tf.matMul(tf.reshape(x, [10, 6]), W), [2, 5, 4]), b),
    [x, W, b],
  );
  sameAsPlain(
    "linear, no bias",
    (x, W) => linear({ W, b: null }, x),
    (x, W) => tf.reshape(tf.matMul(tf.reshape(x, [10, 6]), W), [2, 5, 4]),
    [x, W],
  );
  tf.dispose([x, W, b]);
});

test("layerNorm: (x − mean) / sqrt(var + 1e-5) · g + b over the last axis, values and gradients", () => {
  const x = tf.tidy(() => tf.add(tf.mul(randomTensor([3, 4, 8], 4), 3), 1));
  const g = randomTensor([8], 5);
  const b = randomTensor([8], 6);
  const plain = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
  };
  sameAsPlain("layerNorm", (x, g, b) => layerNorm({ g, b }, x), plain, [x, g, b]);
  // each row comes out with mean 0 and variance 1 when g = 1, b = 0
  tf.tidy(() => {
    const { mean, variance } = tf.moments(layerNorm({ g: tf.ones([8]), b: tf.zeros([8]) }, x), -1);
    assert.ok(tf.max(tf.abs(mean)).dataSync()[0] < 1e-5);
    assert.ok(tf.max(tf.abs(tf.sub(variance, 1))).dataSync()[0] < 1e-3);
  });
  tf.dispose([x, g, b]);
});

test("gelu: GPT-2's tanh form, values and gradient, within 5e-4 of the exact x·Φ(x)", () => {
  const x = tf.tidy(() => tf.mul(randomTensor([4, 50], 7), 4));
  const tanhForm = (x: tf.Tensor) =>
    tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI)))));
  sameAsPlain("gelu", (x) => gelu(x), tanhForm, [x]);
  const xs = Array.from(x.dataSync());
  const ys = Array.from(gelu(x).dataSync());
  // Φ by the Abramowitz–Stegun erf (error < 1.5e-7)
  const erf = (z: number) => {
    const t = 1 / (1 + 0.3275911 * Math.abs(z));
    const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
    return z >= 0 ? y : -y;
  };
  xs.forEach((v, i) => assert.ok(Math.abs(ys[i] - v * 0.5 * (1 + erf(v / Math.SQRT2))) < 5e-4, `gelu(${v})`));
  x.dispose();
});

/** Multi-head attention with stock ops: per head, softmax(q kᵀ/√hd + bias) v, then the projection. */
function plainAttention(
  x: tf.Tensor,
  kvIn: tf.Tensor,
  Wqkv: tf.Tensor,
  bqkv: tf.Tensor,
  Wp: tf.Tensor,
  bp: tf.Tensor,
  H: number,
  bias: tf.Tensor | null,
  allowed: tf.Tensor | null,
): tf.Tensor {
  const [B, Tq, C] = x.shape;
  const Tk = kvIn.shape[1]!;
  const hd = C / H;
  const proj = (t: tf.Tensor, from: number, n: number) =>
    tf.add(tf.matMul(tf.reshape(t, [-1, C]), tf.slice(Wqkv, [0, from], [C, n])), tf.slice(bqkv, [from], [n]));
  const q = proj(x, 0, C);
  const k = proj(kvIn, C, C);
  const v = proj(kvIn, 2 * C, C);
  const heads: tf.Tensor[] = [];
  for (let h = 0; h < H; h++) {
    const part = (t: tf.Tensor, T: number) => tf.slice(tf.reshape(t, [B, T, C]), [0, 0, h * hd], [B, T, hd]);
    let s = tf.div(tf.matMul(part(q, Tq) as tf.Tensor3D, part(k, Tk) as tf.Tensor3D, false, true), Math.sqrt(hd));
    if (bias) s = tf.add(s, bias);
    let a = tf.softmax(s);
    if (allowed) a = tf.mul(a, allowed);
    heads.push(tf.matMul(a as tf.Tensor3D, part(v, Tk) as tf.Tensor3D));
  }
  return tf.reshape(tf.add(tf.matMul(tf.reshape(tf.concat(heads, 2), [-1, C]), Wp), bp), [B, Tq, C]);
}

test("attention: causal, full, a 0/1 mask and keys from another stream give the plain per-head formula, values and gradients", () => {
  const [B, T, C, H] = [2, 5, 8, 2];
  const x = randomTensor([B, T, C], 11);
  const kv = randomTensor([B, T, C], 12);
  const Wqkv = tf.tidy(() => tf.mul(randomTensor([C, 3 * C], 13), 0.5));
  const bqkv = randomTensor([3 * C], 14);
  const Wp = randomTensor([C, C], 15);
  const bp = randomTensor([C], 16);
  const causal = tf.tensor2d(Array.from({ length: T }, (_, i) => Array.from({ length: T }, (_, j) => (j > i ? -1e9 : 0))));
  const mask01 = tf.tensor2d(Array.from({ length: T }, (_, i) => Array.from({ length: T }, (_, j) => (j < i ? 1 : 0)))); // row 0 sees nothing
  const params = (W: tf.Tensor, b: tf.Tensor, P: tf.Tensor, pb: tf.Tensor) => ({ qkv: { W, b }, proj: { W: P, b: pb } });
  const cases: [string, (...t: tf.Tensor[]) => tf.Tensor, (...t: tf.Tensor[]) => tf.Tensor][] = [
    [
      "causal",
      (x, W, b, P, pb) => attention(params(W, b, P, pb), x, { nHead: H }).y,
      (x, W, b, P, pb) => plainAttention(x, x, W, b, P, pb, H, causal, null),
    ],
    [
      "full",
      (x, W, b, P, pb) => attention(params(W, b, P, pb), x, { nHead: H, mask: "full" }).y,
      (x, W, b, P, pb) => plainAttention(x, x, W, b, P, pb, H, null, null),
    ],
    [
      "0/1 mask",
      (x, W, b, P, pb) => attention(params(W, b, P, pb), x, { nHead: H, mask: mask01 }).y,
      (x, W, b, P, pb) => plainAttention(x, x, W, b, P, pb, H, tf.mul(tf.sub(1, mask01), -1e9), mask01),
    ],
    [
      "keys and values from kv",
      (x, W, b, P, pb) => attention(params(W, b, P, pb), x, { nHead: H, kv, mask: mask01 }).y,
      (x, W, b, P, pb) => plainAttention(x, kv, W, b, P, pb, H, tf.mul(tf.sub(1, mask01), -1e9), mask01),
    ],
  ];
  for (const [name, f, plain] of cases) sameAsPlain(`attention, ${name}`, f, plain, [x, Wqkv, bqkv, Wp, bp], 2e-4);
  tf.tidy(() => {
    const { att } = attention(params(Wqkv, bqkv, Wp, bp), x, { nHead: H, mask: mask01 });
    const rows = att.arraySync() as number[][][][];
    for (const head of rows[0]) assert.deepEqual(head[0], [0, 0, 0, 0, 0], "a query that may see nothing gets zero weights");
    assert.throws(
      () => attention(params(Wqkv, bqkv, Wp, bp), x, { nHead: H, kv: tf.slice(kv, [0, 0, 0], [B, 3, C]) }),
      /causal mask needs as many keys as queries/,
    );
  });
  tf.dispose([x, kv, Wqkv, bqkv, Wp, bp, causal, mask01]);
});

test("CausalBias keeps one tensor per length until dispose; a later token changes no earlier output bit", () => {
  const n0 = tf.memory().numTensors;
  const cb = new CausalBias();
  assert.equal(cb.get(4), cb.get(4));
  cb.get(6);
  assert.equal(tf.memory().numTensors, n0 + 2);
  cb.dispose();
  assert.equal(tf.memory().numTensors, n0);
  const C = 8;
  const p = { qkv: { W: randomTensor([C, 3 * C], 21), b: null }, proj: { W: randomTensor([C, C], 22), b: null } };
  const a = randomTensor([1, 6, C], 23);
  const changed = tf.tidy(() => tf.concat([tf.slice(a, [0, 0, 0], [1, 5, C]), tf.add(tf.slice(a, [0, 5, 0], [1, 1, C]), 1)], 1));
  const ya = attention(p, a, { nHead: 2 }).y.arraySync() as number[][][];
  const yb = attention(p, changed, { nHead: 2 }).y.arraySync() as number[][][];
  for (let t = 0; t < 5; t++) assert.deepEqual(yb[0][t], ya[0][t], `position ${t}`);
  assert.notDeepEqual(yb[0][5], ya[0][5]);
  tf.dispose([p.qkv.W, p.proj.W, a, changed]);
});

test("bandedMask: query i sees keys i − window + 1 … i; through attention, a token window or more back changes nothing", () => {
  const m = bandedMask(5, 2).arraySync();
  assert.deepEqual(m, [
    [1, 0, 0, 0, 0],
    [1, 1, 0, 0, 0],
    [0, 1, 1, 0, 0],
    [0, 0, 1, 1, 0],
    [0, 0, 0, 1, 1],
  ]);
  const full = bandedMask(4, 4).arraySync();
  assert.deepEqual(
    full,
    [
      [1, 0, 0, 0],
      [1, 1, 0, 0],
      [1, 1, 1, 0],
      [1, 1, 1, 1],
    ],
    "a window as long as T is the causal mask",
  );
  assert.throws(() => bandedMask(4, 0), /positive integers/);
  const C = 8,
    T = 6,
    w = 3;
  const p = { qkv: { W: randomTensor([C, 3 * C], 31), b: null }, proj: { W: randomTensor([C, C], 32), b: null } };
  const a = randomTensor([1, T, C], 33);
  const mask = bandedMask(T, w);
  // change token 1: outputs 1 .. 1 + w − 1 may change, every other one must not
  const changed = tf.tidy(() =>
    tf.concat([tf.slice(a, [0, 0, 0], [1, 1, C]), tf.add(tf.slice(a, [0, 1, 0], [1, 1, C]), 1), tf.slice(a, [0, 2, 0], [1, T - 2, C])], 1),
  );
  const ya = attention(p, a, { nHead: 2, mask }).y.arraySync() as number[][][];
  const yb = attention(p, changed, { nHead: 2, mask }).y.arraySync() as number[][][];
  for (let t = 0; t < T; t++) {
    if (t >= 1 && t < 1 + w) assert.notDeepEqual(yb[0][t], ya[0][t], `position ${t} sees token 1`);
    else assert.deepEqual(yb[0][t], ya[0][t], `position ${t} must not see token 1`);
  }
  tf.dispose([p.qkv.W, p.proj.W, a, changed, mask]);
});
