import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { existsSync, readFileSync } from "fs";
import * as path from "path";
import { KERNEL_NODE_FLAGS } from "../../kernel/server/snapshotblob";
import { CLI, tempDir } from "../support/tools";

const seqlab = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });

test("--help lists the commands", () => {
  const r = seqlab("--help");
  assert.equal(r.status, 0);
  for (const c of ["install", "kernel", "run"]) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
});

test("wrong arguments fail with a message naming what was wrong", () => {
  const unknown = seqlab("frobnicate");
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  const both = seqlab("install", "--user", "--prefix", "/tmp/x");
  assert.notEqual(both.status, 0);
  assert.match(both.stderr, /choose one of --user, --sys-prefix and --prefix/);
  const timeout = seqlab("run", "x.ipynb", "--timeout", "soon");
  assert.notEqual(timeout.status, 0);
  assert.match(timeout.stderr, /positive number of seconds, got "soon"/);
  const missing = seqlab("run", "/nonexistent/nb.ipynb");
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /no such notebook: \/nonexistent\/nb.ipynb/);
  const noFile = seqlab("kernel");
  assert.notEqual(noFile.status, 0);
  assert.match(noFile.stderr, /--connection-file/);
});

test("install --prefix writes a kernelspec that starts this package's kernel by absolute paths, through its launcher", () => {
  const prefix = tempDir();
  const r = seqlab("install", "--prefix", prefix, "--no-snapshot");
  assert.equal(r.status, 0, r.stderr);
  const dir = path.join(prefix, "share/jupyter/kernels/seqlab");
  const spec = JSON.parse(readFileSync(path.join(dir, "kernel.json"), "utf8"));
  assert.equal(spec.display_name, "TypeScript (seqlab)");
  assert.equal(spec.language, "typescript");
  // On POSIX through the launcher beside kernel.json, which picks a start-up snapshot built for
  // this node wherever and whenever it was built (kernel/server/snapshotblob.ts); this node and this
  // package's cli.js, by absolute paths.
  const launcher = path.join(dir, "kernel.sh");
  const command =
    process.platform === "win32" ? [process.execPath, ...KERNEL_NODE_FLAGS, CLI] : ["/bin/sh", launcher, process.execPath, CLI];
  assert.deepEqual(spec.argv.slice(0, command.length), command);
  assert.deepEqual(spec.argv.slice(command.length), ["kernel", "-f", "{connection_file}"]);
  if (process.platform !== "win32") {
    const text = readFileSync(launcher, "utf8");
    assert.ok(
      text.includes(`'${path.join(path.dirname(CLI), "..", "server", "snapshot")}'`),
      `the launcher looks in the package's snapshot folder:\n${text}`,
    );
    assert.match(text, /"\$\{XDG_CACHE_HOME:-\$HOME\/\.cache\}\/seqlab\/snapshot\/[^"]+"/, "and in the cache of the user who runs it");
    assert.ok(existsSync(launcher));
  }
});
