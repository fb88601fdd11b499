// The corpora the course uses: where each comes from, under what licence, and the sha256 of the
// exact bytes the loader accepts (the same as the offline mirror's README lists).

export interface CorpusInfo {
  /** The name `loadCorpus` takes. */
  name: string;
  /** The file name in the cache folder (SEQLAB_DATA). */
  file: string;
  /** Where the file comes from. For KoCoNovel, the repository the file is assembled from. */
  url: string;
  sha256: string;
  bytes: number;
  licence: string;
  description: string;
  /** How the file is parsed: plain text, one name a line, CSV, or JSON lines. */
  format: "text" | "lines" | "csv" | "jsonl";
  /**
   * Set when the file is not one download but assembled from a GitHub repository: every
   * `<dir>/<entry>/<file>` in the repository's entry order (numeric prefixes), concatenated.
   */
  assemble?: { repo: string; branch: string; dir: string; file: string; listCsv: string };
}

const entries: CorpusInfo[] = [
  {
    name: "timemachine",
    file: "timemachine.txt",
    url: "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt",
    sha256: "8424dbd9532ac81f7e5f0b6add90e6952baea29158309d7d1bf3884f4e12c516",
    bytes: 178_979,
    licence: "public domain",
    description: "H. G. Wells, The Time Machine (the copy Dive into Deep Learning uses)",
    format: "text",
  },
  {
    name: "tinyshakespeare",
    file: "tinyshakespeare.txt",
    url: "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
    sha256: "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    bytes: 1_115_394,
    licence: "public-domain text (karpathy/char-rnn, MIT repository)",
    description: "Tiny Shakespeare: 1,115,394 characters, 65 symbols",
    format: "text",
  },
  {
    name: "names",
    file: "names.txt",
    url: "https://raw.githubusercontent.com/karpathy/makemore/master/names.txt",
    sha256: "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d",
    bytes: 228_145,
    licence: "MIT (karpathy/makemore)",
    description: "32,033 first names, one a line",
    format: "lines",
  },
  {
    name: "koconovel",
    file: "koconovel.jsonl",
    url: "https://github.com/storidient/KoCoNovel",
    sha256: "c220b53a5fa26e5d1a0fb441e948591430c204855c134b24ec729a5cabe6545e",
    bytes: 1_773_256,
    licence: "CC BY-SA 4.0 (storidient/KoCoNovel; the texts are public domain)",
    description:
      "KoCoNovel: 50 public-domain Korean novels (modernised spelling), 873 documents, 706,230 characters; " +
      'one {"novel", "doc_id", "text"} object a line, the repository\'s data/jsonl/<novel>/text.jsonl in novel order',
    format: "jsonl",
    assemble: {
      repo: "storidient/KoCoNovel",
      branch: "main",
      dir: "data/jsonl",
      file: "text.jsonl",
      listCsv: "list_of_novels.csv",
    },
  },
  {
    name: "koconovel_novels",
    file: "koconovel_novels.csv",
    url: "https://raw.githubusercontent.com/storidient/KoCoNovel/main/list_of_novels.csv",
    sha256: "e926818820797b6861dfd3d8d261e3bd90d7e561d6a1f9ee4ae208e3964e083e",
    bytes: 3_133,
    licence: "CC BY-SA 4.0 (storidient/KoCoNovel)",
    description: "KoCoNovel's list of novels: Korean title, English title, author",
    format: "csv",
  },
  {
    name: "chatbot",
    file: "ChatbotData.csv",
    url: "https://raw.githubusercontent.com/songys/Chatbot_data/master/ChatbotData.csv",
    sha256: "287eb129695b577321c80ad397bb3c2279164d4ca577874d129fd3db5b30afe2",
    bytes: 889_842,
    licence: "MIT (songys/Chatbot_data)",
    description: "11,823 Korean question/answer pairs, columns Q, A, label (0 daily, 1 breakup/negative, 2 love/positive)",
    format: "csv",
  },
];

/** Every corpus the loader knows, by name. */
export const CORPORA: Readonly<Record<string, Readonly<CorpusInfo>>> = Object.freeze(
  Object.fromEntries(entries.map((e) => [e.name, Object.freeze(e)])),
);

export function corpusNames(): string[] {
  return entries.map((e) => e.name);
}

/** The registry entry for a name; an unknown name is an error that lists the known ones. */
export function corpusInfo(name: string): Readonly<CorpusInfo> {
  const info = Object.prototype.hasOwnProperty.call(CORPORA, name) ? CORPORA[name] : undefined;
  if (!info) {
    throw new Error(`unknown corpus ${JSON.stringify(name)}; the known corpora are: ${corpusNames().join(", ")}`);
  }
  return info;
}
