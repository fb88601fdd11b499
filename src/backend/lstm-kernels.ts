// A whole LSTM layer over a sequence as two kernels of the wasm backend, forward and backward through
// time, so that src/nn/fused-lstm.ts runs no TensorFlow.js op, read-back or JavaScript loop per step.
// Everything stays on tfjs-backend-wasm's heap: the products are gemm.wat's (simd-gemm.ts), the
// gates and cell updates lstm.wat's, and the activations the backward pass needs are tensors that
// tf.customGrad's `save` keeps (so they are freed with the tape, like any saved tensor).
//
//   SeqlabLstm      inputs x [T, B, D] (time-major), Wx [D, 4H], Wh [H, 4H], b [4H], h0, c0 [B, H]
//                   outputs y [T+1, B, H] (h_1 .. h_T, then c_T), act [T, B, 4H] (σ(f), σ(i), σ(o),
//                   tanh(g) per step), c [T, B, H] (c_1 .. c_T), tc [T, B, H] (tanh(c_t))
//                     Z = X W_x + b for every step in one product; then per step
//                     z_t += h_{t-1} W_h (accumulating into Z's block; W_h packed once), lstm.wat's fwd.
//   SeqlabLstmGrad  inputs x, Wx, Wh, h0, c0, y, act, c, tc (as above) and dy [T+1, B, H]
//                   outputs dx [T, B, D], dWx, dWh, db, dh0, dc0
//                     per step (t = T..1) lstm.wat's bwd for dZ_t, then dh_{t-1} = dZ_t W_hᵀ (W_hᵀ
//                     packed once, straight from W_h); then
//                     dW_x = Xᵀ dZ, dW_h = H_prevᵀ dZ (no transposes materialised),
//                     db = colsum(dZ), dX = dZ W_xᵀ.
//
// On the course's character LSTM (B 32, T 64, D 64, H 256) a training step had spent ≈ 200 ms on
// per-step ops, read-backs and JavaScript gate loops around its products; with these kernels the
// whole step went from 458 to about 170 ms (bench/README.md, lstm-training).
import * as tf from "@tensorflow/tfjs";
import { f32, offsetOf, scratch, type KernelArgs, type WasmBackend } from "./heap";
import { LSTM_WASM_BASE64 } from "./lstm-wasm";
import { packedFloats, scratchFloats, simdGemm, type SimdGemm } from "./simd-gemm";

export const LSTM_KERNELS = { forward: "SeqlabLstm", backward: "SeqlabLstmGrad" } as const;

interface LstmExports {
  fwd(z: number, cprev: number, c: number, tc: number, h: number, B: number, H: number): void;
  bwd(act: number, cprev: number, tc: number, dy: number, dhn: number, dc: number, dz: number, B: number, H: number): void;
  colsum(x: number, out: number, rows: number, cols: number): void;
  /** 1 when some x was outside [-87, 88] or NaN: those lanes need Math.exp. */
  exp(x: number, out: number, n: number): number;
  sigmoid(x: number, out: number, n: number): void;
  tanh(x: number, out: number, n: number): void;
}

const instances = new WeakMap<WebAssembly.Memory, LstmExports>();
let compiled: WebAssembly.Module | undefined;

/** lstm.wat's functions bound to `memory`, or undefined where WebAssembly SIMD is unavailable. */
export function lstmWasm(memory: WebAssembly.Memory): LstmExports | undefined {
  let ex = instances.get(memory);
  if (ex) return ex;
  try {
    compiled ??= new WebAssembly.Module(Buffer.from(LSTM_WASM_BASE64, "base64"));
    ex = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as LstmExports;
  } catch {
    return undefined;
  }
  instances.set(memory, ex);
  return ex;
}

/**
 * Whether the kernels take an LSTM of these sizes: every product must suit the SIMD kernel
 * (4H and H columns: H a multiple of 8; dX has D columns: D a multiple of 8) and the batch must fill
 * its 4-row blocks at least once. fused-lstm.ts runs its generic path otherwise.
 */
export function lstmKernelFits(B: number, D: number, H: number): boolean {
  return B >= 4 && H % 8 === 0 && H > 0 && D % 8 === 0 && D > 0;
}

/**
 * Whether fused-lstm.ts can run these kernels now: the active backend is wasm with seqlab's kernels
 * patched in, WebAssembly SIMD works (SEQLAB_SIMD_GEMM=0 turns the product, and so this, off), and the
 * sizes fit.
 */
export function lstmKernelsUsable(B: number, D: number, H: number): boolean {
  if (!lstmKernelFits(B, D, H) || !tf.getKernel(LSTM_KERNELS.forward, tf.getBackend())) return false;
  const memory = (tf.backend() as unknown as WasmBackend).wasm?.asm?.memory;
  return Boolean(memory && simdGemm(memory) && lstmWasm(memory));
}

interface Bound {
  g: SimdGemm;
  k: LstmExports;
}

function bind(be: WasmBackend): Bound {
  const memory = be.wasm.asm?.memory;
  const g = memory ? simdGemm(memory) : undefined;
  const k = memory ? lstmWasm(memory) : undefined;
  if (!g || !k) throw new Error("SeqlabLstm: needs WebAssembly SIMD on the wasm backend (and SEQLAB_SIMD_GEMM not 0)");
  return { g, k };
}

function sizes(x: tf.TensorInfo, Wh: tf.TensorInfo) {
  const [T, B, D] = x.shape;
  const H = Wh.shape[0];
  if (!lstmKernelFits(B, D, H)) throw new Error(`SeqlabLstm: sizes B ${B}, D ${D}, H ${H} do not suit the kernel (lstmKernelFits)`);
  return { T, B, D, H, G: 4 * H, BH: B * H };
}

