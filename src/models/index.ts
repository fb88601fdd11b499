// Sequence models on the layers of src/nn: the recurrent layer, the four shapes, a language model,
// an encoder–decoder, a tiny GPT, and the one sampler they all generate with.
export { Recurrent, disposeState, CELL_KINDS, type CellKind, type RecurrentState, type RecurrentOptions } from "./recurrent";
export { SequenceInput, type SequenceInputOptions } from "./input";
export { RecurrentStack, type RecurrentStackOptions } from "./stack";
export { LanguageModel, type LanguageModelOptions, type TokenVocab } from "./language-model";
export {
  OneToOne,
  OneToMany,
  ManyToOne,
  ManyToMany,
  type OneToOneOptions,
  type OneToManyOptions,
  type SequenceModelOptions,
  type SequenceBatch,
  type ShapeModelOptions,
} from "./shapes";
export {
  EncoderDecoder,
  seq2seqBatch,
  type EncoderDecoderOptions,
  type Seq2SeqBatch,
  type Seq2SeqArrays,
  type Seq2SeqBatchOptions,
  type Seq2SeqVocab,
} from "./encoder-decoder";
export { GPT, type GPTConfig, type GPTForwardOptions, type GPTInput } from "./gpt";
export { GPTClassifier, gptRows, nextTokenBatch, type GPTClassifierOptions, type GPTTokenRows } from "./gpt-classifier";
export { sampleToken, type SampleOptions, type GenerateOptions } from "./sampling";
export { type TensorInput, type TokenBatch } from "./tensor-input";
