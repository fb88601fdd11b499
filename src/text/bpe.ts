// Byte-pair encoding (Sennrich et al. 2016), trained on characters with a byte fallback.
//
// Text is first cut into chunks the way GPT-2 does (a word with its leading space, a number, a run
// of punctuation, whitespace); merges never cross chunks. Training starts from the characters seen
// and repeatedly merges the most frequent adjacent pair (ties: the pair whose left, then right,
// token sorts first by code units), until the vocabulary reaches `vocabSize` or no pair occurs
// `minFrequency` times. Characters outside the learned alphabet are encoded as their UTF-8 bytes
// (tokens "<0x00>".."<0xFF>"), so decode(encode(s)) === s for every string.
//
// Ids: the specials first (by default <pad> <unk> <bos> <eos> <mask>, as Vocab), then the 256 byte
// tokens, then the alphabet in code point order, then each merge's new token in merge order.
import { RESERVED } from "./vocab";
import { tr } from "../lang";

const DISPLAY = Symbol.for("Jupyter.display");

/** GPT-2's pre-tokenization, without its English contractions. */
const CHUNK = / ?[\p{L}\p{M}]+| ?\p{N}+| ?[^\s\p{L}\p{M}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Cut text into the chunks merges stay within; the chunks concatenate back to the text. */
export function preTokenize(text: string): string[] {
  return text.match(CHUNK) ?? [];
}

export interface BPETrainOptions {
  /** The size to reach, specials and byte tokens included. */
  vocabSize: number;
  /** Merge a pair only when it occurs at least this often (default 2). */
  minFrequency?: number;
  /** Special tokens, given the first ids (default <pad> <unk> <bos> <eos> <mask>). */
  specials?: readonly string[];
  /** Encode unseen characters as UTF-8 byte tokens (default true); otherwise as <unk>. */
  byteFallback?: boolean;
}

/** A trained model, as JSON. */
export interface BPEModel {
  specials: string[];
  byteFallback: boolean;
  /** Single characters, in id order. */
  alphabet: string[];
  merges: [string, string][];
}

const byteToken = (b: number) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;

/** UTF-8 bytes of a code point; lone surrogates get their 3-byte form (WTF-8), so nothing is lost. */
function codePointBytes(cp: number, out: number[]): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}

/** Decode (WTF-8) bytes; a malformed sequence becomes U+FFFD per byte. */
function bytesToString(bytes: number[]): string {
  let s = "";
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const need = b < 0x80 ? 0 : b >= 0xf0 && b < 0xf8 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : -1;
    let ok = need >= 0 && i + need < bytes.length;
    let cp = need === 0 ? b : need > 0 ? b & (0x3f >> need) : 0;
    for (let k = 1; ok && k <= need; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 63);
    }
    if (!ok) {
      s += "\ufffd";
      i++;
      continue;
    }
    s += String.fromCodePoint(cp);
    i += need + 1;
  }
  return s;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface HeapEntry {
  count: number;
  left: string;
  right: string;
  key: string;
}

