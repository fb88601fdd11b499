// Kernels that fill the gaps of @tensorflow/tfjs-backend-wasm 4.22 (see /work/shared/FINDINGS.md,
// "TensorFlow.js in Node without tfjs-node"). `patchWasm()` swaps them in, `unpatchWasm()` puts the
// original kernel configs back. Both are idempotent; `useBackend()` calls `patchWasm()` for you.
//
//   BatchMatMul     XNNPACK only runs untransposed, batch-1 products; everything else (every matmul
//                   gradient, attention's batched products) fell back to a scalar loop. The patched
//                   kernel runs seqlab's own SIMD product (./simd-gemm.ts) when M >= 4 and
//                   N % 8 = 0, untransposed products included; otherwise it transposes explicitly
//                   (in JS, on the wasm heap) and runs batched products as a loop of batch-1 XNNPACK
//                   products on views into the heap: no copies out.
//   _FusedMatMul    batch 1 without an activation: the SIMD product, the bias folded in; otherwise
//                   the same explicit transposes, then the original fused kernel (bias/activation).
//   Slice, SplitV,  the originals copied the whole input out of the heap for every piece
//   Unpack          (splitting [2048,1024] into 64 pieces: 150-400 ms); these read heap views.
//   UnsortedSegmentSum  missing on wasm, so tf.gather had no gradient (embeddings could not train);
//                   implemented here in JS on heap views.
//   Identity        the original copied its input (every tensor a gradient saves is cloned: 15 MB
//                   per step of the course's LSTM); this one shares the data, as the cpu backend's does.
//   GatherV2        rows of a table (axis 0: an embedding lookup) copied with one set() each; the
//                   original made a closure per index to check it, then gathered per element (5 ms
//                   of the LSTM's step for 2,048 rows of 64). Other axes: the original.
//   Exp             the original called the C library's exp per element (≈ 26 ns; softmax's two exps
//                   were 7 ms of an LSTM step); this one is lstm.wat's SIMD exp, 1 ulp.
//   Sum             over the leading axes (a bias gradient: Σ over B·T rows of dy) the original
//                   transposed first; this one adds rows in SIMD lanes (lstm.wat's colsum). Other
//                   reductions: the original.
//   SeqlabLstm,     not tfjs kernels at all: a whole LSTM layer forward and backward through time
//   SeqlabLstmGrad  (./lstm-kernels.ts), which src/nn/fused-lstm.ts runs when they are registered.
//   SeqlabAttention(Grad)  causal self-attention of a layer (./attention-kernels.ts, src/nn/attention.ts).
//   SeqlabLayerNorm(Grad), SeqlabGelu(Grad)  GPT's LayerNorm and GELU (./norm-kernels.ts, src/nn).
// The products, the LSTM, attention and these share their work among threads where the heap is
// shared (./threads.ts).
import * as tf from "@tensorflow/tfjs";
import {
  f32,
  offsetOf,
  freeScratch,
  output,
  runFrame,
  scratch,
  transposeInto,
  type Kernel,
  type KernelArgs,
  type WasmBackend,
  type WasmModule,
} from "./heap";
import { ATTENTION_KERNELS, attentionBackward, attentionForward } from "./attention-kernels";
import { lstmWasm } from "./elementwise";
import { gemmScratchFloats, type GemmJob } from "./jobs";
import { LSTM_KERNELS, lstmBackward, lstmForward } from "./lstm-kernels";
import { NORM_KERNELS, geluGradKernel, geluKernel, layerNormGradKernel, layerNormKernel } from "./norm-kernels";
import { packedFloats, simdFits, simdGemm } from "./simd-gemm";
import { runJob, threadsFor } from "./threads";

/** The kernels `patchWasm()` replaces or adds, in the order it installs them. */
export const WASM_PATCHED_KERNELS = [
  "BatchMatMul",
  "_FusedMatMul",
  "Slice",
  "SplitV",
  "Unpack",
  "UnsortedSegmentSum",
  "Identity",
  "Exp",
  "GatherV2",
  "Sum",
  LSTM_KERNELS.forward,
  LSTM_KERNELS.backward,
  ATTENTION_KERNELS.forward,
  ATTENTION_KERNELS.backward,
  NORM_KERNELS.layerNorm,
  NORM_KERNELS.layerNormGrad,
  NORM_KERNELS.gelu,
  NORM_KERNELS.geluGrad,
] as const;

