// What `seqlab run` and `seqlab export` refuse, and the errors they give for malformed notebooks:
// each names the file (and the cell) and what was wrong, and a refused command changes no file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { linkSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { CLI, tempDir } from "../support/tools";
import { code, markdown, notebook, writeNotebook } from "../browser/fixtures";

const seqlab = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });

/** A notebook written for another kernel (metadata as Jupyter writes it). */
const foreign = (kernelspec: Record<string, string> | undefined, language: string | undefined) => {
  const nb: any = notebook([code("print('hello')", [{ output_type: "stream", name: "stdout", text: ["hello\n"] }], 1)]);
  if (kernelspec) nb.metadata.kernelspec = kernelspec;
  else delete nb.metadata.kernelspec;
  if (language) nb.metadata.language_info = { name: language };
  else delete nb.metadata.language_info;
  return nb;
};

test("run refuses a notebook for another kernel, naming its kernel and language and what was expected, and leaves it as it was", () => {
  const dir = tempDir();
  const cases: [string, any, RegExp][] = [
    [
      "python.ipynb",
      foreign({ name: "python3", display_name: "Python 3 (ipykernel)", language: "python" }, "python"),
      /kernel "python3", language "python"/,
    ],
    [
      "tslab.ipynb",
      foreign({ name: "tslab", display_name: "TypeScript", language: "typescript" }, "typescript"),
      /kernel "tslab", language "typescript"/,
    ],
    ["lang-only.ipynb", foreign(undefined, "python"), /kernel "\(none\)", language "python"/],
    [
      "mixed.ipynb",
      foreign({ name: "seqlab", display_name: "TypeScript (seqlab)", language: "typescript" }, "R"),
      /kernel "seqlab", language "R"/,
    ],
  ];
  for (const [name, nb, has] of cases) {
    const file = writeNotebook(dir, name, nb);
    const before = readFileSync(file);
    const r = seqlab("run", file);
    assert.equal(r.status, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`refusing to run ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
    assert.match(r.stderr, has);
    assert.match(r.stderr, /seqlab runs notebooks for kernel "seqlab" \(or "seqlab-ko"\), language "TypeScript"/);
    assert.match(r.stderr, /--force/);
    assert.deepEqual(readFileSync(file), before, `${name} is unchanged`);
  }
});

test("run checks every notebook before running any: one refusal and nothing is written", () => {
  const dir = tempDir();
  const good = writeNotebook(dir, "good.ipynb", notebook([code("1 + 1")]));
  const bad = writeNotebook(dir, "python.ipynb", foreign({ name: "python3", display_name: "Python 3", language: "python" }, "python"));
  const before = readFileSync(good);
  const r = seqlab("run", good, bad, "--html", path.join(dir, "reports"));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /python\.ipynb/);
  assert.deepEqual(readFileSync(good), before, "the good notebook was not run either");
});

test("run --force runs another kernel's notebook as TypeScript and says so in the kernelspec", () => {
  const dir = tempDir();
  const nb = foreign({ name: "python3", display_name: "Python 3", language: "python" }, "python");
  nb.cells = [code("6 * 7")];
  const file = writeNotebook(dir, "forced.ipynb", nb);
  const r = seqlab("run", file, "--force");
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(readFileSync(file, "utf8"));
  assert.equal(out.metadata.kernelspec.name, "seqlab");
  assert.deepEqual(out.cells[0].outputs[0].data["text/plain"], ["42"]);
});

test("export refuses to write over its notebook or over any notebook, and leaves it as it was", () => {
  const dir = tempDir();
  const file = writeNotebook(dir, "nb.ipynb", notebook([markdown("# Keep me")]));
  const other = writeNotebook(dir, "other.ipynb", notebook([markdown("# Me too")]));
  const disguised = writeNotebook(dir, "disguised.html", notebook([markdown("# A notebook named .html")]));
  const hardLink = path.join(dir, "nb-link.html");
  linkSync(file, hardLink);
  const before = [file, other, disguised].map((f) => readFileSync(f));
  const cases: [string, RegExp][] = [
    [file, /refusing to export .*nb\.ipynb: the report .*nb\.ipynb would be written over a notebook \(\.ipynb\)/],
    [other, /would be written over a notebook \(\.ipynb\)/],
    [path.join(dir, "NEW.IPYNB"), /would be written over a notebook/],
    [disguised, /disguised\.html holds a notebook \(nbformat JSON\); a report is not written over it/],
    [hardLink, /nb-link\.html is the notebook .*nb\.ipynb itself/],
  ];
  for (const [out, why] of cases) {
    const r = seqlab("export", file, "-o", out);
    assert.equal(r.status, 2, `-o ${out}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, why);
  }
  assert.deepEqual(
    [file, other, disguised].map((f) => readFileSync(f)),
    before,
  );
  mkdirSync(path.join(dir, "folder.html"));
  assert.match(
    seqlab("export", file, "-o", path.join(dir, "folder.html")).stderr,
    /folder\.html is a folder; give a file name ending in \.html/,
  );
});

