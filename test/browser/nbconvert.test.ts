// Jupyter's own HTML export (Debian's nbconvert 6.5) of our chart bundle: it cannot draw the
// vega-lite spec, so the PNG beside it must be what it shows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import * as path from "path";
import { tempDir } from "../support/tools";
import { code, notebook, vegaLiteOutput, writeNotebook } from "./fixtures";

const ci = process.env.CI === "true" || process.env.CI === "1";
const probe = spawnSync("jupyter", ["nbconvert", "--version"], { encoding: "utf8" });
const missing =
  probe.error || probe.status !== 0
    ? `jupyter nbconvert is not available on PATH (${probe.error?.message ?? probe.stderr.trim()}); install Debian's jupyter-nbconvert`
    : undefined;

test("nbconvert --to html shows the PNG of a vega-lite + PNG chart bundle", { skip: !ci && missing ? missing : false }, () => {
  assert.equal(missing, undefined, missing);
  const dir = tempDir();
  const file = writeNotebook(dir, "chart.ipynb", notebook([code("lineChart(xs)", [vegaLiteOutput()], 1)]));
  const r = spawnSync("jupyter", ["nbconvert", "--to", "html", "--output-dir", dir, file], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(path.join(dir, "chart.html"), "utf8");
  assert.match(html, /<img src="data:image\/png;base64,iVBORw0KGgo/);
  assert.doesNotMatch(html, /Chart\(line, 12 points\)/, "the PNG, not the text fallback");
});
