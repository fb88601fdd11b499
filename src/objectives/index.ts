// Pretraining objectives: each turns token ids into model inputs, targets and a loss that src/train's
// train() minimises, on src/models' models (or their own small ones, on the same layers).
export * from "./common";
export * from "./lm";
export * from "./elmo";
export * from "./subwords";
export * from "./word2vec";
export * from "./analogy-corpus";
export * from "./masked-lm";
export * from "./permutation-lm";
export * from "./context2vec";
export * from "./seq2seq-pretrain";
export * from "./seq-autoencoder";
