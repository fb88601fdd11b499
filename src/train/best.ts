// Early stopping by keeping the best weights: while training, offer() each validation score; a
// score better than every earlier one (strictly: a tie keeps the earlier, shorter-trained weights)
// snapshots the variables. After training, restore() puts the best snapshot back, so the model
// that is scored on the test set is the one the validation set chose — the test set chooses nothing.
import * as tf from "@tensorflow/tfjs";
import { copyVariables } from "../nn/module";

export class BestWeights {
  private readonly snapshot: tf.Variable[];
  /** The best score offered so far (-Infinity before the first). */
  score = -Infinity;
  /** The step of that score (0 before the first). */
  step = 0;

  constructor(private readonly vars: readonly tf.Variable[]) {
    this.snapshot = vars.map((v) => tf.tidy(() => tf.variable(v.clone(), false))); // no clone outlives it
  }

  /** A validation score (higher is better) at a step: true, and a snapshot, when it beats every earlier one. */
  offer(score: number, step: number): boolean {
    if (!(score > this.score)) return false;
    this.score = score;
    this.step = step;
    copyVariables(this.vars, this.snapshot);
    return true;
  }

  /** Put the best snapshot back into the variables (the initial weights if nothing was offered). */
  restore(): void {
    copyVariables(this.snapshot, this.vars as tf.Variable[]);
  }

  dispose(): void {
    tf.dispose(this.snapshot);
  }
}
