// The training loop. Each step, inside tf.tidy: the loss and its gradients (tf.variableGrads), the
// global gradient norm, one read-back of both, a stop if either is NaN or infinite (before the
// update, so the parameters stay those of the last good step), clipping, the optimiser's update.
// Between steps the loop awaits setImmediate, so a kernel interrupt (or an AbortSignal) is seen
// and training stops between two steps: the model is never left half-updated, and the history so
// far is returned.
//
//   const history = await train({
//     model: lm,                                   // variables() and loss(batch)
//     batches: ({ random }) => seqDataIterRandom(corpus, 32, 35, { seed: random }),
//     optimizer: "sgd", learningRate: 1, clipNorm: 1,
//     epochs: 10, seed: 0, live: true, metric: "perplexity",
//   });
//
// nanoGPT's recipe is the same loop with seqlab's AdamW (src/train/adamw.ts), which clips as
// torch.nn.utils.clip_grad_norm_ does, and its warm-up + cosine learning rate:
//
//   await train({ model: gpt, batches: randomWindowBatches(trainIds, 12, 64, { seed: 1337 }), steps: 2000,
//     optimizer: new AdamW(gpt.variables(), { beta2: 0.99 }), clipNorm: 1,
//     schedule: { learningRate: 1e-3, minLr: 1e-4, warmupIters: 100, decayIters: 2000 } });
//
// Rules every step keeps (on tfjs's wasm backend most of a step's cost is copying): the step runs
// in tf.tidy (a step that throws otherwise leaks every tensor it made), and reads back once (the
// loss and the gradient norm together).
import * as tf from "@tensorflow/tfjs";
import { kernel, type CellHandle } from "../display/bridge";
import { SeededRandom } from "../data/random";
import { inLang, tr } from "../lang";
import { subSeed } from "../data/random";
import { LiveLoss, type LiveLossOptions } from "../show/live";
import { AdamW, cosineLearningRate, type LearningRateSchedule } from "./adamw";
import { namedParams, saveCheckpoint, type ParamsLike } from "./checkpoint";
import { globalNorm } from "./clip";
import { makeOptimizer, type OptimizerName } from "./optimizers";

export interface StepContext {
  /** This step's number: 1 for the first step of a run from scratch. */
  step: number;
  /** 0-based epoch. */
  epoch: number;
  /** True for the first batch of an epoch (e.g. to reset a carried state). */
  firstOfEpoch: boolean;
}

export interface EpochContext {
  epoch: number;
  /** A seed for this epoch's batch order: derived from train's `seed` and the epoch. */
  seed: number;
  /** A generator seeded with `seed` (pass it as the `seed` of seqDataIterRandom and friends). */
  random: SeededRandom;
}

export interface StepRecord {
  step: number;
  epoch: number;
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Whether clipping scaled this step's gradients. */
  clipped: boolean;
  tokens?: number;
  /** Validation results when validation ran after this step; valLoss is their `loss`. */
  valLoss?: number;
  val?: Record<string, number>;
}

export interface EpochRecord {
  epoch: number;
  /** Mean training loss over the epoch's steps (run in this call). */
  loss: number;
  /** exp(loss): meaningful when the loss is a mean cross-entropy per token. */
  perplexity: number;
  steps: number;
  valLoss?: number;
  val?: Record<string, number>;
}

/** How a run ended: all its steps, a kernel interrupt, an aborted signal, or an error (thrown). */
export type StopReason = "completed" | "interrupted" | "aborted" | "failed";

const DISPLAY = Symbol.for("Jupyter.display");

/** How a run ended, in words, by the learner's language. */
const STOPPED: Record<StopReason, { en: string; ko: string }> = {
  completed: { en: "completed", ko: "완료" },
  interrupted: { en: "interrupted", ko: "중단됨" },
  aborted: { en: "aborted", ko: "취소됨" },
  failed: { en: "failed", ko: "실패" },
};

export class TrainHistory {
  readonly steps: StepRecord[] = [];
  readonly epochs: EpochRecord[] = [];
  stopped: StopReason = "completed";
  /** One line on how the run ended. */
  message = "";
  /** The last step done (the startStep when none ran). */
  lastStep = 0;
  /** The optimiser used (made by train when given by name): pass it on to continue, or to saveCheckpoint. */
  optimizer: Optimizer | undefined;

