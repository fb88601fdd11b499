// A matrix product in WebAssembly SIMD that runs on TensorFlow.js's own wasm heap (gemm.wat).
// XNNPACK, as tfjs-backend-wasm 4.22 calls it, managed 13-22 GFLOP/s here and only for
// untransposed products; this 4 x 8 register-blocked loop measured 27-33 GFLOP/s on the shapes of
// the course's models, reads a transposed left operand in place, and has no per-call packing, so
// the batched products of attention cost no more per flop than one large product.
//
// The module imports the backend's WebAssembly.Memory, so it works on tensors where they lie;
// when tfjs grows its memory the same Memory object grows, and our instance sees it.
import { GEMM_WASM_BASE64 } from "./gemm-wasm";

/** C[M,N] = A[M,K]·B[K,N] at byte addresses; A[i,k] at a + 4(i·sai + k·sak). M % 4 = 0, N % 8 = 0. */
export type SimdMatMul = (a: number, b: number, c: number, M: number, K: number, N: number, sai: number, sak: number) => void;
type Kernel = (a: number, b: number, c: number, M: number, K: number, N: number, sai: number, sak: number, acc: number) => void;

/**
 * Blocking for the caches. The kernel walks B's 8-column panels and, for each, every 4 rows of A,
 * so the part of A it is given should stay in the nearest cache: at most MC rows by KC columns of
 * it (32 KB) per call, accumulating into C over the KC-blocks of K. Without this, a weight gradient
 * (K = batch x context = 2,048) streamed megabytes from far caches for every panel.
 */
const KC = 128;
const MC = 64;

const instances = new WeakMap<WebAssembly.Memory, SimdMatMul>();
let compiled: WebAssembly.Module | undefined;

/** Whether a product of these sizes fits the kernel (else the caller takes another path). */
export function simdFits(M: number, N: number): boolean {
  return M % 4 === 0 && N % 8 === 0;
}

/**
 * The kernel bound to `memory` (tfjs-backend-wasm's, `backend.wasm.asm.memory`), or undefined where
 * WebAssembly SIMD is unavailable or SEQLAB_SIMD_GEMM=0 turns it off (for comparisons).
 */
export function simdMatMul(memory: WebAssembly.Memory | undefined): SimdMatMul | undefined {
  if (!memory || process.env.SEQLAB_SIMD_GEMM === "0") return undefined;
  let mm = instances.get(memory);
  if (mm) return mm;
  try {
    compiled ??= new WebAssembly.Module(Buffer.from(GEMM_WASM_BASE64, "base64"));
    const kernel = new WebAssembly.Instance(compiled, { env: { memory } }).exports.mm as Kernel;
    mm = (a, b, c, M, K, N, sai, sak) => {
      for (let i0 = 0; i0 < M; i0 += MC) {
        const rows = Math.min(MC, M - i0);
        for (let k0 = 0; k0 < K; k0 += KC) {
          kernel(a + 4 * (i0 * sai + k0 * sak), b + 4 * k0 * N, c + 4 * i0 * N, rows, Math.min(KC, K - k0), N, sai, sak, k0 > 0 ? 1 : 0);
        }
      }
    };
  } catch {
    return undefined; // no SIMD in this engine: XNNPACK and the explicit transposes remain
  }
  instances.set(memory, mm);
  return mm;
}
