// A fast LSTM layer: the same equations as lstm.ts (gates [f | i | o | g]), with the forward and
// backward passes through time fused under one tf.customGrad, so that tfjs records one tape node
// instead of ~15 per step and no large tensor is sliced per step.
//
// On the wasm backend (when the sizes suit it: fusedLstmPath) the whole recurrence runs in two kernel calls,
// src/backend/lstm-kernels.ts: WebAssembly SIMD products and gate updates on the backend's heap, no
// op or read-back per step. Elsewhere (cpu, tfjs-node, other sizes) the generic path below:
//
//  forward   X W_x + b for all B*T rows in one matmul, read back once; then per step one matmul
//            h_{t-1} W_h plus that step's block, σ and tanh of z_t in the backend (vectorised; V8's
//            Math.exp costs ~25 ns), and the cell update c_t, h_t in JavaScript. σ(z_t), tanh(z_t),
//            c_t, tanh(c_t) and h_t are kept in JS arrays for the backward pass.
//  backward  per step (t = T..1) the gate derivatives in JS and one matmul dZ_t W_hᵀ for dh_{t-1};
//            then the weight gradients over all time steps at once:
//              dW_x = Xᵀ dZ,  dW_h = H_prevᵀ dZ,  db = 1ᵀ dZ,  dX = dZ W_xᵀ
//            (every transpose is explicit, so each product is an untransposed GEMM: the fast path
//            of wasm's XNNPACK, with or without seqlab's matmul patch).
//
// Memory: (3G + 3H)·B·T floats per call (G = 4H; 31 MB at B 32, T 64, H 256; the wasm kernels keep
// (G + 3H)·B·T), kept until the gradient has run or the output is garbage, plus G·B·T during the
// backward pass. Both paths are checked against unroll(lstmCell) in values and gradients
// (test/unit/nn-fused.test.ts).
import * as tf from "@tensorflow/tfjs";
import { LSTM_KERNELS, lstmKernelsUsable } from "../backend/lstm-kernels";
import type { Cell } from "./cell";
import type { LstmParams, LstmState, LstmStep } from "./lstm";

export interface FusedLstmOutput {
  /** h_t for every step, batch-major [B, T, H]. */
  hs: tf.Tensor3D;
  /** The final state (h_T, c_T), each [B, H]: pass it as the next call's state0 to continue. */
  h: tf.Tensor2D;
  c: tf.Tensor2D;
}

/** Input sizes rounded up to whole 8-column blocks, as the wasm kernels take them (zero columns added). */
const paddedInputs = (D: number) => Math.ceil(D / 8) * 8;

/**
 * Which path fusedLstm takes for these sizes: the wasm backend's LSTM kernels, or the generic one.
 * Any input size D suits the kernels: x is padded with zero columns and W_x with zero rows to whole
 * 8-column blocks (the one-hot inputs of 28 characters in notebook 4 would otherwise take the
 * generic path: an epoch there took 2.8 s instead of 0.61).
 */
export function fusedLstmPath(B: number, D: number, H: number): "kernels" | "generic" {
  return lstmKernelsUsable(B, paddedInputs(D), H) ? "kernels" : "generic";
}

/**
 * Run an LSTM over xs [B, T, D] from state0 (default zeros). Differentiable with respect to xs,
 * the parameters and state0.
 */
