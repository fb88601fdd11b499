// A matrix product in WebAssembly SIMD that runs on TensorFlow.js's own wasm heap (gemm.wat).
// XNNPACK, as tfjs-backend-wasm 4.22 calls it, managed 13-22 GFLOP/s here and only for
// untransposed products; this 4 x 8 register-blocked loop measured 27-33 GFLOP/s (alone on a core) on
// the shapes of the course's models with B row-major, and more with B packed into 8-column panels
// (gemm.wat says why); it reads a transposed left operand in place, so the batched products of
// attention cost no more per flop than one large product.
//
// The module imports the backend's WebAssembly.Memory, so it works on tensors where they lie;
// when tfjs grows its memory the same Memory object grows, and our instance sees it. A shared
// memory (src/backend/shared-heap.ts makes tfjs's heap one) gets the variant that imports a shared
// memory, which worker threads instantiate too (threads.ts); this file's blocked driver (`blockedMm`)
// is what every thread runs on its share of a product, so it imports nothing of TensorFlow.js.
//
// Fused multiply-add: where the engine has relaxed SIMD, the variants whose multiply-adds are one
// f32x4.relaxed_madd are used (`fmaAvailable`). Node 20 (V8 11.3) has it behind
// --experimental-wasm-relaxed-simd; a wasm feature flag is read when a module is validated, so
// setting it from here with v8.setFlagsFromString works in any process, without a flag on the
// command line (which a start-up snapshot would have to be built with too). SEQLAB_FMA=0 keeps the
// separate multiply and add. FMA rounds once where mul + add rounds twice: products differ from the
// plain kernel's in the last bits, well within the tolerances of the tests.
import { GEMM_FMA_WASM_BASE64, GEMM_SHARED_FMA_WASM_BASE64, GEMM_SHARED_WASM_BASE64, GEMM_WASM_BASE64 } from "./gemm-wasm";

export interface GemmOptions {
  /** A byte address of bias[N], added to every row (C = A·B + bias). */
  bias?: number;
  /** C += A·B. */
  accumulate?: boolean;
  /** B is already packed into panels (`SimdGemm.pack` with the same K; a block of columns starts at a panel). */
  packed?: boolean;
  /**
   * A byte address of `scratchFloats(M, K, N)` floats where B may be packed, block by block of K, when
   * A has enough rows to repay it; without it B is read row-major.
   */
  scratch?: number;
  /** Floats from one row of a row-major B to the next (default N: B is [K, N]; more for a block of columns). */
  ldb?: number;
  /** Floats from one row of C to the next (default N). */
  ldc?: number;
}

export interface SimdGemm {
  /** C[M,N] = A[M,K]·B[K,N] at byte addresses; B (unless packed) and C row-major, A[i,k] at a + 4(i·sai + k·sak). */
  mm(a: number, b: number, c: number, M: number, K: number, N: number, sai: number, sak: number, opts?: GemmOptions): void;
  /**
   * Pack B[K,N] (B[k,n] at src + 4(k·sk + n·sn): sk = N, sn = 1 for row-major B; sk = 1, sn = K for a
   * B stored transposed) into panels at dst: `packedFloats(K, N)` floats. For operands used many
   * times, such as a recurrent weight at every step.
   */
  pack(src: number, dst: number, K: number, N: number, sk: number, sn: number): void;
  /** Whether the multiply-adds are fused (relaxed SIMD). */
  readonly fma: boolean;
  /** Whether this instance runs on a shared memory (threads can take part). */
  readonly shared: boolean;
}

/** The floats B[K,N] takes packed (N rounded up to whole 8-column panels). */
export function packedFloats(K: number, N: number): number {
  return K * 8 * Math.ceil(N / 8);
}

/**
 * Blocking for the caches. The kernel walks B's 8-column panels and, for each, every 4 rows of A,
 * so the part of A it is given should stay in the nearest cache: at most MC rows by KC columns of
 * it (32 KB) per call, accumulating into C over the KC-blocks of K. Without this, a weight gradient
 * (K = batch x context = 2,048) streamed megabytes from far caches for every panel.
 */
const KC = 128;
const MC = 64;
const A_FLOATS = MC * KC;
/** Rows of A from which packing each block of B pays for itself (it is read once per 4 rows). */
const PACK_ROWS = 16;

/** The K-block length for a product with M rows. */
function kBlock(M: number): number {
  return Math.max(KC, Math.floor(A_FLOATS / Math.max(4, Math.min(MC, M - (M % 4))))); // fewer rows, longer passes
}

/** Scratch floats `mm` may use to pack B and a transposed A (0 when it would not pack: too few rows). */
export function scratchFloats(M: number, K: number, N: number): number {
  const kc = Math.min(K, kBlock(M));
  return M >= PACK_ROWS ? packedFloats(kc, N) + MC * kc : 0;
}

