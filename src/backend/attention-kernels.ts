// Causal multi-head self-attention of one layer as two kernels of the wasm backend, forward and
// backward, so that src/nn/attention.ts runs no tfjs op per head (before: split, two reshapes and
// transposes per operand, a 4-D batched product as 128 small ones, the mask added, softmax, the
// product with v and the merge of heads, and as many again for the gradient).
//
//   SeqlabAttention      input qkv [B, T, 3C] (the projection's output: q | k | v, head h in
//                        columns h·hd .. h·hd + hd of each), attribute nHead
//                        outputs y [B, T, C] (the heads side by side, ready for the output
//                        projection) and att [B, nHead, T, T] = softmax(q kᵀ / √hd), causal
//   SeqlabAttentionGrad  inputs qkv, att (as above) and dy [B, T, C]; output dqkv [B, T, 3C]
//
// Per (batch, head): kᵀ packed into panels straight from qkv, S = q kᵀ by gemm.wat reading q in
// place, lstm.wat's softmax (scale, causal mask and normalisation in one pass over each row), y =
// att · v with v read in place and y written into its head's columns. Backward: dAtt = dY vᵀ,
// dV = attᵀ dY, dS = softmax's gradient (scaled), dQ = dS k, dK = dSᵀ q, each written into its
// columns of dqkv. The pairs are shared out among threads (jobs.ts). Sizes: hd and T multiples of 8
// (whole 8-column panels); other sizes, masks, cross-attention or dropout take attention.ts's tfjs ops.
import * as tf from "@tensorflow/tfjs";
import { lstmWasm } from "./elementwise";
import { offsetOf, freeScratch, output, scratch, type KernelArgs, type WasmBackend } from "./heap";
import { attentionScratchFloats, type AttentionJob } from "./jobs";
import { simdGemm } from "./simd-gemm";
import { runJob, threadsFor } from "./threads";

export const ATTENTION_KERNELS = { forward: "SeqlabAttention", backward: "SeqlabAttentionGrad" } as const;

/** Whether the kernels take these sizes: T and the head size multiples of 8. */
export function attentionKernelFits(T: number, C: number, nHead: number): boolean {
  const hd = C / nHead;
  return Number.isInteger(hd) && hd > 0 && hd % 8 === 0 && T >= 8 && T % 8 === 0;
}

/** Whether attention.ts can run these kernels now (wasm with seqlab's kernels, SIMD, sizes that fit). */
export function attentionKernelsUsable(T: number, C: number, nHead: number): boolean {
  if (!attentionKernelFits(T, C, nHead) || !tf.getKernel(ATTENTION_KERNELS.forward, tf.getBackend())) return false;
  const memory = (tf.backend() as unknown as WasmBackend).wasm?.asm?.memory;
  return Boolean(memory && simdGemm(memory) && lstmWasm(memory));
}

function setup(args: KernelArgs) {
  const { inputs, backend: be, attrs } = args;
  const qkv = inputs.qkv as tf.TensorInfo;
  const nHead = Number(attrs?.nHead);
  const [B, T, C3] = qkv.shape;
  const C = C3 / 3;
  if (qkv.dtype !== "float32" || qkv.shape.length !== 3 || !Number.isInteger(C) || !attentionKernelFits(T, C, nHead)) {
    throw new Error(`SeqlabAttention: qkv ${qkv.dtype} [${qkv.shape}] with ${nHead} heads does not suit the kernel (attentionKernelFits)`);
  }
  const memory = be.wasm.asm?.memory;
  if (!memory || !simdGemm(memory) || !lstmWasm(memory))
    throw new Error("SeqlabAttention: needs WebAssembly SIMD on the wasm backend (and SEQLAB_SIMD_GEMM not 0)");
  const hd = C / nHead;
  const { nt, pool } = threadsFor(memory, 2 * B * nHead * T * T * hd);
  const per = attentionScratchFloats(T, hd);
  return { be, qkv, nHead, B, T, C, hd, memory, nt, pool, per };
}

function run(s: ReturnType<typeof setup>, fields: Partial<AttentionJob>, job: "attentionForward" | "attentionBackward"): void {
  const { be, B, T, C, nHead, hd, memory, nt, pool, per } = s;
  const work = scratch(be, per * nt);
  try {
    const p: AttentionJob = {
      qkv: offsetOf(be, s.qkv),
      att: 0,
      y: 0,
      dy: 0,
      dqkv: 0,
      B,
      T,
      C,
      nHead,
      scale: 1 / Math.sqrt(hd),
      scratch: work,
      scratchFloats: per,
      ...fields,
    };
    runJob(memory, job, p as unknown as Record<string, number>, nt, pool);
  } finally {
    freeScratch(be, work);
  }
}

export function attentionForward(args: KernelArgs): tf.TensorInfo[] {
  const s = setup(args);
  const y = output(s.be, [s.B, s.T, s.C], "float32");
  const att = output(s.be, [s.B, s.nHead, s.T, s.T], "float32");
  try {
    run(s, { y: offsetOf(s.be, y), att: offsetOf(s.be, att) }, "attentionForward");
  } catch (e) {
    s.be.disposeData(y.dataId);
    s.be.disposeData(att.dataId);
    throw e;
  }
  return [y, att];
}

export function attentionBackward(args: KernelArgs): tf.TensorInfo {
  const s = setup(args);
  const att = args.inputs.att as tf.TensorInfo;
  const dy = args.inputs.dy as tf.TensorInfo;
  const dqkv = output(s.be, [s.B, s.T, 3 * s.C], "float32");
  try {
    run(s, { att: offsetOf(s.be, att), dy: offsetOf(s.be, dy), dqkv: offsetOf(s.be, dqkv) }, "attentionBackward");
  } catch (e) {
    s.be.disposeData(dqkv.dataId);
    throw e;
  }
  return dqkv;
}
