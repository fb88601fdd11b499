// The work of seqlab's wasm kernels as jobs that any number of threads share: each thread runs the
// same function with its index `tid` of `nt`. Independent work (blocks of rows or columns of a
// product, attention's (batch, head) pairs, rows of LayerNorm) is cut into chunks, a few per
// thread, that the threads claim one at a time from a shared counter (`sync.claim`): a thread that
// the machine holds up (other programs, a loaded laptop) takes fewer chunks instead of holding the
// others up at the end. Work that depends on itself step by step (an LSTM's recurrence) is shared
// out in fixed parts, and `sync.barrier()` waits for all threads where one step needs what every
// thread wrote in the one before. With nt = 1 (one thread, or a memory that is not shared) a job is
// the kernel as it ran before threads: the kernels always run these.
//
// Everything is addressed in bytes on one wasm memory (tfjs-backend-wasm's heap, shared by the
// threads when threads.ts could make it so) and computed by gemm.wat (blockedMm) and lstm.wat
// (ElementwiseExports). This module imports nothing of TensorFlow.js: worker threads load it.
//
// How the work is shared, and why there is little to synchronise:
//   gemm      by rows of C (multiples of 4; A's rows differ, B is read by all), or by columns
//             (multiples of 8 or 16: whole panels of B, and C's rows cut where cache lines allow)
//             when C has few rows (weight gradients: [in, out] from K = batch·time).
//   LSTM      by sequences (rows of the batch) when every thread gets 8 or more: the recurrence of
//             one sequence needs nothing of another's, so the 64 steps of a pass run without a
//             barrier; only Z = X W_x + b before them (shared out by rows) and the packing of W_h
//             are waited for, and in the backward pass dZ before the weight gradients. A thread that
//             the machine holds up then delays the pass once, not every step. With more threads
//             (few rows each: each would stream all of W_h for 4 rows), by hidden units: thread p
//             owns units u0..u1 of every gate (4 column ranges of W_x, W_h, Z), each step's gate
//             and cell update needs only its own columns, the next step's h_{t-1}·W_h all of h_{t-1}:
//             one barrier per step. Backward likewise: dZ_t for own units (or rows), a barrier
//             (units only), dh_{t-1} for own units (= dZ_t · W_hᵀ[:, own]) or rows. The weight
//             gradients after the loop by columns of dZ, dX by rows.
//   attention by (batch, head) pairs: independent.
//   LayerNorm, GELU  by rows, by elements (LayerNorm's parameter gradients as per-thread partial sums).
import { blockedMm, packedFloats, scratchFloats, type GemmExports } from "./simd-gemm";
import type { ElementwiseExports } from "./elementwise";

export interface ThreadCtx {
  memory: WebAssembly.Memory;
  g: GemmExports;
  k: ElementwiseExports;
}

/**
 * How the threads of a job meet: barrier() waits for all of them; claim(i) takes the next chunk of
 * counter i (0..3) from 0 on; check() throws when the job has been abandoned (threads.ts), so that
 * a long stretch without barriers (an LSTM pass by sequences) stops at its next step.
 */
export interface Sync {
  barrier(): void;
  claim(counter: number): number;
  check(): void;
}

/** The Sync of a job on one thread. */
export function soloSync(): Sync {
  const next = [0, 0, 0, 0];
  return { barrier: () => {}, claim: (i) => next[i]++, check: () => {} };
}

/** Chunks of `unit`-multiples covering n items, about `perThread` for each of nt threads, each at least `least` items. */
export function chunking(n: number, unit: number, nt: number, least: number, perThread = 4): { size: number; count: number } {
  const want = Math.ceil(n / (nt * perThread));
  const size = Math.max(unit, Math.ceil(Math.max(least, want) / unit) * unit);
  return { size, count: Math.ceil(n / size) };
}

/** [lo, hi) of the tid-th of nt shares of n items, cut at multiples of `unit` (the last takes the rest). */
export function share(n: number, unit: number, tid: number, nt: number): [number, number] {
  const units = Math.floor(n / unit);
  const lo = Math.floor((units * tid) / nt) * unit;
  const hi = tid === nt - 1 ? n : Math.floor((units * (tid + 1)) / nt) * unit;
  return [lo, Math.max(lo, hi)];
}

// ---- a matrix product -------------------------------------------------------------------------

