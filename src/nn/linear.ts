// A linear layer's op, y = x·W + b over the last axis, fused: the forward pass is one matmul with
// the bias added in (tf.fused.matMul), the backward pass two products, the bias gradient folded
// into the weight gradient's product as one more row ([dW; db] = [x | 1]ᵀ·dy) instead of a
// tf.sum over B·T rows (wasm runs that as a transpose and a sum).
import * as tf from "@tensorflow/tfjs";
import { fusedOp } from "./fused-op";

/** A linear layer's parameters: W [in, out] and an optional bias b [out]. */
export interface LinearParams {
  W: tf.Tensor;
  b: tf.Tensor | null;
}

const linearBias = fusedOp<(x: tf.Tensor, W: tf.Tensor, b: tf.Tensor) => tf.Tensor>((x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  save([x, W]);
  return {
    value: tf.fused.matMul({ a: x, b: W, bias: b }),
    gradFunc: (dy: tf.Tensor2D, [xs, Ws]: tf.Tensor[]) => {
      const [N, inSize] = xs.shape;
      const gWb = tf.matMul(tf.concat([xs, tf.ones([N, 1])], 1) as tf.Tensor2D, dy, true, false);
      const out = dy.shape[1];
      return [tf.matMul(dy, Ws as tf.Tensor2D, false, true), tf.slice(gWb, [0, 0], [inSize, out]), tf.reshape(tf.slice(gWb, [inSize, 0], [1, out]), [out])];
    },
  };
});

/** x·W + b over the last axis ([..., in] → [..., out]): one 2-D matmul (bias fused in). */
export function linear(p: LinearParams, x: tf.Tensor): tf.Tensor {
  const [inSize, outSize] = p.W.shape;
  const lead = x.shape.slice(0, -1);
  const x2 = tf.reshape(x, [-1, inSize]);
  const y = p.b ? linearBias(x2, p.W, p.b) : tf.matMul(x2 as tf.Tensor2D, p.W as tf.Tensor2D);
  return tf.reshape(y, [...lead, outSize]);
}