/**
 * Whether a product of these sizes is worth the kernel (else the caller takes another path). The
 * kernel does blocks of 4 rows x 8 columns; up to 3 rows beyond the last block are done by one more
 * block over the last 4 rows (blockedMm). Columns must fill whole blocks (callers pad N).
 */
export function simdFits(M: number, N: number): boolean {
  return M >= 4 && N >= 8 && N % 8 === 0;
}

/** gemm.wat's exports. */
export interface GemmExports {
  mm(
    a: number,
    b: number,
    c: number,
    M: number,
    K: number,
    N: number,
    sai: number,
    sak: number,
    acc: number,
    bias: number,
    ldb: number,
    pstride: number,
    ldc: number,
  ): void;
  pack(src: number, dst: number, K: number, N: number, sk: number, sn: number): void;
  packa(src: number, dst: number, rows: number, kk: number, sak: number): void;
}

/** A module with one f32x4.relaxed_madd: valid only where the engine has relaxed SIMD. */
const RELAXED_MADD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11,
]);

let fmaState: boolean | undefined;

/**
 * Whether the fused multiply-add variants can run here (read once; SEQLAB_FMA=0: never). On Node 20
 * this turns on V8's --experimental-wasm-relaxed-simd (see the header).
 */
export function fmaAvailable(): boolean {
  if (fmaState !== undefined) return fmaState;
  if (process.env.SEQLAB_FMA === "0") return (fmaState = false);
  const valid = () => {
    try {
      return WebAssembly.validate(RELAXED_MADD_PROBE);
    } catch {
      return false;
    }
  };
  let ok = valid();
  if (!ok && Number(process.versions.node.split(".")[0]) === 20) {
    try {
      require("v8").setFlagsFromString("--experimental-wasm-relaxed-simd");
      ok = valid();
    } catch {
      ok = false;
    }
  }
  return (fmaState = ok);
}

let fmaWanted: boolean | undefined;

/** Whether products use the fused multiply-add variants now: fmaAvailable(), unless setFma() said otherwise. */
export function fmaEnabled(): boolean {
  return fmaWanted ?? fmaAvailable();
}

/** Use the fused (true) or the separate multiply-adds from now on (tests and benchmarks compare them). */
export function setFma(on: boolean): void {
  if (on && !fmaAvailable()) throw new Error("setFma(true): this engine has no relaxed SIMD (or SEQLAB_FMA=0)");
  fmaWanted = on;
}

const modules = new Map<string, WebAssembly.Module>();

/** gemm.wat compiled in the variant for this memory (shared or not) and FMA (or not). */
export function gemmModule(shared: boolean, fma: boolean): WebAssembly.Module {
  const key = `${shared}:${fma}`;
  let m = modules.get(key);
  if (!m) {
    const b64 = shared ? (fma ? GEMM_SHARED_FMA_WASM_BASE64 : GEMM_SHARED_WASM_BASE64) : fma ? GEMM_FMA_WASM_BASE64 : GEMM_WASM_BASE64;
    m = new WebAssembly.Module(Buffer.from(b64, "base64"));
    modules.set(key, m);
  }
  return m;
}

/** Whether a memory is shared (its buffer a SharedArrayBuffer). */
export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * C = A·B by blocks, as described at KC/MC above: `ex` is gemm.wat instantiated on `memory`. Main
 * thread and worker threads alike run this (on their share of the rows or columns).
 */
