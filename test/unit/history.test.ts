import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import { History } from "../../kernel/history";
import { tempDir } from "../support/tools";

test("tail, range and search within a session", () => {
  const h = new History();
  ["a = 1", "b = 2", "a = 1", "c = 3"].forEach((s, i) => h.add(i + 1, s));
  assert.deepEqual(h.tail(2).map((e) => e.input), ["a = 1", "c = 3"]);
  assert.deepEqual(h.range(0, 2, 4).map((e) => e.line), [2, 3]);
  assert.equal(h.search("a = ?", 0, false).length, 2);
  assert.equal(h.search("a = ?", 0, true).length, 1);
  assert.deepEqual(h.search("*", 1, false).map((e) => e.input), ["c = 3"]);
  assert.equal(h.search("(x)", 0, false).length, 0, "regex characters in a pattern are literal");
});

test("history is kept across sessions in its file, numbered by session", () => {
  const file = path.join(tempDir(), "history.jsonl");
  const first = new History(file);
  first.add(1, "let x = 1");
  const second = new History(file);
  assert.equal(second.session, first.session + 1);
  second.add(1, "x + 1");
  assert.deepEqual(second.tail(2).map((e) => [e.session, e.input]), [[first.session, "let x = 1"], [second.session, "x + 1"]]);
  assert.deepEqual(second.range(-1, 1, 2).map((e) => e.input), ["let x = 1"]);
});
