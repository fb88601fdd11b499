// PCA (plain TS) on cases with known answers, and the decimation and smoothing helpers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pca, symmetricEigen } from "../../src/plot/pca";
import { ema, histogramBins, lttb, toXY } from "../../src/plot/data";

const near = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} ≉ ${b}`);

function lineCase(n: number, d: number) {
  // points p_i = c + t_i u on a line along unit u: PC1 = ±u, all variance on it, PC2 projections 0
  const u = Array.from({ length: d }, (_, j) => Math.cos(j + 1));
  const norm = Math.hypot(...u);
  const unit = u.map((v) => v / norm);
  const c = Array.from({ length: d }, (_, j) => j * 0.5 - 1);
  const t = Array.from({ length: n }, (_, i) => (i - n / 3) * 0.7 + Math.sin(i));
  return { unit, t, x: t.map((ti) => c.map((cj, j) => cj + ti * unit[j])) };
}

for (const [n, d, path] of [
  [40, 5, "covariance"],
  [6, 30, "Gram"],
  [200, 300, "subspace iteration"],
] as const) {
  test(`PCA of points on a line recovers the line (${n} points in ${d}-D, ${path})`, () => {
    const { unit, t, x } = lineCase(n, d);
    const r = pca(x, 2);
    const sign = Math.sign(r.components[0].reduce((s, v, j) => s + v * unit[j], 0));
    r.components[0].forEach((v, j) => near(v, sign * unit[j], 1e-6));
    near(r.explained[0], 1, 1e-9);
    near(r.explained[1], 0, 1e-9);
    const mt = t.reduce((a, b) => a + b, 0) / n;
    r.points.forEach((p, i) => {
      near(p[0], sign * (t[i] - mt), 1e-6); // the coordinate along the line, centred
      near(p[1], 0, 1e-6);
    });
  });
}

test("PCA of an axis-aligned ellipse orders the axes by variance; components are orthonormal", () => {
  const pts = Array.from({ length: 64 }, (_, i) => [Math.cos((2 * Math.PI * i) / 64), 3 * Math.sin((2 * Math.PI * i) / 64), 0.1]);
  const r = pca(pts, 2);
  near(Math.abs(r.components[0][1]), 1);
  near(Math.abs(r.components[1][0]), 1);
  near(r.explained[0] / r.explained[1], 9, 1e-6);
  near(
    r.components[0].reduce((s, v, j) => s + v * r.components[1][j], 0),
    0,
  );
});

test("symmetricEigen: A v = λ v for a random symmetric matrix", () => {
  const n = 7;
  const a = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i][j] = a[j][i] = Math.sin(i * 3 + j * 5 + 1);
  const { values, vectors } = symmetricEigen(a);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++)
      near(
        a[i].reduce((s, v, j) => s + v * vectors[k][j], 0),
        values[k] * vectors[k][i],
        1e-9,
      );
    if (k) assert.ok(values[k] <= values[k - 1]);
  }
});

test("LTTB keeps ends and extremes within its budget; EMA is debiased; bins count every value", () => {
  const y = Array.from({ length: 5000 }, (_, i) => Math.sin(i / 300));
  y[1234] = -9;
  const d = lttb(toXY(y), 100);
  assert.equal(d.x.length, 100);
  assert.deepEqual([d.x[0], d.x[99]], [0, 4999]);
  assert.ok(d.y.includes(-9));
  near(ema([5, 5, 5], 0.9)[0], 5); // no pull towards 0 at the start
  const s = ema([0, 10], 0.5);
  near(s[1], (0.5 * 0.5 * 0 + 0.5 * 10) / (1 - 0.25));
  const bins = histogramBins([1, 2, 2, 3, 3, 3, NaN], 3);
  assert.deepEqual(
    bins.map((b) => b.count),
    [1, 2, 3],
  );
});
