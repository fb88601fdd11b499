// Typed loaders: a corpus read (or downloaded) and parsed in one call.
import { loadCorpus, LoadOptions } from "./loader";
import { ChatbotPair, KoCoNovelDoc, parseChatbotCsv, parseKoCoNovel, parseNames, preprocessTimeMachine } from "./parsers";

/** The Time Machine; with `{ preprocess: true }`, after d2l v1.0's preprocessing (a–z and space). */
export async function loadTimeMachine(options: LoadOptions & { preprocess?: boolean } = {}): Promise<string> {
  const text = await loadCorpus("timemachine", options);
  return options.preprocess ? preprocessTimeMachine(text) : text;
}

/** The chatbot corpus's question/answer pairs with their labels (0, 1, 2). */
export async function loadChatbot(options: LoadOptions = {}): Promise<ChatbotPair[]> {
  return parseChatbotCsv(await loadCorpus("chatbot", options));
}

/** KoCoNovel's documents, in novel order. */
export async function loadKoCoNovel(options: LoadOptions = {}): Promise<KoCoNovelDoc[]> {
  return parseKoCoNovel(await loadCorpus("koconovel", options));
}

/** Makemore's 32,033 names. */
export async function loadNames(options: LoadOptions = {}): Promise<string[]> {
  return parseNames(await loadCorpus("names", options));
}
