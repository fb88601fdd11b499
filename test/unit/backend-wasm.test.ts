// The wasm kernels seqlab patches in, against the cpu backend as the reference. Sizes are tiny.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend, patchWasm, unpatchWasm, wasmPatched } from "../../src/backend";
import { embeddingLookup } from "../../src/nn";
import { mulberry32 } from "../../src/data/random";

before(async () => {
  await useBackend({ backend: "cpu", quiet: true }); // initialises cpu (the reference)
  await useBackend({ backend: "wasm", quiet: true });
});

function randomValues(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => 2 * r() - 1);
}

/** Run f on `backend` with fresh tensors of the given shapes/values and return its output values. */
function on(backend: "cpu" | "wasm", f: () => tf.Tensor): { values: Float32Array; shape: number[] } {
  tf.setBackend(backend);
  let out = { values: new Float32Array(0), shape: [] as number[] };
  tf.tidy(() => {
    const y = f();
    out = { values: Float32Array.from(y.dataSync()), shape: y.shape };
  });
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function assertClose(
  backendOut: { values: Float32Array; shape: number[] },
  ref: { values: Float32Array; shape: number[] },
  tol: number,
  what: string,
) {
  assert.deepEqual(backendOut.shape, ref.shape, `${what}: shape`);
  const d = maxDiff(backendOut.values, ref.values);
  assert.ok(d <= tol, `${what}: max |wasm - cpu| = ${d} > ${tol}`);
}

test("patched BatchMatMul equals the cpu backend for every transpose and batch combination", () => {
  assert.equal(wasmPatched(), true);
  const sizes = [
    [5, 7, 6], // N % 8 ≠ 0: the SIMD kernel on zero-padded columns
    [33, 40, 35], // crosses the 32-wide transpose blocks; padded columns, a row beyond the 4-row blocks
    [1, 9, 1],
    [8, 7, 16], // M % 4 = 0 and N % 8 = 0: the SIMD kernel (src/backend/simd-gemm.ts)
    [36, 33, 40],
  ];
  const batches: [number[], number[]][] = [
    [[], []],
    [[3], [3]],
    [[3], []],
    [[], [3]],
    [[1], [4]],
    [[4], [1]],
    [
      [2, 3],
      [2, 3],
    ],
  ];
  let cases = 0;
  for (const [M, K, N] of sizes) {
    for (const [ba, bb] of batches) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const aShape = [...ba, ...(tA ? [K, M] : [M, K])];
          const bShape = [...bb, ...(tB ? [N, K] : [K, N])];
          const av = randomValues(
            aShape.reduce((p, d) => p * d, 1),
            cases * 2 + 1,
          );
          const bv = randomValues(
            bShape.reduce((p, d) => p * d, 1),
            cases * 2 + 2,
          );
          const f = () => tf.matMul(tf.tensor(av, aShape), tf.tensor(bv, bShape), tA, tB);
          assertClose(on("wasm", f), on("cpu", f), 1e-4, `matMul ${aShape}${tA ? "ᵀ" : ""} · ${bShape}${tB ? "ᵀ" : ""}`);
          cases++;
        }
      }
    }
  }
  tf.setBackend("wasm");
  assert.equal(cases, 140);
});

test("patched _FusedMatMul (bias or none, relu or none, transposes) equals the cpu backend", () => {
  let seed = 100;
  let cases = 0;
  // [6, 5, 7] goes to XNNPACK; [13, 9, 16] to the SIMD kernel (blocks plus a row finished in JS).
  for (const [M, K, N] of [
    [6, 5, 7],
    [13, 9, 16],
  ]) {
    for (const activation of ["relu", "linear"] as const) {
      for (const withBias of [true, false]) {
        for (const tA of [false, true]) {
          for (const tB of [false, true]) {
            const av = randomValues(M * K, seed++);
            const bv = randomValues(K * N, seed++);
            const biasv = randomValues(N, seed++);
            const f = () =>
              tf.fused.matMul({
                a: tf.tensor2d(av, tA ? [K, M] : [M, K]),
                b: tf.tensor2d(bv, tB ? [N, K] : [K, N]),
                transposeA: tA,
                transposeB: tB,
                bias: withBias ? tf.tensor1d(biasv) : undefined,
                activation,
              });
            assertClose(on("wasm", f), on("cpu", f), 1e-4, `fused matMul ${M}x${K}x${N} ${activation} bias=${withBias} tA=${tA} tB=${tB}`);
            cases++;
          }
        }
      }
    }
  }
  tf.setBackend("wasm");
  assert.equal(cases, 32);
});