  /** Per-step losses, in order. */
  get losses(): number[] {
    return this.steps.map((s) => s.loss);
  }
  get gradNorms(): number[] {
    return this.steps.map((s) => s.gradNorm);
  }
  toString(): string {
    const l = this.losses;
    const f = (x: number) => (Math.abs(x) >= 100 || Math.abs(x) < 0.01 ? x.toPrecision(3) : x.toFixed(3));
    const range = l.length ? `, ${tr("loss", "손실")} ${f(l[0])} → ${f(l[l.length - 1])}` : "";
    const [s, e] = [this.steps.length, this.epochs.length];
    const ended = this.message || inLang(STOPPED[this.stopped]);
    return tr(
      `TrainHistory: ${s} steps, ${e} epochs${range}; ${ended}`,
      `TrainHistory (학습 기록): 스텝 ${s}개, 에폭 ${e}개${range}; ${ended}`,
    );
  }
  [DISPLAY](): Record<string, string> {
    return { "text/plain": this.toString() };
  }
}

/** A stop that needs the user's attention: the history so far is attached. */
export class TrainingError extends Error {
  constructor(
    message: string,
    readonly step: number,
    readonly history: TrainHistory,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TrainingError";
  }
}

/** The loss (or the gradient norm) became NaN or infinite. */
export class NonFiniteLossError extends TrainingError {
  constructor(
    message: string,
    step: number,
    history: TrainHistory,
    readonly value: number,
  ) {
    super(message, step, history);
    this.name = "NonFiniteLossError";
  }
}

/** Something with trainable variables and (optionally) its own loss. */
export interface Trainable<B> {
  variables(): tf.Variable[];
  loss?(batch: B): tf.Tensor;
}

export type Batches<B> = Iterable<B> | ((ctx: EpochContext) => Iterable<B>);

/** A tf.Optimizer (tf.train.adam, tf.train.sgd, ...) or seqlab's AdamW (moments in JavaScript). */
export type Optimizer = tf.Optimizer | AdamW;

/** Set the learning rate of the next update. */
function setLearningRate(optimizer: Optimizer, lr: number): void {
  const o = optimizer as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === "function")
    o.setLearningRate(lr); // tf.train.sgd keeps it as a tensor
  else o.learningRate = lr;
}

export interface TrainOptions<B> {
  /** The model: its variables (namedVariables() when it has them) and, unless `loss` is given, its loss(batch). */
  model?: Trainable<B> | ParamsLike;
  /** The variables to train, when there is no model (a list or name → variable map). */
  params?: ParamsLike;
  /** batch → scalar loss; runs inside tf.tidy and tf.variableGrads. Default: model.loss(batch). */
  loss?: (batch: B, ctx: StepContext) => tf.Tensor;
  /** A tf.Optimizer or an AdamW, or "adam" (default) / "sgd" with `learningRate`. */
  optimizer?: Optimizer | OptimizerName;
  learningRate?: number;
  /**
   * The learning rate of each step, from its 0-based index (step number − 1): nanoGPT's warm-up and
   * cosine decay (see cosineLearningRate), or any function.
   */
  schedule?: LearningRateSchedule | ((index: number) => number);
  /**
   * The batches: an iterable read once per epoch (an array, a SeqDataLoader), or a function of the
   * epoch that returns one; its `random` (seeded from `seed` and the epoch) makes the order repeatable.
   */
  batches: Batches<B>;
  /** Passes over the batches (default 1; unlimited when only `steps` is given). */
  epochs?: number;
  /** Stop after this step (steps are numbered across calls: see startStep). */
  steps?: number;
  /** Steps already done (e.g. a checkpoint's step): that many batches are skipped, numbering continues. */
  startStep?: number;
  /** Clip the gradients to this global norm (an AdamW clips as torch.nn.utils.clip_grad_norm_ does). */
  clipNorm?: number;
  /** Seed of the batch order (default 0). The model's initial parameters come from its own seed. */
  seed?: number;
  /** After each step (awaited). */
  onStep?: (record: StepRecord, history: TrainHistory) => void | Promise<void>;
  /** After each epoch, and its validation (awaited). */
  onEpoch?: (record: EpochRecord, history: TrainHistory) => void | Promise<void>;
  /** Validation at the end of each epoch (and every validateEvery steps), given the step: a loss, or named numbers with `loss`. */
  validate?: (step: number) => number | Record<string, number> | Promise<number | Record<string, number>>;
  validateEvery?: number;
  /** Stops training between steps when aborted. */
  signal?: AbortSignal;
  /** A live loss chart and progress bar: true (made and finished here), or your LiveLoss (updated only). */
  live?: boolean | LiveLoss | Omit<LiveLossOptions, "total">;
  /** For the live chart: plot the loss or the perplexity. */
  metric?: "loss" | "perplexity";
  /** Tokens in a batch, for tokens/s (default: the product of batch.shape when it has one). */
  tokens?: (batch: B) => number;
  /** Save a checkpoint every `every` steps and when training stops. */
  checkpoint?: { dir: string; every?: number; extra?: () => unknown };
  /** Do not print the line saying why training stopped early. */
  quiet?: boolean;
}

