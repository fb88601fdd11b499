// The readable cells against tf.layers (values) and central finite differences (gradients).
// cpu backend, tiny sizes.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import {
  rnnCell,
  lstmCell,
  gruCell,
  rnnStep,
  lstmStep,
  gruStep,
  unroll,
  timeSteps,
  stackSteps,
  lstmToKerasOrder,
  lstmParamsFromKeras,
  type Cell,
  type LstmState,
} from "../../src/nn";
import { maxAbsDiff, randomTensor } from "../support/tensors";

before(async () => {
  await useBackend({ backend: "cpu", quiet: true });
});

const [B, T, D, H] = [2, 4, 3, 5];

/** Our cell's hs [B, T, H] and final state, from state0. */
function ours(cell: Cell<any, any, any>, xs: tf.Tensor3D, state0: Record<string, tf.Tensor2D>) {
  const steps = unroll(cell, xs, state0);
  return {
    hs: tf.stack(
      steps.map((s) => s.h),
      1,
    ),
    last: steps[steps.length - 1],
  };
}

test("rnnCell equals tf.layers.simpleRNN (tanh) within 1e-5", () => {
  tf.tidy(() => {
    const cell = rnnCell({ inputSize: D, hiddenSize: H, seed: 1 });
    tf.tidy(() => cell.params.b.assign(randomTensor([H], 9, 0.5) as tf.Tensor1D)); // a non-zero bias is tested too
    const xs = randomTensor([B, T, D], 2) as tf.Tensor3D;
    const h0 = randomTensor([B, H], 3, 0.5) as tf.Tensor2D;
    const layer = tf.layers.simpleRNN({ units: H, returnSequences: true, kernelInitializer: "zeros", recurrentInitializer: "zeros" });
    const theirs = layer.apply(xs, { initialState: [h0] }) as tf.Tensor; // builds the layer
    assert.ok(maxAbsDiff(theirs, ours(cell, xs, { h: h0 }).hs) > 0.1, "sanity: the zero-initialised layer differs");
    layer.setWeights([cell.params.Wx, cell.params.Wh, cell.params.b]);
    const d = maxAbsDiff(layer.apply(xs, { initialState: [h0] }) as tf.Tensor, ours(cell, xs, { h: h0 }).hs);
    assert.ok(d < 1e-5, `max difference ${d}`);
    cell.dispose();
  });
});

test("lstmCell equals tf.layers.lstm (sigmoid, weights remapped from [i, f, c̃, o]) within 1e-5, h and c", () => {
  tf.tidy(() => {
    const cell = lstmCell({ inputSize: D, hiddenSize: H, seed: 2 });
    tf.tidy(() => cell.params.b.assign(randomTensor([4 * H], 8, 0.5) as tf.Tensor1D));
    const xs = randomTensor([B, T, D], 4) as tf.Tensor3D;
    const h0 = randomTensor([B, H], 5, 0.5) as tf.Tensor2D;
    const c0 = randomTensor([B, H], 6, 0.5) as tf.Tensor2D;
    const layer = tf.layers.lstm({
      units: H,
      recurrentActivation: "sigmoid",
      returnSequences: true,
      returnState: true,
      kernelInitializer: "zeros",
      recurrentInitializer: "zeros",
    });
    layer.apply(xs, { initialState: [h0, c0] });
    layer.setWeights([lstmToKerasOrder(cell.params.Wx), lstmToKerasOrder(cell.params.Wh), lstmToKerasOrder(cell.params.b)]);
    const [seq, hT, cT] = layer.apply(xs, { initialState: [h0, c0] }) as tf.Tensor[];
    const mine = ours(cell, xs, { h: h0, c: c0 });
    for (const [name, d] of [
      ["hs", maxAbsDiff(seq, mine.hs)],
      ["h_T", maxAbsDiff(hT, mine.last.h)],
      ["c_T", maxAbsDiff(cT, mine.last.c)],
    ] as const) {
      assert.ok(d < 1e-5, `${name}: max difference ${d}`);
    }
    // and back: parameters read from the Keras layout reproduce ours
    const [k, rk, bias] = layer.getWeights();
    const back = lstmParamsFromKeras(k, rk, bias);
    assert.equal(maxAbsDiff(back.Wx, cell.params.Wx), 0);
    assert.equal(maxAbsDiff(back.b, cell.params.b), 0);
    // the named gates are in range and consistent: c = f∘c0 + i∘g, h = o∘tanh(c)
    const s0 = cell.step(tf.unstack(xs, 1)[0] as tf.Tensor2D, { h: h0, c: c0 });
    assert.ok(maxAbsDiff(s0.c, tf.add(tf.mul(s0.f, c0), tf.mul(s0.i, s0.g))) < 1e-6);
    assert.ok(maxAbsDiff(s0.h, tf.mul(s0.o, tf.tanh(s0.c))) < 1e-6);
    for (const g of [s0.f, s0.i, s0.o]) assert.ok(tf.min(g).dataSync()[0] > 0 && tf.max(g).dataSync()[0] < 1);
    Object.values(back).forEach((v) => v.dispose());
    cell.dispose();
  });
});