/** Max-heap on count, then min on (left, right): the deterministic "best pair" order. */
class PairHeap {
  private a: HeapEntry[] = [];
  get length() {
    return this.a.length;
  }
  private better(x: HeapEntry, y: HeapEntry): boolean {
    if (x.count !== y.count) return x.count > y.count;
    const l = cmp(x.left, y.left);
    return l !== 0 ? l < 0 : cmp(x.right, y.right) < 0;
  }
  push(e: HeapEntry): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): HeapEntry | undefined {
    const a = this.a;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.better(a[l], a[m])) m = l;
        if (r < a.length && this.better(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

const pairKey = (l: string, r: string) => `${l.length}:${l}${r}`;

export class BPE {
  /** Token strings by id (byte tokens are "<0xAB>"). */
  readonly tokens: readonly string[];
  readonly specials: readonly string[];
  readonly merges: readonly (readonly [string, string])[];
  readonly byteFallback: boolean;
  private readonly alphabet: readonly string[];
  private readonly textIds = new Map<string, number>(); // alphabet and merged tokens
  private readonly specialIds = new Map<string, number>();
  private readonly byteBase: number; // id of <0x00>, or -1
  private readonly ranks = new Map<string, { rank: number; id: number }>(); // "idL,idR" -> merge
  private readonly cache = new Map<string, number[]>();

  constructor(model: BPEModel) {
    const tokens: string[] = [];
    this.specials = [...model.specials];
    this.byteFallback = model.byteFallback;
    this.alphabet = [...model.alphabet];
    this.merges = model.merges.map(([l, r]) => [l, r] as const);
    for (const s of this.specials) {
      if (this.specialIds.has(s)) throw new Error(`BPE: the special token ${JSON.stringify(s)} is listed twice`);
      this.specialIds.set(s, tokens.length);
      tokens.push(s);
    }
    this.byteBase = this.byteFallback ? tokens.length : -1;
    if (this.byteFallback) for (let b = 0; b < 256; b++) tokens.push(byteToken(b));
    for (const c of this.alphabet) {
      if (Array.from(c).length !== 1) throw new Error(`BPE: alphabet entries are single characters, got ${JSON.stringify(c)}`);
      if (this.textIds.has(c)) throw new Error(`BPE: the character ${JSON.stringify(c)} is in the alphabet twice`);
      this.textIds.set(c, tokens.length);
      tokens.push(c);
    }
    this.merges.forEach(([l, r], rank) => {
      const li = this.textIds.get(l);
      const ri = this.textIds.get(r);
      if (li === undefined || ri === undefined) {
        throw new Error(
          `BPE: merge ${rank} (${JSON.stringify(l)}, ${JSON.stringify(r)}) uses a token that no earlier merge or the alphabet made`,
        );
      }
      const t = l + r;
      let id = this.textIds.get(t);
      if (id === undefined) {
        id = tokens.length;
        this.textIds.set(t, id);
        tokens.push(t);
      }
      const k = `${li},${ri}`;
      if (!this.ranks.has(k)) this.ranks.set(k, { rank, id });
    });
    this.tokens = tokens;
  }

  /** Learn merges from text (one string, or many documents). */
  static train(text: string | readonly string[], options: BPETrainOptions): BPE {
    const specials = [...(options.specials ?? RESERVED)];
    const byteFallback = options.byteFallback ?? true;
    const minFrequency = options.minFrequency ?? 2;
    const vocabSize = options.vocabSize;
    const fixed = specials.length + (byteFallback ? 256 : 0);
    if (!Number.isInteger(vocabSize) || vocabSize <= fixed) {
      throw new RangeError(
        `BPE vocabSize must be an integer above the ${specials.length} specials${byteFallback ? " plus 256 byte tokens" : ""} (${fixed}), got ${vocabSize}`,
      );
    }
    // Chunk counts, then character counts.
    const chunks = new Map<string, number>();
    for (const doc of typeof text === "string" ? [text] : text) {
      for (const c of preTokenize(doc)) chunks.set(c, (chunks.get(c) ?? 0) + 1);
    }
    const charCount = new Map<string, number>();
    for (const [chunk, n] of chunks) for (const ch of chunk) charCount.set(ch, (charCount.get(ch) ?? 0) + n);
    // The alphabet: the most frequent characters that fit (ties by code point), in code point order.
    const byCode = (a: string, b: string) => a.codePointAt(0)! - b.codePointAt(0)! || cmp(a, b);
    const chars = [...charCount.keys()].sort((a, b) => charCount.get(b)! - charCount.get(a)! || byCode(a, b));
    const alphabet = chars.slice(0, vocabSize - fixed).sort(byCode);
    const inAlphabet = new Set(alphabet);

    // Words: runs of alphabet characters within chunks, with their counts.
    const wordCount = new Map<string, number>();
    for (const [chunk, n] of chunks) {
      let run = "";
      for (const ch of chunk) {
        if (inAlphabet.has(ch)) run += ch;
        else if (run) {
          wordCount.set(run, (wordCount.get(run) ?? 0) + n);
          run = "";
        }
      }
      if (run) wordCount.set(run, (wordCount.get(run) ?? 0) + n);
    }
    const words: { syms: string[]; count: number }[] = [];
    for (const [w, n] of wordCount) if (Array.from(w).length > 1) words.push({ syms: Array.from(w), count: n });

    const pairCount = new Map<string, number>();
    const pairSides = new Map<string, [string, string]>();
    const pairWords = new Map<string, Set<number>>();
    const addPairs = (wi: number, sign: number, changed: Set<string>) => {
      const { syms, count } = words[wi];
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = pairKey(syms[i], syms[i + 1]);
        pairCount.set(k, (pairCount.get(k) ?? 0) + sign * count);
        changed.add(k);
        if (sign > 0) {
          if (!pairSides.has(k)) pairSides.set(k, [syms[i], syms[i + 1]]);
          let s = pairWords.get(k);
          if (!s) pairWords.set(k, (s = new Set()));
          s.add(wi);
        }
      }
    };
    const heap = new PairHeap();
    const pushChanged = (changed: Set<string>) => {
      for (const k of changed) {
        const c = pairCount.get(k) ?? 0;
        if (c > 0) {
          const [left, right] = pairSides.get(k)!;
          heap.push({ count: c, left, right, key: k });
        } else {
          pairCount.delete(k);
        }
      }
    };
    const initial = new Set<string>();
    for (let wi = 0; wi < words.length; wi++) addPairs(wi, 1, initial);
    pushChanged(initial);

    const merges: [string, string][] = [];
    const made = new Set<string>(alphabet);
    let size = fixed + alphabet.length;
    while (size < vocabSize) {
      let best: HeapEntry | undefined;
      while ((best = heap.pop())) if (pairCount.get(best.key) === best.count) break;
      if (!best || best.count < minFrequency) break;
      const { left, right, key } = best;
      const merged = left + right;
      merges.push([left, right]);
      if (!made.has(merged)) {
        made.add(merged);
        size++;
      }
      const changed = new Set<string>();
      for (const wi of pairWords.get(key) ?? []) {
        const w = words[wi];
        let has = false;
        for (let i = 0; i + 1 < w.syms.length; i++) if (w.syms[i] === left && w.syms[i + 1] === right) has = true;
        if (!has) continue;
        addPairs(wi, -1, changed);
        const out: string[] = [];
        for (let i = 0; i < w.syms.length; i++) {
          if (i + 1 < w.syms.length && w.syms[i] === left && w.syms[i + 1] === right) {
            out.push(merged);
            i++;
          } else out.push(w.syms[i]);
        }
        w.syms = out;
        addPairs(wi, 1, changed);
      }
      pairWords.delete(key);
      pairCount.delete(key);
      changed.delete(key);
      pushChanged(changed);
    }
    return new BPE({ specials, byteFallback, alphabet, merges });
  }

  static fromJSON(model: BPEModel): BPE {
    return new BPE(model);
  }

  toJSON(): BPEModel {
    return {
      specials: [...this.specials],
      byteFallback: this.byteFallback,
      alphabet: [...this.alphabet],
      merges: this.merges.map(([l, r]) => [l, r]),
    };
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The id of a special token, or of a character or merged token; undefined when there is none. */
  id(token: string): number | undefined {
    return this.specialIds.get(token) ?? this.textIds.get(token);
  }

  /** Whether an id is one of the byte-fallback tokens. */
  isByte(id: number): boolean {
    return this.byteBase >= 0 && id >= this.byteBase && id < this.byteBase + 256;
  }

  /** Token ids of a text. Special tokens are never produced from text (write their ids yourself). */
  encode(text: string): Int32Array {
    const ids: number[] = [];
    for (const chunk of preTokenize(text)) {
      const cached = this.cache.get(chunk);
      if (cached) {
        for (const id of cached) ids.push(id);
        continue;
      }
      const out = this.encodeChunk(chunk);
      if (this.cache.size > 50_000) this.cache.clear();
      this.cache.set(chunk, out);
      for (const id of out) ids.push(id);
    }
    return Int32Array.from(ids);
  }

  /** The token strings of a text (byte tokens as "<0xAB>"). */
  tokenize(text: string): string[] {
    return Array.from(this.encode(text), (id) => this.tokens[id]);
  }

  /** The text of token ids; specials appear as their own text unless `skipSpecials`. */
  decode(ids: ArrayLike<number> | Iterable<number>, options: { skipSpecials?: boolean } = {}): string {
    let s = "";
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length) s += bytesToString(bytes);
      bytes = [];
    };
    for (const id of Array.from(ids as ArrayLike<number>)) {
      if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) {
        throw new RangeError(`BPE.decode: id ${id} is outside the vocabulary of ${this.tokens.length} tokens`);
      }
      if (this.isByte(id)) {
        bytes.push(id - this.byteBase);
        continue;
      }
      flush();
      if (id < this.specials.length) {
        if (!options.skipSpecials) s += this.tokens[id];
      } else s += this.tokens[id];
    }
    flush();
    return s;
  }

  private encodeChunk(chunk: string): number[] {
    const out: number[] = [];
    let run: number[] = [];
    const flushRun = () => {
      if (run.length) for (const id of this.mergeRun(run)) out.push(id);
      run = [];
    };
    for (const ch of chunk) {
      const id = this.textIds.get(ch);
      if (id !== undefined) {
        run.push(id);
        continue;
      }
      flushRun();
      if (this.byteFallback) {
        const bytes: number[] = [];
        codePointBytes(ch.codePointAt(0)!, bytes);
        for (const b of bytes) out.push(this.byteBase + b);
      } else {
        const unk = this.specialIds.get("<unk>");
        if (unk === undefined) {
          throw new Error(
            `BPE: the character ${JSON.stringify(ch)} is not in the alphabet, and there is neither byte fallback nor an <unk> token`,
          );
        }
        out.push(unk);
      }
    }
    flushRun();
    return out;
  }

  /** Apply merges by rank: repeatedly merge every occurrence of the lowest-ranked adjacent pair. */
  private mergeRun(syms: number[]): number[] {
    let s = syms;
    while (s.length > 1) {
      let best: { rank: number; id: number } | undefined;
      let bl = -1;
      let br = -1;
      for (let i = 0; i + 1 < s.length; i++) {
        const m = this.ranks.get(`${s[i]},${s[i + 1]}`);
        if (m && (!best || m.rank < best.rank)) {
          best = m;
          bl = s[i];
          br = s[i + 1];
        }
      }
      if (!best) break;
      const next: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === bl && s[i + 1] === br) {
          next.push(best.id);
          i++;
        } else next.push(s[i]);
      }
      s = next;
    }
    return s;
  }

  [DISPLAY](): Record<string, string> {
    const show = (t: string) => JSON.stringify(t);
    const first = this.merges.slice(0, 10).map(([l, r]) => `${show(l)} + ${show(r)} → ${show(l + r)}`);
    const plain =
      `BPE(size=${this.size}, specials=${this.specials.length}, byteFallback=${this.byteFallback}, ` +
      `alphabet=${this.alphabet.length}, merges=${this.merges.length})` +
      (first.length ? `\n${tr("first merges", "처음 병합")}:\n  ${first.join("\n  ")}` : "");
    const esc = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const html =
      `<div><b>BPE</b>: ` +
      tr(
        `${this.size} tokens (${this.specials.length} specials, ${this.byteFallback ? "256 bytes, " : ""}${this.alphabet.length} characters, ${this.merges.length} merges)`,
        `토큰 ${this.size}개 (특수 토큰 ${this.specials.length}개, ${this.byteFallback ? "바이트 256개, " : ""}문자 ${this.alphabet.length}개, 병합 ${this.merges.length}개)`,
      ) +
      (first.length
        ? `<table><thead><tr><th>#</th><th>${tr("merge", "병합")}</th></tr></thead><tbody>${first
            .map((m, i) => `<tr><td>${i + 1}</td><td><code>${esc(m)}</code></td></tr>`)
            .join("")}</tbody></table>`
        : "") +
      `</div>`;
    return { "text/html": html, "text/plain": plain };
  }
}