export interface StepOptions<B> {
  params: ParamsLike;
  /** batch → a scalar loss. */
  loss: (batch: B) => tf.Tensor;
  optimizer: Optimizer;
  clipNorm?: number;
}

export interface StepResult {
  loss: number;
  gradNorm: number;
  clipped: boolean;
}

class NonFinite extends Error {
  constructor(
    readonly what: "loss" | "gradient norm",
    readonly value: number,
  ) {
    super(what);
  }
}

/**
 * One training step (what train() runs each step; for a loop of your own). The parameters are
 * updated only when the loss and the gradient norm are finite; otherwise it throws and changes
 * nothing. No tensor outlives the step, also when it throws.
 */
export function trainStep<B>(batch: B, opts: StepOptions<B>): StepResult {
  const vars = Object.values(namedParams(opts.params));
  return stepWith(vars, () => opts.loss(batch), opts.optimizer, opts.clipNorm);
}

/**
 * When tf.variableGrads throws (in the loss or in a gradient), tf.tidy frees the step's ordinary
 * tensors, but not the copies tfjs saved for the backward pass: they are kept (outside any tidy)
 * on its tape, which it abandons. Free them. (tfjs internals: engine.state.activeTape.)
 */
function disposeAbandonedTape(): void {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null } }).state;
  if (!state || state.gradientDepth !== 0 || !Array.isArray(state.activeTape)) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

/**
 * One step, inside one scope of its own: every tensor it makes is freed at its end, also when the
 * step is stopped half way by an interrupt (the kernel then ends the scopes left open, and the
 * loss, gradients and read-back here are among the scope's tensors instead of left behind).
 */
function stepWith(vars: tf.Variable[], lossFn: () => tf.Tensor, optimizer: Optimizer, clipNorm?: number): StepResult {
  const engine = tf.engine();
  engine.startScope("train step");
  try {
    return stepIn(vars, lossFn, optimizer, clipNorm);
  } finally {
    engine.endScope();
  }
}

function stepIn(vars: tf.Variable[], lossFn: () => tf.Tensor, optimizer: Optimizer, clipNorm?: number): StepResult {
  let vg: { value: tf.Scalar; grads: tf.NamedTensorMap };
  try {
    vg = tf.tidy(() => tf.variableGrads(lossFn as () => tf.Scalar, vars));
  } catch (e) {
    disposeAbandonedTape();
    throw e;
  }
  const { value, grads } = vg;
  let read: tf.Tensor | undefined;
  try {
    if (optimizer instanceof AdamW) {
      // The gradients go to JavaScript anyway: the norm is taken there, in float64.
      const gs = optimizer.read(
        optimizer.variables.map((v) => {
          const g = grads[v.name];
          if (!g) throw new Error(`train: AdamW's variable ${v.name} is not among the variables trained`);
          return g;
        }),
      );
      const loss = value.dataSync()[0];
      if (!Number.isFinite(loss)) throw new NonFinite("loss", loss);
      const gradNorm = AdamW.globalNorm(gs);
      if (!Number.isFinite(gradNorm)) throw new NonFinite("gradient norm", gradNorm);
      const scale = AdamW.clipScale(gradNorm, clipNorm);
      optimizer.apply(gs, scale);
      return { loss, gradNorm, clipped: scale < 1 };
    }
    const list = vars.map((v) => grads[v.name] ?? null);
    read = tf.tidy(() => tf.stack([tf.reshape(value, []), globalNorm(list.filter((g): g is tf.Tensor => g !== null))]));
    const [loss, gradNorm] = read.dataSync();
    if (!Number.isFinite(loss)) throw new NonFinite("loss", loss);
    if (!Number.isFinite(gradNorm)) throw new NonFinite("gradient norm", gradNorm);
    const clipped = clipNorm !== undefined && gradNorm > clipNorm;
    const scale = clipped ? clipNorm! / gradNorm : 1;
    tf.tidy(() => {
      // A list in the parameters' order: Adam keeps its moments by position.
      optimizer.applyGradients(
        vars.map((v, i) => ({ name: v.name, tensor: list[i] ? (clipped ? tf.mul(list[i]!, scale) : list[i]!) : tf.zerosLike(v) })),
      );
    });
    return { loss, gradNorm, clipped };
  } finally {
    tf.dispose([value, ...Object.values(grads)]);
    read?.dispose();
  }
}

