// Every notebook of the course, in quick mode, under Jupyter's own executor (Debian's nbclient,
// through `jupyter nbconvert --execute`), in both editions:
//  - the teacher's edition (solutions in place) runs with no error output, and every self-check
//    says "✓ … correct";
//  - the student edition that `seqlab assignment` writes runs with errors allowed: every
//    self-check says "not yet" with a hint, and an error may appear only in a cell that calls an
//    exercise's function outside its self-check (the stub's "your code here"), nowhere else.
// Each edition runs once. `seqlab run` executes the teacher's editions in the browser suite (which
// checks the reports, and the self-checks there too), so it is not run a second time here.
// The Korean edition's notebooks run too, teacher's edition only, with their kernelspec seqlab-ko.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { existsSync, readFileSync, readdirSync } from "fs";
import * as path from "path";
import { isGradeCell, isSolutionCell } from "../../kernel/tools/assignment";
import { Cell, Notebook, sourceText } from "../../kernel/tools/notebook";
import { CLI, kernelspecEnv, ROOT, tempDir } from "../support/tools";

const notebooks = readdirSync(path.join(ROOT, "notebooks"))
  .filter((f) => f.endsWith(".ipynb"))
  .sort();
// English messages whatever the machine's setting: the assertions read them.
const env = { ...kernelspecEnv(), SEQLAB_QUICK: "1", SEQLAB_LANG: "en" };

