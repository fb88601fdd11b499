// The contract every model and objective in seqlab keeps, from this one helper:
//   namedVariables()  the trainable variables by stable names: what checkpoints save and load;
//   variables()       the same variables as a list, each once, in the names' order: what optimizers
//                     and tf.variableGrads take;
//   dispose()         frees every variable (and, in a subclass, whatever else it keeps);
//   randomState()     the counters that training's random choices depend on (a dropout mask per
//                     call): checkpoints save them, so a resumed run draws what an uninterrupted
//                     one would (empty for a model without dropout).
import * as tf from "@tensorflow/tfjs";

export abstract class Module {
  abstract namedVariables(): Record<string, tf.Variable>;

  variables(): tf.Variable[] {
    return [...new Set(Object.values(this.namedVariables()))];
  }

  /** The number of trainable values (a shared variable counted once). */
  parameterCount(): number {
    return this.variables().reduce((s, v) => s + v.size, 0);
  }

  randomState(): Record<string, number> {
    return {};
  }

  setRandomState(state: Record<string, number>): void {
    for (const k of Object.keys(state)) throw new Error(`${this.constructor.name}: no random state "${k}" to restore`);
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

/** A name → variable map with every name prefixed ("encoder/" + "lstm/Wx"). */
export function prefixed(prefix: string, vars: Record<string, tf.Variable>): Record<string, tf.Variable> {
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [`${prefix}${k}`, v]));
}

/**
 * Copy `from`'s values into `to`, variable by variable (shapes must match); the variables stay
 * separate (later training of one does not change the other).
 */
export function copyVariables(from: readonly tf.Tensor[], to: readonly tf.Variable[]): void {
  if (from.length !== to.length) throw new RangeError(`copyVariables: ${from.length} sources for ${to.length} targets`);
  from.forEach((f, i) => {
    const t = to[i];
    if (f.shape.join() !== t.shape.join()) throw new RangeError(`copyVariables: variable ${i}: shape [${f.shape}] into [${t.shape}]`);
    t.assign(f);
  });
}
