// What every recurrent cell in seqlab looks like. A cell owns its parameters (tf.Variables) and
// maps one time step: (x_t [B, D], state_{t-1}) -> output, where the output holds the new state
// plus whatever the cell computed on the way (an LSTM's gates, say).
import * as tf from "@tensorflow/tfjs";

export interface Cell<P extends object, S extends object, O extends S = S> {
  readonly kind: string;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly params: P;
  /** One time step: x [B, inputSize] and the previous state, to the new state (and more). */
  step(x: tf.Tensor2D, state: S): O;
  /** The all-zeros state for a batch of `batch`. */
  zeroState(batch: number): S;
  /** The trainable variables, for optimizers and tf.variableGrads. */
  variables(): tf.Variable[];
  dispose(): void;
}

export interface CellOptions {
  inputSize: number;
  hiddenSize: number;
  /** Seed of the deterministic initialisation (default 0). */
  seed?: number;
}

/** Builds the Cell object around a step function and its parameters. */
export function makeCell<P extends object, S extends object, O extends S>(
  kind: string,
  opts: CellOptions,
  params: P,
  step: (params: P, x: tf.Tensor2D, state: S) => O,
  stateKeys: (keyof S & string)[],
): Cell<P, S, O> {
  return {
    kind,
    inputSize: opts.inputSize,
    hiddenSize: opts.hiddenSize,
    params,
    step: (x, state) => step(params, x, state),
    zeroState: (batch) => Object.fromEntries(stateKeys.map((k) => [k, tf.zeros([batch, opts.hiddenSize])])) as unknown as S,
    variables: () => Object.values(params) as tf.Variable[],
    dispose: () => (Object.values(params) as tf.Variable[]).forEach((v) => v.dispose()),
  };
}
