// A matrix product in WebAssembly SIMD that runs on TensorFlow.js's own wasm heap (gemm.wat).
// XNNPACK, as tfjs-backend-wasm 4.22 calls it, managed 13-22 GFLOP/s here and only for
// untransposed products; this 4 x 8 register-blocked loop measured 27-33 GFLOP/s (alone on a core) on
// the shapes of the course's models, reads a transposed left operand in place, has no per-call packing, so
// the batched products of attention cost no more per flop than one large product.
//
// The module imports the backend's WebAssembly.Memory, so it works on tensors where they lie;
// when tfjs grows its memory the same Memory object grows, and our instance sees it.
import { GEMM_WASM_BASE64 } from "./gemm-wasm";

/**
 * C[M,N] = A[M,K]·B[K,N] (+ bias[N] when `bias`, a byte address, is given; C += A·B instead when
 * `accumulate`) at byte addresses; B and C row-major, A[i,k] at a + 4(i·sai + k·sak).
 */
export type SimdMatMul = (a: number, b: number, c: number, M: number, K: number, N: number, sai: number, sak: number, bias?: number, accumulate?: boolean) => void;
type Kernel = (a: number, b: number, c: number, M: number, K: number, N: number, sai: number, sak: number, acc: number, bias: number) => void;

/**
 * Blocking for the caches. The kernel walks B's 8-column panels and, for each, every 4 rows of A,
 * so the part of A it is given should stay in the nearest cache: at most MC rows by KC columns of
 * it (32 KB) per call, accumulating into C over the KC-blocks of K. Without this, a weight gradient
 * (K = batch x context = 2,048) streamed megabytes from far caches for every panel.
 */
const KC = 128;
const MC = 64;
const A_FLOATS = MC * KC;

const instances = new WeakMap<WebAssembly.Memory, SimdMatMul>();
let compiled: WebAssembly.Module | undefined;

/**
 * Whether a product of these sizes is worth the kernel (else the caller takes another path). The
 * kernel does blocks of 4 rows x 8 columns; up to 3 rows beyond the last block (the bias row of
 * [x | 1]ᵀ·dy) are finished in JavaScript. Columns must fill whole blocks: a column left over (a
 * 65-character vocabulary) cost more in JavaScript than XNNPACK takes for the whole product.
 */
export function simdFits(M: number, N: number): boolean {
  return M >= 4 && N >= 8 && N % 8 === 0;
}

/**
 * The kernel bound to `memory` (tfjs-backend-wasm's, `backend.wasm.asm.memory`), or undefined where
 * WebAssembly SIMD is unavailable or SEQLAB_SIMD_GEMM=0 turns it off (for comparisons).
 */
export function simdMatMul(memory: WebAssembly.Memory | undefined): SimdMatMul | undefined {
  if (!memory) return undefined;
  let mm = instances.get(memory);
  if (mm) return mm;
  if (process.env.SEQLAB_SIMD_GEMM === "0") return undefined; // read once per memory: this runs per product
  try {
    compiled ??= new WebAssembly.Module(Buffer.from(GEMM_WASM_BASE64, "base64"));
    const kernel = new WebAssembly.Instance(compiled, { env: { memory } }).exports.mm as Kernel;
    mm = (a, b, c, M, K, N, sai, sak, bias = 0, accumulate = false) => {
      const M4 = M - (M % 4);
      for (let i0 = 0; i0 < M4; i0 += MC) {
        const rows = Math.min(MC, M4 - i0);
        const kc = Math.max(KC, Math.floor(A_FLOATS / rows)); // fewer rows, longer passes
        for (let k0 = 0; k0 < K; k0 += kc) {
          kernel(a + 4 * (i0 * sai + k0 * sak), b + 4 * k0 * N, c + 4 * i0 * N, rows, Math.min(kc, K - k0), N, sai, sak, accumulate || k0 > 0 ? 1 : 0, bias);
        }
      }
      if (M4 < M) lastRows(new Float32Array(memory.buffer), a >>> 2, b >>> 2, c >>> 2, M4, M, K, N, sai, sak, bias ? bias >>> 2 : -1, accumulate);
    };
  } catch {
    return undefined; // no SIMD in this engine: XNNPACK and the explicit transposes remain
  }
  instances.set(memory, mm);
  return mm;
}

/** Rows M4..M of C (fewer than 4), in JavaScript: float indices; bias < 0 for none. */
function lastRows(f: Float32Array, a: number, b: number, c: number, M4: number, M: number, K: number, N: number, sai: number, sak: number, bias: number, accumulate: boolean) {
  for (let i = M4; i < M; i++) {
    const row = c + i * N;
    if (!accumulate) {
      if (bias >= 0) f.copyWithin(row, bias, bias + N);
      else f.fill(0, row, row + N);
    }
    for (let k = 0; k < K; k++) {
      const x = f[a + i * sai + k * sak];
      const bk = b + k * N;
      for (let j = 0; j < N; j++) f[row + j] += x * f[bk + j];
    }
  }
}