export interface GemmJob {
  a: number;
  b: number;
  c: number;
  M: number;
  K: number;
  N: number;
  sai: number;
  sak: number;
  /** 1: C += A·B. */
  acc: number;
  /** 1: B packed into panels (whole K). */
  packed: number;
  /** Byte address of bias[N], or 0. */
  bias: number;
  ldb: number;
  ldc: number;
  /** Per-thread packing space: thread t's at scratch + 4·t·scratchFloats (0: none). */
  scratch: number;
  scratchFloats: number;
  /** 1: shared out by columns of C, 0: by rows. */
  byCols: number;
}

/** The columns' cutting unit: 16 floats (a 64-byte line) when N allows, else 8 (a panel). */
const colUnit = (N: number) => (N % 16 === 0 ? 16 : 8);

/**
 * How a product is cut: blocks of rows of C (multiples of 4, at least 64: each packs its own blocks
 * of B, which 64 rows repay), or of columns (whole panels, at least 32 columns).
 */
function gemmChunks(p: Pick<GemmJob, "M" | "N" | "byCols">, nt: number): { size: number; count: number } {
  return p.byCols ? chunking(p.N, colUnit(p.N), nt, 32) : chunking(p.M, 4, nt, 64);
}

/** Scratch floats each thread needs for any chunk of this product (0 when none packs). */
export function gemmScratchFloats(p: Pick<GemmJob, "M" | "K" | "N" | "byCols">, nt: number): number {
  const { size, count } = gemmChunks(p, nt);
  let most = 0;
  for (const c of [0, count - 1]) {
    const lo = c * size;
    const n = Math.min(size, (p.byCols ? p.N : p.M) - lo);
    if (n > 0) most = Math.max(most, p.byCols ? scratchFloats(p.M, p.K, n) : scratchFloats(n, p.K, p.N));
  }
  return most;
}

export function gemmPart(ctx: ThreadCtx, p: GemmJob, tid: number, nt: number, sync: Sync): void {
  const { size, count } = gemmChunks(p, nt);
  const opts = {
    bias: 0,
    accumulate: p.acc !== 0,
    packed: p.packed !== 0,
    scratch: p.scratch && p.scratchFloats ? p.scratch + 4 * tid * p.scratchFloats : undefined,
    ldb: p.ldb,
    ldc: p.ldc,
  };
  for (let ch = sync.claim(0); ch < count; ch = sync.claim(0)) {
    if (p.byCols) {
      const j0 = ch * size;
      const n = Math.min(size, p.N - j0);
      const b = p.packed ? p.b + 32 * p.K * (j0 / 8) : p.b + 4 * j0;
      opts.bias = p.bias ? p.bias + 4 * j0 : 0;
      blockedMm(ctx.g, ctx.memory, p.a, b, p.c + 4 * j0, p.M, p.K, n, p.sai, p.sak, opts);
    } else {
      const r0 = ch * size;
      const m = Math.min(size, p.M - r0);
      opts.bias = p.bias;
      blockedMm(ctx.g, ctx.memory, p.a + 4 * r0 * p.sai, p.b, p.c + 4 * r0 * p.ldc, m, p.K, p.N, p.sai, p.sak, opts);
    }
  }
}

// ---- an LSTM layer through time (lstm-kernels.ts) ------------------------------------------------

export interface LstmForwardJob {
  x: number; // [T, B, D]
  Wx: number; // [D, 4H]
  Wh: number; // [H, 4H]
  b: number; // [4H]
  h0: number;
  c0: number; // [B, H]
  y: number; // [T+1, B, H]: h_1 .. h_T (c_T is copied after the job)
  act: number; // [T, B, 4H]
  c: number;
  tc: number; // [T, B, H]
  whP: number; // packedFloats(H, 4H): W_h packed, each thread its own panels
  T: number;
  B: number;
  D: number;
  H: number;
  /** 1: threads share the batch's sequences out (lstmByRows), 0: the hidden units. */
  byRows: number;
  scratch: number;
  scratchFloats: number;
}

/** Whether nt threads share an LSTM pass out by sequences (8 or more each) rather than by hidden units. */
export function lstmByRows(B: number, nt: number): boolean {
  return nt > 1 && B >= 8 * nt;
}

