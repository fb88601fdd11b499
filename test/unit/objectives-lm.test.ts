// Forward and backward LM batches for src/models' LanguageModel, and ELMo's biLM and scalar mix.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import {
  forwardLmBatch,
  backwardLmBatch,
  reverseSequences,
  reverseIndex,
  BiLM,
  ScalarMix,
  ScalarMixProbe,
  continuationLogProbs,
  sequenceNats,
  tokenIds,
  validLengths,
} from "../../src/objectives";
import { LanguageModel } from "../../src/models";
import { mulberry32 } from "../../src/data/random";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

/** Rows of random ordinary ids (5..V-1), each of its own length, padded with 0. */
function paddedRows(lengths: number[], T: number, V: number, seed: number): number[][] {
  const r = mulberry32(seed);
  return lengths.map((n) => Array.from({ length: T }, (_, t) => (t < n ? 5 + Math.floor(r() * (V - 5)) : 0)));
}

test("backward LM targets are the forward LM's targets reversed, row by row within each length; inputs start with <bos> / <eos>", () => {
  const rows = paddedRows([6, 3, 1, 6], 6, 20, 1);
  const f = forwardLmBatch(rows);
  const b = backwardLmBatch(rows);
  assert.deepEqual(Array.from(f.lengths), [6, 3, 1, 6]);
  for (let r = 0; r < rows.length; r++) {
    const n = f.lengths[r];
    const ft = Array.from(f.y.subarray(r * 6, r * 6 + n));
    const bt = Array.from(b.y.subarray(r * 6, r * 6 + n));
    assert.deepEqual(bt, ft.slice().reverse(), `row ${r}`);
    assert.deepEqual(ft, rows[r].slice(0, n));
    // inputs are the targets shifted right behind the boundary token
    assert.deepEqual(Array.from(f.x.subarray(r * 6, r * 6 + n)), [2, ...ft.slice(0, n - 1)]);
    assert.deepEqual(Array.from(b.x.subarray(r * 6, r * 6 + n)), [3, ...bt.slice(0, n - 1)]);
    // mask: 1 on the row's tokens, 0 on its padding
    assert.deepEqual(
      Array.from(f.mask.subarray(r * 6, r * 6 + 6)),
      Array.from({ length: 6 }, (_, t) => (t < n ? 1 : 0)),
    );
    assert.deepEqual(Array.from(b.mask.subarray(r * 6, r * 6 + 6)), Array.from(f.mask.subarray(r * 6, r * 6 + 6)));
  }
});

test("reverseSequences keeps padding at the end and undoes itself; tensors and {ids, shape} are accepted", () => {
  const x = tokenIds([
    [5, 6, 7, 0],
    [8, 9, 0, 0],
  ]);
  assert.deepEqual(Array.from(reverseSequences(x).ids), [7, 6, 5, 0, 9, 8, 0, 0]);
  assert.deepEqual(Array.from(reverseSequences(reverseSequences(x)).ids), Array.from(x.ids));
  const t = tf.tensor2d([[5, 6, 7, 0]], undefined, "int32");
  assert.deepEqual(Array.from(reverseSequences(t).ids), [7, 6, 5, 0]);
  t.dispose();
  assert.deepEqual(Array.from(validLengths(x)), [3, 2]);
  assert.deepEqual(Array.from(reverseIndex([1, 4], [3])), [2, 1, 0, 3]);
});

test("a LanguageModel learns a deterministic sequence forwards and backwards from LM batches", () => {
  const V = 12;
  const rows = Array.from({ length: 8 }, (_, b) => Array.from({ length: 8 }, (_, t) => 5 + ((b + 2 * t) % 7)));
  for (const make of [forwardLmBatch, backwardLmBatch]) {
    const lm = new LanguageModel({ vocabSize: V, embedDim: 16, hiddenSize: 24, seed: 2 });
    const batch = make(rows);
    const opt = tf.train.adam(0.03);
    const first = tf.tidy(() => lm.loss(batch).dataSync()[0]);
    for (let i = 0; i < 60; i++) tf.dispose(opt.minimize(() => lm.loss(batch), true, lm.variables())!);
    const last = tf.tidy(() => lm.loss(batch).dataSync()[0]);
    assert.ok(first > 2 && last < 0.5 * first, `${make.name}: ${first} -> ${last}`);
    lm.dispose();
    opt.dispose();
  }
});

