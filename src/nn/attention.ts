// Multi-head scaled dot-product attention (Vaswani et al. 2017), for all heads at once (H heads of
// size hd = C / H):
//
//   q, k, v = split(x · W_qkv + b_qkv)                          each [B, T, C] -> [B, H, T, hd]
//   att     = softmax(q kᵀ / sqrt(hd) + bias)                   [B, H, Tq, Tk]: one batched matmul
//   y       = att · v                                           [B, H, Tq, hd]: one batched matmul
//   out     = merge heads(y) · W_proj + b_proj                  [B, Tq, C]
//
// `bias` is 0 where query i may look at key j and -1e9 where it may not. For the causal mask (j > i
// hidden) exp(-1e9 - max) is exactly 0 in float32, so a later token cannot change an earlier
// position's output in any bit. Other masks: "full" (a bidirectional encoder) or a 0/1 tensor
// [Tq, Tk] or [B, Tq, Tk] (XLNet's permutation masks); with such a mask a row that may attend to
// nothing gets zero attention (not a uniform average). With `kv` the keys and values come from kv
// instead of x (XLNet's query stream reads the content stream so), through the same weights.
//
// On tfjs's wasm backend with seqlab's kernels, causal self-attention without dropout (GPT's, when T
// and the head size are multiples of 8) runs from the projection's output qkv to the merged heads
// as one kernel forward and one backward (src/backend/attention-kernels.ts), shared out among
// threads by (batch, head). Everything else is the tfjs ops below, where the two attention products
// are rank-4 batched matmuls (seqlab's patched BatchMatMul on wasm); no tensor is sliced per head.
import * as tf from "@tensorflow/tfjs";
import { ATTENTION_KERNELS, attentionKernelsUsable } from "../backend/attention-kernels";
import { linear, type LinearParams } from "./linear";

/** Which keys each query may attend to: "causal" (the default), "full", or a 0/1 tensor [Tq, Tk] or [B, Tq, Tk]. */
export type AttentionMask = "causal" | "full" | tf.Tensor;

/** The query-key-value projection W_qkv [C, 3C] (columns q | k | v) and the output projection [C, C]. */
export interface AttentionParams {
  qkv: LinearParams;
  proj: LinearParams;
}

export interface AttentionOptions {
  nHead: number;
  /** Keys and values from this [B, Tk, C] instead of x. */
  kv?: tf.Tensor | null;
  mask?: AttentionMask;
  /** Applied to the attention weights before they weigh the values (dropout while training). */
  dropout?: (att: tf.Tensor) => tf.Tensor;
  /** Keeps the causal bias of each length between calls (default: made in each call). */
  causal?: CausalBias;
}

/** The additive causal bias [T, T] (0 on and below the diagonal, -1e9 above), made once per T. */
export class CausalBias {
  private readonly byLength = new Map<number, tf.Tensor>();

  get(T: number): tf.Tensor {
    let b = this.byLength.get(T);
    if (!b) {
      b = tf.keep(causalBias(T));
      this.byLength.set(T, b);
    }
    return b;
  }

  dispose(): void {
    for (const t of this.byLength.values()) t.dispose();
    this.byLength.clear();
  }
}

function causalBias(T: number): tf.Tensor2D {
  const v = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) v[i * T + j] = -1e9;
  return tf.tensor2d(v, [T, T]);
}

/**
 * A locally banded causal mask [T, T] (1 = may attend): query i sees keys i − window + 1 … i, itself
 * included. GPT-3 alternates dense causal layers with such locally banded sparse ones (Brown et
 * al. 2020, §2.1, after Child et al. 2019); pass it as attention's `mask`.
 */
export function bandedMask(T: number, window: number): tf.Tensor2D {
  if (!(Number.isInteger(T) && T >= 1 && Number.isInteger(window) && window >= 1))
    throw new RangeError(`bandedMask: T and window must be positive integers, got ${T} and ${window}`);
  const v = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = Math.max(0, i - window + 1); j <= i; j++) v[i * T + j] = 1;
  return tf.tensor2d(v, [T, T]);
}

