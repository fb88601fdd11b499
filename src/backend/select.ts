// Choosing the TensorFlow.js backend: `await useBackend()` once, at the top of a notebook.
//
//   tensorflow  @tensorflow/tfjs-node (native TensorFlow, multithreaded) when it is installed and
//               loads; an optional accelerator, never a dependency (its install script downloads a
//               binary, which fails offline).
//   wasm        @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD, one thread in Node), with the kernels
//               of ./wasm-kernels patched in: fast transposed/batched matmul, slices that do not copy
//               the whole input, and UnsortedSegmentSum so that embeddings (tf.gather) train; its
//               heap made shared (./shared-heap) so that seqlab's products, LSTM and attention
//               kernels use every core (./threads: SEQLAB_THREADS, default the machine's cores), and
//               fused multiply-adds where the engine has relaxed SIMD (./simd-gemm, SEQLAB_FMA=0: off).
//   cpu         tfjs's plain JavaScript backend: always there, 40-50x slower than wasm for matmul.
//
// SEQLAB_BACKEND=tensorflow|wasm|cpu forces one (an error if it cannot be had).
import * as tf from "@tensorflow/tfjs";
import { watchOutputs, type WasmBackend } from "./heap";
import { shareWasmHeap } from "./shared-heap";
import { fmaEnabled, isShared } from "./simd-gemm";
import { threadCount } from "./threads";
import { patchWasm } from "./wasm-kernels";
import { tr } from "../lang";

export type BackendName = "tensorflow" | "wasm" | "cpu";
export const BACKENDS: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

/** The npm packages that provide the "tensorflow" backend, tried in this order. */
export const TFJS_NODE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"];

export interface BackendChoice {
  /** The active backend, as tf.getBackend() names it. */
  backend: BackendName;
  /** Why: forced by SEQLAB_BACKEND, or which preferred backends were unavailable and why. */
  reason: string;
  /** Kernels seqlab registered for this backend (wasm only). */
  patched: string[];
  /** The one-line report, also printed unless `quiet`. */
  message: string;
  /** For wasm: SIMD in use, the threads seqlab's kernels use (1 unless its heap is shared), and fused multiply-adds. */
  simd?: boolean;
  threads?: number;
  fma?: boolean;
}

export interface UseBackendOptions {
  /** Overrides the SEQLAB_BACKEND environment variable. */
  backend?: string;
  /** Do not print the one-line report. */
  quiet?: boolean;
  /** Do not patch the wasm kernels (to compare against the originals). */
  noPatch?: boolean;
}

/**
 * The backends to try, in order: the forced one alone when `forced` is set (validated), else
 * tensorflow (only if a tfjs-node package can be resolved), wasm, cpu.
 */
export function backendOrder(forced: string | undefined, tfjsNodeResolvable: boolean): BackendName[] {
  const f = forced?.trim().toLowerCase();
  if (f) {
    if (!(BACKENDS as readonly string[]).includes(f)) {
      throw new Error(`SEQLAB_BACKEND=${forced} is not one of ${BACKENDS.join(", ")}`);
    }
    return [f as BackendName];
  }
  return tfjsNodeResolvable ? ["tensorflow", "wasm", "cpu"] : ["wasm", "cpu"];
}

function resolvable(id: string): boolean {
  try {
    require.resolve(id);
    return true;
  } catch {
    return false;
  }
}

/** Load one tfjs-node package into *this* tfjs (a guarded require: it is optional). */
function loadTensorflow(): void {
  const errors: string[] = [];
  for (const id of TFJS_NODE_PACKAGES) {
    if (!resolvable(id)) continue;
    try {
      // A plain variable keeps TypeScript (and bundlers) from resolving the optional package.
      const optionalRequire: NodeRequire = require;
      optionalRequire(id);
    } catch (e) {
      errors.push(`${id} failed to load: ${(e as Error).message.split("\n")[0]}`);
      continue;
    }
    if (!tf.findBackendFactory("tensorflow")) {
      errors.push(
        `${id} loaded but registered no "tensorflow" backend with this @tensorflow/tfjs ${tf.version.tfjs} (a second copy of tfjs-core? versions must match)`,
      );
      continue;
    }
    return;
  }
  throw new Error(errors.length ? errors.join("; ") : `none of ${TFJS_NODE_PACKAGES.join(", ")} is installed`);
}

