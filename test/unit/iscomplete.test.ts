import { test } from "node:test";
import assert from "node:assert/strict";
import * as ts from "typescript";
import { isComplete } from "../../kernel/server/iscomplete";

const status = (code: string) => isComplete(ts, code).status;

test("whole statements are complete", () => {
  for (const c of ["1 + 1", "let x = [1, 2];", "const t = `a${1}b`;", "function f() {\n  return 1;\n}", "for (const x of [1]) {}"]) {
    assert.equal(status(c), "complete", c);
  }
});

test("open blocks, brackets, template literals, comments and dangling operators are incomplete", () => {
  for (const c of ["function f() {", "let a = [1,\n2", "const t = `open", "const t = `a${1 +", "/* comment", "let x =", "f(1,"]) {
    assert.equal(status(c), "incomplete", c);
  }
});

test("errors more typing cannot fix are invalid", () => {
  for (const c of ["1 +* 2", ")", "let 1x = 2;", 'x = "abc']) assert.equal(status(c), "invalid", c);
});

test("the indent continues a block", () => {
  assert.deepEqual(isComplete(ts, "if (x) {"), { status: "incomplete", indent: "  " });
  assert.deepEqual(isComplete(ts, "if (x) {\n    y(1,"), { status: "incomplete", indent: "    " });
});

test("two blank lines force execution", () => {
  assert.equal(status("function f() {\n\n\n"), "complete");
});
