// Training: the loop, optimisers, clipping, metrics and checkpoints.
export { train, trainStep, TrainHistory, TrainingError, NonFiniteLossError, type TrainOptions, type StepOptions, type StepResult, type StepRecord, type EpochRecord, type StepContext, type EpochContext, type StopReason, type Trainable, type Batches } from "./loop";
export { sgd, adam, makeOptimizer, type OptimizerName } from "./optimizers";
export { AdamW, cosineLearningRate, type AdamWOptions, type LearningRateSchedule } from "./adamw";
export { globalNorm, clipByGlobalNorm } from "./clip";
export { accuracy, perplexity, evaluate, type Evaluation } from "./metrics";
export { saveCheckpoint, loadCheckpoint, readCheckpoint, namedParams, CHECKPOINT_FORMAT, type CheckpointState, type CheckpointMeta, type CheckpointStage, type SaveCheckpointOptions, type LoadCheckpointOptions, type ParamsLike } from "./checkpoint";
