// GPT's LayerNorm and GELU as kernels of the wasm backend (lstm.wat's layernorm, layernorm_grad and
// gelu, shared out among threads by rows or elements: jobs.ts), for src/nn/layer-norm.ts and gelu.ts.
// Through tfjs ops each was five to ten kernel calls forward and as many backward, each a pass over
// the [B·T, C] activations on one thread, and LayerNorm's parameter gradients were summed in
// JavaScript after reading dy and x̂ back.
//
//   SeqlabLayerNorm      x [N, C], g [C], b [C] (attribute eps)  ->  y [N, C], xhat [N, C], rstd [N]
//   SeqlabLayerNormGrad  dy, xhat, rstd, g                         ->  dx [N, C], dg [C], db [C]
//   SeqlabGelu           x                                         ->  y (GPT-2's tanh GELU, as gelu.ts)
//   SeqlabGeluGrad       x, dy                                     ->  dx
//
// C must be a multiple of 4 (SIMD lanes); GELU takes any size (the last n % 4 values in JavaScript).
import * as tf from "@tensorflow/tfjs";
import { lstmWasm } from "./elementwise";
import { f32, offsetOf, freeScratch, output, scratch, type KernelArgs, type WasmBackend } from "./heap";
import type { GeluJob, NormJob } from "./jobs";
import { runJob, threadsFor } from "./threads";

export const NORM_KERNELS = {
  layerNorm: "SeqlabLayerNorm",
  layerNormGrad: "SeqlabLayerNormGrad",
  gelu: "SeqlabGelu",
  geluGrad: "SeqlabGeluGrad",
} as const;

/** Whether layer-norm.ts and gelu.ts can run these kernels now (the wasm backend with seqlab's kernels). */
export function normKernelsUsable(): boolean {
  if (!tf.getKernel(NORM_KERNELS.layerNorm, tf.getBackend())) return false;
  const memory = (tf.backend() as unknown as WasmBackend).wasm?.asm?.memory;
  return Boolean(memory && lstmWasm(memory));
}

function memoryOf(be: WasmBackend): WebAssembly.Memory {
  const memory = be.wasm.asm?.memory;
  if (!memory || !lstmWasm(memory)) throw new Error("seqlab's LayerNorm and GELU kernels need WebAssembly SIMD on the wasm backend");
  return memory;
}

const size = (t: tf.TensorInfo) => t.shape.reduce((p, d) => p * d, 1);

function rowsOf(x: tf.TensorInfo, what: string): { rows: number; C: number } {
  const C = x.shape[x.shape.length - 1];
  if (x.dtype !== "float32" || !(C > 0) || C % 4 !== 0)
    throw new Error(`${what}: float32 rows of a multiple of 4 values expected, got ${x.dtype} [${x.shape}]`);
  return { rows: size(x) / C, C };
}

export function layerNormKernel(args: KernelArgs): tf.TensorInfo[] {
  const { inputs, backend: be, attrs } = args;
  const { x, g, b } = inputs as Record<string, tf.TensorInfo>;
  const { rows, C } = rowsOf(x, NORM_KERNELS.layerNorm);
  const memory = memoryOf(be);
  const { nt, pool } = threadsFor(memory, 8 * rows * C);
  const y = output(be, x.shape, "float32");
  const xhat = output(be, x.shape, "float32");
  const rstd = output(be, [rows], "float32");
  const job: NormJob = {
    x: offsetOf(be, x),
    g: offsetOf(be, g),
    b: offsetOf(be, b),
    y: offsetOf(be, y),
    xhat: offsetOf(be, xhat),
    rstd: offsetOf(be, rstd),
    dy: 0,
    dx: 0,
    partials: 0,
    rows,
    C,
    eps: Number(attrs?.eps ?? 1e-5),
  };
  runJob(memory, "layerNorm", job as unknown as Record<string, number>, nt, pool);
  return [y, xhat, rstd];
}

export function layerNormGradKernel(args: KernelArgs): tf.TensorInfo[] {
  const { inputs, backend: be } = args;
  const { dy, xhat, rstd, g } = inputs as Record<string, tf.TensorInfo>;
  const { rows, C } = rowsOf(dy, NORM_KERNELS.layerNormGrad);
  const memory = memoryOf(be);
  const { nt, pool } = threadsFor(memory, 8 * rows * C);
  const dx = output(be, dy.shape, "float32");
  const dg = output(be, [C], "float32");
  const db = output(be, [C], "float32");
  const partials = scratch(be, 2 * C * nt);
  try {
    const job: NormJob = {
      x: 0,
      g: offsetOf(be, g),
      b: 0,
      y: 0,
      xhat: offsetOf(be, xhat),
      rstd: offsetOf(be, rstd),
      dy: offsetOf(be, dy),
      dx: offsetOf(be, dx),
      partials,
      rows,
      C,
      eps: 0,
    };
    runJob(memory, "layerNormGrad", job as unknown as Record<string, number>, nt, pool);
    // the threads' partial sums, added in a fixed order (the same result for any timing)
    const part = f32(be, partials, 2 * C * nt);
    const [G, Bv] = [f32(be, offsetOf(be, dg), C), f32(be, offsetOf(be, db), C)];
    G.set(part.subarray(0, C));
    Bv.set(part.subarray(C, 2 * C));
    for (let t = 1; t < nt; t++) {
      for (let j = 0; j < C; j++) {
        G[j] += part[2 * C * t + j];
        Bv[j] += part[2 * C * t + C + j];
      }
    }
  } finally {
    freeScratch(be, partials);
  }
  return [dx, dg, db];
}

/** GELU, or (with dy) dy times its derivative; the last n % 4 values in JavaScript. */
function gelu(args: KernelArgs, withDy: boolean): tf.TensorInfo {
  const { inputs, backend: be } = args;
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo | undefined;
  if (x.dtype !== "float32") throw new Error(`${NORM_KERNELS.gelu}: float32 expected, got ${x.dtype}`);
  const n = size(x);
  const n4 = n - (n % 4);
  const memory = memoryOf(be);
  const { nt, pool } = threadsFor(memory, 16 * n);
  const out = output(be, x.shape, "float32");
  const job: GeluJob = { x: offsetOf(be, x), dy: withDy ? offsetOf(be, dy!) : 0, out: offsetOf(be, out), n: n4 };
  if (n4 > 0) runJob(memory, "gelu", job as unknown as Record<string, number>, nt, pool);
  if (n4 < n) {
    const xs = f32(be, job.x, n);
    const ys = f32(be, job.out, n);
    const ds = withDy ? f32(be, job.dy, n) : undefined;
    const K = 2 * Math.sqrt(2 / Math.PI);
    for (let i = n4; i < n; i++) {
      const v = xs[i];
      const s = 1 / (1 + Math.exp(-K * v * (1 + 0.044715 * v * v)));
      ys[i] = ds ? ds[i] * (s + v * s * (1 - s) * K * (1 + 3 * 0.044715 * v * v)) : v * s;
    }
  }
  return out;
}

export const geluKernel = (args: KernelArgs) => gelu(args, false);
export const geluGradKernel = (args: KernelArgs) => gelu(args, true);