function shapeTokens(batch: unknown): number | undefined {
  const s = (batch as { shape?: unknown })?.shape;
  return Array.isArray(s) && s.every((d) => typeof d === "number") ? s.reduce((p: number, d: number) => p * d, 1) : undefined;
}

function stopRequest(signal: AbortSignal | undefined, cell: CellHandle | undefined): { reason: StopReason; why: string } | undefined {
  // The cell that started this run: an interrupt of a later cell is not this run's to obey.
  if (cell ? cell.interrupted : kernel()?.interrupted) return { reason: "interrupted", why: "kernel interrupt" };
  if (signal?.aborted) {
    const r = signal.reason;
    return { reason: "aborted", why: `aborted${r instanceof Error ? `: ${r.message}` : r !== undefined ? `: ${String(r)}` : ""}` };
  }
  return undefined;
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Train: for each epoch, for each batch, one step (see trainStep); returns the history. Stops
 * early, returning the history so far, on a kernel interrupt or an aborted `signal`; throws a
 * NonFiniteLossError naming the step when the loss becomes NaN or infinite, and a TrainingError
 * naming the step when the loss function throws (tensors of the failed step are freed).
 */
export function train<B>(opts: TrainOptions<B>): Promise<TrainHistory> {
  // Tracked by the cell: an interrupt lets the run stop at its next step, then ends the cell.
  const cell = kernel()?.cell?.();
  const run = trainIn(opts, cell);
  return cell ? cell.track(run) : run;
}

async function trainIn<B>(opts: TrainOptions<B>, cell: CellHandle | undefined): Promise<TrainHistory> {
  const source = opts.params ?? opts.model;
  if (!source) throw new Error("train: pass `model` (with variables()) or `params`");
  const vars = Object.values(namedParams(source as ParamsLike));
  if (vars.length === 0) throw new Error("train: there are no variables to train");
  const modelLoss = (opts.model as Trainable<B> | undefined)?.loss;
  const lossFn = opts.loss ?? (modelLoss ? (b: B) => modelLoss.call(opts.model, b) : undefined);
  if (!lossFn) throw new Error("train: pass `loss: (batch) => scalar`, or a `model` with a loss(batch) method");
  const optimizer = opts.optimizer instanceof AdamW ? opts.optimizer : makeOptimizer(opts.optimizer ?? "adam", opts.learningRate);
  const schedule = opts.schedule;
  const rateAt =
    schedule === undefined ? undefined : typeof schedule === "function" ? schedule : (i: number) => cosineLearningRate(i, schedule);
  const seed = opts.seed ?? 0;
  const startStep = opts.startStep ?? 0;
  const maxSteps = opts.steps ?? Infinity;
  const epochs = opts.epochs ?? (opts.steps !== undefined ? Infinity : 1);
  if (!(Number.isInteger(startStep) && startStep >= 0))
    throw new RangeError(`train: startStep must be a non-negative integer, got ${startStep}`);
  if (opts.clipNorm !== undefined && !(opts.clipNorm > 0)) throw new RangeError(`train: clipNorm must be positive, got ${opts.clipNorm}`);
  const batchesFor = (epoch: number): Iterable<B> => {
    if (typeof opts.batches === "function") {
      const s = subSeed(seed, epoch);
      return opts.batches({ epoch, seed: s, random: new SeededRandom(s) });
    }
    return opts.batches;
  };
  const tokensOf = opts.tokens ?? shapeTokens;

  const history = new TrainHistory();
  history.lastStep = startStep;
  history.optimizer = optimizer;
  let live: LiveLoss | undefined;
  let ownLive = false;
  if (opts.live instanceof LiveLoss) live = opts.live;
  else if (opts.live) {
    let total = opts.steps;
    if (total === undefined) {
      const perEpoch = Array.isArray(opts.batches)
        ? opts.batches.length
        : typeof opts.batches === "function"
          ? Array.from(batchesFor(0)).length
          : undefined;
      if (perEpoch === undefined || !Number.isFinite(epochs)) {
        throw new Error("train: live needs the number of steps: pass `steps`, or batches as an array or a function of the epoch");
      }
      total = perEpoch * epochs;
    }
    live = new LiveLoss({ metric: opts.metric, ...(typeof opts.live === "object" ? opts.live : {}), total });
    ownLive = true;
  }

  const finish = async (reason: StopReason, message: string) => {
    history.stopped = reason;
    history.message = message;
    if (opts.checkpoint && history.lastStep > startStep) await saveNow();
    if (ownLive) await live!.finish();
  };
  const saveNow = () =>
    saveCheckpoint(opts.checkpoint!.dir, {
      params: source as ParamsLike,
      optimizer,
      step: history.lastStep,
      extra: opts.checkpoint!.extra?.(),
    });
  const validateNow = async (): Promise<Record<string, number> | undefined> => {
    if (!opts.validate) return undefined;
    const v = await opts.validate(history.lastStep);
    return typeof v === "number" ? { loss: v } : v;
  };

  let step = startStep;
  let skip = startStep;
  for (let epoch = 0; epoch < epochs && step < maxSteps; epoch++) {
    const it = batchesFor(epoch)[Symbol.iterator]();
    let nx = it.next();
    if (nx.done)
      throw new Error(`train: the batches of epoch ${epoch} are empty (an iterator read once? pass an array or a function of the epoch)`);
    let lossSum = 0;
    let ran = 0;
    let indexInEpoch = 0; // batches of this epoch before the current one (skipped ones included)
    let last: StepRecord | undefined;
    while (!nx.done && step < maxSteps) {
      const batch = nx.value;
      if (skip > 0) {
        skip--;
        indexInEpoch++;
        nx = it.next();
        continue;
      }
      const stop = stopRequest(opts.signal, cell);
      if (stop) {
        const message = tr(
          `training stopped after step ${step} (${stop.why}); the model holds the parameters of step ${step}`,
          `스텝 ${step} 뒤에 학습을 멈췄습니다 (${stop.why}); 모델은 스텝 ${step}의 매개변수를 갖고 있습니다`,
        );
        await finish(stop.reason, message);
        if (!opts.quiet) console.log(message);
        return history;
      }
      const k = step + 1;
      let r: StepResult;
      try {
        const ctx: StepContext = { step: k, epoch, firstOfEpoch: indexInEpoch === 0 };
        if (rateAt) setLearningRate(optimizer, rateAt(k - 1));
        r = stepWith(vars, () => lossFn(batch, ctx), optimizer, opts.clipNorm);
      } catch (e) {
        await finish("failed", "");
        if (e instanceof NonFinite) {
          const message = tr(
            `train: the ${e.what} became ${e.value} at step ${k} (epoch ${epoch}); stopped before that step's update, so the ` +
              `parameters are those of step ${step}. Try a lower learning rate${opts.clipNorm === undefined ? " or clipNorm" : ""}.`,
            `train: 스텝 ${k} (에폭 ${epoch})에서 ${e.what === "loss" ? "손실" : "기울기 노름"}이 ${e.value}이 되었습니다; 그 스텝의 ` +
              `갱신 전에 멈췄으므로 매개변수는 스텝 ${step}의 것입니다. 학습률을 낮춰 보세요${opts.clipNorm === undefined ? " (또는 clipNorm)" : ""}.`,
          );
          history.message = message;
          throw new NonFiniteLossError(message, k, history, e.value);
        }
        const message = `train: step ${k} (epoch ${epoch}) failed: ${(e as Error)?.message ?? e}`;
        history.message = message;
        throw new TrainingError(message, k, history, { cause: e });
      }
      step = k;
      history.lastStep = step;
      const rec: StepRecord = { step, epoch, loss: r.loss, gradNorm: r.gradNorm, clipped: r.clipped };
      const tokens = tokensOf(batch);
      if (tokens !== undefined) rec.tokens = tokens;
      history.steps.push(rec);
      lossSum += r.loss;
      ran++;
      indexInEpoch++;
      last = rec;
      nx = it.next();
      const epochEnds = nx.done || step >= maxSteps;
      if (opts.validate && (epochEnds || (opts.validateEvery && step % opts.validateEvery === 0))) {
        rec.val = await validateNow();
        rec.valLoss = rec.val?.loss;
      }
      live?.update({ step, loss: r.loss, tokens: rec.tokens, valLoss: rec.valLoss });
      if (opts.checkpoint?.every && step % opts.checkpoint.every === 0) await saveNow();
      await opts.onStep?.(rec, history);
      await nextTick();
    }
    if (ran > 0 && nx.done) {
      const loss = lossSum / ran;
      const er: EpochRecord = { epoch, loss, perplexity: Math.exp(loss), steps: ran };
      if (last?.val) {
        er.val = last.val;
        er.valLoss = last.valLoss;
      }
      history.epochs.push(er);
      await opts.onEpoch?.(er, history);
    }
  }
  await finish(
    "completed",
    tr(`completed ${step - startStep} steps (to step ${step})`, `${step - startStep} 스텝 완료 (스텝 ${step}까지)`),
  );
  return history;
}