test("gruCell equals tf.layers.gru (sigmoid; reset applied before W_hg, as tfjs does) within 1e-5", () => {
  tf.tidy(() => {
    const cell = gruCell({ inputSize: D, hiddenSize: H, seed: 3 });
    tf.tidy(() => cell.params.b.assign(randomTensor([3 * H], 7, 0.5) as tf.Tensor1D));
    const xs = randomTensor([B, T, D], 7) as tf.Tensor3D;
    const h0 = randomTensor([B, H], 8, 0.5) as tf.Tensor2D;
    const layer = tf.layers.gru({
      units: H,
      recurrentActivation: "sigmoid",
      returnSequences: true,
      kernelInitializer: "zeros",
      recurrentInitializer: "zeros",
    });
    layer.apply(xs, { initialState: [h0] });
    layer.setWeights([cell.params.Wx, cell.params.Wh, cell.params.b]);
    const d = maxAbsDiff(layer.apply(xs, { initialState: [h0] }) as tf.Tensor, ours(cell, xs, { h: h0 }).hs);
    assert.ok(d < 1e-5, `max difference ${d}`);
    cell.dispose();
  });
});

/**
 * Every gradient entry of loss = Σ_t Σ h_t ∘ R_t (over 2 steps, with respect to the parameters,
 * the inputs and the initial state) against central differences in float32: with eps = 1e-2 the
 * truncation error is ~eps²·|f‴|/6 and rounding ~1e-7/eps, both about 1e-5 here, while the
 * gradients are O(0.1-1): a missing or wrong term shows up far above the 3e-4 tolerance (the worst seen is 6e-5).
 */
function checkGradients(
  kind: string,
  step: (p: any, x: tf.Tensor2D, s: any) => { h: tf.Tensor2D },
  params: Record<string, tf.Tensor>,
  stateKeys: string[],
) {
  const pNames = Object.keys(params);
  const names = [...pNames, "xs", ...stateKeys.map((k) => `${k}0`)];
  const inputs = [
    ...pNames.map((k) => params[k]),
    randomTensor([B, 2, D], 11),
    ...stateKeys.map((_, i) => randomTensor([B, H], 13 + i, 0.5)),
  ];
  const R = randomTensor([B, 2, H], 12);
  const loss = (...ts: tf.Tensor[]) => {
    const p = Object.fromEntries(pNames.map((k, i) => [k, ts[i]]));
    const s0 = Object.fromEntries(stateKeys.map((k, i) => [k, ts[pNames.length + 1 + i]]));
    const steps = unroll((x, s) => step(p, x, s), ts[pNames.length] as tf.Tensor3D, s0 as Record<string, tf.Tensor2D>);
    return tf.sum(
      tf.mul(
        tf.stack(
          steps.map((s) => s.h),
          1,
        ),
        R,
      ),
    ) as tf.Scalar;
  };
  const analytic = tf.grads(loss)(inputs);
  const eps = 1e-2;
  let largest = 0;
  let worst = 0;
  inputs.forEach((x, which) => {
    const base = x.dataSync();
    const g = analytic[which].dataSync();
    for (let k = 0; k < base.length; k++) {
      const at = (delta: number) => {
        const v = Float32Array.from(base);
        v[k] += delta;
        return tf.tidy(() => loss(...inputs.map((t, j) => (j === which ? tf.tensor(v, x.shape) : t))).dataSync()[0]);
      };
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      largest = Math.max(largest, Math.abs(g[k]));
      worst = Math.max(worst, Math.abs(fd - g[k]));
      assert.ok(Math.abs(fd - g[k]) < 3e-4, `${kind} d loss / d ${names[which]}[${k}]: finite difference ${fd} vs gradient ${g[k]}`);
    }
  });
  assert.ok(largest > 0.1, `sanity: gradients are not all tiny (largest ${largest})`);
  return worst;
}