export function lstmForwardScratchFloats(p: Pick<LstmForwardJob, "T" | "B" | "D" | "H" | "byRows">, nt: number): number {
  let most = 0;
  for (let t = 0; t < nt; t++) {
    if (p.byRows) {
      const zc = chunking(p.T * p.B, 4, nt, 64);
      most = Math.max(
        most,
        scratchFloats(Math.min(zc.size, p.T * p.B), p.D, 4 * p.H),
        scratchFloats(p.T * p.B - (zc.count - 1) * zc.size, p.D, 4 * p.H),
      );
    } else {
      const [u0, u1] = share(p.H, 8, t, nt);
      if (u1 > u0) most = Math.max(most, scratchFloats(p.T * p.B, p.D, u1 - u0));
    }
  }
  return most;
}

export function lstmForwardPart(ctx: ThreadCtx, p: LstmForwardJob, tid: number, nt: number, sync: Sync): void {
  if (p.byRows) return lstmForwardRows(ctx, p, tid, nt, sync);
  const { g, k, memory } = ctx;
  const { T, B, D, H } = p;
  const G = 4 * H;
  const BH = B * H;
  const [u0, u1] = share(H, 8, tid, nt);
  const U = u1 - u0;
  const sc = p.scratchFloats ? p.scratch + 4 * tid * p.scratchFloats : undefined;
  if (U > 0) {
    for (let q = 0; q < 4; q++) {
      const col = q * H + u0;
      g.pack(p.Wh + 4 * col, p.whP + 32 * H * (col / 8), H, U, G, 1); // this thread's panels of W_h
      // Z = X W_x + b, this thread's columns of all steps
      blockedMm(g, memory, p.x, p.Wx + 4 * col, p.act + 4 * col, T * B, D, U, D, 1, { bias: p.b + 4 * col, scratch: sc, ldb: G, ldc: G });
    }
  }
  for (let t = 0; t < T; t++) {
    if (U > 0) {
      const hPrev = t === 0 ? p.h0 : p.y + 4 * (t - 1) * BH;
      const cPrev = t === 0 ? p.c0 : p.c + 4 * (t - 1) * BH;
      const z = p.act + 4 * t * B * G;
      for (let q = 0; q < 4; q++) {
        const col = q * H + u0;
        blockedMm(g, memory, hPrev, p.whP + 32 * H * (col / 8), z + 4 * col, B, H, U, H, 1, { accumulate: true, packed: true, ldc: G }); // z_t += h_{t-1} W_h
      }
      k.fwd(z + 4 * u0, cPrev + 4 * u0, p.c + 4 * (t * BH + u0), p.tc + 4 * (t * BH + u0), p.y + 4 * (t * BH + u0), B, H, U);
    }
    if (t < T - 1) sync.barrier(); // the next step reads all of h_t
  }
}

/** The forward pass shared out by sequences: rows b0..b1 of the batch at every step are this thread's. */
function lstmForwardRows(ctx: ThreadCtx, p: LstmForwardJob, tid: number, nt: number, sync: Sync): void {
  const { g, k, memory } = ctx;
  const { T, B, D, H } = p;
  const G = 4 * H;
  const BH = B * H;
  const sc = p.scratchFloats ? p.scratch + 4 * tid * p.scratchFloats : undefined;
  // W_h packed, a share of its panels each; Z = X W_x + b by chunks of its T·B rows
  const [j0, j1] = share(G, 8, tid, nt);
  if (j1 > j0) g.pack(p.Wh + 4 * j0, p.whP + 32 * H * (j0 / 8), H, j1 - j0, G, 1);
  const zc = chunking(T * B, 4, nt, 64);
  for (let ch = sync.claim(0); ch < zc.count; ch = sync.claim(0)) {
    const r0 = ch * zc.size;
    blockedMm(g, memory, p.x + 4 * r0 * D, p.Wx, p.act + 4 * r0 * G, Math.min(zc.size, T * B - r0), D, G, D, 1, { bias: p.b, scratch: sc });
  }
  sync.barrier(); // every step below reads all of W_h and its rows of Z, which other threads wrote
  const [b0, b1] = share(B, 4, tid, nt);
  const n = b1 - b0;
  if (n <= 0) return;
  for (let t = 0; t < T; t++) {
    sync.check();
    const hPrev = (t === 0 ? p.h0 : p.y + 4 * (t - 1) * BH) + 4 * b0 * H;
    const cPrev = (t === 0 ? p.c0 : p.c + 4 * (t - 1) * BH) + 4 * b0 * H;
    const z = p.act + 4 * (t * B + b0) * G;
    blockedMm(g, memory, hPrev, p.whP, z, n, H, G, H, 1, { accumulate: true, packed: true }); // z_t += h_{t-1} W_h
    const at = 4 * (t * BH + b0 * H);
    k.fwd(z, cPrev, p.c + at, p.tc + at, p.y + at, n, H, H);
  }
}