export function fusedLstm(
  cellOrParams: LstmParams | Cell<LstmParams, LstmState, LstmStep>,
  xs: tf.Tensor3D,
  state0?: LstmState,
): FusedLstmOutput {
  const p = "step" in cellOrParams ? (cellOrParams as Cell<LstmParams, LstmState, LstmStep>).params : (cellOrParams as LstmParams);
  const [B, T, D] = xs.shape;
  const H = p.Wh.shape[0];
  const G = 4 * H;
  if (p.Wx.shape[0] !== D || p.Wx.shape[1] !== G || p.Wh.shape[1] !== G || p.b.shape[0] !== G) {
    throw new Error(`fusedLstm: parameter shapes Wx ${p.Wx.shape}, Wh ${p.Wh.shape}, b ${p.b.shape} do not fit input size ${D}`);
  }
  if (T < 1) throw new Error("fusedLstm: xs needs at least one time step");

  const op =
    fusedLstmPath(B, D, H) === "kernels"
      ? kernelOp(D)
      : tf.customGrad((...args: unknown[]) => {
          const [x3, Wx, Wh, b, h0t, c0t] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor2D];
          const save = args[6] as tf.GradSaveFunc;
          save([x3, Wx, Wh]);
          // Internally time-major: row r = t*B + b, so each step's rows are one contiguous block.
          const N = T * B;
          const BG = B * G;
          const BH = B * H;

          // X W_x + b for all steps at once; read back once. (Outside tf.tidy: tidy walks every element
          // of a returned typed array.)
          const XW = tf.tidy(() => tf.add(tf.matMul(tf.reshape(tf.transpose(x3, [1, 0, 2]), [N, D]) as tf.Tensor2D, Wx), b));
          const xw = XW.dataSync() as Float32Array;
          XW.dispose();
          const h = Float32Array.from(h0t.dataSync());
          const c = Float32Array.from(c0t.dataSync());
          const sig: Float32Array[] = []; // per step σ(z_t) [B, 4H]: f, i, o are its blocks 0-2
          const tnh: Float32Array[] = []; // per step tanh(z_t) [B, 4H]: g is its block 3
          const cs = new Float32Array((T + 1) * BH); // c_0 .. c_T
          const tcs = new Float32Array(N * H); // tanh(c_t), t = 1..T
          const hs = new Float32Array((T + 1) * BH); // h_0 .. h_T (h_{t-1} rows feed dW_h = H_prevᵀ dZ)
          cs.set(c, 0);
          hs.set(h, 0);

          for (let t = 0; t < T; t++) {
            // z_t = h_{t-1} W_h + (x_t W_x + b); σ and tanh of all of z_t run in the backend (vectorised),
            // the cell update here. (h is copied: the cpu backend would keep a reference to it.)
            const z = tf.tidy(() =>
              tf.add(tf.matMul(tf.tensor2d(h.slice(), [B, H]), Wh), tf.tensor2d(xw.subarray(t * BG, (t + 1) * BG), [B, G])),
            );
            const sz = tf.sigmoid(z);
            const tz = tf.tanh(z);
            const sg = sz.dataSync() as Float32Array;
            const th = tz.dataSync() as Float32Array;
            tf.dispose([z, sz, tz]);
            sig.push(sg);
            tnh.push(th);
            for (let bi = 0; bi < B; bi++) {
              const zr = bi * G;
              const tr = t * BH + bi * H;
              for (let j = 0; j < H; j++) {
                const k = bi * H + j;
                const cn = sg[zr + j] * c[k] + sg[zr + H + j] * th[zr + 3 * H + j];
                const tc = Math.tanh(cn);
                c[k] = cn;
                tcs[tr + j] = tc;
                h[k] = sg[zr + 2 * H + j] * tc;
              }
            }
            cs.set(c, (t + 1) * BH);
            hs.set(h, (t + 1) * BH);
          }
          // value: time-major [T+1, B, H] = h_1 .. h_T, then c_T
          const packed = new Float32Array((T + 1) * BH);
          packed.set(hs.subarray(BH));
          packed.set(c, T * BH);
          const value = tf.tensor3d(packed, [T + 1, B, H]);

          const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
            const [xS, WxS, WhS] = saved as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
            const dyv = dy.dataSync() as Float32Array; // [T+1, B, H]
            const WhT = tf.transpose(WhS); // [4H, H]
            const dZ = new Float32Array(N * G); // dL/dz per row
            let dhNext: Float32Array = new Float32Array(BH);
            const dc = Float32Array.from(dyv.subarray(T * BH)); // dL/dc_T
            try {
              for (let t = T - 1; t >= 0; t--) {
                const sg = sig[t];
                const th = tnh[t];
                for (let bi = 0; bi < B; bi++) {
                  const zr = bi * G; // in sg/th
                  const gr = (t * B + bi) * G; // in dZ
                  const tr = t * BH + bi * H; // in tcs, dyv, cs (c_{t-1})
                  for (let j = 0; j < H; j++) {
                    const k = bi * H + j;
                    const f = sg[zr + j];
                    const i = sg[zr + H + j];
                    const o = sg[zr + 2 * H + j];
                    const g = th[zr + 3 * H + j];
                    const tc = tcs[tr + j];
                    const dh = dyv[tr + j] + dhNext[k];
                    const dct = dc[k] + dh * o * (1 - tc * tc);
                    dZ[gr + j] = dct * cs[tr + j] * f * (1 - f);
                    dZ[gr + H + j] = dct * g * i * (1 - i);
                    dZ[gr + 2 * H + j] = dh * tc * o * (1 - o);
                    dZ[gr + 3 * H + j] = dct * i * (1 - g * g);
                    dc[k] = dct * f;
                  }
                }
                // dh_{t-1} = dZ_t W_hᵀ (for t = 0 this is dL/dh0)
                const dhp = tf.tidy(() => tf.matMul(tf.tensor2d(dZ.slice(t * BG, (t + 1) * BG), [B, G]), WhT));
                dhNext = dhp.dataSync() as Float32Array;
                dhp.dispose();
              }
            } finally {
              WhT.dispose();
            }
            return tf.tidy(() => {
              const dZm = tf.tensor2d(dZ, [N, G]);
              const X = tf.reshape(tf.transpose(xS, [1, 0, 2]), [N, D]) as tf.Tensor2D;
              const dWx = tf.matMul(tf.transpose(X), dZm);
              const dWh = tf.matMul(tf.transpose(tf.tensor2d(hs.subarray(0, N * H), [N, H])), dZm);
              const db = tf.reshape(tf.matMul(tf.ones([1, N]), dZm), [G]); // Σ over rows, as a GEMM
              const dX = tf.transpose(tf.reshape(tf.matMul(dZm, tf.transpose(WxS)), [T, B, D]), [1, 0, 2]);
              return [dX, dWx, dWh, db, tf.tensor2d(dhNext, [B, H]), tf.tensor2d(dc, [B, H])];
            });
          };
          return { value, gradFunc };
        });

  return tf.tidy(() => {
    const h0 = state0?.h ?? tf.zeros([B, H]);
    const c0 = state0?.c ?? tf.zeros([B, H]);
    // one-hot inputs come as int32 (tf.oneHot): the kernels read float32 only
    const x = xs.dtype === "float32" ? xs : (tf.cast(xs, "float32") as tf.Tensor3D);
    const y = op(x, p.Wx, p.Wh, p.b, h0, c0) as tf.Tensor3D; // [T+1, B, H]
    const hs = tf.transpose(tf.slice(y, [0, 0, 0], [T, B, H]), [1, 0, 2]) as tf.Tensor3D;
    const c = tf.reshape(tf.slice(y, [T, 0, 0], [1, B, H]), [B, H]) as tf.Tensor2D;
    const h = tf.reshape(tf.slice(y, [T - 1, 0, 0], [1, B, H]), [B, H]) as tf.Tensor2D;
    return { hs, h, c };
  });
}

