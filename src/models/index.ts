// Sequence models on the cells of src/nn: the four shapes, a language model, an encoder–decoder.
export { Recurrent, disposeState, CELL_KINDS, type CellKind, type RecurrentState, type RecurrentOptions } from "./recurrent";
export { SequenceInput, type SequenceInputOptions } from "./input";
export { LanguageModel, type LanguageModelOptions, type TokenBatch, type TokenVocab } from "./language-model";
export { OneToOne, OneToMany, ManyToOne, ManyToMany, type OneToOneOptions, type OneToManyOptions, type SequenceModelOptions, type SequenceBatch, type ShapeModelOptions } from "./shapes";
export { EncoderDecoder, seq2seqBatch, type EncoderDecoderOptions, type Seq2SeqBatch, type Seq2SeqArrays, type Seq2SeqBatchOptions, type Seq2SeqVocab } from "./encoder-decoder";
export { sampleToken, type GenerateOptions } from "./sampling";
export { type TensorInput } from "./check";
