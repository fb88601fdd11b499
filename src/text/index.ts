// Tokenizers, vocabularies, BPE, batching and Korean word spacing labels.
export {
  CharTokenizer,
  WordTokenizer,
  SyllableTokenizer,
  JamoTokenizer,
  toJamo,
  fromJamo,
  isHangulSyllable,
  isConjoiningJamo,
  type Tokenizer,
  type WordTokenizerOptions,
} from "./tokenizers";
export { Vocab, RESERVED, UnknownTokenError, type VocabOptions, type VocabEntry } from "./vocab";
export { BPE, preTokenize, type BPETrainOptions, type BPEModel } from "./bpe";
export {
  seqDataIterRandom,
  seqDataIterSequential,
  windowBatch,
  randomWindows,
  randomWindowBatches,
  SeqDataLoader,
  WindowSplit,
  padSequences,
  lengthBatches,
  trainValidSplit,
  chunkRanges,
  type Batch,
  type Padded,
  type PadOptions,
  type PartitionOptions,
  type SeqDataLoaderOptions,
  type SplitOptions,
  type WindowSplitOptions,
} from "./batching";
export { spacingLabels, applySpacing, type SpacingExample } from "./spacing";