/**
 * The same op as the generic path above, run by the wasm backend's LSTM kernels
 * (src/backend/lstm-kernels.ts): the whole recurrence, forward and backward, in two kernel calls.
 * The activations it needs for the gradient are tensors kept by `save`. Inputs of D columns are
 * padded to whole 8-column blocks (x with zero columns, W_x with zero rows: every product is the
 * same), and the gradients of x and W_x cut back to D.
 */
function kernelOp(D: number) {
  const Dp = paddedInputs(D);
  return tf.customGrad((...args: unknown[]) => {
    const [x3, Wx, Wh, b, h0, c0] = args as tf.Tensor[];
    const save = args[6] as tf.GradSaveFunc;
    // time-major: each step's rows are one block
    const x = tf.tidy(() =>
      Dp === D
        ? tf.transpose(x3, [1, 0, 2])
        : tf.pad(tf.transpose(x3, [1, 0, 2]), [
            [0, 0],
            [0, 0],
            [0, Dp - D],
          ]),
    );
    const WxP =
      Dp === D
        ? Wx
        : tf.pad(Wx, [
            [0, Dp - D],
            [0, 0],
          ]);
    const [y, act, c, tc] = tf.engine().runKernel(LSTM_KERNELS.forward, { x, Wx: WxP, Wh, b, h0, c0 }, {}) as tf.Tensor[];
    save([x, WxP, Wh, h0, c0, y, act, c, tc]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xS, WxS, WhS, h0S, c0S, yS, actS, cS, tcS] = saved;
      const inputs = { x: xS, Wx: WxS, Wh: WhS, h0: h0S, c0: c0S, y: yS, act: actS, c: cS, tc: tcS, dy };
      const [dx, dWx, dWh, db, dh0, dc0] = tf.engine().runKernel(LSTM_KERNELS.backward, inputs, {}) as tf.Tensor[];
      const [T, B] = dx.shape;
      const dxD = Dp === D ? dx : tf.slice(dx, [0, 0, 0], [T, B, D]);
      const dWxD = Dp === D ? dWx : tf.slice(dWx, [0, 0], [D, -1]);
      return [tf.transpose(dxD, [1, 0, 2]), dWxD, dWh, db, dh0, dc0];
    };
    return { value: y, gradFunc };
  });
}