const originals = new Map<string, tf.KernelConfig | undefined>();
let patched = false;

/** True while the patched kernels are installed. */
export function wasmPatched(): boolean {
  return patched;
}

/**
 * Install the kernels listed in WASM_PATCHED_KERNELS for the wasm backend (before or after
 * `tf.setBackend("wasm")`). Returns the names installed. Requires tfjs-backend-wasm to be loaded.
 */
export function patchWasm(): string[] {
  if (patched) return [...WASM_PATCHED_KERNELS];
  const install = (name: string, kernelFunc: Kernel) => {
    const original = tf.getKernel(name, "wasm");
    originals.set(name, original);
    if (original) tf.unregisterKernel(name, "wasm");
    tf.registerKernel({
      kernelName: name,
      backendName: "wasm",
      // When patched before the backend initialises, the originals we delegate to still need
      // their own setup (it binds their C functions).
      setupFunc: original?.setupFunc,
      // In a frame (heap.ts): what a kernel stopped half way by an interrupt held is freed afterwards.
      kernelFunc: ((args: KernelArgs) => runFrame(args.backend, () => kernelFunc(args))) as unknown as tf.KernelFunc,
    });
  };
  const need = (name: string) => {
    const k = tf.getKernel(name, "wasm");
    if (!k) throw new Error(`patchWasm: the wasm backend has no ${name} kernel; load @tensorflow/tfjs-backend-wasm first`);
    return k.kernelFunc as unknown as Kernel;
  };
  const origMatMul = need("BatchMatMul");
  const origFused = need("_FusedMatMul");
  const origSlice = need("Slice");
  const origSplitV = need("SplitV");
  const origUnpack = need("Unpack");
  install("BatchMatMul", (args) => batchMatMul(args, origMatMul));
  install("_FusedMatMul", (args) => fusedMatMul(args, origFused));
  install("Slice", (args) => sliceKernel(args, origSlice));
  install("SplitV", (args) => splitVKernel(args, origSplitV));
  install("Unpack", (args) => unpackKernel(args, origUnpack));
  install("UnsortedSegmentSum", unsortedSegmentSum);
  const origExp = need("Exp");
  install("Identity", identityKernel);
  install("Exp", (args) => expKernel(args, origExp));
  const origGather = need("GatherV2");
  install("GatherV2", (args) => gatherKernel(args, origGather));
  const origSum = need("Sum");
  install("Sum", (args) => sumKernel(args, origSum));
  install(LSTM_KERNELS.forward, lstmForward);
  install(LSTM_KERNELS.backward, lstmBackward);
  install(ATTENTION_KERNELS.forward, attentionForward);
  install(ATTENTION_KERNELS.backward, attentionBackward);
  install(NORM_KERNELS.layerNorm, layerNormKernel);
  install(NORM_KERNELS.layerNormGrad, layerNormGradKernel);
  install(NORM_KERNELS.gelu, geluKernel);
  install(NORM_KERNELS.geluGrad, geluGradKernel);
  patched = true;
  return [...WASM_PATCHED_KERNELS];
}

/** Put the original wasm kernels back (and remove UnsortedSegmentSum and the LSTM kernels, which wasm lacks). */
export function unpatchWasm(): void {
  if (!patched) return;
  for (const name of WASM_PATCHED_KERNELS) {
    tf.unregisterKernel(name, "wasm");
    const original = originals.get(name);
    if (original) tf.registerKernel(original);
  }
  originals.clear();
  patched = false;
}

/** A C-side tensor id that names `size` floats at `offset` (a view; nothing is allocated). */
function viewId(be: WasmBackend, offset: number, size: number): number {
  const id = be.dataIdNextNumber++;
  be.wasm.tfjs.registerTensor(id, size, offset);
  return id;
}

const cMatMul = new WeakMap<WasmModule, (...args: unknown[]) => void>();

