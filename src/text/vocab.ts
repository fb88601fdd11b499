// Vocab: tokens ↔ ids, with reserved tokens, frequencies and a minimum frequency.
//
// Ids: the reserved tokens first, in the order given (default <pad>=0, <unk>=1, <bos>=2, <eos>=3,
// <mask>=4; <pad> is 0 so that tf.layers.embedding's maskZero treats it as padding), then the
// tokens seen at least minFreq times, most frequent first (ties in code unit order), or in
// alphabetical order with `order: "alphabetical"`. <unk> is always present: when the reserved list
// lacks it, it goes first (so `reserved: []` gives d2l's vocabulary, <unk> plus the tokens).

import { tr } from "../lang";

const DISPLAY = Symbol.for("Jupyter.display");

/** The reserved tokens, in their default order. */
export const RESERVED = ["<pad>", "<unk>", "<bos>", "<eos>", "<mask>"] as const;

export interface VocabOptions {
  /** Tokens seen fewer times map to <unk> (default 1). */
  minFreq?: number;
  /** Reserved tokens, given the first ids (default RESERVED). "<unk>" is added first if missing. */
  reserved?: readonly string[];
  /** Keep at most this many ids in all, reserved tokens included (the rarest tokens drop out). */
  maxSize?: number;
  /** Order of the ordinary tokens: by frequency (default) or alphabetically. */
  order?: "frequency" | "alphabetical";
  /** Throw on unknown tokens instead of mapping them to <unk> (default false). */
  strict?: boolean;
}

/** An unknown token in strict mode. */
export class UnknownTokenError extends Error {
  constructor(
    readonly token: string,
    readonly vocabSize: number,
  ) {
    super(
      `unknown token ${JSON.stringify(token)}: it is not in the vocabulary of ${vocabSize} tokens (strict mode; without it, unknown tokens map to <unk>)`,
    );
    this.name = "UnknownTokenError";
  }
}

export interface VocabEntry {
  token: string;
  id: number;
  freq: number;
}

type TokenSource = Iterable<string | Iterable<string>>;

export class Vocab {
  /** Tokens by id. */
  readonly tokens: readonly string[];
  readonly reserved: readonly string[];
  readonly minFreq: number;
  readonly strict: boolean;
  private readonly ids = new Map<string, number>();
  private readonly counts: Map<string, number>;

