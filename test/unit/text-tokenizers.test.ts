// Tokenizers (characters, words, Korean syllables and jamo) and byte-pair encoding: round trips
// (fast-check), training, deterministic tie-breaking.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  BPE,
  CharTokenizer,
  fromJamo,
  isConjoiningJamo,
  JamoTokenizer,
  preTokenize,
  SyllableTokenizer,
  toJamo,
  WordTokenizer,
} from "../../src/text";

const hangulSyllable = fc.integer({ min: 0xac00, max: 0xd7a3 }).map((c) => String.fromCharCode(c));
const compatJamo = fc.integer({ min: 0x3131, max: 0x318e }).map((c) => String.fromCharCode(c));
const hangulText = fc.string({
  unit: fc.oneof({ weight: 8, arbitrary: hangulSyllable }, compatJamo, fc.constantFrom(" ", ".", "?", "\n")),
});

test("characters: one token per code point, lossless", () => {
  const t = new CharTokenizer();
  assert.deepEqual(t.tokenize("a한😀"), ["a", "한", "😀"]);
  fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => assert.equal(t.detokenize(t.tokenize(s)), s)));
});

test("words: whitespace split (d2l), optional lower case and punctuation", () => {
  assert.deepEqual(new WordTokenizer().tokenize("  The Time\n\tMachine, by "), ["The", "Time", "Machine,", "by"]);
  assert.deepEqual(new WordTokenizer({ lower: true, punctuation: true }).tokenize("The end. 끝이다!"), ["the", "end", ".", "끝이다", "!"]);
  const t = new WordTokenizer();
  const word = fc.string({ unit: fc.constantFrom("a", "b", "가", ",", "!"), minLength: 1 });
  fc.assert(fc.property(fc.array(word), (ws) => assert.deepEqual(t.tokenize(t.detokenize(ws)), ws)));
});

test("Korean syllables: NFC code points; decomposed input is composed; spaces optional", () => {
  assert.deepEqual(new SyllableTokenizer().tokenize("한국 어"), ["한", "국", " ", "어"]);
  assert.deepEqual(new SyllableTokenizer().tokenize("\u1112\u1161\u11ab"), ["한"]);
  assert.deepEqual(new SyllableTokenizer({ dropSpaces: true }).tokenize("한국 어\n"), ["한", "국", "어"]);
  const t = new SyllableTokenizer();
  fc.assert(fc.property(hangulText, (s) => assert.equal(t.detokenize(t.tokenize(s)), s)));
});

test("Korean jamo: NFD into conjoining jamo, and back with NFC", () => {
  const t = new JamoTokenizer();
  assert.deepEqual(t.tokenize("한글"), ["\u1112", "\u1161", "\u11ab", "\u1100", "\u1173", "\u11af"]);
  assert.deepEqual(t.tokenize("가"), ["\u1100", "\u1161"]);
  assert.equal(t.detokenize(["\u1112", "\u1161", "\u11ab"]), "한");
  assert.equal(fromJamo(toJamo("값")), "값");
});

test("jamo round trip is exact on arbitrary Hangul text, each syllable giving 2 or 3 jamo (fast-check)", () => {
  const t = new JamoTokenizer();
  fc.assert(
    fc.property(hangulText, (s) => {
      const tokens = t.tokenize(s);
      assert.equal(t.detokenize(tokens), s);
      let expected = 0;
      for (const ch of s) {
        const c = ch.charCodeAt(0);
        expected += c >= 0xac00 && c <= 0xd7a3 ? ((c - 0xac00) % 28 === 0 ? 2 : 3) : 1;
      }
      assert.equal(tokens.length, expected);
      for (const tok of tokens) assert.ok(isConjoiningJamo(tok) || !/[\uac00-\ud7a3]/.test(tok));
    }),
  );
});

test("jamo round trip on arbitrary strings gives the NFC form, so NFC strings come back unchanged (fast-check)", () => {
  const t = new JamoTokenizer();
  for (const unit of ["binary", "grapheme"] as const) {
    fc.assert(
      fc.property(fc.string({ unit }), (s) => {
        assert.equal(t.detokenize(t.tokenize(s)), s.normalize("NFC"));
        const n = s.normalize("NFC");
        assert.equal(t.detokenize(t.tokenize(n)), n);
      }),
    );
  }
  // The one kind of change: non-NFC input comes back in NFC (Angstrom sign → Å).
  assert.equal(t.detokenize(t.tokenize("\u212b")), "\u00c5");
});

const ENGLISH = "the low lower lowest newer newest wider widest the the low low ".repeat(20);

test("BPE: pre-tokenized chunks concatenate back to the text", () => {
  assert.deepEqual(preTokenize("Hello, world  42!\n한국어 단어"), ["Hello", ",", " world", " ", " 42", "!", "\n", "한국어", " 단어"]);
  fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => assert.equal(preTokenize(s).join(""), s)));
});

