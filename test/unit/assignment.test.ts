// `seqlab assignment`: the student edition replaces each solution region by a stub that still
// type-checks and makes the self-check say "not yet", keeps everything else, clears outputs, and
// refuses malformed teacher editions (naming the file and the cell) and overwriting its input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "fs";
import * as path from "path";
import * as ts from "typescript";
import { AssignmentError, CODE_STUB, TEXT_STUB, findRegions, studentEdition, writeAssignments } from "../../kernel/tools/assignment";
import { Notebook } from "../../kernel/tools/notebook";
import { check } from "../../src/exercises/check";
import { CLI, tempDir } from "../support/tools";
import { code, markdown, notebook, writeNotebook } from "../browser/fixtures";

const seqlab = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });

const solutionMeta = (id: string) => ({
  nbgrader: { schema_version: 3, grade: false, locked: false, solution: true, task: false, grade_id: id },
});
const checkMeta = (id: string) => ({
  nbgrader: { schema_version: 3, grade: true, locked: true, solution: false, task: false, points: 1, grade_id: `${id}-check` },
});
const withMeta = (cell: any, metadata: any) => ({ ...cell, metadata });

const SOLUTION = [
  "/** The exponential moving average of xs. */",
  "function ema(xs: number[], alpha: number): number[] {",
  "  const out: number[] = [];",
  "  // ### BEGIN SOLUTION",
  "  let h = 0;",
  "  for (const x of xs) out.push((h = alpha * h + (1 - alpha) * x));",
  "  // ### END SOLUTION",
  "  return out;",
  "}",
].join("\n");
const CHECK = 'await check("Exercise 1.1", () => ema([1, 1], 0.5), [0.5, 0.75], { hint: { en: "h_0 = 0", ko: "h_0 = 0" } });';

/** A teacher edition: prose, a solution cell, its self-check, and a cell with outputs. */
function teacher(): Notebook {
  const nb: any = notebook([
    markdown("### Exercise 1.1 (easy): the moving average"),
    { ...withMeta(code(SOLUTION, [{ output_type: "stream", name: "stdout", text: ["x\n"] }], 3), solutionMeta("01-ex-1")) },
    withMeta(
      code(CHECK, [{ output_type: "display_data", data: { "text/plain": ["✓ Exercise 1.1: correct"] }, metadata: {} }], 4),
      checkMeta("01-ex-1"),
    ),
    code("const plot = 1;", [{ output_type: "execute_result", execution_count: 5, data: { "text/plain": ["1"] }, metadata: {} }], 5),
  ]);
  nb.cells[1].metadata.execution = { "iopub.status.busy": "2025-01-01T00:00:00Z" };
  nb.metadata.widgets = { "application/vnd.jupyter.widget-state+json": { state: {} } };
  return nb;
}

const src = (c: any) => (Array.isArray(c.source) ? c.source.join("") : c.source);

test("the student edition replaces the solution region by the stub at its indentation and keeps the rest", () => {
  const nb = teacher();
  const before = JSON.stringify(nb);
  const { notebook: student, solutions, checks } = studentEdition(nb, "t.ipynb");
  assert.equal(JSON.stringify(nb), before, "the teacher's notebook object is not changed");
  assert.equal(solutions, 1);
  assert.equal(checks, 1);
  assert.equal(
    src(student.cells[1]),
    [
      "/** The exponential moving average of xs. */",
      "function ema(xs: number[], alpha: number): number[] {",
      "  const out: number[] = [];",
      `  ${CODE_STUB}`,
      "  return out;",
      "}",
    ].join("\n"),
  );
  assert.doesNotMatch(JSON.stringify(student), /BEGIN SOLUTION|END SOLUTION|alpha \* h/);
  assert.equal(src(student.cells[2]), CHECK, "the self-check is kept as it is");
  assert.deepEqual(student.cells[2].metadata, checkMeta("01-ex-1"));
  assert.deepEqual(student.cells[1].metadata, solutionMeta("01-ex-1"), "nbgrader metadata kept, run timings dropped");
  assert.equal(src(student.cells[0]), src(nb.cells[0]));
  assert.equal(src(student.cells[3]), src(nb.cells[3]));
  for (const c of student.cells.filter((c) => c.cell_type === "code")) {
    assert.deepEqual(c.outputs, []);
    assert.equal(c.execution_count, null);
  }
  assert.equal(student.metadata.widgets, undefined);
  assert.equal(student.metadata.seqlab.edition, "student");
  assert.deepEqual(student.metadata.kernelspec, nb.metadata.kernelspec);
  assert.deepEqual(
    student.cells.map((c) => c.id),
    nb.cells.map((c) => c.id),
  );
});

