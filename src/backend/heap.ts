// TensorFlow.js's wasm backend as seqlab's kernels see it: the parts of BackendWasm they use, and
// helpers to address tensors where they lie on its heap (src/backend/wasm-kernels.ts, lstm-kernels.ts).
import type * as tf from "@tensorflow/tfjs";

/** The parts of tfjs-backend-wasm's BackendWasm that these kernels use. */
export interface WasmModule {
  HEAPU8: Uint8Array;
  /** The instance's exports; `memory` is the heap every tensor lives on. */
  asm?: { memory?: WebAssembly.Memory };
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void;
  tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
}
export interface TensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: tf.DataType;
}
export interface WasmBackend {
  wasm: WasmModule;
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: unknown): TensorData; has(dataId: unknown): boolean };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: unknown, force?: boolean): boolean;
}
export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap };
export type Kernel = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

// Heap helpers. Any _malloc may grow the wasm memory and detach earlier views, so views are made
// fresh (f32) after the allocations they follow.

export function f32(be: WasmBackend, offset: number, length: number): Float32Array {
  return new Float32Array(be.wasm.HEAPU8.buffer, offset, length);
}

export function offsetOf(be: WasmBackend, t: tf.TensorInfo): number {
  return be.dataIdMap.get(t.dataId).memoryOffset;
}

/** dst[c * rows + r] = src[r * cols + c]: a blocked transpose of a rows x cols matrix. */
export function transposeInto(src: Float32Array, srcOff: number, rows: number, cols: number, dst: Float32Array, dstOff: number): void {
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(r0 + B, rows);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(c0 + B, cols);
      for (let r = r0; r < r1; r++) {
        const s = srcOff + r * cols;
        for (let c = c0; c < c1; c++) dst[dstOff + c * rows + r] = src[s + c];
      }
    }
  }
}

// What a seqlab kernel has allocated while it runs. A kernel stopped by the Jupyter kernel's
// interrupt (V8's TerminateExecution) runs no finally block: its scratch is never freed, its
// outputs never reach the engine (no tensor holds them), and a threaded job may still be writing
// into both. Every kernel patchWasm installs runs in a frame (runFrame) that records them; a frame
// left open is a kernel that was stopped, and releaseStoppedKernels() frees what it holds, once its
// threads have left its job (threads.ts, repairAfterStop).

interface Frame {
  be: WasmBackend;
  scratch: Set<number>;
  outputs: tf.TensorInfo[];
}
const frames: Frame[] = [];

/** Run a kernel in a frame: on a throw, the outputs it made are disposed and its scratch freed. */
export function runFrame<T>(be: WasmBackend, f: () => T): T {
  watchOutputs(be);
  const frame: Frame = { be, scratch: new Set(), outputs: [] };
  frames.push(frame);
  let ok = false;
  try {
    const out = f();
    ok = true;
    return out;
  } finally {
    const i = frames.lastIndexOf(frame);
    if (i >= 0) frames.length = i; // frames above it: kernels stopped inside it (none in practice)
    if (!ok) release(frame);
  }
}

function release(frame: Frame): void {
  for (const p of frame.scratch) frame.be.wasm._free(p);
  frame.scratch.clear();
  for (const o of frame.outputs.splice(0)) frame.be.disposeData(o.dataId, true);
}

/** Kernels stopped half way (frames left open) and what they held: scratch freed and outputs disposed. Returns how many there were. */
export function releaseStoppedKernels(): { kernels: number; scratch: number; outputs: number } {
  const stopped = frames.splice(0);
  const counts = { kernels: stopped.length, scratch: 0, outputs: 0 };
  for (const f of stopped.reverse()) {
    counts.scratch += f.scratch.size;
    counts.outputs += f.outputs.length;
    release(f);
  }
  return counts;
}

// Outputs of any kernel of the backend (TensorFlow.js's own included) that no tensor ever got: a
// kernel stopped after makeOutput and before it returned (its output is on no scope's list, so the
// engine repair cannot free it; 2 in 12 interrupts of threaded training). The backend's makeOutput
// is watched: every output made is remembered until the engine has a tensor for it (checked in
// batches), and after a stopped cell those still without one are disposed (releaseOrphanOutputs).

/** Each watched backend and the outputs it made that may have no tensor yet. */
const watched = new Map<WasmBackend, Set<unknown>>();

/** tfjs's engine knows a tensor for this data (engine.state.tensorInfo). */
function hasTensor(dataId: unknown): boolean {
  const g = globalThis as { _tfengine?: { state?: { tensorInfo?: { has(id: unknown): boolean } } } };
  return Boolean(g._tfengine?.state?.tensorInfo?.has(dataId));
}

/** Remember the outputs `be` makes until a tensor holds them (once per backend). */
export function watchOutputs(be: WasmBackend): void {
  if (watched.has(be)) return;
  const made = new Set<unknown>();
  watched.set(be, made);
  const original = be.makeOutput;
  // Named makeOutput: on the stack it reads "BackendWasm.makeOutput", which the Jupyter kernel's
  // interrupt never cuts short (kernel/server/interrupts.ts, CRITICAL), so no output is made unrecorded.
  be.makeOutput = function makeOutput(this: WasmBackend, ...args: Parameters<WasmBackend["makeOutput"]>) {
    const o = original.apply(this, args);
    made.add(o.dataId);
    if (made.size > 4096) for (const id of made) if (!this.dataIdMap.has(id) || hasTensor(id)) made.delete(id);
    return o;
  };
}

/** Dispose the outputs that no tensor holds (only between cells: no kernel may be running). Returns how many. */
export function releaseOrphanOutputs(): number {
  let n = 0;
  for (const [be, made] of watched) {
    for (const id of made) {
      if (be.dataIdMap.has(id) && !hasTensor(id)) {
        be.disposeData(id, true);
        n++;
      }
    }
    made.clear();
  }
  return n;
}

/** A scratch float buffer on the wasm heap (free it with freeScratch). */
export function scratch(be: WasmBackend, floats: number): number {
  const p = be.wasm._malloc(Math.max(1, floats) * 4) >>> 0;
  frames[frames.length - 1]?.scratch.add(p);
  return p;
}

export function freeScratch(be: WasmBackend, p: number): void {
  frames[frames.length - 1]?.scratch.delete(p);
  be.wasm._free(p);
}

/** A kernel's output tensor (be.makeOutput), recorded in the running kernel's frame. */
export function output(be: WasmBackend, shape: number[], dtype: tf.DataType): tf.TensorInfo {
  const o = be.makeOutput(shape, dtype);
  frames[frames.length - 1]?.outputs.push(o);
  return o;
}
