// An LSTM over a padded batch, rows of different lengths, on fusedLstm's fast path: what PyTorch's
// pack_padded_sequence does. The masked step loop (src/models/recurrent.ts) runs the cell one step
// at a time for T steps, a dozen tape nodes each; here the rows are sorted longest first and each
// stretch of steps between two distinct lengths is one fusedLstm call over the rows still running.
//
//   lengths 5 3 3 1 (T = 5)   steps 0..1: 4 rows   steps 1..3: 3 rows   steps 3..5: 1 row
//
// A row that has ended keeps its last state (its h repeats in hs after its length), exactly as the
// masked loop has it; so the values, and the gradients (every op here is gather, slice, concat or
// tile), are the loop's. test/unit/nn-packed.test.ts compares the two.
import * as tf from "@tensorflow/tfjs";
import type { Cell } from "./cell";
import { fusedLstm } from "./fused-lstm";
import type { LstmParams, LstmState, LstmStep } from "./lstm";

/**
 * Run an LSTM over xs [B, T, D] from state0 where row b is `lengths[b]` steps long (0..T; the
 * steps after it are padding): hs [B, T, H] (a row's h repeated after its length) and each row's
 * state after its last real step.
 */
export function packedLstm(
  cellOrParams: LstmParams | Cell<LstmParams, LstmState, LstmStep>,
  xs: tf.Tensor3D,
  state0: LstmState,
  lengths: readonly number[],
): { hs: tf.Tensor3D; h: tf.Tensor2D; c: tf.Tensor2D } {
  const [B, T, D] = xs.shape;
  if (lengths.length !== B) throw new RangeError(`packedLstm: ${lengths.length} lengths for a batch of ${B}`);
  const len = lengths.map((n) => {
    if (!Number.isInteger(n) || n < 0 || n > T)
      throw new RangeError(`packedLstm: lengths must be whole numbers from 0 to ${T} (steps), got ${n}`);
    return n;
  });
  const order = len.map((_, b) => b).sort((a, b) => len[b] - len[a] || a - b); // longest first, stable
  const back = new Array<number>(B);
  order.forEach((b, i) => (back[b] = i));
  const sorted = order.map((b) => len[b]);
  return tf.tidy(() => {
    const rows = tf.tensor1d(order, "int32");
    const x = tf.gather(xs, rows) as tf.Tensor3D;
    let h = tf.gather(state0.h, rows) as tf.Tensor2D;
    let c = tf.gather(state0.c, rows) as tf.Tensor2D;
    const H = h.shape[1];
    const windows: tf.Tensor3D[] = [];
    // stretches [t0, t1) between the distinct lengths (and T); rows with length ≥ t1 run through one
    const ends = [...new Set([...sorted.filter((n) => n > 0), T])].sort((a, b) => a - b);
    let t0 = 0;
    for (const t1 of ends) {
      const running = sorted.filter((n) => n >= t1).length; // a prefix of the sorted rows
      const parts: tf.Tensor3D[] = [];
      if (running > 0) {
        const o = fusedLstm(cellOrParams, tf.slice(x, [0, t0, 0], [running, t1 - t0, D]), {
          h: tf.slice(h, [0, 0], [running, H]),
          c: tf.slice(c, [0, 0], [running, H]),
        });
        parts.push(o.hs);
        if (running < B) {
          h = tf.concat([o.h, tf.slice(h, [running, 0], [B - running, H])]);
          c = tf.concat([o.c, tf.slice(c, [running, 0], [B - running, H])]);
        } else [h, c] = [o.h, o.c];
      }
      if (running < B) {
        const ended = tf.slice(h, [running, 0], [B - running, H]);
        parts.push(tf.tile(tf.expandDims(ended, 1), [1, t1 - t0, 1]) as tf.Tensor3D);
      }
      windows.push(parts.length === 1 ? parts[0] : (tf.concat(parts, 0) as tf.Tensor3D));
      t0 = t1;
    }
    const hs = windows.length === 1 ? windows[0] : (tf.concat(windows, 1) as tf.Tensor3D);
    const unsort = tf.tensor1d(back, "int32");
    return {
      hs: tf.gather(hs, unsort) as tf.Tensor3D,
      h: tf.gather(h, unsort) as tf.Tensor2D,
      c: tf.gather(c, unsort) as tf.Tensor2D,
    };
  });
}