/** Type errors of one cell, the way a strict compiler sees it (the kernel is no stricter). */
function typeErrors(source: string): string[] {
  const file = "cell.ts";
  const host = ts.createCompilerHost({ strict: true, noEmit: true, target: ts.ScriptTarget.ES2022 });
  const read = host.getSourceFile;
  host.getSourceFile = (name, lang, ...rest) =>
    name === file ? ts.createSourceFile(file, source, lang) : read.call(host, name, lang, ...rest);
  const program = ts.createProgram([file], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, types: [] }, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

test("the stub type-checks where the solution did, and the self-check then says 'not yet' without failing", async () => {
  const student = studentEdition(teacher(), "t.ipynb").notebook;
  const stubbed = src(student.cells[1]);
  assert.deepEqual(typeErrors(SOLUTION), []);
  assert.deepEqual(typeErrors(stubbed), []);
  // Run both editions' functions through the real self-check.
  const run = (s: string) =>
    new Function(`${ts.transpile(s, { target: ts.ScriptTarget.ES2022 })}; return ema;`)() as (xs: number[], a: number) => number[];
  const hint = { en: "start from h_0 = 0", ko: "h_0 = 0에서 시작하세요" };
  const right = await check("Exercise 1.1", () => run(SOLUTION)([1, 1], 0.5), [0.5, 0.75], { hint });
  const stub = await check("Exercise 1.1", () => run(stubbed)([1, 1], 0.5), [0.5, 0.75], { hint });
  assert.equal(right.ok, true);
  assert.equal(stub.ok, false);
  assert.match(stub.message, /not yet \(not answered yet\)\. Hint: start from h_0 = 0/);
});

test("several regions, tabs and a written (markdown) answer; hidden tests leave the self-checks", () => {
  const two = [
    "class Cell {",
    "\tstep(): number {",
    "\t\t// ### BEGIN SOLUTION",
    "\t\treturn 1;",
    "\t\t// ### END SOLUTION",
    "\t}",
    "\tget size(): number {",
    "    // ### BEGIN SOLUTION",
    "    return 2;",
    "    // ### END SOLUTION",
    "\t}",
    "}",
  ].join("\n");
  const nb: any = notebook([
    withMeta(code(two), solutionMeta("a")),
    withMeta(markdown("Why does it vanish?\n\n### BEGIN SOLUTION\nBecause of the product.\n### END SOLUTION\n"), solutionMeta("b")),
    withMeta(markdown("Explain in one line."), solutionMeta("c")),
    withMeta(code("check(1);\n// ### BEGIN HIDDEN TESTS\ncheck(2);\n// ### END HIDDEN TESTS\ncheck(3);"), checkMeta("a")),
    markdown("The markers are `### BEGIN SOLUTION` and `### END SOLUTION`: prose may name them."),
  ]);
  const { notebook: s, solutions, checks } = studentEdition(nb, "t.ipynb");
  assert.equal(
    src(s.cells[0]),
    ["class Cell {", "\tstep(): number {", `\t\t${CODE_STUB}`, "\t}", "\tget size(): number {", `    ${CODE_STUB}`, "\t}", "}"].join("\n"),
  );
  assert.equal(src(s.cells[1]), `Why does it vanish?\n\n${TEXT_STUB}\n`);
  assert.equal(src(s.cells[2]), TEXT_STUB);
  assert.equal(src(s.cells[3]), "check(1);\ncheck(3);");
  assert.equal(src(s.cells[4]), src(nb.cells[4]));
  assert.equal(solutions, 4);
  assert.equal(checks, 1);
});

test("a malformed teacher edition is refused, naming the file, the cell and the line", () => {
  const cases: [any, RegExp][] = [
    [
      withMeta(code("function f(): number {\n  // ### BEGIN SOLUTION\n  return 1;\n}"), solutionMeta("x")),
      /t\.ipynb: cell 1 \(cells\[0\], grade_id x\): the BEGIN SOLUTION at line 2 has no END SOLUTION/,
    ],
    [
      withMeta(code("function f(): number {\n  // ### END SOLUTION\n  return 1;\n}"), solutionMeta("x")),
      /cell 1 .*END SOLUTION at line 2 without a BEGIN SOLUTION/,
    ],
    [
      withMeta(code("function f() {\n// ### BEGIN SOLUTION\n// ### BEGIN SOLUTION\n// ### END SOLUTION\n}"), solutionMeta("x")),
      /second BEGIN SOLUTION at line 3 inside the region opened at line 2/,
    ],
    [
      code("function f() {\n// ### BEGIN SOLUTION\n// ### END SOLUTION\n}"),
      /cell 1 \(cells\[0\]\) has a BEGIN SOLUTION region but is not a solution cell/,
    ],
    [withMeta(code("function f(): number { return 1; }"), solutionMeta("x")), /is a solution cell without a "\/\/ ### BEGIN SOLUTION"/],
    [
      withMeta(code("// ### BEGIN SOLUTION\nconst answer = 42;\n// ### END SOLUTION"), solutionMeta("x")),
      /lines 1-3 is not inside a function body/,
    ],
    [
      withMeta(
        code("function f() {\n  // ### BEGIN SOLUTION\n  return 1;\n}\nfunction g() {\n  // ### END SOLUTION\n}"),
        solutionMeta("x"),
      ),
      /begins and ends in different blocks/,
    ],
    [code("check(1);\n// ### BEGIN HIDDEN TESTS\ncheck(2);\n// ### END HIDDEN TESTS"), /not a self-check \(grade\) cell/],
  ];
  for (const [cell, message] of cases) {
    assert.throws(
      () => studentEdition(notebook([cell]) as any, "t.ipynb"),
      (e: Error) => e instanceof AssignmentError && message.test(e.message),
      String(message),
    );
  }
  const ed = studentEdition(teacher(), "t.ipynb").notebook;
  assert.throws(() => studentEdition(ed, "s.ipynb"), /s\.ipynb is already a student edition/);
});

test("findRegions returns each region's marker lines", () => {
  assert.deepEqual(
    findRegions(
      "a\n// BEGIN SOLUTION\nb\n// END SOLUTION\n// ### BEGIN SOLUTION\n// ### END SOLUTION",
      "BEGIN SOLUTION",
      "END SOLUTION",
      "w",
    ),
    [
      { begin: 1, end: 3 },
      { begin: 4, end: 5 },
    ],
  );
});

test("writeAssignments writes nothing when one notebook is malformed, and refuses its own inputs as targets", () => {
  const dir = tempDir();
  const good = writeNotebook(dir, "good.ipynb", teacher());
  const bad = writeNotebook(dir, "bad.ipynb", notebook([withMeta(code("function f() { return 1; }"), solutionMeta("x"))]));
  const out = path.join(dir, "out");
  assert.throws(() => writeAssignments([good, bad], out), /bad\.ipynb: cell 1 .*solution cell without/);
  assert.equal(existsSync(out), false, "nothing written");
  const before = readFileSync(good, "utf8");
  assert.throws(() => writeAssignments([good], dir), /refusing to write the student edition of .*good\.ipynb over itself/);
  assert.equal(readFileSync(good, "utf8"), before);
  const other = tempDir();
  const twin = writeNotebook(other, "good.ipynb", teacher());
  assert.throws(() => writeAssignments([good, twin], out), /would both be written to/);
});

test("seqlab assignment writes the student editions into --out and says what it replaced", () => {
  const dir = tempDir();
  const a = writeNotebook(dir, "a.ipynb", teacher());
  const b = writeNotebook(
    dir,
    "b.ipynb",
    notebook([markdown("# no exercises"), code("1 + 1", [{ output_type: "stream", name: "stdout", text: ["2\n"] }], 1)]),
  );
  const out = path.join(dir, "student");
  const r = seqlab("assignment", a, b, "--out", out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /a\.ipynb: 1 solution\(s\) replaced by a stub, 1 self-check\(s\) kept/);
  assert.match(r.stdout, /b\.ipynb: 0 solution\(s\) replaced by a stub, 0 self-check\(s\) kept/);
  assert.deepEqual(readdirSync(out).sort(), ["a.ipynb", "b.ipynb"]);
  const student = JSON.parse(readFileSync(path.join(out, "a.ipynb"), "utf8"));
  assert.ok(src(student.cells[1]).includes(CODE_STUB));
  assert.deepEqual(JSON.parse(readFileSync(path.join(out, "b.ipynb"), "utf8")).cells[1].outputs, []);
});

test("seqlab assignment refuses its notebooks' own folder, a file as --out and a missing --out, changing nothing", () => {
  const dir = tempDir();
  const a = writeNotebook(dir, "a.ipynb", teacher());
  const before = readFileSync(a, "utf8");
  const same = seqlab("assignment", a, "--out", dir);
  assert.equal(same.status, 2);
  assert.match(same.stderr, /refusing to write the student edition of .*a\.ipynb over itself/);
  assert.equal(readFileSync(a, "utf8"), before);
  const file = path.join(dir, "file.txt");
  writeFileSync(file, "x");
  assert.match(seqlab("assignment", a, "--out", file).stderr, /--out .*file\.txt is a file; expected a folder/);
  const none = seqlab("assignment", a);
  assert.notEqual(none.status, 0);
  assert.match(none.stderr, /--out <dir>/);
  const malformed = writeNotebook(
    dir,
    "m.ipynb",
    notebook([withMeta(code("// ### BEGIN SOLUTION\nconst x = 1;\n// ### END SOLUTION"), solutionMeta("m-1"))]),
  );
  const bad = seqlab("assignment", malformed, "--out", path.join(dir, "out"));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /m\.ipynb: cell 1 \(cells\[0\], grade_id m-1\): the solution region at lines 1-3 is not inside a function body/);
  assert.equal(existsSync(path.join(dir, "out")), false);
});