test("patched Slice, SplitV and Unpack equal the cpu backend (float32 and int32, ranks 1-5)", () => {
  const shapes = [[11], [4, 6], [3, 4, 5], [2, 3, 4, 5], [2, 2, 3, 2, 3]];
  let seed = 200;
  for (const shape of shapes) {
    const n = shape.reduce((p, d) => p * d, 1);
    const v = randomValues(n, seed++);
    const iv = Int32Array.from(v, (x) => Math.round(x * 1000));
    const begin = shape.map((d) => Math.min(1, d - 1));
    const size = shape.map((d, i) => d - begin[i] - (d > 2 && i % 2 === 0 ? 1 : 0));
    for (const dtype of ["float32", "int32"] as const) {
      const x = () => (dtype === "float32" ? tf.tensor(v, shape) : tf.tensor(iv, shape, "int32"));
      assertClose(
        on("wasm", () => tf.slice(x(), begin, size)),
        on("cpu", () => tf.slice(x(), begin, size)),
        0,
        `slice ${shape} ${dtype}`,
      );
      const axis = shape.length - 1;
      const sizes = shape[axis] > 2 ? [1, shape[axis] - 3, 2] : [shape[axis]];
      const split = () =>
        tf.concat(
          tf.split(x(), sizes, axis).map((p, i) => tf.mul(p, i + 1)),
          axis,
        );
      assertClose(on("wasm", split), on("cpu", split), 0, `split ${shape} ${dtype}`);
      const unstack = () =>
        tf.stack(
          tf.unstack(x(), 0).map((p, i) => tf.mul(p, i + 1)),
          0,
        );
      assertClose(on("wasm", unstack), on("cpu", unstack), 0, `unstack ${shape} ${dtype}`);
    }
  }
  tf.setBackend("wasm");
});

test("UnsortedSegmentSum on wasm equals cpu, so tf.gather's gradient works", () => {
  const table = randomValues(6 * 4, 300);
  const ids = Int32Array.from([5, 0, 2, 2, 5, 5, 1]);
  const seg = () => tf.unsortedSegmentSum(tf.tensor2d(randomValues(7 * 4, 301), [7, 4]), tf.tensor1d(ids, "int32"), 6);
  assertClose(on("wasm", seg), on("cpu", seg), 1e-6, "unsortedSegmentSum");
  const r = randomValues(7 * 4, 302);
  const gatherGrad = () =>
    tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d(ids, "int32")), tf.tensor2d(r, [7, 4]))))(tf.tensor2d(table, [6, 4]));
  const g = on("wasm", gatherGrad);
  assertClose(g, on("cpu", gatherGrad), 1e-6, "gather gradient");
  // row 5 is looked up three times: its gradient is the sum of three rows of r
  for (let j = 0; j < 4; j++) assert.ok(Math.abs(g.values[5 * 4 + j] - (r[0 * 4 + j] + r[4 * 4 + j] + r[5 * 4 + j])) < 1e-6);
  tf.setBackend("wasm");
});

