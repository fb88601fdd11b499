// A linear layer's op, y = x·W + b over the last axis, fused: the forward pass is one matmul with
// the bias added in (tf.fused.matMul), the backward pass two products and the bias gradient as a
// sum over the B·T rows of dy. (It used to be folded into the weight gradient as one more row,
// [dW; db] = [x | 1]ᵀ·dy, when tfjs's wasm Sum transposed first; seqlab's wasm Sum adds the rows in
// SIMD lanes, and the extra row cost a copy of x and a product row finished in JavaScript.)
import * as tf from "@tensorflow/tfjs";
import { fusedOp } from "./fused-op";

/** A linear layer's parameters: W [in, out] and an optional bias b [out]. */
export interface LinearParams {
  W: tf.Tensor;
  b: tf.Tensor | null;
}

const linearBias = fusedOp<(x: tf.Tensor, W: tf.Tensor, b: tf.Tensor) => tf.Tensor>(
  (x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([x, W]);
    return {
      value: tf.fused.matMul({ a: x, b: W, bias: b }),
      gradFunc: (dy: tf.Tensor2D, [xs, Ws]: tf.Tensor[]) => [
        tf.matMul(dy, Ws as tf.Tensor2D, false, true),
        tf.matMul(xs as tf.Tensor2D, dy, true, false),
        tf.sum(dy, 0),
      ],
    };
  },
);

/** x·W + b over the last axis ([..., in] → [..., out]): one 2-D matmul (bias fused in). */
export function linear(p: LinearParams, x: tf.Tensor): tf.Tensor {
  const [inSize, outSize] = p.W.shape;
  const lead = x.shape.slice(0, -1);
  const x2 = tf.reshape(x, [-1, inSize]);
  const y = p.b ? linearBias(x2, p.W, p.b) : tf.matMul(x2 as tf.Tensor2D, p.W as tf.Tensor2D);
  return tf.reshape(y, [...lead, outSize]);
}