export interface LstmBackwardJob {
  x: number;
  Wx: number;
  Wh: number;
  h0: number;
  c0: number;
  y: number;
  act: number;
  c: number;
  tc: number;
  dy: number; // [T+1, B, H]
  dx: number;
  dWx: number;
  dWh: number;
  db: number;
  dh0: number;
  dc0: number; // the running dL/dc: dL/dc_T on entry (written by the caller), dL/dc_0 at the end
  dz: number; // [T·B, 4H]
  whT: number; // packedFloats(4H, H)
  wxT: number; // packedFloats(4H, D)
  dh: number; // 3·B·H floats: two dL/dh buffers in turn, then zeros (the caller zeroes them)
  T: number;
  B: number;
  D: number;
  H: number;
  byRows: number;
  scratch: number;
  scratchFloats: number;
}

export function lstmBackwardScratchFloats(p: Pick<LstmBackwardJob, "T" | "B" | "D" | "H" | "byRows">, nt: number): number {
  const N = p.T * p.B;
  const { cols } = lstmGradChunks(p.T, p.B, p.H, nt);
  let most = 0;
  for (const n of [Math.min(cols.size, 4 * p.H), 4 * p.H - (cols.count - 1) * cols.size]) {
    if (n > 0) most = Math.max(most, scratchFloats(p.D, N, n), scratchFloats(p.H, N, n), scratchFloats(p.H, p.B, n));
  }
  return most;
}

export function lstmBackwardPart(ctx: ThreadCtx, p: LstmBackwardJob, tid: number, nt: number, sync: Sync): void {
  const { g, k, memory } = ctx;
  const { T, B, D, H } = p;
  const G = 4 * H;
  const BH = B * H;
  const [u0, u1] = share(H, 8, tid, nt);
  const U = u1 - u0;
  // (W_hᵀ)[g, h] = W_h[h, g]: this thread's columns h of it, packed straight from W_h; W_xᵀ shared out by panels
  if (U > 0) g.pack(p.Wh + 4 * u0 * G, p.whT + 32 * G * (u0 / 8), G, U, 1, G);
  const [d0, d1] = share(D, 8, tid, nt);
  if (d1 > d0) g.pack(p.Wx + 4 * d0 * G, p.wxT + 32 * G * (d0 / 8), G, d1 - d0, 1, G);
  if (p.byRows) {
    sync.barrier(); // every thread's steps read all of W_hᵀ
    const [b0, b1] = share(B, 4, tid, nt);
    const n = b1 - b0;
    let dhNext = p.dh + 8 * BH + 4 * b0 * H;
    for (let t = T - 1; t >= 0 && n > 0; t--) {
      sync.check();
      const cPrev = (t === 0 ? p.c0 : p.c + 4 * (t - 1) * BH) + 4 * b0 * H;
      const dzt = p.dz + 4 * (t * B + b0) * G;
      const at = 4 * (t * BH + b0 * H);
      k.bwd(p.act + 4 * (t * B + b0) * G, cPrev, p.tc + at, p.dy + at, dhNext, p.dc0 + 4 * b0 * H, dzt, n, H, H);
      const dhPrev = (t === 0 ? p.dh0 : p.dh + 4 * (t % 2) * BH) + 4 * b0 * H;
      blockedMm(g, memory, dzt, p.whT, dhPrev, n, G, H, G, 1, { packed: true }); // dL/dh_{t-1} = dZ_t W_hᵀ
      dhNext = dhPrev;
    }
    sync.barrier(); // the weight gradients read all of dZ
    return lstmWeightGrads(ctx, p, tid, nt, sync);
  }
  let dhNext = p.dh + 8 * BH; // zeros: nothing flows into h_T from later steps
  for (let t = T - 1; t >= 0; t--) {
    const cPrev = t === 0 ? p.c0 : p.c + 4 * (t - 1) * BH;
    const dzt = p.dz + 4 * t * B * G;
    if (U > 0)
      k.bwd(
        p.act + 4 * (t * B * G + u0),
        cPrev + 4 * u0,
        p.tc + 4 * (t * BH + u0),
        p.dy + 4 * (t * BH + u0),
        dhNext + 4 * u0,
        p.dc0 + 4 * u0,
        dzt + 4 * u0,
        B,
        H,
        U,
      );
    sync.barrier(); // the product below reads all of dZ_t
    const dhPrev = t === 0 ? p.dh0 : p.dh + 4 * (t % 2) * BH;
    if (U > 0) blockedMm(g, memory, dzt, p.whT + 32 * G * (u0 / 8), dhPrev + 4 * u0, B, G, U, G, 1, { packed: true, ldc: H }); // dL/dh_{t-1} = dZ_t W_hᵀ
    dhNext = dhPrev;
  }
  // The loop's barriers have made all of dZ and W_xᵀ visible.
  lstmWeightGrads(ctx, p, tid, nt, sync);
}

