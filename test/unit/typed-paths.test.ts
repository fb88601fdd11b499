// Paths as typed: which folder a relative path on the command line is read against.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import { absoluteDataEnv, PACKAGE_ROOT, typedCwd, typedPath } from "../../kernel/tools/typed-paths";
import { tempDir } from "../support/tools";

test("under npm start (run in the package root) the folder where it was typed is INIT_CWD", () => {
  const typed = tempDir();
  const env = { npm_lifecycle_event: "start", INIT_CWD: typed };
  assert.equal(typedCwd(env, PACKAGE_ROOT), typed);
  assert.equal(typedPath("nb/a.ipynb", env, PACKAGE_ROOT), path.join(typed, "nb", "a.ipynb"));
});

test("an INIT_CWD inherited by a process with its own working folder, or from another script, is ignored", () => {
  const elsewhere = tempDir();
  const cwd = tempDir();
  assert.equal(typedCwd({ npm_lifecycle_event: "start", INIT_CWD: elsewhere }, cwd), cwd);
  assert.equal(typedCwd({ npm_lifecycle_event: "test", INIT_CWD: elsewhere }, PACKAGE_ROOT), PACKAGE_ROOT);
  assert.equal(typedCwd({}, cwd), cwd);
});

test("a relative SEQLAB_DATA is made absolute where it was typed; an absolute one is kept; unset stays unset", () => {
  const typed = tempDir();
  const env: NodeJS.ProcessEnv = { npm_lifecycle_event: "start", INIT_CWD: typed, SEQLAB_DATA: "../corpora" };
  assert.equal(absoluteDataEnv(env, PACKAGE_ROOT), path.resolve(typed, "..", "corpora"));
  assert.equal(env.SEQLAB_DATA, path.resolve(typed, "..", "corpora"));
  const abs: NodeJS.ProcessEnv = { SEQLAB_DATA: "/data/mirror" };
  assert.equal(absoluteDataEnv(abs, typed), "/data/mirror");
  const unset: NodeJS.ProcessEnv = {};
  assert.equal(absoluteDataEnv(unset, typed), undefined);
  assert.equal("SEQLAB_DATA" in unset, false);
});