test("embeddingLookup's gradient on wasm equals finite differences and the cpu gather gradient, patched or not", () => {
  const V = 5;
  const D = 3;
  const table = randomValues(V * D, 400);
  const ids = Int32Array.from([4, 1, 1, 0, 4, 4]);
  const R = randomValues(ids.length * D, 401);
  const loss = (t: tf.Tensor) =>
    tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, tf.tensor2d(ids, [2, 3], "int32")), tf.tensor3d(R, [2, 3, D])));
  const cpuGatherGrad = on("cpu", () =>
    tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.reshape(tf.gather(t, tf.tensor1d(ids, "int32")), [2, 3, D]), tf.tensor3d(R, [2, 3, D]))))(
      tf.tensor2d(table, [V, D]),
    ),
  );
  for (const patched of [true, false]) {
    if (!patched) unpatchWasm();
    try {
      const g = on("wasm", () => tf.grad(loss)(tf.tensor2d(table, [V, D])));
      assertClose(g, cpuGatherGrad, 1e-6, `embedding gradient (patched=${patched})`);
      // central differences (the loss is linear in the table, so they are exact up to rounding)
      tf.setBackend("wasm");
      const eps = 1e-2;
      for (let k = 0; k < V * D; k++) {
        const at = (delta: number) => {
          const t = Float32Array.from(table);
          t[k] += delta;
          return tf.tidy(() => loss(tf.tensor2d(t, [V, D])).dataSync()[0]);
        };
        const fd = (at(eps) - at(-eps)) / (2 * eps);
        assert.ok(Math.abs(fd - g.values[k]) < 1e-4, `d loss / d table[${k}]: finite difference ${fd} vs gradient ${g.values[k]}`);
      }
      // row 2 is never looked up: no gradient
      assert.deepEqual(Array.from(g.values.slice(2 * D, 3 * D)), [0, 0, 0]);
    } finally {
      if (!patched) patchWasm();
    }
  }
  tf.setBackend("wasm");
});

test("without the patch, tf.gather has no gradient on wasm (the gap the patch fills)", () => {
  unpatchWasm();
  try {
    tf.setBackend("wasm");
    assert.throws(
      () => tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, tf.tensor1d([1, 0], "int32"))))(tf.ones([2, 2]))),
      /UnsortedSegmentSum/,
    );
  } finally {
    patchWasm();
  }
});

test("patched Exp equals Math.exp (to 2 float32 ulp) on every lane, overflow, underflow, NaN and odd sizes", () => {
  tf.setBackend("wasm");
  const special = [0, -0, 1, -1, 88, 88.5, 88.72, 89, 1000, -87, -87.5, -100, -104, -1000, NaN, Infinity, -Infinity];
  for (const n of [1, 3, 4, 17, 1001]) {
    const r = mulberry32(n);
    const xs = Float32Array.from({ length: n }, (_, i) => (i < special.length ? special[i] : 60 * (2 * r() - 1)));
    const ys = tf.tidy(() => tf.exp(tf.tensor1d(xs)).dataSync());
    xs.forEach((x, i) => {
      const want = Math.fround(Math.exp(x));
      const got = ys[i];
      if (Number.isNaN(want)) assert.ok(Number.isNaN(got), `exp(${x}) = ${got}`);
      else if (!Number.isFinite(want) || want < 1.2e-38)
        assert.ok(got === want || Math.abs(got - want) < 1.2e-38, `exp(${x}) = ${got}, want ${want}`);
      else
        assert.ok(
          Math.abs(got - want) <= 2.4e-7 * want,
          `exp(${x}) = ${got}, want ${want} (relative error ${Math.abs(got - want) / want})`,
        );
    });
  }
  // softmax, the op it serves, against the cpu backend
  const v = randomValues(7 * 65, 99).map((x) => 20 * x);
  const f = () => tf.softmax(tf.tensor2d(v, [7, 65]));
  assertClose(on("wasm", f), on("cpu", f), 1e-6, "softmax");
});