async function activate(name: BackendName, opts: UseBackendOptions): Promise<Pick<BackendChoice, "patched" | "simd" | "threads" | "fma">> {
  if (name === "tensorflow") {
    loadTensorflow();
  } else if (name === "wasm") {
    require("@tensorflow/tfjs-backend-wasm");
    // Before the backend starts: its heap shared, for seqlab's threads (not wanted with SEQLAB_THREADS=1).
    if (!opts.noPatch && threadCount() > 1) shareWasmHeap();
  }
  let patched: string[] = [];
  if (name === "wasm" && !opts.noPatch) patched = patchWasm();
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`tf.setBackend("${name}") failed`);
  await tf.ready();
  if (name === "cpu") {
    // Chosen on purpose, and reported below: silence tfjs's "install tfjs-node" banner.
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  }
  if (name === "wasm") {
    if (!opts.noPatch) watchOutputs(tf.backend() as unknown as WasmBackend);
    const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
    const memory = (tf.backend() as unknown as { wasm?: { asm?: { memory?: WebAssembly.Memory } } }).wasm?.asm?.memory;
    const ours = patched.length > 0 && simd;
    return { patched, simd, threads: ours && memory && isShared(memory) ? threadCount() : 1, fma: ours && fmaEnabled() };
  }
  return { patched };
}

let current: BackendChoice | undefined;

/**
 * Pick and activate the fastest available backend (tensorflow, else wasm, else cpu), or the one
 * named by `opts.backend` / SEQLAB_BACKEND. Returns what was chosen and why, and prints one line.
 * Calling it again returns the same choice unless a different backend is asked for.
 */
export async function useBackend(opts: UseBackendOptions = {}): Promise<BackendChoice> {
  const forced = opts.backend ?? process.env.SEQLAB_BACKEND;
  const order = backendOrder(forced, TFJS_NODE_PACKAGES.some(resolvable));
  if (current && tf.getBackend() === current.backend && (!forced || order[0] === current.backend)) {
    if (!opts.quiet) console.log(current.message);
    return current;
  }
  const skipped: string[] = [];
  if (!forced && order[0] !== "tensorflow")
    skipped.push(tr("tensorflow: @tensorflow/tfjs-node is not installed", "tensorflow: @tensorflow/tfjs-node가 설치되지 않음"));
  for (const name of order) {
    try {
      const extra = await activate(name, opts);
      const reason = opts.backend
        ? tr(`asked for "${name}"`, `"${name}"을(를) 요청함`)
        : forced
          ? `SEQLAB_BACKEND=${name}`
          : skipped.length
            ? skipped.join("; ")
            : tr("the fastest available", "쓸 수 있는 것 중 가장 빠름");
      const threads = tr(`${extra.threads} thread${extra.threads === 1 ? "" : "s"}`, `스레드 ${extra.threads}개`);
      const patched = extra.patched.length ? `; ${tr("patched", "패치함:")} ${extra.patched.join(", ")}` : "";
      const detail =
        name === "wasm"
          ? ` (SIMD ${extra.simd ? tr("on", "켜짐") : tr("off", "꺼짐")}, ${threads}${extra.fma ? ", FMA" : ""}${patched})`
          : "";
      const message = tr(
        `seqlab: TensorFlow.js backend "${name}"${detail}; ${reason}`,
        `seqlab: TensorFlow.js 백엔드 "${name}"${detail}; ${reason}`,
      );
      current = { backend: name, reason, message, ...extra, patched: extra.patched };
      if (!opts.quiet) console.log(message);
      return current;
    } catch (e) {
      const why = `${name}: ${(e as Error).message}`;
      if (forced) throw new Error(`seqlab: backend "${name}" (${opts.backend ? "asked for" : "SEQLAB_BACKEND"}) cannot be used: ${why}`);
      skipped.push(why);
    }
  }
  throw new Error(`seqlab: no TensorFlow.js backend could be started (${skipped.join("; ")})`);
}