/** out[M,N] = a[M,K] · b[K,N] through XNNPACK (row-major, untransposed, batch 1). */
function xnnGemm(be: WasmBackend, aOff: number, bOff: number, outOff: number, M: number, K: number, N: number): void {
  let fn = cMatMul.get(be.wasm);
  if (!fn) {
    fn = be.wasm.cwrap("BatchMatMul", null, ["number", "array", "number", "number", "array", "number", "number", "number", "number"]);
    cMatMul.set(be.wasm, fn);
  }
  const aId = viewId(be, aOff, M * K);
  const bId = viewId(be, bOff, K * N);
  const outId = viewId(be, outOff, M * N);
  try {
    const aShape = new Uint8Array(new Int32Array([1, M, K]).buffer);
    const bShape = new Uint8Array(new Int32Array([1, K, N]).buffer);
    fn(aId, aShape, 3, bId, bShape, 3, false, false, outId);
  } finally {
    // Disposing b's id also deletes the XNNPACK operator cached for it (its packed weights).
    be.wasm.tfjs.disposeData(aId);
    be.wasm.tfjs.disposeData(bId);
    be.wasm.tfjs.disposeData(outId);
  }
}

/** What packing one float costs XNNPACK, in transposed floats (a conservative guess; see gemm). */
const PACK_COST = 3;

/** out = op(A)·op(B) for one batch entry, all operands on the heap (row-major). */
function gemm(
  be: WasmBackend,
  aOff: number,
  bOff: number,
  outOff: number,
  M: number,
  K: number,
  N: number,
  tA: boolean,
  tB: boolean,
): void {
  if (!simdProduct(be, aOff, bOff, outOff, M, K, N, tA, tB, 0)) xnnPath(be, aOff, bOff, outOff, M, K, N, tA, tB);
}

/** N rounded up to the SIMD kernel's 8-column blocks. */
const pad8 = (N: number) => (N + 7) & ~7;

/** Whether the SIMD kernel takes an M x N product (N padded to a multiple of 8 when it is not one). */
function simdTakes(be: WasmBackend, M: number, N: number): boolean {
  return simdFits(M, pad8(N)) && Boolean(simdGemm(be.wasm.asm?.memory));
}

/**
 * out = op(A)·op(B) (+ bias at biasOff, unless 0) by the SIMD kernel; false when it does not apply.
 * The kernel reads op(A) either way round. A transposed B, or one whose N (a 65-character vocabulary)
 * is not a multiple of 8, is packed whole into 8-column panels straight from where it lies, zeros past
 * N (the output and bias then padded in scratch, the output's N columns copied back); any other B is
 * packed by the kernel itself, block by block, when A has rows enough to repay it. Large products are
 * shared out among threads (threads.ts) by rows of the output, or by columns when it has few rows.
 */
function simdProduct(
  be: WasmBackend,
  aOff: number,
  bOff: number,
  outOff: number,
  M: number,
  K: number,
  N: number,
  tA: boolean,
  tB: boolean,
  biasOff: number,
): boolean {
  if (!simdTakes(be, M, N)) return false;
  const memory = be.wasm.asm!.memory!;
  const gemm = simdGemm(memory)!;
  const N8 = pad8(N);
  const padded = N8 !== N;
  const packed = tB || padded;
  const { nt, pool } = threadsFor(memory, M * K * N8);
  const job: GemmJob = {
    a: aOff,
    b: 0,
    c: 0,
    M,
    K,
    N: N8,
    sai: tA ? 1 : K,
    sak: tA ? M : 1,
    acc: 0,
    packed: packed ? 1 : 0,
    bias: 0,
    ldb: N8,
    ldc: N8,
    scratch: 0,
    scratchFloats: 0,
    byCols: splitByColumns(M, N8, nt) ? 1 : 0,
  };
  job.scratchFloats = packed ? 0 : gemmScratchFloats(job, nt);
  const bP = packed ? scratch(be, packedFloats(K, N)) : 0;
  const cP = padded ? scratch(be, M * N8) : 0;
  const biasP = padded && biasOff ? scratch(be, N8) : 0;
  const work = job.scratchFloats ? scratch(be, job.scratchFloats * nt) : 0;
  try {
    if (bP) gemm.pack(bOff, bP, K, N, tB ? 1 : N, tB ? K : 1);
    if (biasP) {
      const v = f32(be, biasP, N8);
      v.fill(0);
      v.set(f32(be, biasOff, N));
    }
    Object.assign(job, { b: bP || bOff, c: cP || outOff, bias: biasP || biasOff, scratch: work });
    runJob(memory, "gemm", job as unknown as Record<string, number>, nt, pool);
    if (cP) {
      const c = f32(be, cP, M * N8);
      const out = f32(be, outOff, M * N);
      for (let i = 0; i < M; i++) out.set(c.subarray(i * N8, i * N8 + N), i * N);
    }
  } finally {
    for (const p of [bP, cP, biasP, work]) if (p) freeScratch(be, p);
  }
  return true;
}

