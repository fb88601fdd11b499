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
  dataIdMap: { get(dataId: unknown): TensorData };
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

/** A scratch float buffer on the wasm heap. */
export function scratch(be: WasmBackend, floats: number): number {
  return be.wasm._malloc(Math.max(1, floats) * 4) >>> 0;
}
