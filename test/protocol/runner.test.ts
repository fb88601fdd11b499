// `seqlab run`: a notebook that fails names the notebook, the cell and the error, and the
// executed notebook is still written (valid nbformat 4, outputs up to the failure).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { readdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { CLI, tempDir } from "../support/tools";

const cell = (cell_type: string, source: string) => ({
  cell_type,
  source,
  metadata: {},
  ...(cell_type === "code" ? { outputs: [], execution_count: null } : {}),
});

function notebook(cells: any[]): string {
  const dir = tempDir();
  const file = path.join(dir, "demo.ipynb");
  writeFileSync(file, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }));
  return file;
}

test("a failing cell fails the run, naming notebook, cell and error", () => {
  const file = notebook([
    cell("markdown", "# t"),
    cell("code", "let a = 1;\nconsole.log('before')"),
    cell("code", "throw new TypeError('bad input shape')"),
    cell("code", "a + 1"),
  ]);
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
    cell(
      "code",
      'import { display } from "seqlab";\ndisplay({"text/plain": "0%"}, {displayId: "p"});\ndisplay({"text/plain": "100%"}, {displayId: "p", update: true});\n6 * 7',
    ),
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

test("--record DIR writes each notebook's output messages with their times, in order, per cell", () => {
  const file = notebook([
    cell("markdown", "# t"),
    cell("code", 'console.log("a")'),
    cell(
      "code",
      'import { display, clearOutput } from "seqlab";\n' +
        'display({"text/plain": "0%"}, {displayId: "p"});\n' +
        "await new Promise((r) => setTimeout(r, 300));\n" +
        'display({"text/plain": "100%"}, {displayId: "p", update: true});\n' +
        'clearOutput({wait: true});\nconsole.log("b");\n6 * 7',
    ),
  ]);
  const rec = path.join(tempDir(), "rec", "deeper"); // created as needed
  const r = spawnSync(process.execPath, [CLI, "run", file, "--out", tempDir(), "--record", rec], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const lines = readFileSync(path.join(rec, "demo.messages.jsonl"), "utf8").split("\n");
  assert.equal(lines.pop(), "", "one JSON object a line, each ended by a newline");
  const msgs = lines.map((l) => JSON.parse(l));
  // the kernel's output messages only (no status or execute_input), with the notebook's cell index
  assert.deepEqual(
    msgs.map((m) => [m.cell, m.msg_type]),
    [
      [1, "stream"],
      [2, "display_data"],
      [2, "update_display_data"],
      [2, "clear_output"],
      [2, "stream"],
      [2, "execute_result"],
    ],
  );
  assert.deepEqual(msgs[1].content.data, { "text/plain": "0%" });
  assert.equal(msgs[2].content.transient.display_id, msgs[1].content.transient.display_id, "updates name their display");
  assert.deepEqual(msgs[3].content, { wait: true });
  assert.equal(msgs[5].content.data["text/plain"], "42");
  for (const m of msgs) assert.ok(Number.isInteger(m.t) && m.t >= 0, `t is whole ms: ${m.t}`);
  for (let i = 1; i < msgs.length; i++) assert.ok(msgs[i].t >= msgs[i - 1].t, "times in order");
  // times are the kernel's sending times, so the cell's 300 ms wait shows whatever the load
  assert.ok(msgs[2].t - msgs[1].t >= 295, `the update was sent ${msgs[2].t - msgs[1].t} ms after the display (the cell waited 300 ms)`);
  // without --record nothing is written beside the notebook
  const plain = notebook([cell("code", "1")]);
  assert.equal(spawnSync(process.execPath, [CLI, "run", plain], { encoding: "utf8" }).status, 0);
  assert.ok(!readdirSync(path.dirname(plain)).some((f) => f.endsWith(".jsonl")));
});

test("--record naming a file is refused before anything runs", () => {
  const file = notebook([cell("code", "1")]);
  const before = readFileSync(file, "utf8");
  const r = spawnSync(process.execPath, [CLI, "run", file, "--record", file], { encoding: "utf8" });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--record .*demo\.ipynb is a file; expected a folder/);
  assert.equal(readFileSync(file, "utf8"), before, "the notebook was not run");
});