test("biLM representations: forward halves never see later tokens, backward halves never see earlier ones (with padding)", () => {
  const V = 15;
  const bilm = new BiLM({ vocabSize: V, dim: 8, numLayers: 2, seed: 3 });
  const rows = paddedRows([7, 5], 7, V, 4);
  const D = 8;
  const read = (x: number[][]) =>
    bilm.layers(x).map((t) => {
      const v = t.arraySync() as number[][][];
      t.dispose();
      return v;
    });
  const base = read(rows);
  assert.equal(base.length, 3);
  base.forEach((l) => assert.equal(l[0][0].length, 2 * D));
  // layer 0 is the embedding twice
  assert.deepEqual(base[0][0][2].slice(0, D), base[0][0][2].slice(D));
  for (const [row, j] of [
    [0, 3],
    [1, 2],
    [1, 4],
  ] as const) {
    const changed = rows.map((r) => r.slice());
    changed[row][j] = changed[row][j] === 5 ? 6 : 5;
    const after = read(changed);
    const n = row === 0 ? 7 : 5;
    for (let l = 1; l <= 2; l++) {
      for (let i = 0; i < n; i++) {
        const fwdSame = after[l][row][i].slice(0, D).every((v, k) => Math.abs(v - base[l][row][i][k]) < 1e-6);
        const bwdSame = after[l][row][i].slice(D).every((v, k) => Math.abs(v - base[l][row][i][D + k]) < 1e-6);
        assert.equal(fwdSame, i < j, `layer ${l} row ${row}: forward state at ${i} after changing ${j}`);
        assert.equal(bwdSame, i > j, `layer ${l} row ${row}: backward state at ${i} after changing ${j}`);
      }
      // the other row is untouched
      const other = 1 - row;
      assert.deepEqual(after[l][other], base[l][other]);
    }
  }
  bilm.dispose();
});

test("biLM training lowers both directions' losses; the embedding and softmax are shared, the LSTMs are not", () => {
  const V = 12;
  const bilm = new BiLM({ vocabSize: V, dim: 16, numLayers: 1, seed: 5 });
  assert.equal(bilm.forwardLstm.input, bilm.backwardLstm.input);
  assert.notEqual(bilm.forwardLstm.layers[0].namedVariables().Wx, bilm.backwardLstm.layers[0].namedVariables().Wx);
  assert.equal(new Set(bilm.variables()).size, bilm.variables().length);
  assert.equal(Object.keys(bilm.namedVariables()).length, bilm.variables().length, "the shared embedding is named once");
  const rows = Array.from({ length: 6 }, (_, b) => Array.from({ length: 6 }, (_, t) => 5 + ((b + t) % 7)));
  const losses = () =>
    tf.tidy(() => {
      const r = bilm.run(rows);
      return [r.forwardLoss.dataSync()[0], r.backwardLoss.dataSync()[0]];
    });
  const [f0, b0] = losses();
  const opt = tf.train.adam(0.03);
  for (let i = 0; i < 40; i++) tf.dispose(opt.minimize(() => bilm.loss(rows), true, bilm.variables())!);
  const [f1, b1] = losses();
  assert.ok(f1 < 0.5 * f0 && b1 < 0.5 * b0, `forward ${f0} -> ${f1}, backward ${b0} -> ${b1}`);
  bilm.dispose();
  opt.dispose();
});

