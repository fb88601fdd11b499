// fusedLstm against the readable LSTM (values and every gradient), on cpu and on wasm; and tensor
// counts across training steps, including steps that throw.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { lstmParams, lstmStep, fusedLstm, unroll, Embedding, Dense, lstmCell, type LstmParams, type LstmState } from "../../src/nn";
import { fusedLstmPath } from "../../src/nn/fused-lstm";
import { lstmKernelsUsable } from "../../src/backend/lstm-kernels";
import { maxAbsDiff, randomTensor } from "../support/tensors";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
  await useBackend({ backend: "cpu", quiet: true });
});

/** loss(xs, Wx, Wh, b, h0, c0) = Σ hs∘R + Σ h_T∘Rh + Σ c_T∘Rc, through `impl`. */
function lossWith(impl: "fused" | "readable", R: tf.Tensor, Rh: tf.Tensor, Rc: tf.Tensor) {
  return (xs: tf.Tensor, Wx: tf.Tensor, Wh: tf.Tensor, b: tf.Tensor, h0: tf.Tensor, c0: tf.Tensor): tf.Scalar => {
    const p = { Wx, Wh, b } as unknown as LstmParams;
    let hs: tf.Tensor;
    let last: LstmState;
    if (impl === "fused") {
      const out = fusedLstm(p, xs as tf.Tensor3D, { h: h0 as tf.Tensor2D, c: c0 as tf.Tensor2D });
      hs = out.hs;
      last = out;
    } else {
      const steps = unroll((x, s: LstmState) => lstmStep(p, x, s), xs as tf.Tensor3D, { h: h0 as tf.Tensor2D, c: c0 as tf.Tensor2D });
      hs = tf.stack(
        steps.map((s) => s.h),
        1,
      );
      last = steps[steps.length - 1];
    }
    return tf.addN([tf.sum(tf.mul(hs, R)), tf.sum(tf.mul(last.h, Rh)), tf.sum(tf.mul(last.c, Rc))]) as tf.Scalar;
  };
}

function compareFusedWithReadable(backend: string, [B, T, D, H]: number[], seed: number) {
  tf.setBackend(backend);
  tf.tidy(() => {
    const p = lstmParams(D, H, seed);
    const inputs = [
      randomTensor([B, T, D], seed + 1),
      p.Wx,
      p.Wh,
      randomTensor([4 * H], seed + 2, 0.5),
      randomTensor([B, H], seed + 3, 0.5),
      randomTensor([B, H], seed + 4, 0.5),
    ];
    const R = randomTensor([B, T, H], seed + 5);
    const Rh = randomTensor([B, H], seed + 6);
    const Rc = randomTensor([B, H], seed + 7);
    // values
    const fused = fusedLstm({ Wx: p.Wx, Wh: p.Wh, b: inputs[3] } as unknown as LstmParams, inputs[0] as tf.Tensor3D, {
      h: inputs[4] as tf.Tensor2D,
      c: inputs[5] as tf.Tensor2D,
    });
    const steps = unroll(
      (x, s: LstmState) => lstmStep({ Wx: p.Wx, Wh: p.Wh, b: inputs[3] } as unknown as LstmParams, x, s),
      inputs[0] as tf.Tensor3D,
      {
        h: inputs[4] as tf.Tensor2D,
        c: inputs[5] as tf.Tensor2D,
      },
    );
    assert.deepEqual(fused.hs.shape, [B, T, H]);
    const dv = Math.max(
      maxAbsDiff(
        fused.hs,
        tf.stack(
          steps.map((s) => s.h),
          1,
        ),
      ),
      maxAbsDiff(fused.h, steps[T - 1].h),
      maxAbsDiff(fused.c, steps[T - 1].c),
    );
    assert.ok(dv < 1e-5, `${backend} values: max difference ${dv}`);
    // gradients with respect to all six inputs
    const gf = tf.grads(lossWith("fused", R, Rh, Rc))(inputs);
    const gr = tf.grads(lossWith("readable", R, Rh, Rc))(inputs);
    ["xs", "Wx", "Wh", "b", "h0", "c0"].forEach((name, i) => {
      const d = maxAbsDiff(gf[i], gr[i]);
      const scale = tf.max(tf.abs(gr[i])).dataSync()[0];
      assert.ok(scale > 1e-3, `sanity: d loss / d ${name} is not ~0`);
      assert.ok(d < 1e-5, `${backend} d loss / d ${name}: max difference ${d} (largest entry ${scale})`);
    });
    Object.values(p).forEach((v) => v.dispose());
  });
}

