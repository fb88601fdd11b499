// The SIMD matrix product (src/backend/gemm.wat → gemm-wasm.ts → simd-gemm.ts): the committed
// binary is what the source assembles to, and the kernel computes products, A either way round.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "fs";
import { simdFits, simdMatMul } from "../../src/backend/simd-gemm";
import { mulberry32 } from "../../src/nn/init";
import { assemble, generatedPath, generatedSource } from "../support/wasm";

test("gemm-wasm.ts holds exactly what gemm.wat assembles to (run `npm run wasm` after editing the .wat)", async () => {
  assert.equal(readFileSync(generatedPath("gemm"), "utf8"), generatedSource("gemm", await assemble("gemm")));
});

test("mm computes A·B and Aᵀ·B on a memory of its own, against a plain loop", () => {
  const memory = new WebAssembly.Memory({ initial: 8 });
  const mm = simdMatMul(memory);
  assert.ok(mm, "WebAssembly SIMD should be available in Node 20");
  const f = new Float32Array(memory.buffer);
  const r = mulberry32(7);
  // The last size crosses the wrapper's blocks (64 rows, 128 of K per call, accumulating into C).
  // [129, 40, 64] and [7, 5, 8]: rows beyond the 4-row blocks (finished in JavaScript).
  for (const [M, K, N] of [[4, 1, 8], [8, 13, 24], [12, 64, 32], [136, 300, 16], [129, 40, 64], [7, 5, 8]]) {
    for (const tA of [false, true]) {
      const a = 16, b = a + M * K, c = b + K * N; // float offsets; 16 floats in, unaligned to the matrices
      for (let i = a; i < c; i++) f[i] = 2 * r() - 1;
      f.fill(NaN, c, c + M * N); // every output element must be written
      mm(a * 4, b * 4, c * 4, M, K, N, tA ? 1 : K, tA ? M : 1);
      const once = f.slice(c, c + M * N);
      mm(a * 4, b * 4, c * 4, M, K, N, tA ? 1 : K, tA ? M : 1, 0, true); // accumulate: C = 2 A·B
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
      assert.ok(worst < 4e-7 * K + 1e-6, `${M}x${K}x${N}${tA ? " (A transposed)" : ""}: max error ${worst}`);
      assert.ok(worstAcc < 8e-7 * K + 2e-6, `${M}x${K}x${N}${tA ? " (A transposed)" : ""}, accumulating: max error ${worstAcc}`);
    }
  }
});

test("simdFits names the shapes worth the kernel; SEQLAB_SIMD_GEMM=0 turns it off", () => {
  assert.equal(simdFits(4, 8), true);
  assert.equal(simdFits(129, 64), true);
  assert.equal(simdFits(3, 64), false);
  assert.equal(simdFits(64, 65), false);
  const before = process.env.SEQLAB_SIMD_GEMM;
  process.env.SEQLAB_SIMD_GEMM = "0";
  try {
    assert.equal(simdMatMul(new WebAssembly.Memory({ initial: 1 })), undefined);
  } finally {
    if (before === undefined) delete process.env.SEQLAB_SIMD_GEMM;
    else process.env.SEQLAB_SIMD_GEMM = before;
  }
});
