// The wasm LSTM kernels' element-wise module (src/backend/lstm.wat → lstm-wasm.ts): the committed binary is
// what the source assembles to, its σ and tanh match Math's, and its cell steps match the equations.
// (fusedLstm through the kernels against the readable LSTM: nn-fused.test.ts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "fs";
import { lstmWasm } from "../../src/backend/lstm-kernels";
import { mulberry32 } from "../../src/data/random";
import { assemble, generatedPath, generatedSource } from "../../scripts/wasm";

test("lstm-wasm.ts holds exactly what lstm.wat assembles to (run `npm run wasm` after editing the .wat)", async () => {
  assert.equal(readFileSync(generatedPath("lstm"), "utf8"), generatedSource("lstm", await assemble("lstm")));
});

test("σ and tanh in four lanes agree with Math's to 2e-7 from -100 to 100, with the right sign and limits", () => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const k = lstmWasm(memory)!;
  assert.ok(k, "WebAssembly SIMD should be available in Node 20");
  const n = 8192;
  const f = new Float32Array(memory.buffer);
  const xs = Float32Array.from({ length: n }, (_, i) => {
    const u = (i / (n - 1)) * 2 - 1; // -1 .. 1, denser near 0 after cubing
    return 100 * u * u * u;
  });
  xs.set([0, -0, 1e-30, -1e-30, 1e-4, -1e-4, 88.5, -88.5, 200, -200], 0);
  f.set(xs, 0);
  k.sigmoid(0, 4 * n, n);
  k.tanh(0, 8 * n, n);
  let worstS = 0;
  let worstT = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    worstS = Math.max(worstS, Math.abs(f[n + i] - 1 / (1 + Math.exp(-x))));
    worstT = Math.max(worstT, Math.abs(f[2 * n + i] - Math.tanh(x)));
    assert.ok(Math.sign(f[2 * n + i]) === Math.sign(x) || f[2 * n + i] === 0, `tanh(${x}) = ${f[2 * n + i]} has the sign of x`);
  }
  assert.ok(worstS < 2e-7, `σ: max error ${worstS}`);
  assert.ok(worstT < 2e-7, `tanh: max error ${worstT}`);
  assert.equal(f[2 * n + 8], 1); // tanh(200)
  assert.equal(f[2 * n + 9], -1);
  assert.equal(f[n + 8], 1); // σ(200)
  assert.ok(f[n + 9] >= 0 && f[n + 9] < 1e-37, "σ(-200) is 0 (or a denormal), not NaN");
});

test("fwd and bwd compute one LSTM step and its gradient as the equations say", () => {
  const [B, H] = [3, 8];
  const G = 4 * H;
  const memory = new WebAssembly.Memory({ initial: 2 });
  const k = lstmWasm(memory)!;
  const f = new Float32Array(memory.buffer);
  const r = mulberry32(3);
  // float offsets of z [B, G], cprev, c, tc, h [B, H], dy, dhn, dc [B, H], dz [B, G]
  const [z, cp, c, tc, h, dy, dhn, dc, dz] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => 256 * i);
  for (let i = 0; i < B * G; i++) f[z + i] = 4 * r() - 2;
  for (let i = 0; i < B * H; i++) [f[cp + i], f[dy + i], f[dhn + i], f[dc + i]] = [2 * r() - 1, 2 * r() - 1, 2 * r() - 1, 2 * r() - 1];
  const z0 = f.slice(z, z + B * G);
  const dc0 = f.slice(dc, dc + B * H);
  k.fwd(4 * z, 4 * cp, 4 * c, 4 * tc, 4 * h, B, H, H);
  k.bwd(4 * z, 4 * cp, 4 * tc, 4 * dy, 4 * dhn, 4 * dc, 4 * dz, B, H, H);
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  let worst = 0;
  const near = (got: number, want: number) => (worst = Math.max(worst, Math.abs(got - want)));
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const zr = b * G + j;
      const s = b * H + j;
      const [fg, ig, og, gg] = [sig(z0[zr]), sig(z0[zr + H]), sig(z0[zr + 2 * H]), Math.tanh(z0[zr + 3 * H])];
      const cn = fg * f[cp + s] + ig * gg;
      [f[z + zr], f[z + zr + H], f[z + zr + 2 * H], f[z + zr + 3 * H]].forEach((v, q) => near(v, [fg, ig, og, gg][q]));
      near(f[c + s], cn);
      near(f[tc + s], Math.tanh(cn));
      near(f[h + s], og * Math.tanh(cn));
      const dh = f[dy + s] + f[dhn + s];
      const dct = dc0[s] + dh * og * (1 - Math.tanh(cn) ** 2);
      near(f[dz + zr], dct * f[cp + s] * fg * (1 - fg));
      near(f[dz + zr + H], dct * gg * ig * (1 - ig));
      near(f[dz + zr + 2 * H], dh * Math.tanh(cn) * og * (1 - og));
      near(f[dz + zr + 3 * H], dct * ig * (1 - gg * gg));
      near(f[dc + s], dct * fg);
    }
  }
  assert.ok(worst < 1e-6, `max error ${worst}`);
});