/** The weight gradients' chunks: columns of dZ (at least 32), and rows of dX (at least 64). */
function lstmGradChunks(T: number, B: number, H: number, nt: number) {
  const G = 4 * H;
  return { cols: chunking(G, colUnit(G), nt, 32), rows: chunking(T * B, 4, nt, 64) };
}

/** After the steps: dW_x, dW_h and db by chunks of columns of dZ, then dX by chunks of rows. */
function lstmWeightGrads(ctx: ThreadCtx, p: LstmBackwardJob, tid: number, nt: number, sync: Sync): void {
  const { g, k, memory } = ctx;
  const { T, B, D, H } = p;
  const G = 4 * H;
  const N = T * B;
  const sc = p.scratchFloats ? p.scratch + 4 * tid * p.scratchFloats : undefined;
  const { cols, rows } = lstmGradChunks(T, B, H, nt);
  const opts = { scratch: sc, ldb: G, ldc: G };
  for (let ch = sync.claim(1); ch < cols.count; ch = sync.claim(1)) {
    const j0 = ch * cols.size;
    const n = Math.min(cols.size, G - j0);
    blockedMm(g, memory, p.x, p.dz + 4 * j0, p.dWx + 4 * j0, D, N, n, 1, D, opts); // dW_x = Xᵀ dZ
    blockedMm(g, memory, p.h0, p.dz + 4 * j0, p.dWh + 4 * j0, H, B, n, 1, H, opts); // dW_h = h_0ᵀ dZ_1 + [h_1 .. h_{T-1}]ᵀ [dZ_2 .. dZ_T]
    if (T > 1) blockedMm(g, memory, p.y, p.dz + 4 * (B * G + j0), p.dWh + 4 * j0, H, N - B, n, 1, H, { ...opts, accumulate: true });
    k.colsum(p.dz + 4 * j0, p.db + 4 * j0, N, n, G);
  }
  for (let ch = sync.claim(2); ch < rows.count; ch = sync.claim(2)) {
    const r0 = ch * rows.size;
    blockedMm(g, memory, p.dz + 4 * r0 * G, p.wxT, p.dx + 4 * r0 * D, Math.min(rows.size, N - r0), G, D, G, 1, { packed: true }); // dX = dZ W_xᵀ
  }
}

// ---- causal self-attention of one layer (attention-kernels.ts) -------------------------------------

export interface AttentionJob {
  qkv: number; // [B, T, 3C]: q | k | v, head h in columns h·hd .. of each
  att: number; // [B, nHead, T, T]: softmax(scale · q kᵀ), causal (written forward, read backward)
  y: number; // forward: [B, T, C], the heads side by side
  dy: number; // backward: dL/dy [B, T, C]
  dqkv: number; // backward: [B, T, 3C]
  B: number;
  T: number;
  C: number;
  nHead: number;
  scale: number;
  scratch: number;
  scratchFloats: number;
}

/** Per-thread scratch of attention: a packed kᵀ or vᵀ, a T x T block, and packing space for the products with hd columns. */
export function attentionScratchFloats(T: number, hd: number): number {
  return packedFloats(hd, T) + T * T + scratchFloats(T, T, hd);
}

