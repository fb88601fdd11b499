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
// The work itself is jobs.ts's lstmForwardPart / lstmBackwardPart, which threads.ts shares out among
// threads by hidden units (one barrier per step) when the heap is shared and a step is large enough.
//
// On the course's character LSTM (B 32, T 64, D 64, H 256) a training step had spent ≈ 200 ms on
// per-step ops, read-backs and JavaScript gate loops around its products; with these kernels the
// whole step went from 458 to about 170 ms (bench/README.md, lstm-training).
import * as os from "os";
import * as tf from "@tensorflow/tfjs";
import { lstmWasm } from "./elementwise";
import { f32, offsetOf, freeScratch, output, scratch, type KernelArgs, type WasmBackend } from "./heap";
import { lstmBackwardScratchFloats, lstmByRows, lstmForwardScratchFloats, type LstmBackwardJob, type LstmForwardJob } from "./jobs";
import { packedFloats, simdGemm } from "./simd-gemm";
import { parallelThreshold, runJob, threadCount, threadsFor, threadsForWork } from "./threads";

export { lstmWasm } from "./elementwise";
export type { ElementwiseExports as LstmExports } from "./elementwise";

export const LSTM_KERNELS = { forward: "SeqlabLstm", backward: "SeqlabLstmGrad" } as const;

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

function memoryOf(be: WasmBackend): WebAssembly.Memory {
  const memory = be.wasm.asm?.memory;
  if (!memory || !simdGemm(memory) || !lstmWasm(memory))
    throw new Error("SeqlabLstm: needs WebAssembly SIMD on the wasm backend (and SEQLAB_SIMD_GEMM not 0)");
  return memory;
}

/** The kernels read every input as float32: another dtype (tf.oneHot's int32) would be read as its bits. */
function float32Only(kernel: string, inputs: Record<string, tf.TensorInfo>) {
  for (const [name, t] of Object.entries(inputs))
    if (t.dtype !== "float32") throw new TypeError(`${kernel}: input ${name} is ${t.dtype}; the kernel takes float32 (cast it first)`);
}

function sizes(x: tf.TensorInfo, Wh: tf.TensorInfo) {
  const [T, B, D] = x.shape;
  const H = Wh.shape[0];
  if (!lstmKernelFits(B, D, H)) throw new Error(`SeqlabLstm: sizes B ${B}, D ${D}, H ${H} do not suit the kernel (lstmKernelFits)`);
  return { T, B, D, H, G: 4 * H, BH: B * H };
}

let lstmThreadsWanted: boolean | undefined;

/** Runnable threads per core (the 1-minute load average over the cores) from which the machine counts as oversubscribed. */
export const BUSY_LOAD_PER_CORE = 2;
let loadSeen = { at: -Infinity, busy: false };

/**
 * Whether the machine is oversubscribed now: its 1-minute load average at least BUSY_LOAD_PER_CORE
 * times its cores (read at most once a second; never where the system reports no load average).
 */
export function machineOversubscribed(load = os.loadavg()[0], cores = os.availableParallelism()): boolean {
  return load >= BUSY_LOAD_PER_CORE * cores;
}

/**
 * Whether the LSTM kernels share their passes among threads (then with the threads SEQLAB_THREADS
 * gives): as SEQLAB_LSTM_THREADS=1|0 or setLstmThreads says, else whenever the machine is not
 * oversubscribed. A pass is shared out in fixed parts (by sequences, or by hidden units with a
 * barrier every step), so a thread the machine holds up holds the whole pass up: on a quiet 2-vCPU
 * machine the course's LSTM (batch 32, 64 steps) trained 1.62x faster on 2 threads, with one other
 * busy process as fast as on one (1.01x), and at load 17-25 at 0.74x and 1.02x of its one-thread
 * speed (bench/README.md, "Several cores and fused multiply-add"). The results are the same either
 * way (bit for bit; unit tests run both). Products, attention, LayerNorm and GELU share their work
 * in claimed chunks, which a slow thread cannot hold up, and use the threads regardless.
 */
