// lstm.wat's element-wise kernels (LSTM gates and cell updates, exp/σ/tanh, attention's softmax) bound
// to a wasm memory: tfjs-backend-wasm's heap, or (shared) that heap as worker threads see it. Imports
// nothing of TensorFlow.js, so that worker threads (thread-worker.ts) can load it.
import { LSTM_SHARED_WASM_BASE64, LSTM_WASM_BASE64 } from "./lstm-wasm";
import { isShared } from "./simd-gemm";

export interface ElementwiseExports {
  /** One LSTM step for U units of each of B rows (U = H: all; pointers offset to the first unit). */
  fwd(z: number, cprev: number, c: number, tc: number, h: number, B: number, H: number, U: number): void;
  bwd(act: number, cprev: number, tc: number, dy: number, dhn: number, dc: number, dz: number, B: number, H: number, U: number): void;
  /** out[j] = Σ_r x[r·ld + j], j < cols. */
  colsum(x: number, out: number, rows: number, cols: number, ld: number): void;
  /** 1 when some x was outside [-87, 88] or NaN: those lanes need Math.exp. */
  exp(x: number, out: number, n: number): number;
  sigmoid(x: number, out: number, n: number): void;
  tanh(x: number, out: number, n: number): void;
  /** Rows of scores to softmax(scale·s) in place; causal ≠ 0 keeps keys 0 .. row0 + r of row r. */
  softmax(s: number, rows: number, cols: number, ld: number, scale: number, causal: number, row0: number): void;
  /** d ← scale · a ∘ (d − rowsum(a ∘ d)), row by row, in place. */
  softmax_grad(a: number, d: number, rows: number, cols: number, ld: number, scale: number): void;
  /** GPT-2's GELU of n floats (n a multiple of 4), or with dy ≠ 0 dy times its derivative. */
  gelu(x: number, dy: number, out: number, n: number): void;
  /** LayerNorm of rows of C floats (C a multiple of 4): y, x̂ and rstd per row. */
  layernorm(x: number, g: number, b: number, y: number, xhat: number, rstd: number, rows: number, C: number, eps: number): void;
  /** Its gradient: dx, and dg, db added into (Σ over the rows). */
  layernorm_grad(dy: number, xhat: number, rstd: number, g: number, dx: number, dg: number, db: number, rows: number, C: number): void;
}

const modules = new Map<boolean, WebAssembly.Module>();

/** lstm.wat compiled for a shared memory or not. */
export function elementwiseModule(shared: boolean): WebAssembly.Module {
  let m = modules.get(shared);
  if (!m) {
    m = new WebAssembly.Module(Buffer.from(shared ? LSTM_SHARED_WASM_BASE64 : LSTM_WASM_BASE64, "base64"));
    modules.set(shared, m);
  }
  return m;
}

const instances = new WeakMap<WebAssembly.Memory, ElementwiseExports>();

/** lstm.wat's functions bound to `memory`, or undefined where WebAssembly SIMD is unavailable. */
export function lstmWasm(memory: WebAssembly.Memory): ElementwiseExports | undefined {
  let ex = instances.get(memory);
  if (ex) return ex;
  try {
    ex = new WebAssembly.Instance(elementwiseModule(isShared(memory)), { env: { memory } }).exports as unknown as ElementwiseExports;
  } catch {
    return undefined;
  }
  instances.set(memory, ex);
  return ex;
}
