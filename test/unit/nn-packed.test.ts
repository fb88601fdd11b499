// packedLstm (src/nn/packed-lstm.ts): an LSTM over a padded batch by one fusedLstm call per stretch
// between distinct lengths, against the masked step loop (Recurrent with fused: false), in values
// and every gradient (inputs, initial state, parameters), on cpu and on wasm (where the stretches
// with 4 rows or more run the wasm kernels and the others fusedLstm's generic path).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { packedLstm, lstmParams } from "../../src/nn";
import { Recurrent, type RecurrentState } from "../../src/models/recurrent";
import { maxAbsDiff, randomTensor } from "../support/tensors";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

function comparePackedWithLoop(backend: string, [B, T, D, H]: number[], lens: number[], seed: number) {
  tf.setBackend(backend);
  const packed = new Recurrent({ inputSize: D, hiddenSize: H, seed, fused: true });
  const loop = new Recurrent({ inputSize: D, hiddenSize: H, seed, fused: false });
  const where = `${backend} [${B}, ${T}, ${D}, ${H}] lengths ${lens}`;
  try {
    tf.tidy(() => {
      const xs = randomTensor([B, T, D], seed + 1) as tf.Tensor3D;
      const h0 = randomTensor([B, H], seed + 2, 0.5) as tf.Tensor2D;
      const c0 = randomTensor([B, H], seed + 3, 0.5) as tf.Tensor2D;
      const [R, Rh, Rc] = [randomTensor([B, T, H], seed + 4), randomTensor([B, H], seed + 5), randomTensor([B, H], seed + 6)];
      const run = (m: Recurrent, x: tf.Tensor, h: tf.Tensor, c: tf.Tensor) => m.run(x as tf.Tensor3D, { h, c } as RecurrentState, lens);
      const loss = (m: Recurrent) => (x: tf.Tensor, h: tf.Tensor, c: tf.Tensor) => {
        const { hs, state } = run(m, x, h, c);
        return tf.addN([tf.sum(tf.mul(hs, R)), tf.sum(tf.mul(state.h, Rh)), tf.sum(tf.mul(state.c!, Rc))]) as tf.Scalar;
      };
      // values: every step's h (a row's last h repeated after its length) and the final states
      const a = run(packed, xs, h0, c0);
      const b = run(loop, xs, h0, c0);
      const dv = Math.max(maxAbsDiff(a.hs, b.hs), maxAbsDiff(a.state.h, b.state.h), maxAbsDiff(a.state.c!, b.state.c!));
      assert.ok(dv < 1e-5, `${where}: values differ by ${dv}`);
      // gradients: inputs and initial state
      const ga = tf.grads(loss(packed))([xs, h0, c0]);
      const gb = tf.grads(loss(loop))([xs, h0, c0]);
      ["xs", "h0", "c0"].forEach((name, i) => {
        const d = maxAbsDiff(ga[i], gb[i]);
        assert.ok(tf.max(tf.abs(gb[i])).dataSync()[0] > 1e-3, `${where}: sanity, d loss / d ${name} is not ~0`);
        assert.ok(d < 1e-5, `${where}: d loss / d ${name} differs by ${d}`);
      });
      // gradients: the cell's parameters, by name
      const pa = tf.variableGrads(() => loss(packed)(xs, h0, c0), Object.values(packed.namedVariables())).grads;
      const pb = tf.variableGrads(() => loss(loop)(xs, h0, c0), Object.values(loop.namedVariables())).grads;
      const names = (m: Recurrent) => Object.entries(m.namedVariables()).map(([k, v]) => [k, v.name] as const);
      const la = names(packed);
      names(loop).forEach(([k, vb], i) => {
        const d = maxAbsDiff(pa[la[i][1]], pb[vb]);
        assert.ok(d < 1e-4, `${where}: d loss / d ${k} differs by ${d}`);
      });
    });
  } finally {
    packed.dispose();
    loop.dispose();
  }
}

test("packedLstm equals the masked step loop in values and every gradient (cpu)", () => {
  comparePackedWithLoop("cpu", [6, 7, 5, 8], [7, 3, 3, 1, 7, 5], 1); // repeated lengths, T itself, 1
  comparePackedWithLoop("cpu", [5, 6, 3, 4], [1, 2, 3, 4, 5], 2); // no row reaches T: the last stretch is all ended rows
  comparePackedWithLoop("cpu", [3, 4, 2, 4], [4, 4, 4], 3); // one stretch: fusedLstm over the whole batch
});

test("packedLstm equals the masked step loop in values and every gradient (wasm: kernels for 4 rows or more)", () => {
  comparePackedWithLoop("wasm", [9, 8, 16, 16], [8, 8, 8, 8, 6, 6, 5, 2, 1], 4);
  comparePackedWithLoop("wasm", [7, 10, 28, 8], [3, 10, 9, 9, 4, 10, 7], 5); // padded inputs (28 columns)
  tf.setBackend("cpu");
});

test("packedLstm names bad lengths", () => {
  tf.setBackend("cpu");
  const p = lstmParams(2, 3, 1);
  tf.tidy(() => {
    const xs = tf.zeros([2, 4, 2]) as tf.Tensor3D;
    const s = { h: tf.zeros([2, 3]) as tf.Tensor2D, c: tf.zeros([2, 3]) as tf.Tensor2D };
    assert.throws(() => packedLstm(p, xs, s, [1]), /1 lengths for a batch of 2/);
    assert.throws(() => packedLstm(p, xs, s, [1, 5]), /lengths must be whole numbers from 0 to 4 \(steps\), got 5/);
  });
  Object.values(p).forEach((v) => v.dispose());
});

test("packedLstm through a training loop leaks no tensors", () => {
  tf.setBackend("wasm");
  const m = new Recurrent({ inputSize: 8, hiddenSize: 8, seed: 6 });
  const opt = tf.train.adam(0.01);
  const xs = randomTensor([6, 5, 8], 7) as tf.Tensor3D;
  const lens = [5, 2, 4, 4, 1, 3];
  const step = () => {
    const loss = opt.minimize(() => tf.sum(tf.square(m.run(xs, undefined, lens).hs)) as tf.Scalar, true)!;
    const v = loss.dataSync()[0];
    loss.dispose();
    return v;
  };
  const first = step();
  const tensors = tf.memory().numTensors;
  let last = first;
  for (let i = 0; i < 10; i++) last = step();
  assert.equal(tf.memory().numTensors, tensors, "no tensors left behind by 10 steps");
  assert.ok(last < first, `loss fell from ${first} to ${last}`);
  m.dispose();
  opt.dispose();
  xs.dispose();
  tf.setBackend("cpu");
});
