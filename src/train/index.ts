// Training: the one loop, optimisers (tf.train's and seqlab's AdamW), clipping, metrics and checkpoints.
export {
  train,
  trainStep,
  TrainHistory,
  TrainingError,
  NonFiniteLossError,
  type Optimizer,
  type TrainOptions,
  type StepOptions,
  type StepResult,
  type StepRecord,
  type EpochRecord,
  type StepContext,
  type EpochContext,
  type StopReason,
  type Trainable,
  type Batches,
} from "./loop";
export { sgd, adam, makeOptimizer, type OptimizerName } from "./optimizers";
export { AdamW, cosineLearningRate, type AdamWOptions, type LearningRateSchedule } from "./adamw";
export { globalNorm, clipByGlobalNorm } from "./clip";
export { epochLogger } from "./epoch-log";
export {
  accuracy,
  perplexity,
  evaluate,
  estimateLoss,
  tagScores,
  type TagScores,
  type Evaluation,
  type EvaluateOptions,
  type WindowModel,
} from "./metrics";
export { trainNanoGPT, type NanoGPTOptions, type LossEstimate } from "./nanogpt";
export { BestWeights } from "./best";
export {
  saveCheckpoint,
  loadCheckpoint,
  readCheckpoint,
  namedParams,
  CHECKPOINT_FORMAT,
  type CheckpointState,
  type CheckpointMeta,
  type CheckpointOptimizer,
  type CheckpointStage,
  type SaveCheckpointOptions,
  type LoadCheckpointOptions,
  type ParamsLike,
} from "./checkpoint";
