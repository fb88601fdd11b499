// BERT's masked LM: the 15% / 80-10-10 corruption within binomial bounds, reserved tokens never
// chosen, the loss on chosen positions only, and a GPT used as a bidirectional encoder.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { SeededRandom } from "../../src/data";
import {
  maskTokens,
  maskedLmLoss,
  maskedLmModelLoss,
  maskedLmAccuracy,
  maskedTokenLogProbs,
  encoderMask,
  paddingMask,
  MASK_ACTION,
} from "../../src/objectives";
import { GPT } from "../../src/models/gpt";
import { mulberry32 } from "../../src/data/random";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

/** |observed - n·p| within z standard deviations of Bin(n, p). */
function withinBinomial(observed: number, n: number, p: number, what: string, z = 5): void {
  const sd = Math.sqrt(n * p * (1 - p));
  assert.ok(Math.abs(observed - n * p) <= z * sd, `${what}: ${observed} of ${n}, expected ${(n * p).toFixed(1)} ± ${(z * sd).toFixed(1)}`);
}

test("15% of ordinary positions are chosen; of those 80% <mask>, 10% random, 10% unchanged (binomial bounds); reserved ids never chosen", () => {
  const V = 30;
  const B = 16;
  const T = 32;
  const data = mulberry32(1);
  const rng = new SeededRandom(2); // one generator: fresh choices every batch
  let eligible = 0;
  let chosen = 0;
  const byAction = [0, 0, 0, 0];
  let randomSameAsOriginal = 0;
  for (let batch = 0; batch < 200; batch++) {
    // ids 0..V-1, so about 5/30 of positions are reserved (pad, unk, bos, eos, mask), plus padded tails
    const ids = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const n = 8 + Math.floor(data() * (T - 8));
      for (let t = 0; t < n; t++) ids[b * T + t] = Math.floor(data() * V);
    }
    const m = maskTokens({ ids, shape: [B, T] }, { vocabSize: V, seed: rng });
    for (let i = 0; i < ids.length; i++) {
      const a = m.actions[i];
      if (ids[i] < 5) {
        assert.equal(a, MASK_ACTION.none, `reserved id ${ids[i]} chosen`);
        assert.equal(m.inputs[i], ids[i]);
        assert.equal(m.weights[i], 0);
        continue;
      }
      eligible++;
      byAction[a]++;
      if (a === MASK_ACTION.none) {
        assert.equal(m.inputs[i], ids[i]);
        assert.equal(m.targets[i], -1);
        assert.equal(m.weights[i], 0);
        continue;
      }
      chosen++;
      assert.equal(m.targets[i], ids[i]);
      assert.equal(m.weights[i], 1);
      if (a === MASK_ACTION.mask) assert.equal(m.inputs[i], 4);
      if (a === MASK_ACTION.keep) assert.equal(m.inputs[i], ids[i]);
      if (a === MASK_ACTION.random) {
        assert.ok(m.inputs[i] >= 5 && m.inputs[i] < V, `random token ${m.inputs[i]} is reserved or out of range`);
        if (m.inputs[i] === ids[i]) randomSameAsOriginal++;
      }
    }
  }
  assert.ok(eligible > 40_000, `${eligible}`);
  withinBinomial(chosen, eligible, 0.15, "chosen");
  withinBinomial(byAction[MASK_ACTION.mask], chosen, 0.8, "<mask>");
  withinBinomial(byAction[MASK_ACTION.random], chosen, 0.1, "random");
  withinBinomial(byAction[MASK_ACTION.keep], chosen, 0.1, "unchanged");
  // random replacements are uniform over the 25 ordinary ids, so 1/25 of them equal the original
  withinBinomial(randomSameAsOriginal, byAction[MASK_ACTION.random], 1 / 25, "random = original");
});

test("maskTokens repeats from its seed and differs between seeds", () => {
  const x = [Array.from({ length: 40 }, (_, i) => 5 + (i % 20))];
  const a = maskTokens(x, { vocabSize: 25, seed: 7 });
  assert.deepEqual(maskTokens(x, { vocabSize: 25, seed: 7 }), a);
  assert.notDeepEqual(maskTokens(x, { vocabSize: 25, seed: 8 }).actions, a.actions);
  assert.throws(() => maskTokens(x, { vocabSize: 5 }), /no ordinary tokens/);
});