/**
 * Whether nt threads share a product out by columns: when C has few rows for its columns (a weight
 * gradient, [in, out] summed over batch x time) and enough whole panels for every thread; by rows
 * otherwise (each thread then packs all of B for itself, which a product with many rows repays).
 */
function splitByColumns(M: number, N: number, nt: number): boolean {
  return nt > 1 && N >= 16 * nt && M <= 4 * N;
}

/**
 * The XNNPACK path, for products too small for the SIMD kernel: chooses between materialising
 * op(A)/op(B) and computing (op(B)^T · op(A)^T)^T, whichever moves fewer floats.
 */
function xnnPath(
  be: WasmBackend,
  aOff: number,
  bOff: number,
  outOff: number,
  M: number,
  K: number,
  N: number,
  tA: boolean,
  tB: boolean,
): void {
  // Floats copied (transposes) plus packed (XNNPACK packs its right operand on every call here).
  // Packing a float costs XNNPACK several times what transposing it costs us (a GPT weight gradient
  // [2048,128]ᵀ·[2048,512] took 118 ms packing the 2048x512 operand and 75 ms transposing it and
  // packing the 2048x128 one), so the smaller matrix should be the packed one.
  const direct = (tA ? M * K : 0) + (tB ? K * N : 0) + PACK_COST * K * N;
  const swapped = (tB ? 0 : K * N) + (tA ? 0 : M * K) + M * N + PACK_COST * M * K;
  if (direct <= swapped) {
    const aT = tA ? scratch(be, M * K) : 0;
    const bT = tB ? scratch(be, K * N) : 0;
    try {
      if (tA) transposeInto(f32(be, aOff, M * K), 0, K, M, f32(be, aT, M * K), 0);
      if (tB) transposeInto(f32(be, bOff, K * N), 0, N, K, f32(be, bT, K * N), 0);
      xnnGemm(be, tA ? aT : aOff, tB ? bT : bOff, outOff, M, K, N);
    } finally {
      if (aT) freeScratch(be, aT);
      if (bT) freeScratch(be, bT);
    }
  } else {
    // C^T [N,M] = op(B)^T [N,K] · op(A)^T [K,M]; op(B)^T is B itself when tB, op(A)^T is A when tA.
    const left = tB ? 0 : scratch(be, K * N);
    const right = tA ? 0 : scratch(be, M * K);
    const ct = scratch(be, M * N);
    try {
      if (!tB) transposeInto(f32(be, bOff, K * N), 0, K, N, f32(be, left, K * N), 0);
      if (!tA) transposeInto(f32(be, aOff, M * K), 0, M, K, f32(be, right, M * K), 0);
      xnnGemm(be, tB ? bOff : left, tA ? aOff : right, ct, N, K, M);
      transposeInto(f32(be, ct, M * N), 0, N, M, f32(be, outOff, M * N), 0);
    } finally {
      if (left) freeScratch(be, left);
      if (right) freeScratch(be, right);
      freeScratch(be, ct);
    }
  }
}