export function lstmThreadsEnabled(): boolean {
  if (lstmThreadsWanted !== undefined) return lstmThreadsWanted;
  const env = process.env.SEQLAB_LSTM_THREADS;
  if (env === "1" || env === "0") return env === "1";
  const now = Date.now();
  if (now - loadSeen.at >= 1000) loadSeen = { at: now, busy: machineOversubscribed() };
  return !loadSeen.busy;
}

/** Share the LSTM kernels' passes among threads (true) or not (false) from now on; undefined: decide by the load again. */
export function setLstmThreads(on: boolean | undefined): void {
  lstmThreadsWanted = on;
}

/**
 * An LSTM pass is worth sharing out from this many times the threads' threshold (parallelThreshold,
 * so 2^24 multiply-adds): a pass is several jobs (forward, backward, weight gradients), each waking
 * the threads, and its parts are fixed, so one thread held up holds the pass up. On a quiet 2-core
 * machine (`npm run bench -- thread-threshold`, three runs) passes of 0.2M-1M multiply-adds ran at
 * 0.35-0.92x on 2 threads, of 6M-8M at 0.70-1.24x (no gain to count on), of 48M and more at 1.12-1.77x.
 */
export const LSTM_PASS_FACTOR = 64;

/**
 * The threads an LSTM pass of T steps over B sequences (D inputs, H units) takes out of `want`, and
 * how it shares them: by sequences (jobs.ts says when and why) the whole pass is one job and its work
 * decides; by hidden units every step ends at a barrier, so a step's product h·W_h must be worth
 * waking threads for (a threshold's worth), and each thread owns whole panels (at most one per 8 units).
 */
export function lstmPassPlan(T: number, B: number, D: number, H: number, want: number): { nt: number; byRows: number } {
  const pass = T * B * 4 * H * (H + D);
  const nt = pass >= LSTM_PASS_FACTOR * parallelThreshold() ? threadsForWork(pass, want) : 1;
  if (nt <= 1) return { nt: 1, byRows: 0 };
  if (lstmByRows(B, nt)) return { nt, byRows: 1 };
  return { nt: B * H * 4 * H >= parallelThreshold() ? Math.max(1, Math.min(nt, Math.floor(H / 8))) : 1, byRows: 0 };
}

/**
 * Threads for an LSTM pass (one when !lstmThreadsEnabled()): lstmPassPlan with the threads the pool
 * has. The pool is asked for only when the plan wants threads (asking starts its workers).
 */
function lstmThreads(memory: WebAssembly.Memory, T: number, B: number, D: number, H: number) {
  if (!lstmThreadsEnabled() || lstmPassPlan(T, B, D, H, threadCount()).nt <= 1) return { nt: 1, pool: undefined, byRows: 0 };
  const t = threadsFor(memory, T * B * 4 * H * (H + D));
  const plan = lstmPassPlan(T, B, D, H, t.nt);
  return { ...plan, pool: plan.nt > 1 ? t.pool : undefined };
}

