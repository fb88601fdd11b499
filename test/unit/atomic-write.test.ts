// Notebooks and reports are replaced atomically: a `seqlab run` or `seqlab export` stopped in the
// middle of writing leaves the old file byte for byte. The write is made to fail for real: the
// command runs under a file-size limit (ulimit -f) smaller than what it writes, so the kernel
// stops it at the write (SIGXFSZ, or EFBIG where the signal is handled) after part of the file is
// on disk.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { writeFileAtomic } from "../../kernel/server/atomic-write";
import { CLI, tempDir } from "../support/tools";
import { code, markdown, notebook, writeNotebook } from "../browser/fixtures";

const LIMIT_KB = 2048;
/** Run the CLI with a file-size limit of LIMIT_KB. */
const limited = (...args: string[]) =>
  spawnSync("/bin/bash", ["-c", `ulimit -f ${LIMIT_KB} && exec "$0" "$@"`, process.execPath, CLI, ...args], {
    encoding: "utf8",
    timeout: 120_000,
  });

/** A notebook larger than the limit (a long markdown cell), with one quick code cell. */
const bigNotebook = () =>
  notebook([markdown(`# Big\n\n${"넓은 여백 (a wide margin). ".repeat(Math.ceil((LIMIT_KB * 1024 * 2) / 30))}`), code("1 + 1")]);

const stoppedAtWrite = (r: ReturnType<typeof spawnSync>, file: string) => {
  assert.notEqual(r.status, 0, "the command failed");
  // Killed by the signal, or it handled the signal and reported the failed write.
  if (r.signal === null)
    assert.match(
      String(r.stderr),
      new RegExp(`could not write the \\w+ ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: .*the previous file is unchanged`),
    );
  else assert.equal(r.signal, "SIGXFSZ");
};

test(
  "a run stopped while it writes the notebook leaves the old notebook byte for byte",
  { skip: process.platform === "win32" && "needs ulimit" },
  () => {
    const dir = tempDir();
    const file = writeNotebook(dir, "big.ipynb", bigNotebook());
    const before = readFileSync(file);
    assert.ok(before.length > LIMIT_KB * 1024, "the notebook is over the limit");
    const r = limited("run", file);
    stoppedAtWrite(r, file);
    assert.ok(Buffer.compare(readFileSync(file), before) === 0, "the notebook is unchanged");
    // Without the limit the same run succeeds (so it was the write that was stopped).
    const ok = spawnSync(process.execPath, [CLI, "run", file], { encoding: "utf8" });
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(JSON.parse(readFileSync(file, "utf8")).cells[1].outputs[0].data["text/plain"], ["2"]);
  },
);

test(
  "an export stopped while it writes the report leaves the old report byte for byte",
  { skip: process.platform === "win32" && "needs ulimit" },
  () => {
    const dir = tempDir();
    const file = writeNotebook(dir, "big.ipynb", bigNotebook());
    const report = path.join(dir, "big.html");
    writeFileSync(report, "<!DOCTYPE html><p>the report handed in yesterday</p>\n");
    const before = readFileSync(report);
    const r = limited("export", file);
    stoppedAtWrite(r, report);
    assert.ok(Buffer.compare(readFileSync(report), before) === 0, "the report is unchanged");
    const ok = spawnSync(process.execPath, [CLI, "export", file], { encoding: "utf8" });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(readFileSync(report, "utf8"), /^<!DOCTYPE html>[\s\S]*넓은 여백/);
  },
);

test(
  "a write that fails part way (EFBIG) reports the file, keeps the old one and leaves no temporary file",
  { skip: process.platform === "win32" && "needs ulimit" },
  () => {
    const dir = tempDir();
    const file = path.join(dir, "nb.ipynb");
    writeFileSync(file, "old notebook\n");
    // With SIGXFSZ handled, the kernel returns a short write and then EFBIG instead of killing.
    const script =
      `process.on("SIGXFSZ", () => {});` +
      `const { writeFileAtomic } = require(${JSON.stringify(require.resolve("../../kernel/server/atomic-write"))});` +
      `try { writeFileAtomic(${JSON.stringify(file)}, "x".repeat(${LIMIT_KB * 1024 * 2}), "notebook"); } catch (e) { console.error(e.message); process.exit(3); }`;
    const r = spawnSync("/bin/bash", ["-c", `ulimit -f ${LIMIT_KB} && exec "$0" "$@"`, process.execPath, "-e", script], {
      encoding: "utf8",
    });
    assert.equal(r.status, 3, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `could not write the notebook ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: the file is larger than this process may write \\(ulimit -f\\) \\(EFBIG\\); the previous file is unchanged`,
      ),
    );
    assert.equal(readFileSync(file, "utf8"), "old notebook\n");
    assert.deepEqual(readdirSync(dir), ["nb.ipynb"], "no temporary file left");
  },
);

test("writeFileAtomic names the file and says nothing was written when it cannot write", () => {
  const dir = tempDir();
  // a folder where the file should be
  assert.throws(
    () => writeFileAtomic(dir, "x", "notebook"),
    new RegExp(
      `could not write the notebook ${dir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: .*is a folder.*the previous file is unchanged`,
    ),
  );
  // a file where a folder should be
  const plain = path.join(dir, "plain");
  writeFileSync(plain, "x");
  assert.throws(
    () => writeFileAtomic(path.join(plain, "nb.ipynb"), "x", "notebook"),
    /could not create the folder .*plain for the notebook .*plain\/nb\.ipynb/,
  );
  // a good write leaves no temporary file behind
  writeFileAtomic(path.join(dir, "ok.ipynb"), "{}", "notebook");
  assert.deepEqual(readdirSync(dir).sort(), ["ok.ipynb", "plain"]);
  assert.ok(existsSync(path.join(dir, "ok.ipynb")));
});