test("fwd and bwd over two halves of the units (as two threads share them) write what one call over all of them writes", () => {
  const [B, H] = [3, 16];
  const G = 4 * H;
  const run = (halves: boolean) => {
    const memory = new WebAssembly.Memory({ initial: 2 });
    const k = lstmWasm(memory)!;
    const f = new Float32Array(memory.buffer);
    const rr = mulberry32(5);
    const [z, cp, c, tc, h, dy, dhn, dc, dz] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => 512 * i);
    for (let i = 0; i < B * G; i++) f[z + i] = 4 * rr() - 2;
    for (let i = 0; i < B * H; i++)
      [f[cp + i], f[dy + i], f[dhn + i], f[dc + i]] = [2 * rr() - 1, 2 * rr() - 1, 2 * rr() - 1, 2 * rr() - 1];
    for (const [u0, U] of halves
      ? [
          [0, 8],
          [8, 8],
        ]
      : [[0, H]])
      k.fwd(4 * (z + u0), 4 * (cp + u0), 4 * (c + u0), 4 * (tc + u0), 4 * (h + u0), B, H, U);
    for (const [u0, U] of halves
      ? [
          [8, 8],
          [0, 8],
        ]
      : [[0, H]])
      k.bwd(4 * (z + u0), 4 * (cp + u0), 4 * (tc + u0), 4 * (dy + u0), 4 * (dhn + u0), 4 * (dc + u0), 4 * (dz + u0), B, H, U);
    return f.slice(0, 512 * 9);
  };
  assert.deepEqual(run(true), run(false));
});

test("colsum adds the rows of a matrix (or of a block of its columns: ld > cols)", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const k = lstmWasm(memory)!;
  const f = new Float32Array(memory.buffer);
  const [rows, cols, ld] = [37, 12, 20];
  for (let i = 0; i < rows * ld; i++) f[i] = (i % 7) - 3 + i / 1000;
  for (const [j0, n] of [
    [0, cols],
    [4, 8],
  ]) {
    f.fill(NaN, 1000, 1000 + cols); // every output is written
    k.colsum(4 * j0, 4000 + 4 * j0, rows, n, ld);
    for (let j = j0; j < j0 + n; j++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += f[i * ld + j];
      assert.ok(Math.abs(f[1000 + j] - s) < 1e-4, `column ${j}: ${f[1000 + j]} vs ${s}`);
    }
  }
});

test("softmax: rows of scaled scores, causal or not, as Math.exp computes them; softmax_grad is its gradient", () => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const k = lstmWasm(memory)!;
  const f = new Float32Array(memory.buffer);
  const r = mulberry32(9);
  const [rows, cols, ld, scale] = [13, 16, 20, 0.35];
  for (const [causal, row0] of [
    [0, 0],
    [1, 0],
    [1, 5],
  ]) {
    const s = 0;
    for (let i = 0; i < rows * ld; i++) f[s + i] = 20 * r() - 10;
    if (causal) for (let i = 0; i < rows; i++) if (row0 + i + 1 < cols) f[s + i * ld + row0 + i + 1] = NaN; // a masked score is never read
    const scores = f.slice(s, s + rows * ld);
    k.softmax(4 * s, rows, cols, ld, scale, causal, row0);
    for (let i = 0; i < rows; i++) {
      const n = causal ? Math.min(cols, row0 + i + 1) : cols;
      const row = Array.from(scores.subarray(i * ld, i * ld + n));
      const m = Math.max(...row);
      const e = row.map((x) => Math.exp(scale * (x - m)));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < cols; j++) {
        const want = j < n ? e[j] / sum : 0;
        assert.ok(
          Math.abs(f[s + i * ld + j] - want) < 1e-6,
          `causal ${causal}, row ${row0 + i}, column ${j}: ${f[s + i * ld + j]} vs ${want}`,
        );
      }
      for (let j = cols; j < ld; j++) assert.equal(f[s + i * ld + j], scores[i * ld + j], "columns past cols are left alone");
    }
  }
  // gradient: d ← scale · a ∘ (d − Σ a∘d)
  const [a, d] = [0, 1000];
  for (let i = 0; i < rows * ld; i++) [f[a + i], f[d + i]] = [r(), 2 * r() - 1];
  const a0 = f.slice(a, a + rows * ld);
  const d0 = f.slice(d, d + rows * ld);
  k.softmax_grad(4 * a, 4 * d, rows, cols, ld, scale);
  for (let i = 0; i < rows; i++) {
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += a0[i * ld + j] * d0[i * ld + j];
    for (let j = 0; j < cols; j++) {
      const want = scale * a0[i * ld + j] * (d0[i * ld + j] - dot);
      assert.ok(Math.abs(f[d + i * ld + j] - want) < 1e-6, `row ${i}, column ${j}`);
    }
  }
});
