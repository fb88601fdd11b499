// Vocab: reserved tokens, frequencies and order, min-frequency, unknown tokens (and strict mode),
// encode/decode round trips, topK and the Jupyter display.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { RESERVED, UnknownTokenError, Vocab } from "../../src/text";

const tokens = "a a a b b c d d d d".split(" ");

test("reserved tokens come first: <pad>=0, <unk>=1, <bos>=2, <eos>=3, <mask>=4", () => {
  const v = new Vocab(tokens);
  assert.deepEqual(v.tokens.slice(0, 5), [...RESERVED]);
  assert.deepEqual([v.padId, v.unkId, v.bosId, v.eosId, v.maskId], [0, 1, 2, 3, 4]);
  assert.equal(v.size, 9);
  // d2l's vocabulary: no reserved tokens but <unk>, which is always there.
  const d2l = new Vocab(tokens, { reserved: [] });
  assert.deepEqual(d2l.tokens, ["<unk>", "d", "a", "b", "c"]);
  assert.equal(d2l.padId, -1);
  assert.deepEqual(new Vocab(tokens, { reserved: ["<bos>", "<eos>"] }).tokens.slice(0, 3), ["<unk>", "<bos>", "<eos>"]);
  assert.throws(() => new Vocab([], { reserved: ["<pad>", "<pad>"] }), /listed twice/);
});

test("ordinary tokens by frequency, ties in code unit order; counts and min-frequency", () => {
  const v = new Vocab(["z", "y", ...tokens], { reserved: [] });
  assert.deepEqual(v.tokens, ["<unk>", "d", "a", "b", "c", "y", "z"]);
  assert.equal(v.freq("d"), 4);
  assert.equal(v.freq("never"), 0);
  const m = new Vocab(tokens, { minFreq: 2, reserved: [] });
  assert.deepEqual(m.tokens, ["<unk>", "d", "a", "b"]);
  assert.equal(m.id("c"), m.unkId, "a rare token maps to <unk>");
  assert.equal(m.freq("c"), 1, "but its count is kept");
  assert.deepEqual(new Vocab(tokens, { reserved: [], order: "alphabetical" }).tokens, ["<unk>", "a", "b", "c", "d"]);
  assert.deepEqual(new Vocab(tokens, { reserved: [], maxSize: 3 }).tokens, ["<unk>", "d", "a"]);
  assert.throws(() => new Vocab(tokens, { maxSize: 2 }), /at least the 5 reserved/);
});

test("lines of tokens are flattened; fromCounts builds the same vocabulary", () => {
  const lines = [["a", "b"], ["a"], "c"];
  const v = new Vocab(lines, { reserved: [] });
  assert.deepEqual(v.tokens, ["<unk>", "a", "b", "c"]);
  const c = Vocab.fromCounts({ d: 4, a: 3, b: 2, c: 1 });
  assert.deepEqual(c.tokens, new Vocab(tokens).tokens);
  assert.equal(c.freq("d"), 4);
  assert.throws(() => Vocab.fromCounts({ a: -1 }), /non-negative integer/);
});

test("unknown tokens map to <unk>; strict mode throws naming the token and the vocabulary size", () => {
  const v = new Vocab(tokens);
  assert.deepEqual(Array.from(v.encode(["a", "zebra", "d"])), [6, 1, 5]);
  assert.ok(v.encode(["a"]) instanceof Int32Array);
  assert.throws(
    () => v.encode(["a", "zebra"], { strict: true }),
    (e: Error) => e instanceof UnknownTokenError && e.message.includes('"zebra"') && e.message.includes("9 tokens"),
  );
  const strict = new Vocab(tokens, { strict: true });
  assert.throws(() => strict.id("?"), /unknown token "\?": it is not in the vocabulary of 9 tokens/);
  assert.equal(strict.id("?", false), strict.unkId);
  assert.equal(strict.has("a"), true);
  assert.equal(strict.has("?"), false);
});

test("decode inverts encode, and can skip reserved tokens; bad ids are range errors", () => {
  const v = new Vocab(tokens);
  assert.deepEqual(v.decode([2, 6, 7, 3]), ["<bos>", "a", "b", "<eos>"]);
  assert.deepEqual(v.decode(Int32Array.from([2, 6, 7, 3, 0, 0]), { skipReserved: true }), ["a", "b"]);
  assert.throws(() => v.decode([9]), /id 9 is outside the vocabulary of 9 tokens/);
  assert.throws(() => v.token(-1), RangeError);
  fc.assert(
    fc.property(fc.array(fc.string({ unit: "grapheme", maxLength: 3 }), { minLength: 1 }), (xs) => {
      const vocab = new Vocab(xs);
      const ids = vocab.encode(xs, { strict: true });
      assert.deepEqual(vocab.decode(ids), xs);
      assert.equal(new Set(ids).size, new Set(xs).size);
      for (const x of xs) assert.equal(vocab.freq(x), xs.filter((y) => y === x).length);
    }),
  );
});

test("topK lists the most frequent ordinary tokens with ids and counts", () => {
  const v = new Vocab(tokens);
  assert.deepEqual(v.topK(2), [
    { token: "d", id: 5, freq: 4 },
    { token: "a", id: 6, freq: 3 },
  ]);
  assert.equal(v.topK(100).length, 4);
  assert.deepEqual(new Vocab(tokens, { order: "alphabetical" }).topK(1)[0], { token: "d", id: 8, freq: 4 });
});

test("Jupyter display: size and a small table of the most frequent entries, HTML-escaped", () => {
  const v = new Vocab(["<b>", "<b>", " ", "x"], { reserved: [] });
  const bundle = (v as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for("Jupyter.display")]();
  assert.deepEqual(Object.keys(bundle).sort(), ["text/html", "text/plain"]);
  assert.match(bundle["text/html"], /4 tokens/);
  assert.match(bundle["text/html"], /<table>.*<th>token<\/th>.*&lt;b&gt;.*<\/table>/s);
  assert.doesNotMatch(bundle["text/html"], /<code><b>/);
  assert.match(bundle["text/plain"], /Vocab: 4 tokens/);
  assert.match(bundle["text/plain"], /\n\s+1\s+<b>\s+2/);
  assert.match(bundle["text/plain"], /" "/, "a space token is shown quoted");
});