export function lstmForward(args: KernelArgs): tf.TensorInfo[] {
  const { inputs, backend: be } = args;
  const { x, Wx, Wh, b, h0, c0 } = inputs as Record<string, tf.TensorInfo>;
  float32Only(LSTM_KERNELS.forward, inputs as Record<string, tf.TensorInfo>);
  const { T, B, D, H, G, BH } = sizes(x, Wh);
  const memory = memoryOf(be);
  const { nt, pool, byRows } = lstmThreads(memory, T, B, D, H);
  const y = output(be, [T + 1, B, H], "float32");
  const act = output(be, [T, B, G], "float32");
  const c = output(be, [T, B, H], "float32");
  const tc = output(be, [T, B, H], "float32");
  const per = lstmForwardScratchFloats({ T, B, D, H, byRows }, nt);
  const whP = scratch(be, packedFloats(H, G)); // W_h packed once for its T products
  const work = scratch(be, per * nt);
  try {
    const [pX, pWx, pWh, pb, ph0, pc0] = [x, Wx, Wh, b, h0, c0].map((t) => offsetOf(be, t));
    const [pY, pA, pC, pT] = [y, act, c, tc].map((t) => offsetOf(be, t));
    const job: LstmForwardJob = {
      x: pX,
      Wx: pWx,
      Wh: pWh,
      b: pb,
      h0: ph0,
      c0: pc0,
      y: pY,
      act: pA,
      c: pC,
      tc: pT,
      whP,
      T,
      B,
      D,
      H,
      byRows,
      scratch: work,
      scratchFloats: per,
    };
    runJob(memory, "lstmForward", job as unknown as Record<string, number>, nt, pool);
    const heap = be.wasm.HEAPU8.buffer;
    new Float32Array(heap, pY + 4 * T * BH, BH).set(new Float32Array(heap, pC + 4 * (T - 1) * BH, BH)); // c_T
  } finally {
    freeScratch(be, whP);
    freeScratch(be, work);
  }
  return [y, act, c, tc];
}

export function lstmBackward(args: KernelArgs): tf.TensorInfo[] {
  const { inputs, backend: be } = args;
  const { x, Wx, Wh, h0, c0, y, act, c, tc, dy } = inputs as Record<string, tf.TensorInfo>;
  float32Only(LSTM_KERNELS.backward, inputs as Record<string, tf.TensorInfo>);
  const { T, B, D, H, G, BH } = sizes(x, Wh);
  const memory = memoryOf(be);
  const { nt, pool, byRows } = lstmThreads(memory, T, B, D, H);
  const dx = output(be, [T, B, D], "float32");
  const dWx = output(be, [D, G], "float32");
  const dWh = output(be, [H, G], "float32");
  const db = output(be, [G], "float32");
  const dh0 = output(be, [B, H], "float32");
  const dc0 = output(be, [B, H], "float32");
  const N = T * B;
  const per = lstmBackwardScratchFloats({ T, B, D, H, byRows }, nt);
  const dz = scratch(be, N * G);
  const whT = scratch(be, packedFloats(G, H)); // W_hᵀ and W_xᵀ packed straight from W_h and W_x
  const wxT = scratch(be, packedFloats(G, D));
  const dh = scratch(be, 3 * BH); // two dL/dh buffers in turn, and zeros (nothing flows into h_T)
  const work = scratch(be, per * nt);
  try {
    const [pX, pWx, pWh, ph0, pc0, pY, pA, pC, pT, pdy] = [x, Wx, Wh, h0, c0, y, act, c, tc, dy].map((t) => offsetOf(be, t));
    const [pdx, pdWx, pdWh, pdb, pdh0, pdc0] = [dx, dWx, dWh, db, dh0, dc0].map((t) => offsetOf(be, t));
    // Views after every allocation (a malloc may grow the heap and detach older views).
    f32(be, dh + 8 * BH, BH).fill(0);
    f32(be, pdc0, BH).set(f32(be, pdy + 4 * T * BH, BH)); // the running dL/dc starts at dL/dc_T
    const job: LstmBackwardJob = {
      x: pX,
      Wx: pWx,
      Wh: pWh,
      h0: ph0,
      c0: pc0,
      y: pY,
      act: pA,
      c: pC,
      tc: pT,
      dy: pdy,
      dx: pdx,
      dWx: pdWx,
      dWh: pdWh,
      db: pdb,
      dh0: pdh0,
      dc0: pdc0,
      dz,
      whT,
      wxT,
      dh,
      T,
      B,
      D,
      H,
      byRows,
      scratch: work,
      scratchFloats: per,
    };
    runJob(memory, "lstmBackward", job as unknown as Record<string, number>, nt, pool);
  } finally {
    for (const p of [dz, whT, wxT, dh, work]) freeScratch(be, p);
  }
  return [dx, dWx, dWh, db, dh0, dc0];
}
