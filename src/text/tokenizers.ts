// Tokenizers that split text into string tokens and join them back: characters, words, Korean
// syllables and Korean jamo. (Vocab turns tokens into ids; BPE is in bpe.ts.)

export interface Tokenizer {
  tokenize(text: string): string[];
  detokenize(tokens: readonly string[]): string;
}

/** One token per Unicode code point (Python's list(text)); lossless. */
export class CharTokenizer implements Tokenizer {
  tokenize(text: string): string[] {
    return Array.from(text);
  }
  detokenize(tokens: readonly string[]): string {
    return tokens.join("");
  }
}

export interface WordTokenizerOptions {
  /** Lower-case the text first (default false). */
  lower?: boolean;
  /** Split punctuation off words ("end." → "end", ".") (default false: split on whitespace only). */
  punctuation?: boolean;
}

/**
 * Words: split on runs of whitespace (d2l's `line.split()`), optionally splitting off
 * punctuation. Detokenizing joins with single spaces, so whitespace is not kept.
 */
export class WordTokenizer implements Tokenizer {
  constructor(readonly options: WordTokenizerOptions = {}) {}
  tokenize(text: string): string[] {
    const t = this.options.lower ? text.toLowerCase() : text;
    if (this.options.punctuation) return t.match(/[\p{L}\p{M}\p{N}_]+|[^\s\p{L}\p{M}\p{N}_]/gu) ?? [];
    return t.split(/\s+/u).filter((w) => w.length > 0);
  }
  detokenize(tokens: readonly string[]): string {
    return tokens.join(" ");
  }
}

/**
 * Korean syllables: the text in NFC (so decomposed jamo are composed into syllable blocks), one
 * token per code point; spaces are tokens too unless `{ dropSpaces: true }`. Lossless for NFC text.
 */
export class SyllableTokenizer implements Tokenizer {
  constructor(readonly options: { dropSpaces?: boolean } = {}) {}
  tokenize(text: string): string[] {
    const cs = Array.from(text.normalize("NFC"));
    return this.options.dropSpaces ? cs.filter((c) => !/\s/u.test(c)) : cs;
  }
  detokenize(tokens: readonly string[]): string {
    return tokens.join("");
  }
}

/** Hangul syllable blocks U+AC00–U+D7A3. */
export function isHangulSyllable(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0;
  return ch.length === 1 && c >= 0xac00 && c <= 0xd7a3;
}

/** Conjoining jamo: leading consonants U+1100–, vowels U+1161–, trailing consonants U+11A8–. */
export function isConjoiningJamo(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0;
  return ch.length === 1 && ((c >= 0x1100 && c <= 0x11ff) || (c >= 0xa960 && c <= 0xa97f) || (c >= 0xd7b0 && c <= 0xd7ff));
}

/** Decompose into conjoining jamo (Unicode NFD): "한" → "ᄒ" "ᅡ" "ᆫ" (U+1112 U+1161 U+11AB). */
export function toJamo(text: string): string {
  return text.normalize("NFD");
}

/** Compose jamo back into syllables (Unicode NFC). fromJamo(toJamo(s)) === s.normalize("NFC"). */
export function fromJamo(text: string): string {
  return text.normalize("NFC");
}

/**
 * Korean jamo: one token per code point of the NFD form, so each Hangul syllable becomes two or
 * three conjoining jamo; detokenizing joins and recomposes with NFC. Round trip:
 * detokenize(tokenize(s)) === s.normalize("NFC"), which is s itself for NFC text (all Hangul
 * syllable text, and what files and keyboards give).
 */
export class JamoTokenizer implements Tokenizer {
  tokenize(text: string): string[] {
    return Array.from(toJamo(text));
  }
  detokenize(tokens: readonly string[]): string {
    return fromJamo(tokens.join(""));
  }
}