/** Execute a notebook with nbclient into `outDir`; returns the executed notebook. */
function nbclient(file: string, outDir: string, allowErrors: boolean, extraEnv: NodeJS.ProcessEnv = {}): Notebook {
  const args = ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=900", "--output-dir", outDir, file];
  if (allowErrors) args.splice(4, 0, "--allow-errors");
  const r = spawnSync("jupyter", args, { env: { ...env, ...extraEnv }, encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `nbconvert --execute ${path.basename(file)} failed:\n${r.stderr.slice(-4000)}`);
  return JSON.parse(readFileSync(path.join(outDir, path.basename(file)), "utf8"));
}

const text = (v: unknown) => (Array.isArray(v) ? v.join("") : String(v ?? ""));

/** What a cell showed as text: streams, and the text/plain of results and displays. */
function shown(c: Cell): string {
  return (c.outputs ?? []).map((o) => (o.output_type === "stream" ? text(o.text) : o.data ? text(o.data["text/plain"]) : "")).join("\n");
}

const errorsOf = (c: Cell) => (c.outputs ?? []).filter((o) => o.output_type === "error");

/** The names an exercise's solution cell declares (functions, and consts holding functions). */
function solutionNames(nb: Notebook): string[] {
  const names: string[] = [];
  for (const c of nb.cells.filter(isSolutionCell)) {
    const src = sourceText(c);
    for (const m of src.matchAll(/^\s*(?:export\s+)?(?:async\s+)?function\*?\s+([A-Za-z_$][\w$]*)/gm)) names.push(m[1]);
    for (const m of src.matchAll(
      /^\s*(?:const|let)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s*)?(?:\(|function|[A-Za-z_$][\w$]*\s*=>)/gm,
    ))
      names.push(m[1]);
    for (const m of src.matchAll(/^\s*class\s+([A-Za-z_$][\w$]*)/gm)) names.push(m[1]);
  }
  return names;
}

for (const nb of notebooks) {
  test(`${nb}: the teacher's edition runs under nbclient with no error and every self-check passes`, () => {
    const executed = nbclient(path.join(ROOT, "notebooks", nb), tempDir(), false);
    const errors = executed.cells.flatMap((c, i) => errorsOf(c).map((e) => `cell ${i + 1}: ${e.ename}: ${e.evalue}`));
    assert.deepEqual(errors, []);
    const checks = executed.cells.map((c, i) => [c, i] as const).filter(([c]) => isGradeCell(c));
    for (const [c, i] of checks) {
      const out = shown(c);
      assert.match(
        out,
        /✓ Exercise \d+\.\d+: correct/,
        `cell ${i + 1}: the self-check should pass with the solution in place; it showed ${JSON.stringify(out)}`,
      );
      assert.doesNotMatch(out, /not yet/, `cell ${i + 1}`);
    }
  });

  test(`${nb}: its student edition (seqlab assignment) says "not yet" with a hint at every self-check, and fails nowhere else`, () => {
    const dir = tempDir();
    const made = spawnSync(process.execPath, [CLI, "assignment", path.join(ROOT, "notebooks", nb), "--out", path.join(dir, "student")], {
      encoding: "utf8",
    });
    assert.equal(made.status, 0, made.stderr);
    const student: Notebook = JSON.parse(readFileSync(path.join(dir, "student", nb), "utf8"));
    assert.ok(!JSON.stringify(student).includes("BEGIN SOLUTION"), "no solution is left in the student edition");
    const executed = nbclient(path.join(dir, "student", nb), path.join(dir, "executed"), true);
    const names = solutionNames(student);
    const calls = names.length ? new RegExp(`\\b(${names.map((n) => n.replace(/\$/g, "\\$")).join("|")})\\b`) : undefined;
    executed.cells.forEach((c, i) => {
      const where = `${nb}, cell ${i + 1}`;
      if (isGradeCell(c)) {
        assert.deepEqual(
          errorsOf(c).map((e) => e.evalue),
          [],
          `${where}: a self-check never fails`,
        );
        const out = shown(c);
        assert.match(
          out,
          /✗ Exercise \d+\.\d+: not yet \(not answered yet\)\. Hint: \S/,
          `${where}: the self-check should say "not yet" with a hint; it showed ${JSON.stringify(out)}`,
        );
        return;
      }
      for (const e of errorsOf(c)) {
        const caller = !isSolutionCell(c) && calls?.test(sourceText(c));
        assert.ok(
          caller && /your code here/.test(e.evalue),
          `${where}: ${e.ename}: ${e.evalue} (only a cell that calls an exercise's function may fail, with the stub's "your code here")`,
        );
      }
    });
  });
}

// The Korean edition (notebooks/ko/) under nbclient: Jupyter starts the kernelspec its notebooks
// name, seqlab-ko (SEQLAB_LANG=ko over this suite's SEQLAB_LANG=en), so the same code says every
// self-check in Korean. Only the teacher's edition: the student edition is the English one's code.
const korean = existsSync(path.join(ROOT, "notebooks", "ko"))
  ? readdirSync(path.join(ROOT, "notebooks", "ko"))
      .filter((f) => f.endsWith(".ipynb"))
      .sort()
  : [];
for (const nb of korean) {
  test(`ko/${nb}: the Korean edition runs under nbclient with its kernelspec seqlab-ko, no error, every self-check passing in Korean`, () => {
    const executed = nbclient(path.join(ROOT, "notebooks", "ko", nb), tempDir(), false);
    assert.equal(
      executed.metadata.kernelspec?.name,
      "seqlab-ko",
      "the Korean edition names the kernelspec seqlab-ko (node dist/scripts/ko-edition.js)",
    );
    const errors = executed.cells.flatMap((c, i) => errorsOf(c).map((e) => `cell ${i + 1}: ${e.ename}: ${e.evalue}`));
    assert.deepEqual(errors, []);
    for (const [c, i] of executed.cells.map((c, i) => [c, i] as const).filter(([c]) => isGradeCell(c))) {
      assert.match(shown(c), /✓ Exercise \d+\.\d+: 맞았습니다/, `cell ${i + 1}: ${JSON.stringify(shown(c))}`);
    }
  });
}

// Autograding as nbgrader does it (a grade cell passes when it raises nothing): with
// SEQLAB_GRADING=1 each unanswered self-check of the student edition raises; nothing else does.
test("graded (SEQLAB_GRADING=1), every self-check of an unanswered student edition fails, and only those", () => {
  const nb = "00-kernel-tour.ipynb";
  const dir = tempDir();
  const made = spawnSync(process.execPath, [CLI, "assignment", path.join(ROOT, "notebooks", nb), "--out", path.join(dir, "student")], {
    encoding: "utf8",
  });
  assert.equal(made.status, 0, made.stderr);
  const executed = nbclient(path.join(dir, "student", nb), path.join(dir, "graded"), true, { SEQLAB_GRADING: "1" });
  const graded = executed.cells.filter(isGradeCell);
  assert.ok(graded.length >= 3);
  for (const c of graded) assert.match(errorsOf(c)[0]?.evalue ?? "", /✗ Exercise \d+\.\d+: not yet/);
  const others = executed.cells.filter((c) => !isGradeCell(c)).flatMap(errorsOf);
  assert.deepEqual(
    others.map((e) => e.evalue),
    [],
  );
});