export function blockedMm(
  ex: GemmExports,
  memory: WebAssembly.Memory,
  a: number,
  b: number,
  c: number,
  M: number,
  K: number,
  N: number,
  sai: number,
  sak: number,
  opts: GemmOptions = {},
): void {
  const { bias = 0, accumulate = false, packed = false, scratch, ldb = N, ldc = N } = opts;
  const M4 = M - (M % 4);
  const kc = kBlock(M);
  const packHere = !packed && scratch !== undefined && M >= PACK_ROWS;
  for (let k0 = 0; k0 < K; k0 += kc) {
    const kk = Math.min(kc, K - k0);
    let pb = b + 4 * k0 * ldb; // row-major B: its rows k0.., panels 32 bytes apart
    let ldbBytes = 4 * ldb;
    let pstride = 32;
    if (packed) [pb, ldbBytes, pstride] = [b + 32 * k0, 32, 32 * K];
    else if (packHere) {
      ex.pack(pb, scratch, kk, N, ldb, 1);
      [pb, ldbBytes, pstride] = [scratch, 32, 32 * kk];
    }
    for (let i0 = 0; i0 < M4; i0 += MC) {
      const rows = Math.min(MC, M4 - i0);
      let [pa, si, sk] = [a + 4 * (i0 * sai + k0 * sak), sai, sak];
      if (packHere && sai === 1 && sak !== rows) {
        // A stored transposed: its block's columns are sak floats apart, for a hidden size of 256 a
        // multiple of 1 KB, so they crowd a few cache sets; copied side by side they do not (in
        // wasm: one copyWithin per column from JavaScript cost a GPT weight gradient a fifth).
        const dst = scratch + 4 * packedFloats(kk, N);
        ex.packa(pa, dst, rows, kk, sak);
        [pa, si, sk] = [dst, 1, rows];
      }
      ex.mm(pa, pb, c + 4 * i0 * ldc, rows, kk, N, si, sk, accumulate || k0 > 0 ? 1 : 0, bias, ldbBytes, pstride, ldc);
    }
  }
  if (M4 < M && M >= 4) {
    // The last 1-3 rows: the kernel over the last 4 rows, which overlap rows already done; those are
    // kept and put back afterwards (with accumulate they would be added twice). In JavaScript these
    // rows cost an LSTM whose batch is not a multiple of 4 more than all the others together.
    const first = M - 4;
    const f = new Float32Array(memory.buffer);
    const kept = Array.from({ length: M4 - first }, (_, r) => f.slice((c >>> 2) + (first + r) * ldc, (c >>> 2) + (first + r) * ldc + N));
    blockedMm(ex, memory, a + 4 * first * sai, b, c + 4 * first * ldc, 4, K, N, sai, sak, opts);
    const g = new Float32Array(memory.buffer); // the same buffer unless the kernel grew the memory (it does not allocate)
    kept.forEach((row, r) => g.set(row, (c >>> 2) + (first + r) * ldc));
  } else if (M4 < M) {
    const bAt = packed
      ? (k: number, j: number) => (b >>> 2) + 8 * ((j >>> 3) * K + k) + (j & 7)
      : (k: number, j: number) => (b >>> 2) + k * ldb + j;
    lastRows(new Float32Array(memory.buffer), a >>> 2, bAt, c >>> 2, M4, M, K, N, sai, sak, ldc, bias ? bias >>> 2 : -1, accumulate);
  }
}

const instances = new WeakMap<WebAssembly.Memory, Map<boolean, { g: SimdGemm; ex: GemmExports }>>();

function bound(memory: WebAssembly.Memory, fma: boolean): { g: SimdGemm; ex: GemmExports } | undefined {
  let byFma = instances.get(memory);
  let b = byFma?.get(fma);
  if (b) return b;
  try {
    const shared = isShared(memory);
    const ex = new WebAssembly.Instance(gemmModule(shared, fma), { env: { memory } }).exports as unknown as GemmExports;
    const g: SimdGemm = {
      mm: (a, b, c, M, K, N, sai, sak, opts) => blockedMm(ex, memory, a, b, c, M, K, N, sai, sak, opts),
      pack: ex.pack,
      fma,
      shared,
    };
    b = { g, ex };
  } catch {
    return undefined; // no SIMD in this engine: XNNPACK and the explicit transposes remain
  }
  if (!byFma) instances.set(memory, (byFma = new Map()));
  byFma.set(fma, b);
  return b;
}

/**
 * The kernel bound to `memory` (tfjs-backend-wasm's, `backend.wasm.asm.memory`), or undefined where
 * WebAssembly SIMD is unavailable or SEQLAB_SIMD_GEMM=0 turns it off (for comparisons). `fma` chooses
 * the variant (default: `fmaEnabled()`, fused where the engine has it); the tests ask for both.
 */
export function simdGemm(memory: WebAssembly.Memory | undefined, opts: { fma?: boolean } = {}): SimdGemm | undefined {
  if (!memory) return undefined;
  if (opts.fma && !fmaAvailable()) return undefined;
  const fma = opts.fma ?? fmaEnabled();
  const cached = instances.get(memory)?.get(fma);
  if (cached) return cached.g;
  if (process.env.SEQLAB_SIMD_GEMM === "0") return undefined; // read once per memory: this runs per product
  return bound(memory, fma)?.g;
}

/** gemm.wat's own exports on `memory`, in the variant simdGemm(memory, opts) uses (for blockedMm). */
export function gemmExports(memory: WebAssembly.Memory, opts: { fma?: boolean } = {}): GemmExports | undefined {
  if (opts.fma && !fmaAvailable()) return undefined;
  return bound(memory, opts.fma ?? fmaEnabled())?.ex;
}

/** Rows M4..M of C when M < 4 (no 4-row block to overlap), in JavaScript: float indices (B's element (k, j) at bAt); bias < 0 for none. */
function lastRows(
  f: Float32Array,
  a: number,
  bAt: (k: number, j: number) => number,
  c: number,
  M4: number,
  M: number,
  K: number,
  N: number,
  sai: number,
  sak: number,
  ldc: number,
  bias: number,
  accumulate: boolean,
) {
  for (let i = M4; i < M; i++) {
    const row = c + i * ldc;
    if (!accumulate) {
      if (bias >= 0) f.copyWithin(row, bias, bias + N);
      else f.fill(0, row, row + N);
    }
    for (let k = 0; k < K; k++) {
      const x = f[a + i * sai + k * sak];
      for (let j = 0; j < N; j++) f[row + j] += x * f[bAt(k, j)];
    }
  }
}
