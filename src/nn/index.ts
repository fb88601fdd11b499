// Layers and their ops: the recurrent cells and how they unroll, the fused LSTM, embeddings, dense
// and linear layers, LayerNorm, GELU, attention, the one loss, seeded initialisation, shape checks
// and the module contract every model keeps.
export { type Cell, type CellOptions } from "./cell";
export { rnnCell, rnnStep, rnnParams, type RnnParams, type RnnState } from "./rnn";
export {
  lstmCell,
  lstmStep,
  lstmParams,
  lstmParamsFromKeras,
  kerasToLstmOrder,
  lstmToKerasOrder,
  LSTM_GATES,
  type LstmParams,
  type LstmState,
  type LstmStep,
} from "./lstm";
export { gruCell, gruStep, gruParams, type GruParams, type GruState, type GruStep } from "./gru";
export { unroll, timeSteps, stackSteps, type StepFn } from "./unroll";
export { fusedLstm, type FusedLstmOutput } from "./fused-lstm";
export { packedLstm } from "./packed-lstm";
export { Embedding, embeddingLookup, scatterAddRows, type EmbeddingOptions } from "./embedding";
export { Dense, type DenseOptions } from "./dense";
export { linear, type LinearParams } from "./linear";
export { layerNorm, type LayerNormParams } from "./layer-norm";
export { gelu } from "./gelu";
export { attention, bandedMask, CausalBias, type AttentionMask, type AttentionParams, type AttentionOptions } from "./attention";
export { crossEntropy, logSigmoid, type PerPosition } from "./losses";
export { uniformValues, normalValues, uniformVariable, normalVariable, glorotVariable, constantVariable } from "./init";
export { checkShape, shapeString, ShapeError } from "./shape";
export { Module, prefixed, copyVariables } from "./module";
