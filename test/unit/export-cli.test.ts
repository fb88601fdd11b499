// `seqlab export` and `seqlab run --html`: the files they write, and a failed run's report.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { existsSync, readFileSync } from "fs";
import * as path from "path";
import { CLI, tempDir } from "../support/tools";
import { chartNotebook, code, markdown, notebook, writeNotebook } from "../browser/fixtures";

const seqlab = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });

test("export writes beside the notebook by default, or to -o", () => {
  const dir = tempDir();
  const file = writeNotebook(dir, "charts.ipynb", chartNotebook());
  const r = seqlab("export", file);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /charts\.ipynb -> .*charts\.html/);
  assert.match(readFileSync(path.join(dir, "charts.html"), "utf8"), /^<!DOCTYPE html>/);
  const out = path.join(dir, "sub", "report.html");
  assert.equal(seqlab("export", file, "-o", out).status, 0);
  assert.ok(existsSync(out));
});

test("export names what was wrong with its arguments", () => {
  const missing = seqlab("export", "/nonexistent/nb.ipynb");
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no such notebook: \/nonexistent\/nb\.ipynb/);
  const dir = tempDir();
  const notNb = path.join(dir, "x.json");
  writeNotebook(dir, "x.json", notebook([]));
  assert.match(seqlab("export", notNb).stderr, /expected a \.ipynb notebook/);
  writeNotebook(dir, "bad.ipynb", { cells: "no" });
  assert.match(seqlab("export", path.join(dir, "bad.ipynb")).stderr, /not an nbformat 4 notebook/);
});

test("run --html writes a report also when a cell fails, and still fails the run", () => {
  const dir = tempDir();
  const file = writeNotebook(
    dir,
    "failing.ipynb",
    notebook([
      markdown("# Failing <run>"),
      code("console.log('<script>x</script>')"),
      code("throw new RangeError('no <b>softmax</b> of nothing')"),
      markdown("## Never shown"),
      code("1"),
    ]),
  );
  const out = path.join(dir, "out");
  const r = seqlab("run", file, "--out", out, "--html", out);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /failing\.ipynb: cell 3 \(code cell 2\) failed: RangeError: no <b>softmax<\/b> of nothing/);
  assert.ok(existsSync(path.join(out, "failing.ipynb")));
  const html = readFileSync(path.join(out, "failing.html"), "utf8");
  assert.match(
    html,
    /<div class="run-failed" role="alert">.*\(code cell 2\): RangeError: no &lt;b&gt;softmax&lt;\/b&gt; of nothing\. 1 later code cell was not run\./,
  );
  assert.match(html, /RangeError: no &lt;b&gt;softmax&lt;\/b&gt; of nothing/);
  assert.match(html, /&lt;script&gt;x&lt;\/script&gt;/);
  assert.match(html, /In&nbsp;\[2\]:/);
  assert.doesNotMatch(html, /Never shown/);
  assert.doesNotMatch(html, /<b>softmax|<script>x/);
});
