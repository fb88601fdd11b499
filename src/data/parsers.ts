// Parsers for the corpora's formats, and d2l's Time Machine preprocessing.

/**
 * RFC 4180 CSV: fields separated by commas, rows by LF or CRLF; a quoted field may hold commas,
 * line breaks and doubled quotes (""). A leading byte-order mark is dropped; a final line break
 * does not start an empty row.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let quoted = false;
  let line = 1;
  let quoteLine = 0;
  let fieldStarted = false; // the current row has begun (so a trailing empty field counts)
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = text[i];
        if (i < n && next !== "," && next !== "\n" && next !== "\r") {
          throw new SyntaxError(`CSV line ${line}: a closing quote must end the field (found ${JSON.stringify(next)})`);
        }
        continue;
      }
      if (c === "\n") line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === "") {
      quoted = true;
      quoteLine = line;
      fieldStarted = true;
      i++;
      continue;
    }
    if (c === ",") {
      row.push(field);
      field = "";
      fieldStarted = true;
      i++;
      continue;
    }
    if (c === "\r" || c === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      fieldStarted = false;
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      line++;
      continue;
    }
    field += c;
    fieldStarted = true;
    i++;
  }
  if (quoted) throw new SyntaxError(`CSV line ${quoteLine}: a quoted field is never closed`);
  if (fieldStarted || field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export interface ChatbotPair {
  q: string;
  a: string;
  /** 0 daily life, 1 breakup (negative), 2 love (positive). */
  label: 0 | 1 | 2;
}

/** The chatbot corpus's three labels, by number. */
export const CHATBOT_LABELS = ["daily", "breakup/negative", "love/positive"] as const;

/** Songys' ChatbotData.csv: a header Q,A,label, then one question/answer pair a row. */
export function parseChatbotCsv(text: string): ChatbotPair[] {
  const rows = parseCsv(text);
  const header = rows[0];
  if (!header || header.join(",") !== "Q,A,label") {
    throw new SyntaxError(`chatbot CSV: expected the header Q,A,label, found ${JSON.stringify(header?.join(",") ?? "")}`);
  }
  const out: ChatbotPair[] = [];
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r];
    if (row.length === 1 && row[0] === "") continue; // a blank line
    if (row.length !== 3) throw new SyntaxError(`chatbot CSV row ${r + 1}: expected 3 fields (Q, A, label), found ${row.length}`);
    const label = Number(row[2]);
    if (label !== 0 && label !== 1 && label !== 2) {
      throw new SyntaxError(`chatbot CSV row ${r + 1}: the label must be 0, 1 or 2, found ${JSON.stringify(row[2])}`);
    }
    out.push({ q: row[0], a: row[1], label });
  }
  return out;
}

/** The pairs grouped by label: `[daily, negative, positive]`, each in corpus order. */
export function splitChatbotByLabel<T extends { label: number }>(pairs: readonly T[]): [T[], T[], T[]] {
  const out: [T[], T[], T[]] = [[], [], []];
  for (const p of pairs) {
    if (p.label !== 0 && p.label !== 1 && p.label !== 2) throw new RangeError(`chatbot label must be 0, 1 or 2, found ${p.label}`);
    out[p.label].push(p);
  }
  return out;
}

export interface KoCoNovelDoc {
  /** The novel's folder name in the KoCoNovel repository, e.g. "1_Ms._B_and_Love_Letters". */
  novel: string;
  doc_id: string;
  text: string;
}

/** JSON lines of {"novel", "doc_id", "text"}; blank lines are skipped. */
export function parseKoCoNovel(text: string): KoCoNovelDoc[] {
  const out: KoCoNovelDoc[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (e) {
      throw new SyntaxError(`KoCoNovel line ${i + 1}: ${(e as Error).message}`);
    }
    const d = o as Partial<KoCoNovelDoc> | null;
    if (!d || typeof d.novel !== "string" || typeof d.doc_id !== "string" || typeof d.text !== "string") {
      throw new SyntaxError(`KoCoNovel line ${i + 1}: expected an object with string fields novel, doc_id and text`);
    }
    out.push({ novel: d.novel, doc_id: d.doc_id, text: d.text });
  }
  return out;
}

/** One entry a line (names.txt): lines trimmed, blank lines dropped. */
export function parseNames(text: string): string[] {
  return parseLines(text);
}

/** The non-blank lines of a text, trimmed; CRLF or LF. */
export function parseLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/**
 * d2l v1.0's Time Machine preprocessing, `re.sub('[^A-Za-z]+', ' ', text).lower()`: every run of
 * characters other than ASCII letters becomes one space, and letters are lower-cased.
 */
export function preprocessTimeMachine(text: string): string {
  return text.replace(/[^A-Za-z]+/g, " ").toLowerCase();
}
