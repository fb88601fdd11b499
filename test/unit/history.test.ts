import { test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "fs";
import * as path from "path";
import { compileGlob, History, MAX_ENTRY_BYTES, MAX_FILE_BYTES } from "../../kernel/server/history";
import { tempDir } from "../support/tools";

test("tail, range and search within a session", () => {
  const h = new History();
  ["a = 1", "b = 2", "a = 1", "c = 3"].forEach((s, i) => h.add(i + 1, s));
  assert.deepEqual(
    h.tail(2).map((e) => e.input),
    ["a = 1", "c = 3"],
  );
  assert.deepEqual(
    h.range(0, 2, 4).map((e) => e.line),
    [2, 3],
  );
  assert.equal(h.search("a = ?", 0, false).length, 2);
  assert.equal(h.search("a = ?", 0, true).length, 1);
  assert.deepEqual(
    h.search("*", 1, false).map((e) => e.input),
    ["c = 3"],
  );
  assert.equal(h.search("(x)", 0, false).length, 0, "regex characters in a pattern are literal");
});

test("history is kept across sessions in its file, numbered by session", () => {
  const file = path.join(tempDir(), "history.jsonl");
  const first = new History(file);
  first.add(1, "let x = 1");
  const second = new History(file);
  assert.equal(second.session, first.session + 1);
  second.add(1, "x + 1");
  assert.deepEqual(
    second.tail(2).map((e) => [e.session, e.input]),
    [
      [first.session, "let x = 1"],
      [second.session, "x + 1"],
    ],
  );
  assert.deepEqual(
    second.range(-1, 1, 2).map((e) => e.input),
    ["let x = 1"],
  );
});

test("globs match like fnmatch: * any run, ? one character, the rest literal", () => {
  const cases: [string, string, boolean][] = [
    ["a*b", "ab", true],
    ["a*b", "axxb", true],
    ["a*b", "axxbc", false],
    ["*", "", true],
    ["?", "", false],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["*a*a*", "aa", true],
    ["*a*a*", "a", false],
    ["a*a", "a", false],
    ["*.ts", "x.ts", true],
    ["*.ts", "x.tsx", false],
    ["한?", "한글", true],
    ["x*y*z", "xyz", true],
    ["x*y*z", "xzy", false],
  ];
  for (const [pattern, text, want] of cases) assert.equal(compileGlob(pattern)(text), want, `${pattern} on ${JSON.stringify(text)}`);
  // Against a reference: the regular expression the old code built, on random short cases.
  for (let i = 0; i < 2000; i++) {
    const pick = (alphabet: string, n: number) =>
      Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join("");
    const pattern = pick("ab*?", 1 + Math.floor(Math.random() * 6));
    const text = pick("ab", Math.floor(Math.random() * 8));
    const re = new RegExp("^" + pattern.replace(/\*/g, "[\\s\\S]*").replace(/\?/g, "[\\s\\S]") + "$");
    assert.equal(compileGlob(pattern)(text), re.test(text), `${pattern} on ${text}`);
  }
});

// The regular expression the kernel used to build from this glob backtracks on the order of
// 5000^40 steps (it never finishes: the test times out); the matcher needs at most 5000 × 81.
test("a glob with many stars does not hang the search", { timeout: 60_000 }, () => {
  const h = new History();
  h.add(1, "a".repeat(5000));
  assert.equal(h.search("*a".repeat(40) + "b", 0, false).length, 0);
  assert.equal(h.search("*a".repeat(40), 0, false).length, 1);
});

test("the file is bounded: past its limit the oldest entries go; start-up reads only its end", () => {
  const file = path.join(tempDir(), "history.jsonl");
  const h = new History(file);
  const cell = "x".repeat(10_000);
  const rows = Math.ceil((MAX_FILE_BYTES * 1.5) / cell.length);
  for (let i = 1; i <= rows; i++) h.add(i, `${i} ${cell}`);
  assert.ok(statSync(file).size <= MAX_FILE_BYTES, `file is ${statSync(file).size} bytes`);
  const later = new History(file);
  assert.equal(later.session, h.session + 1);
  const kept = later.tail(100000);
  assert.equal(kept[kept.length - 1].input, `${rows} ${cell}`, "the newest entry is kept");
  assert.ok(kept[0].line > 1, "the oldest entries were dropped");
  assert.ok(
    kept.every((e, i) => i === 0 || e.line === kept[i - 1].line + 1),
    "what is kept is contiguous",
  );
  // A huge cell is kept for its session but not written to the file.
  later.add(1, "y".repeat(MAX_ENTRY_BYTES + 1));
  assert.equal(later.tail(1)[0].input.length, MAX_ENTRY_BYTES + 1);
  assert.ok(statSync(file).size <= MAX_FILE_BYTES);
  assert.equal(new History(file).tail(1)[0].input, `${rows} ${cell}`);
});