test("a malformed notebook: the error names the file and the cell, for export and for run", () => {
  const dir = tempDir();
  const good = notebook([markdown("# ok"), code("1")]);
  const cases: [string, unknown, RegExp][] = [
    [
      "null-cell.ipynb",
      { ...good, cells: [good.cells[0], null] },
      /null-cell\.ipynb: cell 2 \(cells\[1\]\) is null; expected an object with "cell_type" and "source"/,
    ],
    [
      "bad-type.ipynb",
      { ...good, cells: [{ cell_type: "heading", source: "x", metadata: {} }] },
      /bad-type\.ipynb: cell 1 \(cells\[0\]\) has cell_type "heading"; expected "code", "markdown" or "raw"/,
    ],
    [
      "bad-source.ipynb",
      { ...good, cells: [{ cell_type: "markdown", source: 42, metadata: {} }] },
      /bad-source\.ipynb: cell 1 \(cells\[0\]\) has a source that is number; expected a string or a list of strings/,
    ],
    [
      "null-output.ipynb",
      { ...good, cells: [good.cells[0], { ...good.cells[1], outputs: [null] }] },
      /null-output\.ipynb: cell 2 \(cells\[1\]\), output 1 is null; expected an object with "output_type"/,
    ],
    [
      "bad-data.ipynb",
      { ...good, cells: [{ ...good.cells[1], outputs: [{ output_type: "display_data", data: "x" }] }] },
      /bad-data\.ipynb: cell 1 \(cells\[0\]\), output 1 has data that is the string "x"; expected an object/,
    ],
    ["nbformat3.ipynb", { nbformat: 3, worksheets: [] }, /nbformat3\.ipynb is not an nbformat 4 notebook: its nbformat is 3/],
  ];
  for (const [name, nb, why] of cases) {
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(nb));
    for (const args of [
      ["export", file],
      ["run", file],
    ]) {
      const r = seqlab(...args);
      assert.equal(r.status, 2, `${args[0]} ${name}: ${r.stderr}`);
      assert.match(r.stderr, why, `${args[0]} ${name}`);
    }
  }
  const broken = path.join(dir, "broken.ipynb");
  writeFileSync(broken, '{\n "nbformat": 4,\n "cells": [\n  {"cell_type": "code",}\n ]\n}\n');
  for (const cmd of ["export", "run"]) {
    const r = seqlab(cmd, broken);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /broken\.ipynb is not a readable notebook: invalid JSON at line 4, column 24 \(.+\)/);
  }
  const folder = path.join(dir, "folder.ipynb");
  mkdirSync(folder);
  assert.match(seqlab("export", folder).stderr, /folder\.ipynb is a folder, not a notebook/);
});

test("run names a bad --out or --html: a file where a folder is expected", () => {
  const dir = tempDir();
  const file = writeNotebook(dir, "nb.ipynb", notebook([code("1")]));
  const plain = path.join(dir, "plain.txt");
  writeFileSync(plain, "x");
  for (const flag of ["--out", "--html"]) {
    const r = seqlab("run", file, flag, plain);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`${flag} .*plain\\.txt is a file; expected a folder`));
  }
});
