// `seqlab course [DIR]`: copies the course, updates copies nobody touched, never overwrites a
// notebook the student changed, and names the file in every refusal and error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { copyCourse, courseNotebooks, MANIFEST } from "../../kernel/tools/course-copy";
import { CLI, ROOT, tempDir } from "../support/tools";

const nb = (text: string) =>
  JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "markdown", metadata: {}, source: text }] }) + "\n";

/** A course folder of two notebooks, and a Korean edition when `ko`. */
function course(ko = false): string {
  const src = tempDir("seqlab-course-src-");
  writeFileSync(path.join(src, "00-a.ipynb"), nb("a"));
  writeFileSync(path.join(src, "01-b.ipynb"), nb("b"));
  writeFileSync(path.join(src, "timings.json"), "{}");
  if (ko) {
    mkdirSync(path.join(src, "ko"));
    writeFileSync(path.join(src, "ko", "00-a.ipynb"), nb("가"));
  }
  return src;
}

test("copies every notebook (and ko/ when there is one), only notebooks, with a manifest", () => {
  const src = course(true);
  const dir = path.join(tempDir(), "mine");
  const r = copyCourse(dir, src);
  assert.deepEqual(r.copied, ["00-a.ipynb", "01-b.ipynb", "ko/00-a.ipynb"]);
  assert.equal(readFileSync(path.join(dir, "ko", "00-a.ipynb"), "utf8"), nb("가"));
  assert.ok(!existsSync(path.join(dir, "timings.json")));
  const m = JSON.parse(readFileSync(path.join(dir, MANIFEST), "utf8"));
  assert.deepEqual(Object.keys(m.files), ["00-a.ipynb", "01-b.ipynb", "ko/00-a.ipynb"]);
  assert.match(m.files["00-a.ipynb"], /^[0-9a-f]{64}$/);
});

test("without ko/ only the English notebooks", () => {
  assert.deepEqual(courseNotebooks(course(false)), ["00-a.ipynb", "01-b.ipynb"]);
});

test("every folder inside, at any depth, in name order after the folder's own notebooks; hidden ones and other files left out", () => {
  const src = course(true);
  mkdirSync(path.join(src, "ko", "extra"), { recursive: true });
  writeFileSync(path.join(src, "ko", "extra", "01-x.ipynb"), nb("x"));
  writeFileSync(path.join(src, "ko", "extra", "data.csv"), "a,b\n");
  mkdirSync(path.join(src, "appendix"));
  writeFileSync(path.join(src, "appendix", "99-z.ipynb"), nb("z"));
  mkdirSync(path.join(src, ".ipynb_checkpoints"));
  writeFileSync(path.join(src, ".ipynb_checkpoints", "00-a-checkpoint.ipynb"), nb("old"));
  writeFileSync(path.join(src, "ko", ".hidden.ipynb"), nb("h"));
  const expected = ["00-a.ipynb", "01-b.ipynb", "appendix/99-z.ipynb", "ko/00-a.ipynb", "ko/extra/01-x.ipynb"];
  assert.deepEqual(courseNotebooks(src), expected);
  const dir = path.join(tempDir(), "mine");
  assert.deepEqual(copyCourse(dir, src).copied, expected);
  assert.equal(readFileSync(path.join(dir, "ko", "extra", "01-x.ipynb"), "utf8"), nb("x"));
  assert.ok(!existsSync(path.join(dir, ".ipynb_checkpoints")));
  assert.deepEqual(copyCourse(dir, src).unchanged, expected);
});

test("a second run changes nothing; a new course version replaces copies nobody touched", () => {
  const src = course();
  const dir = tempDir();
  copyCourse(dir, src);
  const again = copyCourse(dir, src);
  assert.deepEqual([again.copied, again.updated, again.refused], [[], [], []]);
  assert.deepEqual(again.unchanged, ["00-a.ipynb", "01-b.ipynb"]);
  writeFileSync(path.join(src, "00-a.ipynb"), nb("a, revised"));
  const update = copyCourse(dir, src);
  assert.deepEqual(update.updated, ["00-a.ipynb"]);
  assert.equal(readFileSync(path.join(dir, "00-a.ipynb"), "utf8"), nb("a, revised"));
  // and the manifest follows, so the next revision updates it again
  writeFileSync(path.join(src, "00-a.ipynb"), nb("a, revised twice"));
  assert.deepEqual(copyCourse(dir, src).updated, ["00-a.ipynb"]);
});

