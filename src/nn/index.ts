export { type Cell, type CellOptions } from "./cell";
export { rnnCell, rnnStep, rnnParams, type RnnParams, type RnnState } from "./rnn";
export { lstmCell, lstmStep, lstmParams, lstmParamsFromKeras, kerasToLstmOrder, lstmToKerasOrder, LSTM_GATES, type LstmParams, type LstmState, type LstmStep } from "./lstm";
export { gruCell, gruStep, gruParams, type GruParams, type GruState, type GruStep } from "./gru";
export { unroll, type StepFn } from "./unroll";
export { fusedLstm, type FusedLstmOutput } from "./fused-lstm";
export { Embedding, embeddingLookup, scatterAddRows, type EmbeddingOptions } from "./embedding";
export { Dense, type DenseOptions } from "./dense";
export { mulberry32, subSeed, uniformValues, uniformVariable, glorotVariable, constantVariable } from "./init";
