// Corpora (registry, cached and verified loading), parsers and synthetic tasks.
export { CORPORA, corpusInfo, corpusNames, type CorpusInfo } from "./registry";
export {
  loadCorpus,
  loadCorpusBytes,
  loadCorpusSync,
  readCachedCorpus,
  downloadCorpus,
  dataDir,
  koconovelFolders,
  ChecksumError,
  CorpusUnavailableError,
  type LoadOptions,
  type FetchLike,
  type FetchResponse,
} from "./loader";
export { loadTimeMachine, loadChatbot, loadKoCoNovel, loadNames } from "./corpora";
export {
  parseCsv,
  parseChatbotCsv,
  parseKoCoNovel,
  parseNames,
  parseLines,
  preprocessTimeMachine,
  splitChatbotByLabel,
  CHATBOT_LABELS,
  type ChatbotPair,
  type KoCoNovelDoc,
} from "./parsers";
export {
  additionTask,
  copyTask,
  reverseTask,
  longRangeTask,
  type Seq2SeqExample,
  type TaskOptions,
  type SymbolTaskOptions,
  type LongRangeOptions,
  type LongRangeTask,
} from "./synthetic";
export { LookupTask, lastTokenAccuracy, type LookupBatch, type LookupPrompts, type NextTokenModel } from "./in-context";
export { SeededRandom, toRandom, mulberry32, subSeed } from "./random";