test("ELMo scalar mix: weights are a softmax (sum to 1), γ scales, and a task's gradient reaches w and γ", () => {
  const bilm = new BiLM({ vocabSize: 12, dim: 4, numLayers: 2, seed: 6 });
  const mix = new ScalarMix(3);
  const w0 = mix.weights();
  assert.deepEqual(
    w0.map((x) => +x.toFixed(6)),
    [1 / 3, 1 / 3, 1 / 3].map((x) => +x.toFixed(6)),
  );
  const rows = paddedRows([5, 5], 5, 12, 7);
  const layers = bilm.layers(rows);
  // mix of constant layers = γ · Σ s_j c_j
  const consts = [1, 2, 4].map((c) => tf.fill([2], c));
  assert.ok(Math.abs(tf.tidy(() => mix.apply(consts).dataSync()[0]) - 7 / 3) < 1e-5);
  // a downstream loss: regress the mix onto a random target
  const r = mulberry32(8);
  const target = tf.tensor(
    Float32Array.from({ length: 2 * 5 * 8 }, () => r()),
    [2, 5, 8],
  );
  const loss = () => tf.mean(tf.square(tf.sub(mix.apply(layers), target))) as tf.Scalar;
  const { grads } = tf.variableGrads(loss, mix.variables());
  const gw = grads[mix.w.name].dataSync();
  const gg = grads[mix.gamma.name].dataSync()[0];
  assert.ok(Math.max(...Array.from(gw, Math.abs)) > 1e-6, `dL/dw = ${Array.from(gw)}`);
  assert.ok(Math.abs(gg) > 1e-6, `dL/dγ = ${gg}`);
  // softmax gradients sum to zero
  assert.ok(Math.abs(Array.from(gw).reduce((a, b) => a + b, 0)) < 1e-5);
  const opt = tf.train.sgd(0.5);
  for (let i = 0; i < 20; i++) tf.dispose(opt.minimize(loss, true, mix.variables())!);
  const w1 = mix.weights();
  assert.ok(Math.abs(w1.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  assert.notDeepEqual(w1, w0);
  assert.ok(w1.every((x) => x > 0));
  tf.dispose([...layers, ...consts, target, ...Object.values(grads)]);
  mix.dispose();
  bilm.dispose();
});

test("continuationLogProbs: per-token log p after a context, the same as the LM's loss on the whole row", () => {
  const V = 11;
  const lm = new LanguageModel({ vocabSize: V, embedDim: 6, hiddenSize: 8, seed: 9 });
  const context = [5, 6, 7];
  const conts = [[8], [9, 10, 5], [6, 6]];
  const scores = continuationLogProbs(lm, context, conts);
  assert.deepEqual(
    scores.map((s) => s.length),
    [1, 3, 2],
  );
  conts.forEach((c, i) => {
    // the forward LM batch of the row context + c: mean cross-entropy times the length is -Σ log p
    const row = [...context, ...c];
    const total = tf.tidy(() => lm.loss(forwardLmBatch([row])).dataSync()[0]) * row.length;
    const ctxOnly = tf.tidy(() => lm.loss(forwardLmBatch([context])).dataSync()[0]) * context.length;
    const sum = scores[i].reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(-sum - (total - ctxOnly)) < 1e-4, `continuation ${i}: ${-sum} vs ${total - ctxOnly}`);
    assert.ok(scores[i].every((x) => x < 0 && Number.isFinite(x)));
  });
  // a backward start token reads differently from <bos>
  const back = continuationLogProbs(lm, context, conts, { startId: 3 });
  assert.notDeepEqual(back, scores);
  assert.deepEqual(continuationLogProbs(lm, context, []), []);
  lm.dispose();
});

test("ScalarMixProbe learns per-token labels from frozen layers; only the mix and the linear layer change", () => {
  const r = mulberry32(10);
  const [B, T, D] = [4, 6, 5];
  // layer 1 carries the label in its first coordinate, layers 0 and 2 are noise
  const labels = Int32Array.from({ length: B * T }, () => (r() < 0.5 ? 1 : 0));
  const noise = () =>
    tf.tensor3d(
      Float32Array.from({ length: B * T * D }, () => r() - 0.5),
      [B, T, D],
    );
  const signal = tf.tensor3d(
    Float32Array.from({ length: B * T * D }, (_, i) => (i % D === 0 ? 2 * labels[Math.floor(i / D)] - 1 : 0)),
    [B, T, D],
  );
  const layers = [noise(), signal, noise()];
  const weights = new Float32Array(B * T).fill(1);
  weights[B * T - 1] = 0;
  const probe = new ScalarMixProbe({ numLayers: 3, dim: D, numClasses: 2, seed: 1 });
  assert.equal(probe.variables().length, 4);
  const opt = tf.train.adam(0.05);
  const l0 = tf.tidy(() => probe.loss({ layers, labels, weights }).dataSync()[0]);
  for (let i = 0; i < 150; i++) tf.dispose(opt.minimize(() => probe.loss({ layers, labels, weights }), true, probe.variables())!);
  const l1 = tf.tidy(() => probe.loss({ layers, labels, weights }).dataSync()[0]);
  const pred = probe.predict(layers);
  const right = pred.filter((p, i) => p === labels[i]).length;
  assert.ok(l1 < 0.3 * l0, `${l0} -> ${l1}`);
  assert.ok(right >= B * T - 1, `${right} of ${B * T}`);
  const w = probe.mix.weights();
  assert.ok(w[1] > w[0] && w[1] > w[2], `mix weights ${w}`);
  tf.dispose([...layers]);
  probe.dispose();
  opt.dispose();
  // a probe sized for a biLM: L+1 layers of 2·dim
  const bilm = new BiLM({ vocabSize: 12, dim: 4, numLayers: 2, seed: 1 });
  const p2 = bilm.probe(3);
  assert.ok(p2 instanceof ScalarMixProbe);
  assert.equal(p2.mix.numLayers, 3);
  assert.deepEqual(p2.out.W.shape, [8, 3]);
  const layers2 = bilm.layers([[5, 6, 7]]);
  assert.deepEqual(p2.logits(layers2).shape, [1, 3, 3]);
  tf.dispose(layers2);
  p2.dispose();
  bilm.dispose();
});

test("sequenceNats: the total -ln p of each sequence from a start token, the same in any window size (the state is carried)", () => {
  const V = 13;
  const lm = new LanguageModel({ vocabSize: V, embedDim: 6, hiddenSize: 8, seed: 4 });
  const seqs = [
    [5, 6, 7, 8, 9, 10, 11],
    [12, 5],
    [7, 7, 7, 7, 7],
  ];
  // the reference: one continuation per sequence after an empty context, read from <bos>
  const ref = continuationLogProbs(lm, [], seqs).map((s) => -s.reduce((a, b) => a + b, 0));
  for (const window of [1, 3, 7, 100]) {
    const r = sequenceNats(lm, seqs, { window });
    r.perSequence.forEach((n, i) => assert.ok(Math.abs(n - ref[i]) < 1e-4, `window ${window}, sequence ${i}: ${n} vs ${ref[i]}`));
    assert.ok(Math.abs(r.nats - ref.reduce((a, b) => a + b, 0)) < 1e-3);
    assert.equal(r.tokens, 14);
  }
  // another start token reads the same text differently
  const fromEos = sequenceNats(lm, seqs, { startId: 3 });
  assert.ok(Math.abs(fromEos.nats - ref.reduce((a, b) => a + b, 0)) > 1e-4);
  assert.throws(() => sequenceNats(lm, seqs, { window: 0 }), /window/);
  lm.dispose();
});