  /**
   * Count tokens and build the vocabulary. `tokens` is a list of tokens or a list of lists (lines),
   * flattened as d2l does; a string inside a list is one token.
   */
  constructor(tokens: TokenSource = [], options: VocabOptions = {}, precounted?: ReadonlyMap<string, number>) {
    const counts = new Map<string, number>(precounted ?? []);
    for (const t of tokens) {
      if (typeof t === "string") counts.set(t, (counts.get(t) ?? 0) + 1);
      else for (const u of t) counts.set(u, (counts.get(u) ?? 0) + 1);
    }
    this.counts = counts;
    this.minFreq = options.minFreq ?? 1;
    this.strict = options.strict ?? false;
    const given = [...(options.reserved ?? RESERVED)];
    const reserved = given.includes("<unk>") ? given : ["<unk>", ...given];
    if (new Set(reserved).size !== reserved.length) throw new Error(`Vocab: a reserved token is listed twice: ${reserved.join(" ")}`);
    this.reserved = reserved;
    const list = [...reserved];
    const isReserved = new Set(reserved);
    let kept = [...counts.entries()].filter(([t, n]) => n >= this.minFreq && !isReserved.has(t));
    const byFreq = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
    kept.sort(byFreq);
    if (options.maxSize !== undefined) {
      if (!Number.isInteger(options.maxSize) || options.maxSize < reserved.length) {
        throw new RangeError(`Vocab maxSize must be an integer of at least the ${reserved.length} reserved tokens, got ${options.maxSize}`);
      }
      kept = kept.slice(0, options.maxSize - reserved.length);
    }
    if (options.order === "alphabetical") kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [t] of kept) list.push(t);
    list.forEach((t, i) => this.ids.set(t, i));
    this.tokens = list;
  }

  /** A vocabulary from counts already made (a Map or a plain object of token → count). */
  static fromCounts(counts: Map<string, number> | Record<string, number>, options: VocabOptions = {}): Vocab {
    const m = counts instanceof Map ? counts : new Map(Object.entries(counts));
    for (const [t, n] of m) {
      if (!Number.isInteger(n) || n < 0)
        throw new RangeError(`Vocab.fromCounts: the count of ${JSON.stringify(t)} must be a non-negative integer, got ${n}`);
    }
    return new Vocab([], options, m);
  }

  /** The number of ids. */
  get size(): number {
    return this.tokens.length;
  }

  get unkId(): number {
    return this.ids.get("<unk>")!;
  }
  /** The id of <pad>, or -1 when it is not reserved. */
  get padId(): number {
    return this.ids.get("<pad>") ?? -1;
  }
  get bosId(): number {
    return this.ids.get("<bos>") ?? -1;
  }
  get eosId(): number {
    return this.ids.get("<eos>") ?? -1;
  }
  get maskId(): number {
    return this.ids.get("<mask>") ?? -1;
  }

  /** How many times a token was counted (0 for tokens never seen). */
  freq(token: string): number {
    return this.counts.get(token) ?? 0;
  }

  /** Whether the token has its own id. */
  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** A token's id; unknown tokens get <unk>'s id, or throw in strict mode. */
  id(token: string, strict: boolean = this.strict): number {
    const i = this.ids.get(token);
    if (i !== undefined) return i;
    if (strict) throw new UnknownTokenError(token, this.size);
    return this.unkId;
  }

  /** The token of an id. */
  token(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) {
      throw new RangeError(`id ${id} is outside the vocabulary of ${this.tokens.length} tokens`);
    }
    return this.tokens[id];
  }

  /** Ids of tokens. */
  encode(tokens: Iterable<string>, options: { strict?: boolean } = {}): Int32Array {
    const strict = options.strict ?? this.strict;
    const out: number[] = [];
    for (const t of tokens) out.push(this.id(t, strict));
    return Int32Array.from(out);
  }

  /** Tokens of ids; with `skipReserved`, reserved tokens (<pad>, <bos>, ...) are left out. */
  decode(ids: ArrayLike<number> | Iterable<number>, options: { skipReserved?: boolean } = {}): string[] {
    const out: string[] = [];
    const nReserved = this.reserved.length;
    for (const id of Array.from(ids as ArrayLike<number>)) {
      const t = this.token(id);
      if (options.skipReserved && id < nReserved) continue;
      out.push(t);
    }
    return out;
  }

  /** The n most frequent ordinary tokens (not reserved), with ids and counts. */
  topK(n: number): VocabEntry[] {
    const entries: VocabEntry[] = [];
    for (let id = this.reserved.length; id < this.tokens.length; id++) {
      const token = this.tokens[id];
      entries.push({ token, id, freq: this.freq(token) });
    }
    entries.sort((a, b) => b.freq - a.freq || (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
    return entries.slice(0, Math.max(0, n));
  }

  toJSON(): { tokens: string[]; reserved: string[]; counts: Record<string, number>; minFreq: number } {
    return { tokens: [...this.tokens], reserved: [...this.reserved], counts: Object.fromEntries(this.counts), minFreq: this.minFreq };
  }

  [DISPLAY](): Record<string, string> {
    const top = this.topK(10);
    const shown = (t: string) => (/^\s|\s$/.test(t) || t === "" ? JSON.stringify(t) : t);
    const esc = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
    const total = [...this.counts.values()].reduce((a, b) => a + b, 0);
    const reserved = this.reserved.join(" ");
    const head = tr(
      `Vocab: ${this.size} tokens (${this.reserved.length} reserved: ${reserved}), ${total} counted, minFreq ${this.minFreq}`,
      `Vocab (어휘): 토큰 ${this.size}개 (예약 ${this.reserved.length}개: ${reserved}), 센 토큰 ${total}개, minFreq ${this.minFreq}`,
    );
    const [hId, hToken, hFreq] = tr("id|token|freq", "id|토큰|빈도").split("|");
    const rows = top.map((e) => `<tr><td>${e.id}</td><td><code>${esc(shown(e.token))}</code></td><td>${e.freq}</td></tr>`).join("");
    const html =
      `<div><b>${esc(head)}</b><table><thead><tr><th>${hId}</th><th>${hToken}</th><th>${hFreq}</th></tr></thead>` +
      `<tbody>${rows}</tbody></table></div>`;
    const w = Math.max(5, ...top.map((e) => shown(e.token).length));
    const plain = [
      head,
      `${hId.padStart(5)}  ${hToken.padEnd(w)}  ${hFreq}`,
      ...top.map((e) => `${String(e.id).padStart(5)}  ${shown(e.token).padEnd(w)}  ${e.freq}`),
    ].join("\n");
    return { "text/html": html, "text/plain": plain };
  }
}
