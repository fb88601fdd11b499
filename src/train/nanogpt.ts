// nanoGPT's train.py as one call (Karpathy's nanoGPT; notebook 12): `iters` steps on random windows
// of a token stream, AdamW (β2 0.99, weight decay 0.1 on the weight matrices), gradients clipped to
// norm 1, linear warm-up then cosine decay of the learning rate, and the train and validation loss
// estimated on `evalIters` random batches before training, every `evalInterval` steps and at the
// end (nanoGPT's estimate_loss, with the model in eval mode: no dropout).
//
// The estimate's batches are seeded by the step (10,000 + step for train, 20,000 + step for
// validation), so two runs of one configuration are compared on the same batches.
import type { GPT } from "../models/gpt";
import { randomWindowBatches } from "../text/batching";
import { AdamW, type LearningRateSchedule } from "./adamw";
import { train, type TrainHistory } from "./loop";
import { estimateLoss } from "./metrics";

/** One loss estimate: the step and the mean losses on train and validation batches. */
export interface LossEstimate {
  step: number;
  train: number;
  val: number;
}

export interface NanoGPTOptions {
  /** Validation tokens (the estimate's second split). */
  val: ArrayLike<number>;
  iters: number;
  batchSize: number;
  schedule: LearningRateSchedule;
  evalInterval: number;
  evalIters: number;
  /** Seed of the training batches (default 1337, nanoGPT's). */
  seed?: number;
  weightDecay?: number;
  beta2?: number;
  clipNorm?: number;
  /** After each step: its 0-based index and loss (nanoGPT's iter_num, loss). */
  onStep?: (iter: number, loss: number) => void;
  onEval?: (e: LossEstimate) => void;
}

/** Train a GPT on windows of `tokens` with nanoGPT's recipe; the estimates, the history and the seconds it took. */
export async function trainNanoGPT(
  model: GPT,
  tokens: ArrayLike<number>,
  opts: NanoGPTOptions,
): Promise<{ evals: LossEstimate[]; history: TrainHistory; seconds: number }> {
  const T = model.config.blockSize;
  const evals: LossEstimate[] = [];
  const estimate = (step: number) => {
    const batch = { batches: opts.evalIters, batchSize: opts.batchSize, T };
    const e = {
      step,
      train: estimateLoss(model, tokens, { ...batch, seed: 10_000 + step }),
      val: estimateLoss(model, opts.val, { ...batch, seed: 20_000 + step }),
    };
    evals.push(e);
    opts.onEval?.(e);
    return e.val;
  };
  const started = performance.now();
  estimate(0);
  const optimizer = new AdamW(model.variables(), {
    learningRate: opts.schedule.learningRate,
    beta2: opts.beta2 ?? 0.99,
    weightDecay: opts.weightDecay ?? 0.1,
  });
  const history = await train({
    model,
    optimizer,
    clipNorm: opts.clipNorm ?? 1,
    schedule: opts.schedule,
    steps: opts.iters,
    batches: randomWindowBatches(tokens, opts.batchSize, T, { seed: opts.seed ?? 1337 }),
    validate: estimate,
    validateEvery: opts.evalInterval,
    onStep: (r) => opts.onStep?.(r.step - 1, r.loss),
    quiet: true,
  });
  return { evals, history, seconds: (performance.now() - started) / 1000 };
}