function batchMatMul(args: KernelArgs, original: Kernel): tf.TensorInfo {
  const { inputs, backend: be, attrs } = args;
  const a = inputs.a as tf.TensorInfo;
  const b = inputs.b as tf.TensorInfo;
  const tA = Boolean(attrs?.transposeA);
  const tB = Boolean(attrs?.transposeB);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = outerA.reduce((p, d) => p * d, 1);
  const batchB = outerB.reduce((p, d) => p * d, 1);
  const M = tA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = tA ? a.shape[ra - 2] : a.shape[ra - 1];
  const Kb = tB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = tB ? b.shape[rb - 2] : b.shape[rb - 1];
  const simpleBroadcast =
    batchA === batchB ? outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]) : batchA === 1 || batchB === 1;
  if (
    a.dtype !== "float32" ||
    b.dtype !== "float32" ||
    ra < 2 ||
    rb < 2 ||
    K !== Kb ||
    !simpleBroadcast ||
    M * K * N === 0 ||
    (!tA && !tB && batchA === 1 && batchB === 1 && !simdTakes(be, M, N))
  ) {
    return original(args) as tf.TensorInfo; // XNNPACK already, or a case left to tfjs (errors included)
  }
  const outer = batchA >= batchB ? outerA : outerB;
  const batch = Math.max(batchA, batchB);
  const out = output(be, [...outer, M, N], "float32");
  try {
    const aOff = offsetOf(be, a);
    const bOff = offsetOf(be, b);
    const outOff = offsetOf(be, out);
    if (!tA && batchB === 1) {
      // [batch*M, K] · [K, N]: one product with the batches stacked as rows.
      gemm(be, aOff, bOff, outOff, batch * M, K, N, false, tB);
    } else {
      for (let i = 0; i < batch; i++) {
        gemm(
          be,
          aOff + (batchA === 1 ? 0 : i * M * K * 4),
          bOff + (batchB === 1 ? 0 : i * K * N * 4),
          outOff + i * M * N * 4,
          M,
          K,
          N,
          tA,
          tB,
        );
      }
    }
  } catch (e) {
    be.disposeData(out.dataId);
    throw e;
  }
  return out;
}

function fusedMatMul(args: KernelArgs, original: Kernel): tf.TensorInfo {
  const { inputs, backend: be, attrs } = args;
  const a = inputs.a as tf.TensorInfo;
  const b = inputs.b as tf.TensorInfo;
  const tA = Boolean(attrs?.transposeA);
  const tB = Boolean(attrs?.transposeB);
  if (a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length !== 3 || b.shape.length !== 3) {
    return original(args) as tf.TensorInfo;
  }
  // Batch 1 with a bias over N (or none) and no activation: the SIMD kernel, the bias added as it
  // starts each block of the output.
  const M = tA ? a.shape[2] : a.shape[1];
  const K = tA ? a.shape[1] : a.shape[2];
  const N = tB ? b.shape[1] : b.shape[2];
  const bias = inputs.bias as tf.TensorInfo | undefined;
  const size = (t: tf.TensorInfo) => t.shape.reduce((p, d) => p * d, 1);
  const plain = (attrs?.activation ?? "linear") === "linear" && !inputs.preluActivationWeights;
  if (
    plain &&
    a.shape[0] === 1 &&
    b.shape[0] === 1 &&
    (tB ? b.shape[2] : b.shape[1]) === K &&
    (!bias || (bias.dtype === "float32" && size(bias) === N && bias.shape[bias.shape.length - 1] === N)) &&
    simdTakes(be, M, N)
  ) {
    const out = output(be, [1, M, N], "float32");
    try {
      simdProduct(be, offsetOf(be, a), offsetOf(be, b), offsetOf(be, out), M, K, N, tA, tB, bias ? offsetOf(be, bias) : 0);
    } catch (e) {
      be.disposeData(out.dataId);
      throw e;
    }
    return out;
  }
  if (!tA && !tB) return original(args) as tf.TensorInfo;
  // Materialise op(A) and op(B), then let the original run (batch 1 reaches XNNPACK with the bias).
  const made: tf.TensorInfo[] = [];
  const materialise = (x: tf.TensorInfo): tf.TensorInfo => {
    const [bt, r, c] = x.shape;
    const y = output(be, [bt, c, r], "float32");
    made.push(y);
    const src = f32(be, offsetOf(be, x), bt * r * c);
    const dst = f32(be, offsetOf(be, y), bt * r * c);
    for (let i = 0; i < bt; i++) transposeInto(src, i * r * c, r, c, dst, i * r * c);
    return y;
  };
  try {
    const a2 = tA ? materialise(a) : a;
    const b2 = tB ? materialise(b) : b;
    return original({
      ...args,
      inputs: { ...inputs, a: a2, b: b2 },
      attrs: { ...attrs, transposeA: false, transposeB: false },
    }) as tf.TensorInfo;
  } finally {
    for (const t of made) be.disposeData(t.dataId);
  }
}

// ---------------------------------------------------------------------------------------------
// Slicing from heap views.

const HEAP_DTYPES = new Set(["float32", "int32", "bool"]);

