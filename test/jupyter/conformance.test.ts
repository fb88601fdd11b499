// jupyter_kernel_test (Debian's 0.4.5) against the installed seqlab kernelspec: each of its tests
// becomes one of ours, so the summary counts them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as path from "path";
import { kernelspecEnv, python, ROOT } from "../support/tools";

const run = spawnSync(python()!, ["-m", "unittest", "-v", "kernel_test"], {
  cwd: path.join(ROOT, "test", "jupyter"),
  env: kernelspecEnv(),
  encoding: "utf8",
  timeout: 300_000,
});
const results = [...run.stderr.matchAll(/^(test_\w+) \([\w.]+\) \.\.\. (ok|FAIL|ERROR|skipped.*)$/gm)];

test("jupyter_kernel_test ran all twelve of its tests", () => {
  assert.equal(results.length, 12, run.stderr);
});

for (const [, name, outcome] of results) {
  test(`jupyter_kernel_test ${name}`, () => {
    assert.equal(outcome, "ok", run.stderr);
  });
}
