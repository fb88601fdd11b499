// The recurrent layer every model here is built on: one of the cells of src/nn (RNN, LSTM, GRU)
// run over a sequence, with fusedLstm as the fast path for an LSTM (one tape node for the whole
// sequence; packedLstm for padded batches), and masking for padded batches otherwise (a row's
// state stops changing after its valid length, so its final state is the state at its last real token).
import * as tf from "@tensorflow/tfjs";
import { rnnCell, lstmCell, gruCell, fusedLstm, packedLstm, timeSteps, type Cell, type LstmState } from "../nn";
import { Module } from "../nn/module";
import { checkShape } from "../nn/shape";

export type CellKind = "rnn" | "lstm" | "gru";
export const CELL_KINDS: readonly CellKind[] = ["rnn", "lstm", "gru"];

/** h [B, H] for every cell; c [B, H] too for an LSTM. */
export type RecurrentState = {
  h: tf.Tensor2D;
  c?: tf.Tensor2D;
};

export interface RecurrentOptions {
  /** "rnn" (tanh), "lstm" (default) or "gru". */
  cell?: CellKind;
  inputSize: number;
  hiddenSize: number;
  seed?: number;
  /** Use fusedLstm for an LSTM (packedLstm over padded batches) instead of the step loop (default true). */
  fused?: boolean;
}

function checkSize(where: string, name: string, n: unknown): void {
  if (!(Number.isInteger(n) && (n as number) > 0)) throw new RangeError(`${where}: ${name} must be a positive integer, got ${n}`);
}

export class Recurrent extends Module {
  readonly kind: CellKind;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly fused: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly cell: Cell<any, any, any>;

  constructor(opts: RecurrentOptions) {
    super();
    const kind = opts.cell ?? "lstm";
    if (!CELL_KINDS.includes(kind)) throw new RangeError(`unknown cell "${kind}": use one of ${CELL_KINDS.join(", ")}`);
    checkSize("Recurrent", "inputSize", opts.inputSize);
    checkSize("Recurrent", "hiddenSize", opts.hiddenSize);
    this.kind = kind;
    this.inputSize = opts.inputSize;
    this.hiddenSize = opts.hiddenSize;
    this.fused = opts.fused ?? true;
    const o = { inputSize: opts.inputSize, hiddenSize: opts.hiddenSize, seed: opts.seed ?? 0 };
    this.cell = kind === "rnn" ? rnnCell(o) : kind === "lstm" ? lstmCell(o) : gruCell(o);
  }

  /** The names of the state's tensors: ["h", "c"] for an LSTM, ["h"] otherwise. */
  get stateKeys(): ("h" | "c")[] {
    return this.kind === "lstm" ? ["h", "c"] : ["h"];
  }

  zeroState(batch: number): RecurrentState {
    return tf.tidy(() => {
      const s: RecurrentState = { h: tf.zeros([batch, this.hiddenSize]) };
      if (this.kind === "lstm") s.c = tf.zeros([batch, this.hiddenSize]);
      return s;
    });
  }

  /** Throws unless `state` has this cell's tensors, each [batch, hidden]. */
  checkState(where: string, state: RecurrentState, batch: number): void {
    for (const k of this.stateKeys) {
      const t = state[k];
      if (!t) throw new Error(`${where}: an ${this.kind.toUpperCase()} state needs ${this.stateKeys.join(" and ")}; ${k} is missing`);
      checkShape(where, `state ${k}`, t.shape, [batch, this.hiddenSize]);
    }
  }

  /** One time step: x [B, inputSize] → the new state. */
  step(x: tf.Tensor2D, state: RecurrentState): RecurrentState {
    return tf.tidy(() => {
      const o = this.cell.step(x, state) as RecurrentState;
      return this.kind === "lstm" ? { h: o.h, c: o.c } : { h: o.h };
    });
  }

  /**
   * Run over xs [B, T, inputSize] from state0 (default zeros): every step's h as hs [B, T, H] and
   * the final state. With validLens (one per row, 1..T) a row's state is frozen after its length.
   */
  run(xs: tf.Tensor3D, state0?: RecurrentState, validLens?: readonly number[]): { hs: tf.Tensor3D; state: RecurrentState } {
    const [B, T] = xs.shape;
    return tf.tidy(() => {
      const s0 = state0 ?? this.zeroState(B);
      if (this.kind === "lstm" && this.fused) {
        const o = validLens ? packedLstm(this.cell, xs, s0 as LstmState, validLens) : fusedLstm(this.cell, xs, s0 as LstmState);
        return { hs: o.hs, state: { h: o.h, c: o.c } };
      }
      const inputs = timeSteps(xs);
      let state = s0;
      const hs: tf.Tensor2D[] = [];
      for (let t = 0; t < T; t++) {
        let next = this.step(inputs[t], state);
        if (validLens) {
          const m = tf.tensor2d(
            validLens.map((n) => (t < n ? 1 : 0)),
            [B, 1],
          );
          const keep = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.add(tf.mul(m, a), tf.mul(tf.sub(1, m), b)) as tf.Tensor2D;
          next = this.kind === "lstm" ? { h: keep(next.h, state.h), c: keep(next.c!, state.c!) } : { h: keep(next.h, state.h) };
        }
        hs.push(next.h);
        state = next;
      }
      const stacked = (T === 1 ? tf.expandDims(hs[0], 1) : tf.stack(hs, 1)) as tf.Tensor3D;
      return { hs: stacked, state };
    });
  }

  /** The cell's parameters by name (Wx, Wh, b). */
  namedVariables(): Record<string, tf.Variable> {
    return { ...(this.cell.params as Record<string, tf.Variable>) };
  }
}

/** Dispose every tensor of a state (safe on undefined). */
export function disposeState(state: RecurrentState | undefined): void {
  if (state) tf.dispose([state.h, ...(state.c ? [state.c] : [])]);
}