function heapView(be: WasmBackend, t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array {
  const off = offsetOf(be, t);
  const n = t.shape.reduce((p, d) => p * d, 1);
  const buf = be.wasm.HEAPU8.buffer;
  if (t.dtype === "float32") return new Float32Array(buf, off, n);
  if (t.dtype === "int32") return new Int32Array(buf, off, n);
  return new Uint8Array(buf, off, n);
}

function copySlice(be: WasmBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = output(be, size, x.dtype); // allocate first: views below stay valid
  const src = heapView(be, x);
  const dst = heapView(be, out);
  const rank = x.shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * x.shape[i + 1];
  const total = size.reduce((p, d) => p * d, 1);
  if (total === 0) return out;
  // Copy runs along the last axis; iterate the outer indices like an odometer.
  const inner = size[rank - 1];
  const idx = new Array<number>(Math.max(0, rank - 1)).fill(0);
  let o = 0;
  for (;;) {
    let s = begin[rank - 1];
    for (let d = 0; d < rank - 1; d++) s += (begin[d] + idx[d]) * strides[d];
    (dst as Float32Array).set((src as Float32Array).subarray(s, s + inner), o);
    o += inner;
    let d = rank - 2;
    while (d >= 0 && ++idx[d] === size[d]) idx[d--] = 0;
    if (d < 0) break;
  }
  return out;
}

function sliceKernel(args: KernelArgs, original: Kernel): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  if (!HEAP_DTYPES.has(x.dtype) || x.shape.length === 0) return original(args) as tf.TensorInfo;
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, args.attrs!.begin as number[], args.attrs!.size as number[]);
  return copySlice(args.backend, x, begin, size);
}