test("fusedLstm equals the readable LSTM in values and all gradients (cpu)", () => {
  compareFusedWithReadable("cpu", [3, 5, 4, 6], 1);
  compareFusedWithReadable("cpu", [1, 1, 2, 3], 2);
});

test("fusedLstm equals the readable LSTM in values and all gradients (wasm)", () => {
  tf.setBackend("wasm");
  assert.equal(fusedLstmPath(3, 4, 6), "generic", "[3, 5, 4, 6] takes the generic path (batch 3, hidden 6)");
  compareFusedWithReadable("wasm", [3, 5, 4, 6], 3);
  // The wasm LSTM kernels (src/backend/lstm-kernels.ts): one step; a batch beyond the product's 4-row blocks;
  // several steps with larger sizes; inputs that are not whole 8-column blocks (padded: one-hot
  // inputs of 28 characters as in notebook 4, and 5).
  for (const size of [
    [4, 1, 8, 8],
    [5, 7, 8, 16],
    [8, 12, 16, 24],
    [5, 7, 5, 16],
    [6, 4, 28, 32],
  ]) {
    tf.setBackend("wasm");
    assert.equal(fusedLstmPath(size[0], size[2], size[3]), "kernels", `[${size}] runs the wasm kernels`);
    assert.equal(
      lstmKernelsUsable(size[0], size[2], size[3]),
      size[2] % 8 === 0,
      `[${size}]: the kernels themselves take whole 8-column inputs`,
    );
    compareFusedWithReadable("wasm", size, 5);
  }
  tf.setBackend("cpu");
});

test("fusedLstm through the wasm kernels: training leaks neither tensors nor heap memory (inputs whole 8-column blocks, and padded)", () => {
  for (const D of [8, 6]) leakCheck(D);
});

function leakCheck(D: number) {
  tf.setBackend("wasm");
  try {
    const [B, T, H] = [4, 6, 8];
    assert.equal(fusedLstmPath(B, D, H), "kernels");
    const p = lstmParams(D, H, 12);
    const opt: tf.Optimizer = tf.train.adam(0.01);
    const xs = randomTensor([B, T, D], 13) as tf.Tensor3D;
    const target = randomTensor([B, T, H], 14, 0.5);
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.losses.meanSquaredError(target, fusedLstm(p, xs).hs) as tf.Scalar,
          [p.Wx, p.Wh, p.b],
        );
        opt.applyGradients(grads);
        return value.dataSync()[0];
      });
    // every malloc on the wasm heap (tensors and the kernels' scratch buffers) matched by a free
    const wasm = (tf.backend() as unknown as { wasm: { _malloc(n: number): number; _free(p: number): void } }).wasm;
    const [malloc, free] = [wasm._malloc, wasm._free];
    let outstanding = 0;
    const first = step();
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    let last = first;
    wasm._malloc = (n: number) => (outstanding++, malloc(n));
    wasm._free = (ptr: number) => (outstanding--, free(ptr));
    try {
      for (let i = 0; i < 30; i++) last = step();
    } finally {
      [wasm._malloc, wasm._free] = [malloc, free];
    }
    assert.equal(tf.memory().numTensors, tensors, `D ${D}: tensors`);
    assert.equal(tf.memory().numBytes, bytes, `D ${D}: bytes`);
    assert.equal(outstanding, 0, "as many frees as mallocs over 30 steps (the kernels' scratch buffers are freed)");
    assert.ok(last < first, `loss fell from ${first} to ${last}`);
    // inference only (no tape): nothing is kept for a gradient
    tf.tidy(() => fusedLstm(p, xs).hs.dataSync());
    assert.equal(tf.memory().numTensors, tensors);
    Object.values(p).forEach((v) => v.dispose());
    opt.dispose();
    xs.dispose();
    target.dispose();
  } finally {
    tf.setBackend("cpu");
  }
}