export function attentionForwardPart(ctx: ThreadCtx, p: AttentionJob, tid: number, _nt: number, sync: Sync): void {
  const { g, k, memory } = ctx;
  const { B, T, C, nHead } = p;
  const hd = C / nHead;
  const C3 = 3 * C;
  const kp = p.scratch + 4 * tid * p.scratchFloats;
  const work = kp + 4 * (packedFloats(hd, T) + T * T);
  for (let pr = sync.claim(0); pr < B * nHead; pr = sync.claim(0)) {
    const bi = Math.floor(pr / nHead);
    const h = pr - bi * nHead;
    const q = p.qkv + 4 * (bi * T * C3 + h * hd);
    const S = p.att + 4 * pr * T * T;
    g.pack(q + 4 * C, kp, hd, T, 1, C3); // kᵀ[d, j] = k[j, d]
    blockedMm(g, memory, q, kp, S, T, hd, T, C3, 1, { packed: true }); // S = q kᵀ
    k.softmax(S, T, T, T, p.scale, 1, 0);
    blockedMm(g, memory, S, q + 8 * C, p.y + 4 * (bi * T * C + h * hd), T, T, hd, T, 1, { ldb: C3, ldc: C, scratch: work }); // y = att · v
  }
}

export function attentionBackwardPart(ctx: ThreadCtx, p: AttentionJob, tid: number, _nt: number, sync: Sync): void {
  const { g, k, memory } = ctx;
  const { B, T, C, nHead } = p;
  const hd = C / nHead;
  const C3 = 3 * C;
  const vp = p.scratch + 4 * tid * p.scratchFloats;
  const dA = vp + 4 * packedFloats(hd, T);
  const work = dA + 4 * T * T;
  for (let pr = sync.claim(0); pr < B * nHead; pr = sync.claim(0)) {
    const bi = Math.floor(pr / nHead);
    const h = pr - bi * nHead;
    const q = p.qkv + 4 * (bi * T * C3 + h * hd);
    const kk = q + 4 * C;
    const v = q + 8 * C;
    const S = p.att + 4 * pr * T * T;
    const dY = p.dy + 4 * (bi * T * C + h * hd);
    const dq = p.dqkv + 4 * (bi * T * C3 + h * hd);
    g.pack(v, vp, hd, T, 1, C3); // vᵀ
    blockedMm(g, memory, dY, vp, dA, T, hd, T, C, 1, { packed: true }); // dAtt = dY vᵀ
    blockedMm(g, memory, S, dY, dq + 8 * C, T, T, hd, 1, T, { ldb: C, ldc: C3, scratch: work }); // dV = attᵀ dY
    k.softmax_grad(S, dA, T, T, T, p.scale); // dS, with the scale
    blockedMm(g, memory, dA, kk, dq, T, T, hd, T, 1, { ldb: C3, ldc: C3, scratch: work }); // dQ = dS k
    blockedMm(g, memory, dA, q, dq + 4 * C, T, T, hd, 1, T, { ldb: C3, ldc: C3, scratch: work }); // dK = dSᵀ q
  }
}

// ---- LayerNorm and GELU (norm-kernels.ts) ---------------------------------------------------------

export interface NormJob {
  /** LayerNorm: x [rows, C]; its gradient: dy, xhat, rstd, and dg/db per thread at partials (2C floats each). */
  x: number;
  g: number;
  b: number;
  y: number;
  xhat: number;
  rstd: number;
  dy: number;
  dx: number;
  partials: number;
  rows: number;
  C: number;
  eps: number;
}

/** Chunks of rows; each thread's rows of y, x̂ and rstd. */
export function layerNormPart(ctx: ThreadCtx, p: NormJob, _tid: number, nt: number, sync: Sync): void {
  const { size, count } = chunking(p.rows, 1, nt, 16);
  for (let ch = sync.claim(0); ch < count; ch = sync.claim(0)) {
    const r0 = ch * size;
    ctx.k.layernorm(
      p.x + 4 * r0 * p.C,
      p.g,
      p.b,
      p.y + 4 * r0 * p.C,
      p.xhat + 4 * r0 * p.C,
      p.rstd + 4 * r0,
      Math.min(size, p.rows - r0),
      p.C,
      p.eps,
    );
  }
}