for (const [name, make, step, keys] of [
  ["rnnCell", () => rnnCell({ inputSize: D, hiddenSize: H, seed: 4 }), rnnStep, ["h"]],
  ["lstmCell", () => lstmCell({ inputSize: D, hiddenSize: H, seed: 5 }), lstmStep, ["h", "c"]],
  ["gruCell", () => gruCell({ inputSize: D, hiddenSize: H, seed: 6 }), gruStep, ["h"]],
] as const) {
  test(`${name}: every gradient (parameters, inputs, initial state) matches central differences`, () => {
    const cell = (make as () => Cell<any, any, any>)();
    tf.tidy(() => {
      const params: Record<string, tf.Tensor> = { ...cell.params };
      params.b = randomTensor(cell.params.b.shape, 20, 0.3); // a non-zero bias
      const worst = checkGradients(name, step as any, params, keys as unknown as string[]);
      if (process.env.SEQLAB_VERBOSE) console.log(`${name}: worst |fd - grad| = ${worst}`);
    });
    cell.dispose();
  });
}

test("unroll returns one output per step, chains the state, and accepts a step function or an array", () => {
  tf.tidy(() => {
    const cell = lstmCell({ inputSize: D, hiddenSize: H, seed: 7 });
    const xs = randomTensor([B, T, D], 30) as tf.Tensor3D;
    const steps = unroll(cell, xs);
    assert.equal(steps.length, T);
    assert.deepEqual(Object.keys(steps[0]).sort(), ["c", "f", "g", "h", "i", "o"]);
    const again = cell.step(tf.unstack(xs, 1)[1] as tf.Tensor2D, steps[0]);
    assert.equal(maxAbsDiff(again.h, steps[1].h), 0);
    const viaFn = unroll((x, s) => cell.step(x, s), tf.unstack(xs, 1) as tf.Tensor2D[], cell.zeroState(B));
    assert.equal(maxAbsDiff(viaFn[T - 1].c, steps[T - 1].c), 0);
    assert.throws(() => unroll((x, s: LstmState) => cell.step(x, s), xs), /pass state0/);
    cell.dispose();
  });
});

test("initialisation is deterministic per seed and differs between seeds", () => {
  const a = lstmCell({ inputSize: D, hiddenSize: H, seed: 42 });
  const b = lstmCell({ inputSize: D, hiddenSize: H, seed: 42 });
  const c = lstmCell({ inputSize: D, hiddenSize: H, seed: 43 });
  assert.deepEqual(Array.from(a.params.Wh.dataSync()), Array.from(b.params.Wh.dataSync()));
  assert.notDeepEqual(Array.from(a.params.Wh.dataSync()), Array.from(c.params.Wh.dataSync()));
  assert.notDeepEqual(Array.from(a.params.Wx.dataSync()).slice(0, 5), Array.from(a.params.Wh.dataSync()).slice(0, 5));
  // forget-gate bias starts at 1, the rest at 0
  assert.deepEqual(Array.from(a.params.b.dataSync()), [...Array(H).fill(1), ...Array(3 * H).fill(0)]);
  [a, b, c].forEach((x) => x.dispose());
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
