// Principal component analysis in plain TypeScript, for projecting embeddings to 2-D or 3-D.
// Small problems (min(n, d) ≤ 160) are solved exactly: the Jacobi eigenvalue method on the d×d
// covariance or, when there are fewer points than dimensions, on the n×n Gram matrix. Larger ones
// use subspace (block power) iteration on the implicit covariance with a Rayleigh-Ritz finish.

export interface PcaResult {
  /** The projected points, n × k. */
  points: number[][];
  /** Principal directions, k × d, unit length; each one's largest-magnitude entry is positive. */
  components: number[][];
  /** Fraction of the total variance along each component. */
  explained: number[];
  mean: number[];
}

/** Eigen-decomposition of a symmetric matrix (cyclic Jacobi). Returns eigenvalues descending and eigenvectors as rows. */
export function symmetricEigen(a: number[][]): { values: number[]; vectors: number[][] } {
  const n = a.length;
  const m = a.map((r) => r.slice());
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0,
      diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i][i] * m[i][i];
      for (let j = i + 1; j < n; j++) off += m[i][j] * m[i][j];
    }
    if (off <= 1e-22 * (diag + off) || off === 0) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = m[p][q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q][q] - m[p][p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1),
          s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k][p],
            mkq = m[k][q];
          m[k][p] = c * mkp - s * mkq;
          m[k][q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p][k],
            mqk = m[q][k];
          m[p][k] = c * mpk - s * mqk;
          m[q][k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p],
            vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j][j] - m[i][i]);
  return { values: order.map((i) => m[i][i]), vectors: order.map((i) => v.map((row) => row[i])) };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function normalise(v: number[]): number[] {
  const n = Math.sqrt(dot(v, v));
  return n > 0 ? v.map((x) => x / n) : v;
}

/**
 * Gram-Schmidt, in place, with a second pass (one pass loses orthogonality when a vector nearly
 * lies in the span of the earlier ones); a vector that vanishes relative to its length is replaced
 * by a fresh basis direction.
 */
function orthonormalise(vs: number[][]): void {
  let fresh = 0;
  for (let i = 0; i < vs.length; i++) {
    const before = Math.sqrt(dot(vs[i], vs[i]));
    for (let pass = 0; pass < 2; pass++)
      for (let j = 0; j < i; j++) {
        const d = dot(vs[i], vs[j]);
        for (let k = 0; k < vs[i].length; k++) vs[i][k] -= d * vs[j][k];
      }
    const n = Math.sqrt(dot(vs[i], vs[i]));
    if ((n <= 1e-10 * before || n === 0) && fresh < vs[i].length) {
      const at = fresh++;
      vs[i] = vs[i].map((_, k) => (k === at ? 1 : 0));
      i--; // orthogonalise the replacement in turn
      continue;
    }
    if (n > 0) for (let k = 0; k < vs[i].length; k++) vs[i][k] /= n;
  }
}

/** Rows of anything matrix-like: nested arrays, typed-array rows, or a 2-D tensor (arraySync). */
function rows(x: unknown): number[][] {
  const v = x && typeof (x as any).arraySync === "function" ? (x as any).arraySync() : x;
  if (!Array.isArray(v) || v.length === 0) throw new TypeError("pca: expected a non-empty list of vectors (or a 2-D tensor)");
  const d = (v[0] as ArrayLike<number>).length;
  return v.map((r: ArrayLike<number>, i: number) => {
    if (!r || r.length !== d) throw new TypeError(`pca: vector ${i} has length ${r?.length}, expected ${d}`);
    return Array.from(r, Number);
  });
}

/** Project vectors onto their first k principal components. */
export function pca(vectors: unknown, k = 2): PcaResult {
  const x = rows(vectors);
  const n = x.length,
    d = x[0].length;
  const mean = new Array(d).fill(0);
  for (const r of x) for (let j = 0; j < d; j++) mean[j] += r[j] / n;
  const xc = x.map((r) => r.map((v, j) => v - mean[j]));
  let total = 0;
  for (const r of xc) total += dot(r, r);
  const kk = Math.min(k, d);
  let components: number[][];
  let variances: number[];
  if (Math.min(n, d) <= 160) {
    if (d <= n) {
      const cov = Array.from({ length: d }, () => new Array(d).fill(0));
      for (const r of xc)
        for (let i = 0; i < d; i++) {
          const ri = r[i];
          if (ri === 0) continue;
          const row = cov[i];
          for (let j = i; j < d; j++) row[j] += ri * r[j];
        }
      for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) cov[i][j] = cov[j][i];
      const e = symmetricEigen(cov);
      components = e.vectors.slice(0, kk);
      variances = e.values.slice(0, kk);
    } else {
      const gram = xc.map((a) => xc.map((b) => dot(a, b)));
      const e = symmetricEigen(gram);
      variances = e.values.slice(0, kk);
      components = e.vectors.slice(0, kk).map((u) => {
        const v = new Array(d).fill(0);
        for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) v[j] += u[i] * xc[i][j];
        return normalise(v);
      });
    }
  } else {
    // Subspace iteration with a few extra vectors, then Rayleigh-Ritz on the block.
    const b = Math.min(d, kk + 4);
    let q = Array.from({ length: b }, (_, i) => Array.from({ length: d }, (_, j) => Math.sin(1 + i * 7.13 + j * 3.71)));
    orthonormalise(q);
    const apply = (v: number[]) => {
      const out = new Array(d).fill(0);
      for (const r of xc) {
        const s = dot(r, v);
        if (s !== 0) for (let j = 0; j < d; j++) out[j] += s * r[j];
      }
      return out;
    };
    let prev = Infinity;
    for (let it = 0; it < 200; it++) {
      q = q.map(apply);
      orthonormalise(q);
      const rq = q.slice(0, kk).reduce((s, v) => s + dot(v, apply(v)), 0);
      if (Math.abs(rq - prev) <= 1e-10 * Math.abs(rq)) break;
      prev = rq;
    }
    const aq = q.map(apply);
    const small = q.map((a) => aq.map((c) => dot(a, c)));
    const e = symmetricEigen(small);
    components = e.vectors.slice(0, kk).map((w) => normalise(q[0].map((_, j) => w.reduce((s, wi, i) => s + wi * q[i][j], 0))));
    variances = e.values.slice(0, kk);
  }
  // Directions without variance (rank-deficient data) are arbitrary: make every component
  // orthogonal to the earlier ones, so points project to 0 along them.
  const top = Math.max(variances[0] ?? 0, 0);
  components = components.map((c, i) => (variances[i] <= 1e-12 * top ? c.map(() => 0) : c.slice()));
  orthonormalise(components);
  components = components.map((c) => {
    let big = 0;
    for (const v of c) if (Math.abs(v) > Math.abs(big)) big = v;
    return big < 0 ? c.map((v) => -v) : c;
  });
  while (components.length < k) {
    components.push(new Array(d).fill(0));
    variances.push(0);
  }
  return {
    points: xc.map((r) => components.map((c) => dot(r, c))),
    components,
    explained: variances.map((v) => (total > 0 ? Math.max(0, v) / total : 0)),
    mean,
  };
}
