// Layer normalisation (Ba, Kiros & Hinton 2016) over the last axis, as PyTorch's nn.LayerNorm:
//
//   x̂ = (x − mean(x)) / sqrt(var(x) + ε),   y = x̂ · g + b        (ε = 1e-5; g, b [C])
//
// fused into one tf.customGrad. The backward pass:
//   dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)),  dx̂ = dy · g;   dg = Σ dy · x̂,  db = Σ dy
// with dg and db summed over the rows in JavaScript (see layerNormParamGrads). On the wasm backend
// with seqlab's kernels (C a multiple of 4) forward and backward are one kernel each instead
// (src/backend/norm-kernels.ts), shared out among threads by rows.
import * as tf from "@tensorflow/tfjs";
import { NORM_KERNELS, normKernelsUsable } from "../backend/norm-kernels";
import { fusedOp } from "./fused-op";

/** LayerNorm's gain g and bias b, each [C]. */
export interface LayerNormParams {
  g: tf.Tensor;
  b: tf.Tensor;
}

/**
 * dg = Σ_rows dy·x̂ and db = Σ_rows dy, summed in JavaScript over copies of dy and x̂ [N, C]: a read
 * of 2·N·C floats, where tfjs's wasm Sum over axis 0 transposes first and a ones·M product makes
 * XNNPACK pack M (both several times slower for a [2048, 128] batch).
 */
function layerNormParamGrads(dy: tf.Tensor2D, xhat: tf.Tensor2D): { dg: tf.Tensor1D; db: tf.Tensor1D } {
  const [N, C] = dy.shape;
  const d = dy.dataSync() as Float32Array;
  const x = xhat.dataSync() as Float32Array;
  const g = new Float64Array(C);
  const b = new Float64Array(C);
  for (let i = 0; i < N; i++) {
    const o = i * C;
    for (let j = 0; j < C; j++) {
      const v = d[o + j];
      g[j] += v * x[o + j];
      b[j] += v;
    }
  }
  return { dg: tf.tensor1d(Float32Array.from(g)), db: tf.tensor1d(Float32Array.from(b)) };
}

const layerNormOp = fusedOp<(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor>(
  (x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const xc = tf.sub(x, tf.mean(x, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), 1e-5));
    const xhat = tf.mul(xc, rstd);
    save([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor2D, [xh, rs, gs]: tf.Tensor[]) => {
        const dxhat = tf.mul(dy, gs);
        const dx = tf.mul(tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xh, tf.mean(tf.mul(dxhat, xh), -1, true))), rs);
        const { dg, db } = layerNormParamGrads(dy, xh as tf.Tensor2D);
        return [dx, dg, db];
      },
    };
  },
);

/** The same op through the wasm kernels (x̂ and rstd saved for the gradient). */
const layerNormKernelOp = fusedOp<(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor>(
  (x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const [y, xhat, rstd] = tf.engine().runKernel(NORM_KERNELS.layerNorm, { x, g, b }, { eps: 1e-5 }) as tf.Tensor[];
    save([xhat, rstd, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor2D, [xh, rs, gs]: tf.Tensor[]) =>
        tf.engine().runKernel(NORM_KERNELS.layerNormGrad, { dy, xhat: xh, rstd: rs, g: gs }, {}) as tf.Tensor[],
    };
  },
);

/** LayerNorm over the last axis of x [..., C] (ε = 1e-5, as PyTorch). */
export function layerNorm(p: LayerNormParams, x: tf.Tensor): tf.Tensor {
  const C = x.shape[x.rank - 1];
  const op = C % 4 === 0 && x.dtype === "float32" && normKernelsUsable() ? layerNormKernelOp : layerNormOp;
  return tf.reshape(op(tf.reshape(x, [-1, C]), p.g, p.b), x.shape);
}