test("fusedLstm takes a cell, defaults to a zero state, continues from its final state", () => {
  tf.tidy(() => {
    const cell = lstmCell({ inputSize: 2, hiddenSize: 3, seed: 9 });
    const xs = randomTensor([2, 6, 2], 10) as tf.Tensor3D;
    const whole = fusedLstm(cell, xs);
    const [a, b] = tf.split(xs, [4, 2], 1) as tf.Tensor3D[];
    const first = fusedLstm(cell, a);
    const second = fusedLstm(cell, b, first);
    assert.ok(maxAbsDiff(tf.concat([first.hs, second.hs], 1), whole.hs) < 1e-6);
    assert.ok(maxAbsDiff(second.c, whole.c) < 1e-6);
    assert.throws(() => fusedLstm(cell, randomTensor([2, 3, 5], 11) as tf.Tensor3D), /do not fit input size 5/);
    cell.dispose();
  });
});

/** A tiny char model (embedding -> LSTM -> dense) and one Adam step on a repeating sequence. */
function tinyModel(impl: "fused" | "readable") {
  const [V, E, H, B, T] = [7, 4, 5, 2, 3];
  const emb = new Embedding(V, E, { seed: 1 });
  const cell = lstmCell({ inputSize: E, hiddenSize: H, seed: 2 });
  const out = new Dense(H, V, { seed: 3 });
  const vars = [...emb.variables(), ...cell.variables(), ...out.variables()];
  const opt: tf.Optimizer = tf.train.adam(0.05); // typed as Optimizer: AdamOptimizer.applyGradients is typed for variables only
  const ids = tf.tensor2d([0, 1, 2, 3, 4, 5], [B, T], "int32");
  const targets = tf.oneHot(tf.tensor2d([1, 2, 3, 4, 5, 6], [B, T], "int32"), V);
  const loss = () => {
    const x = emb.apply(ids) as tf.Tensor3D;
    const hs =
      impl === "fused"
        ? fusedLstm(cell, x).hs
        : tf.stack(
            unroll(cell, x).map((s) => s.h),
            1,
          );
    return tf.losses.softmaxCrossEntropy(targets, out.apply(hs)) as tf.Scalar;
  };
  const step = (opts: { throwAfterGrads?: boolean } = {}) =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, vars);
      if (opts.throwAfterGrads) throw new Error("boom");
      opt.applyGradients(grads);
      return value.dataSync()[0];
    });
  const dispose = () => {
    [emb, cell, out].forEach((m) => m.dispose());
    opt.dispose();
    ids.dispose();
    targets.dispose();
  };
  return { step, dispose };
}

for (const impl of ["fused", "readable"] as const) {
  test(`${impl} LSTM training: tensor count flat over 100 steps, also after steps that throw; the loss falls`, () => {
    const m = tinyModel(impl);
    const first = m.step(); // Adam makes its slot variables here
    const count = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 100; i++) {
      if (i === 50) {
        assert.throws(() => m.step({ throwAfterGrads: true }), /boom/);
        assert.equal(tf.memory().numTensors, count, "a step that throws inside tf.tidy leaks nothing");
      }
      last = m.step();
      if (i % 25 === 0) assert.equal(tf.memory().numTensors, count, `after step ${i + 2}`);
    }
    assert.equal(tf.memory().numTensors, count);
    assert.ok(last < first * 0.2, `loss fell from ${first} to ${last}`);
    m.dispose();
  });
}

test("fusedLstm on the wasm kernels takes int32 one-hot inputs (tf.oneHot's dtype) as their float values; the kernel itself refuses int32", () => {
  tf.setBackend("wasm");
  try {
    const [B, T, V, H] = [6, 5, 28, 16];
    assert.equal(fusedLstmPath(B, V, H), "kernels");
    const p = lstmParams(V, H, 21);
    tf.tidy(() => {
      const ids = tf.tensor2d(
        Array.from({ length: B * T }, (_, i) => (i * 7) % V),
        [B, T],
        "int32",
      );
      const hot = tf.oneHot(ids, V) as tf.Tensor3D;
      assert.equal(hot.dtype, "int32");
      const d = maxAbsDiff(fusedLstm(p, hot).hs, fusedLstm(p, tf.cast(hot, "float32") as tf.Tensor3D).hs);
      assert.equal(d, 0, "int32 one-hot and its float32 copy give the same hs");
      const zeros = tf.zeros([B, H]);
      assert.throws(
        () =>
          tf.engine().runKernel("SeqlabLstm", { x: tf.transpose(hot, [1, 0, 2]), Wx: p.Wx, Wh: p.Wh, b: p.b, h0: zeros, c0: zeros }, {}),
        /SeqlabLstm: input x is int32; the kernel takes float32/,
      );
    });
    Object.values(p).forEach((v) => v.dispose());
  } finally {
    tf.setBackend("cpu");
  }
});
