// The SIMD matrix product (src/backend/gemm.wat → gemm-wasm.ts → simd-gemm.ts): the committed
// binary is what the source assembles to, and the kernel computes products, A either way round.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "fs";
import { fmaAvailable, packedFloats, scratchFloats, simdFits, simdGemm } from "../../src/backend/simd-gemm";
import { mulberry32 } from "../../src/data/random";
import { assemble, generatedPath, generatedSource } from "../../scripts/wasm";

test("gemm-wasm.ts holds exactly what gemm.wat assembles to, in every variant (run `npm run wasm` after editing the .wat)", async () => {
  assert.equal(readFileSync(generatedPath("gemm"), "utf8"), generatedSource("gemm", await assemble("gemm")));
});

/** The variants a product can run in here: plain and FMA (where the engine has relaxed SIMD), on a memory shared or not. */
const VARIANTS = [false, true].flatMap((shared) => [false, ...(fmaAvailable() ? [true] : [])].map((fma) => ({ shared, fma })));

test(
  "the fused multiply-add variant is there in Node 20 (relaxed SIMD, turned on at run time)",
  { skip: process.env.SEQLAB_FMA === "0" && "SEQLAB_FMA=0" },
  () => {
    assert.equal(fmaAvailable(), true);
    assert.ok(VARIANTS.some((v) => v.fma && v.shared));
  },
);

for (const { shared, fma } of VARIANTS) {
  test(`mm computes A·B and Aᵀ·B with B row-major, packed block by block in scratch, or packed beforehand (${fma ? "FMA" : "mul + add"}, ${shared ? "shared" : "own"} memory)`, () => {
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 256, shared });
    const g = simdGemm(memory, { fma });
    assert.ok(g, "WebAssembly SIMD should be available in Node 20");
    assert.equal(g.fma, fma);
    assert.equal(g.shared, shared);
    const f = new Float32Array(memory.buffer);
    const r = mulberry32(7);
    // The larger sizes cross the wrapper's blocks (64 rows; 128 of K, longer for fewer rows; accumulating into C).
    // [129, 40, 64] and [7, 5, 8]: rows beyond the 4-row blocks (finished in JavaScript). M >= 16: B packed in scratch.
    let cases = 0;
    for (const [M, K, N] of [
      [4, 1, 8],
      [8, 13, 24],
      [12, 64, 32],
      [136, 300, 16],
      [129, 40, 64],
      [7, 5, 8],
      [32, 700, 24],
    ]) {
      for (const tA of [false, true]) {
        for (const layout of ["row-major", "scratch", "packed", "packed from Bᵀ"] as const) {
          const a = 16,
            b = a + M * K,
            c = b + K * N,
            p = c + M * N + 3,
            bt = p + packedFloats(K, N) + 5; // float offsets, unaligned
          const scratch = bt + K * N + 7;
          for (let i = a; i < c; i++) f[i] = 2 * r() - 1;
          for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) f[bt + n * K + k] = f[b + k * N + n]; // Bᵀ stored [N, K]
          f.fill(NaN, c, c + M * N); // every output element must be written
          const opts = { packed: layout.startsWith("packed"), scratch: layout === "scratch" ? 4 * scratch : undefined };
          if (layout === "packed") g.pack(4 * b, 4 * p, K, N, N, 1);
          if (layout === "packed from Bᵀ") g.pack(4 * bt, 4 * p, K, N, 1, K);
          if (layout === "scratch") f.fill(NaN, scratch, scratch + scratchFloats(M, K, N));
          const bAddr = 4 * (opts.packed ? p : b);
          g.mm(4 * a, bAddr, 4 * c, M, K, N, tA ? 1 : K, tA ? M : 1, opts);
          const once = f.slice(c, c + M * N);
          g.mm(4 * a, bAddr, 4 * c, M, K, N, tA ? 1 : K, tA ? M : 1, { ...opts, accumulate: true }); // C = 2 A·B
          let worst = 0;
          let worstAcc = 0;
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              let s = 0;
              for (let k = 0; k < K; k++) s += f[a + (tA ? k * M + i : i * K + k)] * f[b + k * N + j];
              worst = Math.max(worst, Math.abs(s - once[i * N + j]));
              worstAcc = Math.max(worstAcc, Math.abs(2 * s - f[c + i * N + j]));
            }
          }
          // float32 sums of K products against a float64 one: rounding grows with K; a wrong index would be O(1)
          const what = `${M}x${K}x${N}${tA ? " (A transposed)" : ""}, B ${layout}`;
          assert.ok(worst < 4e-7 * K + 1e-6, `${what}: max error ${worst}`);
          assert.ok(worstAcc < 8e-7 * K + 2e-6, `${what}, accumulating: max error ${worstAcc}`);
          cases++;
        }
      }
    }
    assert.equal(cases, 56);
  });
}