test("the loss counts chosen positions only", () => {
  const V = 12;
  const x = [[5, 6, 7, 8, 9, 10, 11, 5, 6, 7]];
  const batch = maskTokens(x, { vocabSize: V, seed: 3, rate: 0.4 });
  const chosen = Array.from(batch.weights)
    .map((w, i) => (w ? i : -1))
    .filter((i) => i >= 0);
  const unchosen = Array.from(batch.weights)
    .map((w, i) => (w ? -1 : i))
    .filter((i) => i >= 0);
  assert.ok(chosen.length > 0 && unchosen.length > 0);
  const r = mulberry32(4);
  const base = Float32Array.from({ length: 10 * V }, () => r());
  const lossOf = (v: Float32Array) => tf.tidy(() => maskedLmLoss(tf.tensor3d(v, [1, 10, V]), batch).dataSync()[0]);
  const l0 = lossOf(base);
  const a = base.slice();
  for (const i of unchosen) for (let k = 0; k < V; k++) a[i * V + k] += 5 * r();
  assert.equal(lossOf(a), l0);
  const b = base.slice();
  b[chosen[0] * V + x[0][chosen[0]]] += 3; // more confident in the right answer
  assert.ok(lossOf(b) < l0);
});

test("paddingMask hides <pad> keys; a GPT with it is a bidirectional encoder that learns to fill masks", () => {
  const pm = paddingMask([[5, 6, 0]]).arraySync();
  assert.deepEqual(pm, [
    [
      [1, 1, 0],
      [1, 1, 0],
      [1, 1, 0],
    ],
  ]);
  // each row repeats one token: any unmasked position, left or right, gives a masked one away
  const V = 12;
  const r = mulberry32(5);
  const rows = () => Array.from({ length: 16 }, () => new Array<number>(8).fill(5 + Math.floor(r() * 7)));
  const model = new GPT({ vocabSize: V, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 32, seed: 6 });
  const opt = tf.train.adam(0.01);
  const rng = new SeededRandom(7);
  const evalBatch = maskTokens(rows(), { vocabSize: V, seed: 99, rate: 0.15, maskProb: 1, randomProb: 0 });
  const evalLoss = () => tf.tidy(() => maskedLmModelLoss(model, evalBatch).dataSync()[0]);
  const before = evalLoss();
  for (let step = 0; step < 30; step++) {
    const batch = maskTokens(rows(), { vocabSize: V, seed: rng, rate: 0.15 });
    tf.dispose(opt.minimize(() => maskedLmModelLoss(model, batch), true, model.variables())!);
  }
  const after = evalLoss();
  assert.ok(before > 1.5 && after < 0.3, `masked LM loss ${before} -> ${after}`);
  model.dispose();
  opt.dispose();
});

test("encoderMask is 'full' without padding; accuracy and masked log-probs agree with the encoder's own logits", () => {
  assert.equal(encoderMask([[5, 6, 7]]), "full");
  const pm = encoderMask([[5, 6, 0]]);
  assert.ok(pm instanceof tf.Tensor);
  pm.dispose();
  const V = 12;
  const T = 8;
  const model = new GPT({ vocabSize: V, blockSize: T, nLayer: 1, nHead: 2, nEmbd: 16, seed: 8 });
  const r = mulberry32(9);
  const rows = Array.from({ length: 5 }, () => Array.from({ length: T }, () => 5 + Math.floor(r() * 7)));
  const batch = maskTokens(rows, { vocabSize: V, seed: 10, rate: 0.5, maskProb: 1, randomProb: 0 });
  const acc = maskedLmAccuracy(model, batch, { chunk: 2 }); // chunks of 2 rows give the same as one pass
  const logits = model.forward(tf.tensor2d(batch.inputs, batch.shape, "int32"), { mask: "full" });
  const argmax = tf.argMax(logits, -1);
  assert.deepEqual(Array.from(acc.predictions), Array.from(argmax.dataSync()));
  let correct = 0;
  let total = 0;
  batch.weights.forEach((w, i) => {
    if (!w) return;
    total++;
    if (acc.predictions[i] === batch.targets[i]) correct++;
  });
  assert.deepEqual([acc.correct, acc.total], [correct, total]);
  tf.dispose([logits, argmax]);

  const row = rows[0];
  const positions = [1, 4, 6];
  const one = maskedTokenLogProbs(model, row, positions);
  const together = maskedTokenLogProbs(model, row, positions, { together: true });
  const manual = (masked: number[], p: number) => {
    const x = row.slice();
    for (const q of masked) x[q] = 4;
    return tf.tidy(() => tf.logSoftmax(model.forward(tf.tensor2d([x], [1, T], "int32"), { mask: "full" })).arraySync()[0][p][row[p]]);
  };
  positions.forEach((p, k) => {
    assert.ok(Math.abs(one[k] - manual([p], p)) < 1e-5, `one at a time, position ${p}`);
    assert.ok(Math.abs(together[k] - manual(positions, p)) < 1e-5, `together, position ${p}`);
    assert.ok(one[k] < 0 && together[k] < 0);
  });
  assert.throws(() => maskedTokenLogProbs(model, row, [T]), /outside/);
  model.dispose();
});
