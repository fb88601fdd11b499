// A matrix product in WebAssembly SIMD that runs on TensorFlow.js's own wasm heap (gemm.wat).
// XNNPACK, as tfjs-backend-wasm 4.22 calls it, managed 13-22 GFLOP/s here and only for
// untransposed products; this 4 x 8 register-blocked loop measured 27-33 GFLOP/s (alone on a core) on
// the shapes of the course's models with B row-major, and more with B packed into 8-column panels
// (gemm.wat says why); it reads a transposed left operand in place, so the batched products of
// attention cost no more per flop than one large product.
//
// The module imports the backend's WebAssembly.Memory, so it works on tensors where they lie;
// when tfjs grows its memory the same Memory object grows, and our instance sees it.
import { GEMM_WASM_BASE64 } from "./gemm-wasm";

export interface GemmOptions {
  /** A byte address of bias[N], added to every row (C = A·B + bias). */
  bias?: number;
  /** C += A·B. */
  accumulate?: boolean;
  /** B is already packed into panels (`SimdGemm.pack` with the same K and N). */
  packed?: boolean;
  /**
   * A byte address of `scratchFloats(M, K, N)` floats where B may be packed, block by block of K, when
   * A has enough rows to repay it; without it B is read row-major.
   */
  scratch?: number;
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

const instances = new WeakMap<WebAssembly.Memory, SimdGemm>();
let compiled: WebAssembly.Module | undefined;

/**
 * Whether a product of these sizes is worth the kernel (else the caller takes another path). The
 * kernel does blocks of 4 rows x 8 columns; up to 3 rows beyond the last block (the bias row of
 * [x | 1]ᵀ·dy) are finished in JavaScript. Columns must fill whole blocks (callers pad N).
 */
export function simdFits(M: number, N: number): boolean {
  return M >= 4 && N >= 8 && N % 8 === 0;
}

type Kernel = (a: number, b: number, c: number, M: number, K: number, N: number, sai: number, sak: number, acc: number, bias: number, ldb: number, pstride: number) => void;
type Pack = SimdGemm["pack"];

/**
 * The kernel bound to `memory` (tfjs-backend-wasm's, `backend.wasm.asm.memory`), or undefined where
 * WebAssembly SIMD is unavailable or SEQLAB_SIMD_GEMM=0 turns it off (for comparisons).
 */
export function simdGemm(memory: WebAssembly.Memory | undefined): SimdGemm | undefined {
  if (!memory) return undefined;
  let g = instances.get(memory);
  if (g) return g;
  if (process.env.SEQLAB_SIMD_GEMM === "0") return undefined; // read once per memory: this runs per product
  try {
    compiled ??= new WebAssembly.Module(Buffer.from(GEMM_WASM_BASE64, "base64"));
    const ex = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as { mm: Kernel; pack: Pack };
    const kernel = ex.mm;
    const pack = ex.pack;
    const mm: SimdGemm["mm"] = (a, b, c, M, K, N, sai, sak, opts = {}) => {
      const { bias = 0, accumulate = false, packed = false, scratch } = opts;
      const M4 = M - (M % 4);
      const kc = kBlock(M);
      const packHere = !packed && scratch !== undefined && M >= PACK_ROWS;
      for (let k0 = 0; k0 < K; k0 += kc) {
        const kk = Math.min(kc, K - k0);
        let pb = b + 4 * k0 * N; // row-major B: its rows k0.., panels 32 bytes apart
        let ldb = 4 * N;
        let pstride = 32;
        if (packed) [pb, ldb, pstride] = [b + 32 * k0, 32, 32 * K];
        else if (packHere) {
          pack(pb, scratch, kk, N, N, 1);
          [pb, ldb, pstride] = [scratch, 32, 32 * kk];
        }
        for (let i0 = 0; i0 < M4; i0 += MC) {
          const rows = Math.min(MC, M4 - i0);
          let [pa, si, sk] = [a + 4 * (i0 * sai + k0 * sak), sai, sak];
          if (packHere && sai === 1 && sak !== rows) {
            // A stored transposed: its block's columns are sak floats apart, for a hidden size of 256 a
            // multiple of 1 KB, so they crowd a few cache sets; copied side by side they do not.
            const f = new Float32Array(memory.buffer);
            const dst = (scratch + 4 * packedFloats(kk, N)) >>> 2;
            for (let k = 0; k < kk; k++) f.copyWithin(dst + k * rows, (pa >>> 2) + k * sak, (pa >>> 2) + k * sak + rows);
            [pa, si, sk] = [4 * dst, 1, rows];
          }
          kernel(pa, pb, c + 4 * i0 * N, rows, kk, N, si, sk, accumulate || k0 > 0 ? 1 : 0, bias, ldb, pstride);
        }
      }
      if (M4 < M) {
        const bAt = packed ? (k: number, j: number) => (b >>> 2) + 8 * ((j >>> 3) * K + k) + (j & 7) : (k: number, j: number) => (b >>> 2) + k * N + j;
        lastRows(new Float32Array(memory.buffer), a >>> 2, bAt, c >>> 2, M4, M, K, N, sai, sak, bias ? bias >>> 2 : -1, accumulate);
      }
    };
    g = { mm, pack };
  } catch {
    return undefined; // no SIMD in this engine: XNNPACK and the explicit transposes remain
  }
  instances.set(memory, g);
  return g;
}

/** Rows M4..M of C (fewer than 4), in JavaScript: float indices (B's element (k, j) at bAt); bias < 0 for none. */
function lastRows(f: Float32Array, a: number, bAt: (k: number, j: number) => number, c: number, M4: number, M: number, K: number, N: number, sai: number, sak: number, bias: number, accumulate: boolean) {
  for (let i = M4; i < M; i++) {
    const row = c + i * N;
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