test("a block of columns of a product (ldb, ldc, a bias and packed panels offset to the block) is those columns of the whole, as threads compute them", () => {
  for (const { shared, fma } of VARIANTS) {
    const memory = new WebAssembly.Memory({ initial: 8, maximum: 256, shared });
    const g = simdGemm(memory, { fma })!;
    const f = new Float32Array(memory.buffer);
    const r = mulberry32(21);
    const [M, K, N] = [37, 150, 48];
    const [a, b, bias, p, whole, part, scratch] = [0, 8192, 16384, 20000, 40000, 60000, 80000];
    for (let i = 0; i < M * K; i++) f[a + i] = 2 * r() - 1;
    for (let i = 0; i < K * N; i++) f[b + i] = 2 * r() - 1;
    for (let j = 0; j < N; j++) f[bias + j] = r();
    g.pack(4 * b, 4 * p, K, N, N, 1);
    for (const packed of [false, true]) {
      g.mm(4 * a, 4 * (packed ? p : b), 4 * whole, M, K, N, K, 1, { bias: 4 * bias, packed, scratch: packed ? undefined : 4 * scratch });
      f.fill(NaN, part, part + M * N);
      for (const [j0, n] of [
        [0, 16],
        [16, 8],
        [24, 24],
      ]) {
        const bAt = packed ? p + 8 * K * (j0 / 8) : b + j0;
        g.mm(4 * a, 4 * bAt, 4 * (part + j0), M, K, n, K, 1, {
          bias: 4 * (bias + j0),
          packed,
          scratch: packed ? undefined : 4 * scratch,
          ldb: N,
          ldc: N,
        });
      }
      assert.deepEqual(
        f.slice(part, part + M * N),
        f.slice(whole, whole + M * N),
        `${fma ? "FMA" : "mul + add"}, ${shared ? "shared" : "own"} memory, B ${packed ? "packed" : "row-major"}`,
      );
    }
  }
});

test("FMA and mul + add products differ only by rounding", { skip: !fmaAvailable() && "no relaxed SIMD here" }, () => {
  const memory = new WebAssembly.Memory({ initial: 8 });
  const [plain, fused] = [simdGemm(memory, { fma: false })!, simdGemm(memory, { fma: true })!];
  const f = new Float32Array(memory.buffer);
  const r = mulberry32(4);
  const [M, K, N] = [64, 256, 64];
  for (let i = 0; i < M * K + K * N; i++) f[i] = 2 * r() - 1;
  const [c1, c2] = [M * K + K * N, M * K + K * N + M * N];
  plain.mm(0, 4 * M * K, 4 * c1, M, K, N, K, 1);
  fused.mm(0, 4 * M * K, 4 * c2, M, K, N, K, 1);
  let worst = 0;
  let differ = 0;
  for (let i = 0; i < M * N; i++) {
    worst = Math.max(worst, Math.abs(f[c1 + i] - f[c2 + i]));
    if (f[c1 + i] !== f[c2 + i]) differ++;
  }
  assert.ok(worst < 4e-7 * K, `max difference ${worst}`);
  assert.ok(differ > 0, "the fused kernel rounds once per multiply-add, so some results differ in their last bits");
});

test("pack lays B out as 8-column panels, zeros past N; mm adds a bias", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const g = simdGemm(memory)!;
  const f = new Float32Array(memory.buffer);
  const [K, N] = [3, 11]; // a whole panel and a partial one
  for (let i = 0; i < K * N; i++) f[i] = i + 1;
  f.fill(NaN, 100, 100 + packedFloats(K, N));
  g.pack(0, 400, K, N, N, 1);
  for (let panel = 0; panel < 2; panel++) {
    for (let k = 0; k < K; k++) {
      for (let q = 0; q < 8; q++) {
        const n = 8 * panel + q;
        assert.equal(f[100 + panel * K * 8 + k * 8 + q], n < N ? f[k * N + n] : 0, `panel ${panel}, row ${k}, column ${q}`);
      }
    }
  }
  // C = A·B + bias, A = I (4 x 4), B [4, 8]
  const [a, b, c, bias] = [200, 300, 400, 500];
  for (let i = 0; i < 16; i++) f[a + i] = i % 5 === 0 ? 1 : 0;
  for (let i = 0; i < 32; i++) f[b + i] = i;
  for (let j = 0; j < 8; j++) f[bias + j] = 100 * j;
  g.mm(4 * a, 4 * b, 4 * c, 4, 4, 8, 4, 1, { bias: 4 * bias });
  for (let i = 0; i < 4; i++) for (let j = 0; j < 8; j++) assert.equal(f[c + i * 8 + j], f[b + i * 8 + j] + 100 * j);
});

test("simdFits names the shapes worth the kernel; SEQLAB_SIMD_GEMM=0 turns it off", () => {
  assert.equal(simdFits(4, 8), true);
  assert.equal(simdFits(129, 64), true);
  assert.equal(simdFits(3, 64), false);
  assert.equal(simdFits(64, 65), false);
  const before = process.env.SEQLAB_SIMD_GEMM;
  process.env.SEQLAB_SIMD_GEMM = "0";
  try {
    assert.equal(simdGemm(new WebAssembly.Memory({ initial: 1 })), undefined);
  } finally {
    if (before === undefined) delete process.env.SEQLAB_SIMD_GEMM;
    else process.env.SEQLAB_SIMD_GEMM = before;
  }
});