/** Chunks of rows; each thread sums its rows' dg and db into its own 2C partial floats (the caller adds them up). */
export function layerNormGradPart(ctx: ThreadCtx, p: NormJob, tid: number, nt: number, sync: Sync): void {
  const dg = p.partials + 8 * tid * p.C;
  new Float32Array(ctx.memory.buffer, dg, 2 * p.C).fill(0);
  const { size, count } = chunking(p.rows, 1, nt, 16);
  for (let ch = sync.claim(0); ch < count; ch = sync.claim(0)) {
    const r0 = ch * size;
    ctx.k.layernorm_grad(
      p.dy + 4 * r0 * p.C,
      p.xhat + 4 * r0 * p.C,
      p.rstd + 4 * r0,
      p.g,
      p.dx + 4 * r0 * p.C,
      dg,
      dg + 4 * p.C,
      Math.min(size, p.rows - r0),
      p.C,
    );
  }
}

export interface GeluJob {
  x: number;
  /** 0 for the forward pass. */
  dy: number;
  out: number;
  /** A multiple of 4. */
  n: number;
}

export function geluPart(ctx: ThreadCtx, p: GeluJob, _tid: number, nt: number, sync: Sync): void {
  const { size, count } = chunking(p.n, 4, nt, 4096);
  for (let ch = sync.claim(0); ch < count; ch = sync.claim(0)) {
    const e0 = ch * size;
    ctx.k.gelu(p.x + 4 * e0, p.dy ? p.dy + 4 * e0 : 0, p.out + 4 * e0, Math.min(size, p.n - e0));
  }
}

// ---- what goes between threads -------------------------------------------------------------------

export const JOBS = {
  gemm: 1,
  lstmForward: 2,
  lstmBackward: 3,
  attentionForward: 4,
  attentionBackward: 5,
  layerNorm: 6,
  layerNormGrad: 7,
  gelu: 8,
} as const;
export type JobName = keyof typeof JOBS;

/** Each job's fields in the order they are written to the shared parameter block. */
export const JOB_FIELDS: Record<JobName, readonly string[]> = {
  gemm: ["a", "b", "c", "M", "K", "N", "sai", "sak", "acc", "packed", "bias", "ldb", "ldc", "scratch", "scratchFloats", "byCols"],
  lstmForward: ["x", "Wx", "Wh", "b", "h0", "c0", "y", "act", "c", "tc", "whP", "T", "B", "D", "H", "byRows", "scratch", "scratchFloats"],
  lstmBackward: [
    "x",
    "Wx",
    "Wh",
    "h0",
    "c0",
    "y",
    "act",
    "c",
    "tc",
    "dy",
    "dx",
    "dWx",
    "dWh",
    "db",
    "dh0",
    "dc0",
    "dz",
    "whT",
    "wxT",
    "dh",
    "T",
    "B",
    "D",
    "H",
    "byRows",
    "scratch",
    "scratchFloats",
  ],
  attentionForward: ["qkv", "att", "y", "dy", "dqkv", "B", "T", "C", "nHead", "scale", "scratch", "scratchFloats"],
  attentionBackward: ["qkv", "att", "y", "dy", "dqkv", "B", "T", "C", "nHead", "scale", "scratch", "scratchFloats"],
  layerNorm: ["x", "g", "b", "y", "xhat", "rstd", "dy", "dx", "partials", "rows", "C", "eps"],
  layerNormGrad: ["x", "g", "b", "y", "xhat", "rstd", "dy", "dx", "partials", "rows", "C", "eps"],
  gelu: ["x", "dy", "out", "n"],
};

/** Run a job's share for thread tid of nt. */
export function runPart(ctx: ThreadCtx, job: JobName, p: Record<string, number>, tid: number, nt: number, sync: Sync): void {
  switch (job) {
    case "gemm":
      return gemmPart(ctx, p as unknown as GemmJob, tid, nt, sync);
    case "lstmForward":
      return lstmForwardPart(ctx, p as unknown as LstmForwardJob, tid, nt, sync);
    case "lstmBackward":
      return lstmBackwardPart(ctx, p as unknown as LstmBackwardJob, tid, nt, sync);
    case "attentionForward":
      return attentionForwardPart(ctx, p as unknown as AttentionJob, tid, nt, sync);
    case "attentionBackward":
      return attentionBackwardPart(ctx, p as unknown as AttentionJob, tid, nt, sync);
    case "layerNorm":
      return layerNormPart(ctx, p as unknown as NormJob, tid, nt, sync);
    case "layerNormGrad":
      return layerNormGradPart(ctx, p as unknown as NormJob, tid, nt, sync);
    case "gelu":
      return geluPart(ctx, p as unknown as GeluJob, tid, nt, sync);
  }
}
