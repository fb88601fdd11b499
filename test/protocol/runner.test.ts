// `seqlab run`: a notebook that fails names the notebook, the cell and the error, and the
// executed notebook is still written (valid nbformat 4, outputs up to the failure).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { CLI, tempDir } from "../support/tools";

const cell = (cell_type: string, source: string) => ({ cell_type, source, metadata: {}, ...(cell_type === "code" ? { outputs: [], execution_count: null } : {}) });

function notebook(cells: any[]): string {
  const dir = tempDir();
  const file = path.join(dir, "demo.ipynb");
  writeFileSync(file, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }));
  return file;
}

test("a failing cell fails the run, naming notebook, cell and error", () => {
  const file = notebook([cell("markdown", "# t"), cell("code", "let a = 1;\nconsole.log('before')"), cell("code", "throw new TypeError('bad input shape')"), cell("code", "a + 1")]);
  const out = tempDir();
  const r = spawnSync(process.execPath, [CLI, "run", file, "--out", out], { encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /demo\.ipynb: cell 3 \(code cell 2\) failed: TypeError: bad input shape/);
  const nb = JSON.parse(readFileSync(path.join(out, "demo.ipynb"), "utf8"));
  assert.equal(nb.nbformat, 4);
  assert.equal(nb.metadata.kernelspec.name, "seqlab");
  assert.deepEqual(nb.cells[1].outputs, [{ output_type: "stream", name: "stdout", text: ["before\n"] }]);
  assert.equal(nb.cells[2].outputs[0].output_type, "error");
  assert.equal(nb.cells[3].execution_count, null, "cells after the failure are not run");
});

test("--timeout interrupts a cell that runs too long", () => {
  const file = notebook([cell("code", "while (true) {}")]);
  const r = spawnSync(process.execPath, [CLI, "run", file, "--timeout", "1"], { encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cell 1 \(code cell 1\) failed: timed out after 1 s/);
});

test("display updates are applied to the saved output, results and counts recorded", () => {
  const file = notebook([
    cell("code", 'import { display } from "seqlab";\ndisplay({"text/plain": "0%"}, {displayId: "p"});\ndisplay({"text/plain": "100%"}, {displayId: "p", update: true});\n6 * 7'),
  ]);
  const r = spawnSync(process.execPath, [CLI, "run", file], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const nb = JSON.parse(readFileSync(file, "utf8"));
  assert.deepEqual(nb.cells[0].outputs, [
    { output_type: "display_data", data: { "text/plain": ["100%"] }, metadata: {} },
    { output_type: "execute_result", execution_count: 1, data: { "text/plain": ["42"] }, metadata: {} },
  ]);
  assert.equal(nb.cells[0].execution_count, 1);
});
