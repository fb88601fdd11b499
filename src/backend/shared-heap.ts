// TensorFlow.js's wasm heap made shared, so that seqlab's worker threads (threads.ts) can compute on
// tensors where they lie. tfjs-backend-wasm's SIMD binary defines its memory (256 pages, growable to
// 65,536: flags 0x01 in its memory section); the same binary with flags 0x03 declares that memory
// shared, one byte changed and nothing else (the binary uses no atomics; on one thread a shared
// memory behaves as any other, and growing it keeps old views valid instead of detaching them).
// It is handed to the backend through its documented hook, setWasmPaths(map, usePlatformFetch):
// the backend then asks tfjs's platform fetch for the binary, which answers these paths from memory.
//
// This must happen before the wasm backend initialises (useBackend does it before tf.setBackend);
// afterwards, or when anything about the binary is not as expected, the heap stays as it was and the
// kernels run on one thread. Measured: tfjs's own kernels are as fast on the shared heap.
import { readFileSync } from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";

const BINARIES = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"] as const;
/** The one the backend loads in Node (SIMD on, tfjs's own threads off). */
const SIMD_BINARY = "tfjs-backend-wasm-simd.wasm";

/**
 * The binary with its memory declared shared, or undefined when its memory section is not one
 * growable memory with a maximum (then it is left alone).
 */
export function withSharedMemory(wasm: Uint8Array): Uint8Array | undefined {
  if (wasm.length < 8 || wasm[0] !== 0 || wasm[1] !== 0x61 || wasm[2] !== 0x73 || wasm[3] !== 0x6d) return undefined;
  let p = 8;
  const leb = () => {
    let r = 0;
    let shift = 0;
    let b: number;
    do {
      b = wasm[p++];
      r += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80 && p < wasm.length);
    return r;
  };
  while (p < wasm.length) {
    const id = wasm[p++];
    const size = leb();
    const start = p;
    if (id === 5) {
      const count = leb();
      if (count !== 1 || wasm[p] !== 0x01) return undefined; // one memory, with a maximum, not shared yet
      const out = Uint8Array.from(wasm);
      out[p] = 0x03;
      return WebAssembly.validate(out) ? out : undefined;
    }
    p = start + size;
  }
  return undefined;
}

let arranged: boolean | undefined;

/**
 * Have the wasm backend, when it initialises, load its SIMD binary with a shared memory. Returns
 * whether that is arranged (false: the backend exists already, or the binary is not as expected).
 */
export function shareWasmHeap(): boolean {
  if (arranged !== undefined) return arranged;
  arranged = false;
  if (typeof SharedArrayBuffer === "undefined" || tf.findBackend("wasm")) return false;
  let wasmBackend: { setWasmPaths(map: Record<string, string>, usePlatformFetch?: boolean): void };
  let dir: string;
  try {
    wasmBackend = require("@tensorflow/tfjs-backend-wasm");
    dir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
  } catch {
    return false;
  }
  const files = new Map(BINARIES.map((name) => [path.join(dir, name), name]));
  let shared: Uint8Array | undefined;
  try {
    shared = withSharedMemory(readFileSync(path.join(dir, SIMD_BINARY)));
  } catch {
    return false;
  }
  if (!shared) return false;
  const platform = tf.env().platform as unknown as { fetch(p: string, init?: unknown): Promise<unknown> };
  const fetchBefore = platform.fetch.bind(platform);
  const bytes = shared;
  // Only these paths are answered here; everything else goes to the platform's fetch as before.
  platform.fetch = (p: string, init?: unknown) => {
    const name = typeof p === "string" ? files.get(p) : undefined;
    if (!name) return fetchBefore(p, init);
    const body = name === SIMD_BINARY ? bytes : new Uint8Array(readFileSync(p));
    return Promise.resolve({ ok: true, arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) });
  };
  try {
    wasmBackend.setWasmPaths(Object.fromEntries([...files].map(([file, name]) => [name, file])), true);
  } catch {
    platform.fetch = fetchBefore;
    return false;
  }
  return (arranged = true);
}