/** Multi-head attention of queries from x [B, Tq, C]: the output [B, Tq, C] and the weights [B, H, Tq, Tk]. */
export function attention(p: AttentionParams, x: tf.Tensor, opts: AttentionOptions): { y: tf.Tensor; att: tf.Tensor } {
  const H = opts.nHead;
  const [B, Tq, C] = x.shape;
  const hd = C / H;
  const kv = opts.kv ?? null;
  const Tk = kv ? kv.shape[1]! : Tq;
  const mask = opts.mask ?? "causal";
  if (!kv && mask === "causal" && !opts.dropout && attentionKernelsUsable(Tq, C, H)) {
    const { y, att } = causalAttentionKernel(linear(p.qkv, x), H);
    return { y: linear(p.proj, y), att };
  }
  let q: tf.Tensor, k: tf.Tensor, v: tf.Tensor;
  if (!kv) {
    [q, k, v] = tf.split(linear(p.qkv, x), 3, -1);
  } else {
    // Queries from x, keys and values from kv: the same weights, used in two pieces.
    const { W, b } = p.qkv;
    q = linear({ W: tf.slice(W, [0, 0], [C, C]), b: b ? tf.slice(b, [0], [C]) : null }, x);
    [k, v] = tf.split(linear({ W: tf.slice(W, [0, C], [C, 2 * C]), b: b ? tf.slice(b, [C], [2 * C]) : null }, kv), 2, -1);
  }
  const heads = (t: tf.Tensor, T: number) => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]); // [B, H, T, hd]
  // the 1/√hd scale on q (B·T·C values) rather than on the scores (B·H·T·T)
  let scores = tf.matMul(heads(tf.mul(q, 1 / Math.sqrt(hd)), Tq) as tf.Tensor4D, heads(k, Tk) as tf.Tensor4D, false, true); // [B, H, Tq, Tk]
  let allowed: tf.Tensor | null = null;
  if (mask === "causal") {
    if (Tq !== Tk) throw new Error("attention: the causal mask needs as many keys as queries");
    scores = tf.add(scores, opts.causal ? opts.causal.get(Tq) : causalBias(Tq));
  } else if (mask !== "full") {
    // [Tq, Tk] or [B, Tq, Tk] -> broadcastable to [B, H, Tq, Tk]
    const m = tf.cast(mask, "float32");
    allowed = mask.rank === 2 ? m : tf.reshape(m, [mask.shape[0], 1, Tq, Tk]);
    scores = tf.add(scores, tf.mul(tf.sub(1, allowed), -1e9));
  }
  let att = tf.softmax(scores);
  if (allowed) att = tf.mul(att, allowed); // a row with nothing allowed: zeros, not a uniform average
  const y = tf.matMul((opts.dropout ? opts.dropout(att) : att) as tf.Tensor4D, heads(v, Tk) as tf.Tensor4D); // [B, H, Tq, hd]
  const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, Tq, C]);
  return { y: linear(p.proj, merged), att };
}

/**
 * Causal self-attention from qkv [B, T, 3C] to the merged heads [B, T, C] by the wasm kernels, under
 * one tf.customGrad (the gradient with respect to qkv); also returns the weights [B, H, T, T].
 */
function causalAttentionKernel(qkv: tf.Tensor, nHead: number): { y: tf.Tensor; att: tf.Tensor } {
  let att: tf.Tensor | undefined;
  const op = tf.customGrad((...args: unknown[]) => {
    const q = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const [y, a] = tf.engine().runKernel(ATTENTION_KERNELS.forward, { qkv: q }, { nHead }) as tf.Tensor[];
    att = tf.keep(a); // survives the tidy that customGrad runs this function in (it returns only y)
    save([q, a]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [qS, aS]: tf.Tensor[]) =>
        tf.engine().runKernel(ATTENTION_KERNELS.backward, { qkv: qS, att: aS, dy }, { nHead }) as tf.Tensor,
    };
  });
  const y = op(qkv);
  // The weights belong to the caller's scope, as if made here (disposed with it unless returned).
  att!.kept = false;
  (tf.engine() as unknown as { track(t: tf.Tensor): tf.Tensor }).track(att!);
  return { y, att: att! };
}
