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
  k.fwd(4 * z, 4 * cp, 4 * c, 4 * tc, 4 * h, B, H);
  k.bwd(4 * z, 4 * cp, 4 * tc, 4 * dy, 4 * dhn, 4 * dc, 4 * dz, B, H);
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

test("colsum adds the rows of a matrix", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const k = lstmWasm(memory)!;
  const f = new Float32Array(memory.buffer);
  const [rows, cols] = [37, 12];
  f.fill(NaN, 1000, 1000 + cols); // every output is written
  for (let i = 0; i < rows * cols; i++) f[i] = (i % 7) - 3 + i / 1000;
  k.colsum(0, 4000, rows, cols);
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += f[i * cols + j];
    assert.ok(Math.abs(f[1000 + j] - s) < 1e-4, `column ${j}: ${f[1000 + j]} vs ${s}`);
  }
});