test("patched GatherV2 equals the cpu backend (rows of tables of any rank, other axes) and names an index out of range", () => {
  const cases: [number[], number[], number][] = [
    [[7, 5], [3, 0, 6, 6, 2], 0],
    [
      [7],
      [
        [1, 2],
        [6, 0],
      ] as unknown as number[],
      0,
    ],
    [[4, 3, 2], [3, 1], 0],
    [[4, 3, 2], [2, 0, 2], 1], // the original kernel
    [[4, 3], [1, 0], -2],
  ];
  for (const [shape, idx, axis] of cases) {
    const xv = randomValues(
      shape.reduce((p, d) => p * d, 1),
      40 + shape.length,
    );
    const f = () => tf.gather(tf.tensor(xv, shape), tf.tensor(idx as unknown as number[], undefined, "int32"), axis);
    assertClose(on("wasm", f), on("cpu", f), 0, `gather ${shape} by ${JSON.stringify(idx)} on axis ${axis}`);
  }
  const ints = () => tf.gather(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], "int32"), tf.tensor1d([2, 0], "int32"));
  assert.deepEqual(Array.from(on("wasm", ints).values), [5, 6, 1, 2]);
  tf.setBackend("wasm");
  const before = tf.memory().numTensors;
  assert.throws(() => tf.tidy(() => tf.gather(tf.zeros([3, 2]), tf.tensor1d([1, 3], "int32"))), /index value 3 is not in \[0, 2\]/);
  assert.equal(tf.memory().numTensors, before);
});

test("patched Identity shares its input's data (a clone costs no copy) and the data lives until both are gone", () => {
  tf.setBackend("wasm");
  const x = tf.tensor2d(randomValues(6, 7), [2, 3]);
  const before = tf.memory().numDataBuffers;
  const y = tf.clone(x);
  assert.equal(y.dataId, x.dataId, "the same data");
  assert.equal(tf.memory().numDataBuffers, before, "no new buffer");
  assert.deepEqual(Array.from(y.dataSync()), Array.from(x.dataSync()));
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()).length, 6, "y still readable after x is disposed");
  const z = tf.add(y, 1);
  assert.ok(Math.abs(z.dataSync()[0] - y.dataSync()[0] - 1) < 1e-6);
  tf.dispose([y, z]);
});

test("patched kernels leave no tensors or wasm memory behind", () => {
  tf.setBackend("wasm");
  const a = tf.tensor3d(randomValues(3 * 8 * 5, 500), [3, 8, 5]);
  const b = tf.tensor3d(randomValues(3 * 8 * 6, 501), [3, 8, 6]);
  const run = () =>
    tf.tidy(() => {
      tf.matMul(a, b, true, false).dataSync();
      tf.matMul(b, a, true, false).dataSync();
      tf.matMul(tf.reshape(a, [24, 5]), tf.reshape(b, [24, 6]), true, false).dataSync(); // N = 6: padded columns
      tf.split(a, 8, 1);
      tf.unstack(b, 1);
      tf.slice(a, [1, 2, 0], [1, 3, 5]).dataSync();
      tf.matMul(tf.reshape(a, [24, 5]), tf.ones([5, 8])).dataSync(); // M >= 16: B packed in scratch
      tf.matMul(tf.reshape(a, [24, 5]), tf.ones([5, 7])).dataSync(); // and N padded
      tf.exp(a).dataSync();
      tf.clone(b).dataSync();
    });
  // every malloc on the wasm heap (tensors and the kernels' scratch buffers) matched by a free
  const wasm = (tf.backend() as unknown as { wasm: { _malloc(n: number): number; _free(p: number): void } }).wasm;
  const [malloc, free] = [wasm._malloc, wasm._free];
  let outstanding = 0;
  run();
  const before = tf.memory();
  wasm._malloc = (n: number) => (outstanding++, malloc(n));
  wasm._free = (ptr: number) => (outstanding--, free(ptr));
  try {
    for (let i = 0; i < 20; i++) run();
  } finally {
    [wasm._malloc, wasm._free] = [malloc, free];
  }
  const after = tf.memory();
  assert.equal(after.numTensors, before.numTensors);
  assert.equal(after.numBytes, before.numBytes);
  assert.equal(after.numDataBuffers, before.numDataBuffers);
  assert.equal(outstanding, 0, "as many frees as mallocs (scratch buffers are freed)");
  a.dispose();
  b.dispose();
});