test("a notebook the student changed is kept, byte for byte, and named", () => {
  const src = course();
  const dir = tempDir();
  copyCourse(dir, src);
  const mine = path.join(dir, "01-b.ipynb");
  writeFileSync(mine, nb("b, with my answers"));
  writeFileSync(path.join(src, "01-b.ipynb"), nb("b, revised"));
  const r = copyCourse(dir, src);
  assert.deepEqual(r.refused, [{ file: mine, why: "you changed it since it was copied" }]);
  assert.equal(readFileSync(mine, "utf8"), nb("b, with my answers"));
  // still refused next time (the manifest keeps what was copied, not the student's version)
  assert.equal(copyCourse(dir, src).refused.length, 1);
  // a deleted notebook comes back
  const deleted = path.join(dir, "00-a.ipynb");
  require("fs").rmSync(deleted);
  assert.deepEqual(copyCourse(dir, src).copied, ["00-a.ipynb"]);
});

test("a notebook of the same name that seqlab did not copy is kept, unless it is the course's", () => {
  const src = course();
  const dir = tempDir();
  writeFileSync(path.join(dir, "00-a.ipynb"), nb("someone else's"));
  writeFileSync(path.join(dir, "01-b.ipynb"), nb("b"));
  const r = copyCourse(dir, src);
  assert.deepEqual(
    r.refused.map((x) => [path.basename(x.file), x.why]),
    [["00-a.ipynb", `it was not copied by seqlab course (no record in ${MANIFEST})`]],
  );
  assert.deepEqual(r.unchanged, ["01-b.ipynb"]);
  assert.equal(readFileSync(path.join(dir, "00-a.ipynb"), "utf8"), nb("someone else's"));
});

test("errors name the file and what was expected", () => {
  const src = course();
  const file = path.join(tempDir(), "a-file");
  writeFileSync(file, "x");
  assert.throws(() => copyCourse(file, src), { message: `${file} is a file; expected a folder for the course's notebooks` });
  const dir = tempDir();
  writeFileSync(path.join(dir, MANIFEST), "{ not json");
  assert.throws(
    () => copyCourse(dir, src),
    (e: Error) => e.message.startsWith(`${path.join(dir, MANIFEST)} is not the course's manifest (expected JSON`),
  );
  writeFileSync(path.join(dir, MANIFEST), JSON.stringify({ files: { "00-a.ipynb": 3 } }));
  assert.throws(
    () => copyCourse(dir, src),
    /is not the course's manifest \(expected \{"seqlab": VERSION, "files": \{NOTEBOOK: SHA256\}\}\)/,
  );
});

test("seqlab course: ./seqlab-course by default, from the folder it is typed in; the package's notebooks", () => {
  const cwd = tempDir();
  const r = spawnSync(process.execPath, [CLI, "course"], { cwd, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const dir = path.join(cwd, "seqlab-course");
  const expected = courseNotebooks(path.join(ROOT, "notebooks"));
  assert.ok(expected.includes("00-kernel-tour.ipynb"));
  assert.match(
    r.stdout,
    new RegExp(`^seqlab course: ${dir}: ${expected.length} copied, 0 updated, 0 already up to date, 0 kept as they are$`, "m"),
  );
  for (const f of expected) assert.ok(existsSync(path.join(dir, f)), f);
  writeFileSync(path.join(dir, "00-kernel-tour.ipynb"), nb("my notes"));
  const again = spawnSync(process.execPath, [CLI, "course", "seqlab-course"], { cwd, encoding: "utf8" });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`kept ${path.join(dir, "00-kernel-tour.ipynb")}: you changed it since it was copied`));
});