export function lstmForward(args: KernelArgs): tf.TensorInfo[] {
  const { inputs, backend: be } = args;
  const { x, Wx, Wh, b, h0, c0 } = inputs as Record<string, tf.TensorInfo>;
  const { T, B, D, H, G, BH } = sizes(x, Wh);
  const { g, k } = bind(be);
  const y = be.makeOutput([T + 1, B, H], "float32");
  const act = be.makeOutput([T, B, G], "float32");
  const c = be.makeOutput([T, B, H], "float32");
  const tc = be.makeOutput([T, B, H], "float32");
  const whP = scratch(be, packedFloats(H, G)); // W_h packed once for its T products
  const work = scratch(be, scratchFloats(T * B, D, G));
  try {
    const [pX, pWx, pWh, pb, ph0, pc0] = [x, Wx, Wh, b, h0, c0].map((t) => offsetOf(be, t));
    const [pY, pA, pC, pT] = [y, act, c, tc].map((t) => offsetOf(be, t));
    g.mm(pX, pWx, pA, T * B, D, G, D, 1, { bias: pb, scratch: work }); // Z = X W_x + b, all steps
    g.pack(pWh, whP, H, G, G, 1);
    for (let t = 0; t < T; t++) {
      const hPrev = t === 0 ? ph0 : pY + 4 * (t - 1) * BH;
      const cPrev = t === 0 ? pc0 : pC + 4 * (t - 1) * BH;
      const z = pA + 4 * t * B * G;
      g.mm(hPrev, whP, z, B, H, G, H, 1, { accumulate: true, packed: true }); // z_t += h_{t-1} W_h
      k.fwd(z, cPrev, pC + 4 * t * BH, pT + 4 * t * BH, pY + 4 * t * BH, B, H);
    }
    const heap = be.wasm.HEAPU8.buffer;
    new Float32Array(heap, pY + 4 * T * BH, BH).set(new Float32Array(heap, pC + 4 * (T - 1) * BH, BH)); // c_T
  } finally {
    be.wasm._free(whP);
    be.wasm._free(work);
  }
  return [y, act, c, tc];
}

export function lstmBackward(args: KernelArgs): tf.TensorInfo[] {
  const { inputs, backend: be } = args;
  const { x, Wx, Wh, h0, c0, y, act, c, tc, dy } = inputs as Record<string, tf.TensorInfo>;
  const { T, B, D, H, G, BH } = sizes(x, Wh);
  const { g, k } = bind(be);
  const dx = be.makeOutput([T, B, D], "float32");
  const dWx = be.makeOutput([D, G], "float32");
  const dWh = be.makeOutput([H, G], "float32");
  const db = be.makeOutput([G], "float32");
  const dh0 = be.makeOutput([B, H], "float32");
  const dc0 = be.makeOutput([B, H], "float32");
  const N = T * B;
  const dz = scratch(be, N * G);
  const whT = scratch(be, packedFloats(G, H)); // W_hᵀ and W_xᵀ packed straight from W_h and W_x
  const wxT = scratch(be, packedFloats(G, D));
  const dh = scratch(be, 3 * BH); // two dL/dh buffers in turn, and zeros (nothing flows into h_T)
  const work = scratch(be, Math.max(scratchFloats(D, N, G), scratchFloats(H, N, G)));
  try {
    const [pX, pWx, pWh, ph0, pc0, pY, pA, pC, pT, pdy] = [x, Wx, Wh, h0, c0, y, act, c, tc, dy].map((t) => offsetOf(be, t));
    const [pdx, pdWx, pdWh, pdb, pdh0, pdc0] = [dx, dWx, dWh, db, dh0, dc0].map((t) => offsetOf(be, t));
    g.pack(pWh, whT, G, H, 1, G); // (W_hᵀ)[g, h] = W_h[h, g]
    g.pack(pWx, wxT, G, D, 1, G);
    // Views after every allocation (a malloc may grow the heap and detach older views).
    f32(be, dh + 8 * BH, BH).fill(0);
    f32(be, pdc0, BH).set(f32(be, pdy + 4 * T * BH, BH)); // the running dL/dc starts at dL/dc_T
    let dhNext = dh + 8 * BH;
    for (let t = T - 1; t >= 0; t--) {
      const cPrev = t === 0 ? pc0 : pC + 4 * (t - 1) * BH;
      const dzt = dz + 4 * t * B * G;
      k.bwd(pA + 4 * t * B * G, cPrev, pT + 4 * t * BH, pdy + 4 * t * BH, dhNext, pdc0, dzt, B, H);
      const dhPrev = t === 0 ? pdh0 : dh + 4 * (t % 2) * BH;
      g.mm(dzt, whT, dhPrev, B, G, H, G, 1, { packed: true }); // dL/dh_{t-1} = dZ_t W_hᵀ
      dhNext = dhPrev;
    }
    g.mm(pX, dz, pdWx, D, N, G, 1, D, { scratch: work }); // dW_x = Xᵀ dZ
    g.mm(ph0, dz, pdWh, H, B, G, 1, H, { scratch: work }); // dW_h = h_0ᵀ dZ_1 + [h_1 .. h_{T-1}]ᵀ [dZ_2 .. dZ_T]
    if (T > 1) g.mm(pY, dz + 4 * B * G, pdWh, H, N - B, G, 1, H, { accumulate: true, scratch: work });
    k.colsum(dz, pdb, N, G);
    g.mm(dz, wxT, pdx, N, G, D, G, 1, { packed: true }); // dX = dZ W_xᵀ
  } finally {
    for (const p of [dz, whT, wxT, dh, work]) be.wasm._free(p);
  }
  return [dx, dWx, dWh, db, dh0, dc0];
}
