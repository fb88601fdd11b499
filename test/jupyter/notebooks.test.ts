// The introductory notebooks run top to bottom with no error output under Debian's nbclient
// (`jupyter nbconvert --execute`) and under our own runner (`seqlab run`). Every notebook of the
// course runs (quick mode) under `seqlab run --html` in the browser suite, which checks its report;
// running the training notebooks twice more here would double CI's time for no new check.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { readdirSync, readFileSync } from "fs";
import * as path from "path";
import { CLI, kernelspecEnv, ROOT, tempDir } from "../support/tools";

const notebooks = readdirSync(path.join(ROOT, "notebooks")).filter((f) => /^00-.*\.ipynb$/.test(f)).sort();
const env = { ...kernelspecEnv(), SEQLAB_QUICK: "1" };

function errorsIn(file: string): string[] {
  const nb = JSON.parse(readFileSync(file, "utf8"));
  const out: string[] = [];
  nb.cells.forEach((c: any, i: number) => {
    for (const o of c.outputs ?? []) if (o.output_type === "error") out.push(`cell ${i + 1}: ${o.ename}: ${o.evalue}`);
  });
  return out;
}

for (const nb of notebooks) {
  test(`nbclient executes ${nb} with no error output`, () => {
    const out = tempDir();
    const r = spawnSync("jupyter", ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=600", "--output-dir", out, path.join(ROOT, "notebooks", nb)], {
      env,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(errorsIn(path.join(out, nb)), []);
  });

  test(`seqlab run executes ${nb} with no error output`, () => {
    const out = tempDir();
    const r = spawnSync(process.execPath, [CLI, "run", path.join(ROOT, "notebooks", nb), "--out", out], { env, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const executed = JSON.parse(readFileSync(path.join(out, nb), "utf8"));
    assert.ok(executed.cells.filter((c: any) => c.cell_type === "code").every((c: any) => typeof c.execution_count === "number"));
    assert.deepEqual(errorsIn(path.join(out, nb)), []);
  });
}
