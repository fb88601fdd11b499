// Data helpers for charts: accepted series shapes, decimation to a bounded number of points
// (largest-triangle-three-buckets keeps a curve's shape), smoothing, histogram bins, block means.

/** A series: y values (x = 0, 1, ...), [x, y] pairs, or parallel x and y arrays. */
export type Series = ArrayLike<number> | ReadonlyArray<readonly [number, number]> | { x: ArrayLike<number>; y: ArrayLike<number> };

export interface XY {
  x: number[];
  y: number[];
}

/** Normalise a series to parallel arrays, dropping points that are not finite. */
export function toXY(s: Series, xStart = 0): XY {
  const x: number[] = [],
    y: number[] = [];
  const push = (a: number, b: number) => {
    if (Number.isFinite(a) && Number.isFinite(b)) {
      x.push(a);
      y.push(b);
    }
  };
  if (s && typeof s === "object" && "x" in s && "y" in s && !Array.isArray(s)) {
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) push(Number(s.x[i]), Number(s.y[i]));
  } else {
    const a = s as ArrayLike<unknown>;
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (Array.isArray(v)) push(Number(v[0]), Number(v[1]));
      else push(xStart + i, Number(v));
    }
  }
  return { x, y };
}

/** Count of values in a series that are not finite (NaN, ±Infinity): a diverging loss shows up here. */
export function nonFinite(s: Series): number {
  let n = 0;
  if (s && typeof s === "object" && "x" in s && "y" in s && !Array.isArray(s)) {
    for (let i = 0; i < s.y.length; i++) if (!Number.isFinite(Number(s.y[i]))) n++;
  } else {
    const a = s as ArrayLike<unknown>;
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (!Number.isFinite(Number(Array.isArray(v) ? v[1] : v))) n++;
    }
  }
  return n;
}

/**
 * Decimate a curve to at most `max` points with largest-triangle-three-buckets (Steinarsson 2013):
 * first and last points kept, and from each bucket the point that spans the largest triangle with
 * its neighbours, so peaks and dips survive. Points are assumed sorted by x.
 */
export function lttb(d: XY, max: number): XY {
  const n = d.x.length;
  if (n <= max || max < 3) return max < 3 && n > max ? { x: d.x.slice(0, max), y: d.y.slice(0, max) } : d;
  const x = [d.x[0]],
    y = [d.y[0]];
  const every = (n - 2) / (max - 2);
  let a = 0;
  for (let i = 0; i < max - 2; i++) {
    const lo = Math.floor(i * every) + 1,
      hi = Math.floor((i + 1) * every) + 1;
    const nlo = hi,
      nhi = Math.min(Math.floor((i + 2) * every) + 1, n);
    let ax = 0,
      ay = 0;
    for (let j = nlo; j < nhi; j++) {
      ax += d.x[j];
      ay += d.y[j];
    }
    const cnt = nhi - nlo || 1;
    ax /= cnt;
    ay /= cnt;
    let best = lo,
      area = -1;
    for (let j = lo; j < hi; j++) {
      const s = Math.abs((d.x[a] - ax) * (d.y[j] - d.y[a]) - (d.x[a] - d.x[j]) * (ay - d.y[a]));
      if (s > area) {
        area = s;
        best = j;
      }
    }
    x.push(d.x[best]);
    y.push(d.y[best]);
    a = best;
  }
  x.push(d.x[n - 1]);
  y.push(d.y[n - 1]);
  return { x, y };
}

/** Every k-th index so that at most `max` remain (for scatter points, where no order is meaningful). */
export function strideIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let i = 0; i < max; i++) out.push(Math.floor((i * n) / max));
  return out;
}

/**
 * Exponential moving average as TensorBoard smooths curves: s_t = w s_{t-1} + (1 - w) y_t, divided
 * by (1 - w^t) so the start is not pulled towards zero. `weight` in [0, 1); 0 = no smoothing.
 */
export function ema(y: readonly number[], weight: number): number[] {
  if (!(weight > 0)) return y.slice();
  const w = Math.min(weight, 0.999);
  let s = 0,
    debias = 1;
  return y.map((v) => {
    s = w * s + (1 - w) * v;
    debias *= w;
    return s / (1 - debias);
  });
}

export interface Bin {
  start: number;
  end: number;
  count: number;
}

/** Equal-width bins over the finite values (count ≈ √n, at most 60, unless given). */
export function histogramBins(values: ArrayLike<number>, bins?: number): Bin[] {
  let lo = Infinity,
    hi = -Infinity,
    n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      n++;
    }
  }
  if (n === 0) return [];
  const k = Math.max(1, Math.floor(bins ?? Math.min(60, Math.max(5, Math.ceil(Math.sqrt(n))))));
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const w = (hi - lo) / k;
  const out: Bin[] = Array.from({ length: k }, (_, i) => ({ start: lo + i * w, end: i === k - 1 ? hi : lo + (i + 1) * w, count: 0 }));
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) out[Math.min(k - 1, Math.floor((v - lo) / w))].count++;
  }
  return out;
}

/** Shrink a matrix by averaging blocks so that it has at most maxRows × maxCols cells. */
export function blockMean(
  m: readonly ArrayLike<number>[],
  maxRows: number,
  maxCols: number,
): { values: number[][]; rowStep: number; colStep: number } {
  const rows = m.length,
    cols = rows ? m[0].length : 0;
  const rs = Math.max(1, Math.ceil(rows / maxRows)),
    cs = Math.max(1, Math.ceil(cols / maxCols));
  if (rs === 1 && cs === 1) return { values: m.map((r) => Array.from(r)), rowStep: 1, colStep: 1 };
  const values: number[][] = [];
  for (let r0 = 0; r0 < rows; r0 += rs) {
    const row: number[] = [];
    for (let c0 = 0; c0 < cols; c0 += cs) {
      let s = 0,
        k = 0;
      for (let r = r0; r < Math.min(rows, r0 + rs); r++)
        for (let c = c0; c < Math.min(cols, c0 + cs); c++) {
          const v = m[r][c];
          if (Number.isFinite(v)) {
            s += v;
            k++;
          }
        }
      row.push(k ? s / k : NaN);
    }
    values.push(row);
  }
  return { values, rowStep: rs, colStep: cs };
}

/** A number in a few significant digits, for text descriptions. */
export function fmt(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(digits - 2).replace("e+", "e");
  return String(Number(v.toPrecision(digits)));
}

/** Rows of a matrix given as nested arrays or anything with arraySync() (a tf.Tensor2D). */
export function toMatrix(m: unknown): number[][] {
  const v: unknown = m && typeof (m as any).arraySync === "function" ? (m as any).arraySync() : m;
  if (!Array.isArray(v) || !v.every((r) => Array.isArray(r) || ArrayBuffer.isView(r)))
    throw new TypeError("expected a matrix: an array of rows (or a 2-D tensor)");
  return (v as ArrayLike<number>[]).map((r) => Array.from(r, Number));
}