function splitVKernel(args: KernelArgs, original: Kernel): tf.TensorInfo[] {
  const x = args.inputs.x as tf.TensorInfo;
  if (!HEAP_DTYPES.has(x.dtype)) return original(args) as tf.TensorInfo[];
  const axis = tf.util.parseAxisParam(args.attrs!.axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, args.attrs!.numOrSizeSplits as number[] | number, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  const outs: tf.TensorInfo[] = [];
  try {
    for (const s of sizes) {
      const size = x.shape.slice();
      size[axis] = s;
      outs.push(copySlice(args.backend, x, begin.slice(), size));
      begin[axis] += s;
    }
  } catch (e) {
    for (const t of outs) args.backend.disposeData(t.dataId);
    throw e;
  }
  return outs;
}

function unpackKernel(args: KernelArgs, original: Kernel): tf.TensorInfo[] {
  const x = args.inputs.value as tf.TensorInfo;
  if (!HEAP_DTYPES.has(x.dtype)) return original(args) as tf.TensorInfo[];
  let axis = args.attrs!.axis as number;
  if (axis < 0) axis += x.shape.length;
  const outShape = x.shape.filter((_, i) => i !== axis);
  const size = x.shape.slice();
  size[axis] = 1;
  const begin = new Array<number>(x.shape.length).fill(0);
  const outs: tf.TensorInfo[] = [];
  try {
    for (let i = 0; i < x.shape[axis]; i++) {
      begin[axis] = i;
      const piece = copySlice(args.backend, x, begin.slice(), size);
      outs.push({ dataId: piece.dataId, dtype: piece.dtype, shape: outShape });
    }
  } catch (e) {
    for (const t of outs) args.backend.disposeData(t.dataId);
    throw e;
  }
  return outs;
}

// ---------------------------------------------------------------------------------------------
// UnsortedSegmentSum: out[s] = Σ_{i : ids[i] = s} x[i]; ids outside [0, numSegments) are dropped.

function unsortedSegmentSum(args: KernelArgs): tf.TensorInfo {
  const { backend: be } = args;
  const x = args.inputs.x as tf.TensorInfo;
  const ids = args.inputs.segmentIds as tf.TensorInfo;
  const numSegments = args.attrs!.numSegments as number;
  if (x.dtype !== "float32" && x.dtype !== "int32") throw new Error(`UnsortedSegmentSum (seqlab wasm): unsupported dtype ${x.dtype}`);
  const n = ids.shape.reduce((p, d) => p * d, 1);
  const rows = x.shape.slice(0, ids.shape.length).reduce((p, d) => p * d, 1);
  if (rows !== n) throw new Error(`UnsortedSegmentSum: segmentIds shape ${ids.shape} must be a prefix of x's shape ${x.shape}`);
  const innerShape = x.shape.slice(ids.shape.length);
  const inner = innerShape.reduce((p, d) => p * d, 1);
  const out = output(be, [numSegments, ...innerShape], x.dtype);
  const xs = heapView(be, x) as Float32Array;
  const idv = heapView(be, ids) as Int32Array;
  const o = heapView(be, out) as Float32Array;
  o.fill(0);
  for (let i = 0; i < n; i++) {
    const s = idv[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
  }
  return out;
}

/** A tensor sharing x's data (buffers are immutable once written; reference counts free them). */
function identityKernel(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  (args.backend as unknown as { incRef(dataId: unknown): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** e^x for float32 in SIMD lanes; lanes beyond [-87, 88] (overflow, denormals) and the last n % 4 by Math.exp. */
function expKernel(args: KernelArgs, original: Kernel): tf.TensorInfo {
  const { inputs, backend: be } = args;
  const x = inputs.x as tf.TensorInfo;
  const memory = be.wasm.asm?.memory;
  const k = memory && x.dtype === "float32" ? lstmWasm(memory) : undefined;
  if (!k) return original(args) as tf.TensorInfo;
  const n = x.shape.reduce((a, b) => a * b, 1);
  const out = output(be, x.shape, "float32");
  const px = offsetOf(be, x);
  const po = offsetOf(be, out);
  const n4 = n - (n % 4);
  const wide = k.exp(px, po, n4);
  const xs = f32(be, px, n);
  const ys = f32(be, po, n);
  for (let i = wide ? 0 : n4; i < n; i++) {
    const v = xs[i];
    if (i >= n4 || !(v >= -87 && v <= 88)) ys[i] = Math.exp(v);
  }
  return out;
}

/** tf.gather along axis 0 without batch dimensions: whole rows copied; anything else to the original. */
function gatherKernel(args: KernelArgs, original: Kernel): tf.TensorInfo {
  const { inputs, backend: be, attrs } = args;
  const x = inputs.x as tf.TensorInfo;
  const indices = inputs.indices as tf.TensorInfo;
  const rank = x.shape.length;
  const axis = Number(attrs?.axis ?? 0);
  if (
    (axis !== 0 && axis !== -rank) ||
    Number(attrs?.batchDims ?? 0) !== 0 ||
    rank < 1 ||
    indices.dtype !== "int32" ||
    (x.dtype !== "float32" && x.dtype !== "int32")
  ) {
    return original(args) as tf.TensorInfo;
  }
  const rows = x.shape[0];
  const row = x.shape.slice(1).reduce((p, d) => p * d, 1);
  const out = output(be, [...indices.shape, ...x.shape.slice(1)], x.dtype);
  const idx = heapView(be, indices);
  const src = heapView(be, x);
  const dst = heapView(be, out);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    if (!(r >= 0 && r < rows)) {
      be.disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${r} is not in [0, ${rows - 1}]`);
    }
    dst.set(src.subarray(r * row, (r + 1) * row), i * row);
  }
  return out;
}

/** tf.sum over leading axes of float32 (rows of C values, C a multiple of 4): column sums; anything else to the original. */
function sumKernel(args: KernelArgs, original: Kernel): tf.TensorInfo {
  const { inputs, backend: be, attrs } = args;
  const x = inputs.x as tf.TensorInfo;
  const rank = x.shape.length;
  const memory = be.wasm.asm?.memory;
  const k = memory && x.dtype === "float32" ? lstmWasm(memory) : undefined;
  const axes = k && rank >= 2 ? tf.util.parseAxisParam(attrs?.axis as number | number[], x.shape).sort((a, b) => a - b) : [];
  const lead = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  const inner = x.shape.slice(axes.length);
  const C = inner.reduce((p, d) => p * d, 1);
  if (!k || !lead || C % 4 !== 0 || C === 0) return original(args) as tf.TensorInfo;
  const rows = x.shape.slice(0, axes.length).reduce((p, d) => p * d, 1);
  const out = output(be, attrs?.keepDims ? [...axes.map(() => 1), ...inner] : inner, "float32");
  k.colsum(offsetOf(be, x), offsetOf(be, out), rows, C, C);
  return out;
}