test("BPE training merges the most frequent pair first, breaking ties by token order", () => {
  // All pairs occur once: ties, broken by (left, right) in code unit order (" " < "a" < "c").
  const tie = BPE.train("ab cd", { vocabSize: 1000, minFrequency: 1, specials: [], byteFallback: false });
  assert.deepEqual(tie.merges, [
    [" ", "c"],
    [" c", "d"],
    ["a", "b"],
  ]);
  const bpe = BPE.train(ENGLISH, { vocabSize: 290 });
  assert.deepEqual(bpe.merges[0], [" ", "l"], "' l' (80) beats 'lo' (80) on order, and 'we' (60)");
  assert.equal(bpe.size, 290);
  assert.deepEqual(bpe.tokens.slice(0, 5), ["<pad>", "<unk>", "<bos>", "<eos>", "<mask>"]);
  assert.equal(bpe.tokens[5], "<0x00>");
  // Frequent words become single tokens.
  assert.deepEqual(bpe.tokenize(" lowest"), [" lowest"]);
  assert.ok(bpe.encode(ENGLISH).length < ENGLISH.length / 3);
  // Deterministic, and independent of how the text is cut into documents.
  assert.deepEqual(BPE.train(ENGLISH, { vocabSize: 290 }).merges, bpe.merges);
  const docs = ENGLISH.split(/(?= the)/);
  assert.deepEqual(BPE.train([...docs].reverse(), { vocabSize: 290 }).merges, BPE.train(docs, { vocabSize: 290 }).merges);
});

test("BPE applies merges in the order they were learned: where two merges compete, the earlier one wins", () => {
  // "abc" can become ab|c or a|bc: the merge learned first decides, not the one listed last or the longest.
  const model = (merges: [string, string][]) => BPE.fromJSON({ specials: [], byteFallback: false, alphabet: ["a", "b", "c"], merges });
  assert.deepEqual(
    model([
      ["a", "b"],
      ["b", "c"],
    ]).tokenize("abc"),
    ["ab", "c"],
  );
  assert.deepEqual(
    model([
      ["b", "c"],
      ["a", "b"],
    ]).tokenize("abc"),
    ["a", "bc"],
  );
  // a later merge builds on an earlier one: ab + c → abc, but only when ab came first
  assert.deepEqual(
    model([
      ["a", "b"],
      ["b", "c"],
      ["ab", "c"],
    ]).tokenize("abcabc"),
    ["abc", "abc"],
  );
  assert.deepEqual(
    model([
      ["b", "c"],
      ["a", "b"],
      ["ab", "c"],
    ]).tokenize("abcabc"),
    ["a", "bc", "a", "bc"],
  );
  // trained: "bc" (5 times) is merged before "ab" (then twice), so "abc" segments as a|bc
  const trained = BPE.train(["bc", "bc", "bc", "bc", "abc", "ab", "ab"], {
    vocabSize: 1000,
    minFrequency: 2,
    specials: [],
    byteFallback: false,
  });
  assert.deepEqual(trained.merges.slice(0, 2), [
    ["b", "c"],
    ["a", "b"],
  ]);
  assert.deepEqual(trained.tokenize("abc"), ["a", "bc"]);
  assert.deepEqual(trained.tokenize("ab"), ["ab"]);
});

test("BPE stops at vocabSize or when no pair is frequent enough; too small a size is an error", () => {
  const small = BPE.train("abab abab", { vocabSize: 1000, specials: [] });
  assert.ok(small.size < 1000);
  assert.ok(small.merges.length > 0);
  assert.throws(() => BPE.train("abc", { vocabSize: 200 }), /above the 5 specials plus 256 byte tokens \(261\)/);
  // A tight budget keeps only the most frequent characters; the rest are bytes, still lossless.
  const tight = BPE.train("aaaaabbbc", { vocabSize: 258, specials: [] });
  assert.equal(tight.size, 258);
  assert.deepEqual(tight.tokenize("c"), ["<0x63>"]);
  assert.equal(tight.decode(tight.encode("abc")), "abc");
});

test("BPE round trip: decode(encode(s)) === s for any string, unseen characters as bytes (fast-check)", () => {
  const bpe = BPE.train([ENGLISH, "아버지가 방에 들어가신다. 아버지 가방에 들어가신다. ".repeat(10)], { vocabSize: 340 });
  fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => assert.equal(bpe.decode(bpe.encode(s)), s)));
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom("a", "b", " ", "아", "버", "지", "😀", "\n") }), (s) =>
      assert.equal(bpe.decode(bpe.encode(s)), s),
    ),
  );
  for (const s of ["\ud800", "x\udc00y", "한글 ☃ 😀"]) assert.equal(bpe.decode(bpe.encode(s)), s, JSON.stringify(s));
  assert.deepEqual(bpe.tokenize("☃"), ["<0xE2>", "<0x98>", "<0x83>"]);
  assert.ok(bpe.tokenize(" 아버지").length <= 2);
  // Specials are ids the caller adds; decode shows or skips them.
  const ids = [bpe.id("<bos>")!, ...bpe.encode("low"), bpe.id("<eos>")!];
  assert.equal(bpe.decode(ids), "<bos>low<eos>");
  assert.equal(bpe.decode(ids, { skipSpecials: true }), "low");
  assert.throws(() => bpe.decode([bpe.size]), new RegExp(`outside the vocabulary of ${bpe.size} tokens`));
});

test("BPE saves to JSON and loads back with identical encodings; no byte fallback means <unk>", () => {
  const bpe = BPE.train(ENGLISH, { vocabSize: 290 });
  const again = BPE.fromJSON(JSON.parse(JSON.stringify(bpe)));
  assert.deepEqual(again.tokens, bpe.tokens);
  assert.deepEqual(again.encode(ENGLISH), bpe.encode(ENGLISH));
  const noBytes = BPE.train(ENGLISH, { vocabSize: 40, byteFallback: false });
  assert.equal(noBytes.tokens.indexOf("<0x00>"), -1);
  assert.deepEqual(noBytes.tokenize(" lowz"), [" low", "<unk>"]);
  const display = bpe[Symbol.for("Jupyter.display") as keyof BPE] as unknown as () => Record<string, string>;
  const bundle = display.call(bpe);
  assert.match(bundle["text/plain"], /BPE\(size=290/);
  assert.match(bundle["text/html"], /<table>/);
});
