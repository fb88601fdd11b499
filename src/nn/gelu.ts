// GELU in GPT-2's tanh form, fused into one tf.customGrad:
//
//   gelu(x) = x/2 · (1 + tanh(√(2/π)(x + 0.044715x³))) = x · σ(2√(2/π)(x + 0.044715x³))
//
// within 5e-4 of the exact x·Φ(x) that PyTorch's nn.GELU() computes. Written with sigmoid because
// tfjs's wasm backend runs sigmoid vectorised (XNNPACK) and exp and tanh as scalar loops. On the
// wasm backend with seqlab's kernels it is one kernel forward and one backward instead
// (src/backend/norm-kernels.ts: SIMD, shared out among threads), which save only x.
import * as tf from "@tensorflow/tfjs";
import { NORM_KERNELS, normKernelsUsable } from "../backend/norm-kernels";
import { fusedOp } from "./fused-op";

const K = 2 * Math.sqrt(2 / Math.PI);
const A = 0.044715;

const geluOp = fusedOp<(x: tf.Tensor) => tf.Tensor>((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const x2 = tf.square(x);
  const s = tf.sigmoid(tf.mul(tf.mul(x, tf.add(tf.mul(x2, A), 1)), K));
  save([x, x2, s]);
  return {
    value: tf.mul(x, s),
    // d/dx x·σ(u) = σ(u) + x · σ(u)(1 − σ(u)) · u',  u' = K (1 + 3A x²)
    gradFunc: (dy: tf.Tensor, [xs, x2s, ss]: tf.Tensor[]) => [
      tf.mul(dy, tf.add(ss, tf.mul(tf.mul(xs, tf.mul(ss, tf.sub(1, ss))), tf.add(tf.mul(x2s, 3 * A * K), K)))),
    ],
  };
});

const geluKernelOp = fusedOp<(x: tf.Tensor) => tf.Tensor>((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: tf.engine().runKernel(NORM_KERNELS.gelu, { x }, {}) as tf.Tensor,
    gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) => [tf.engine().runKernel(NORM_KERNELS.geluGrad, { x: xs, dy }, {}) as tf.Tensor],
  };
});

/** GELU, GPT-2's tanh form, elementwise. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return x.dtype === "float32" && normKernelsUsable() ? geluKernelOp(x) : geluOp(x);
}
