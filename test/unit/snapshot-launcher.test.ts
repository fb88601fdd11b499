// The kernelspec's launcher (kernel/server/snapshotblob.ts): which start-up snapshot it hands node, read
// from a stub "node" that prints its arguments (a real node would abort on a blob that is not its
// own, so the stub stands in for it; the package suite starts real kernels through it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { chmodSync, mkdirSync, writeFileSync } from "fs";
import * as path from "path";
import { identity, KERNEL_NODE_FLAGS, kernelspecLauncher, userSnapshotDir } from "../../kernel/server/snapshotblob";
import { tempDir } from "../support/tools";

const posix = process.platform !== "win32";

function setUp() {
  const root = tempDir("seqlab-launcher-");
  const home = path.join(root, "home");
  mkdirSync(home);
  const node = path.join(root, "node");
  writeFileSync(node, '#!/bin/sh\necho "args: $*"\necho "missing: ${SEQLAB_SNAPSHOT_MISSING:-}"\n');
  chmodSync(node, 0o755);
  const launcher = path.join(root, "kernel.sh");
  writeFileSync(launcher, kernelspecLauncher());
  /** Run the launcher as Jupyter would, with this environment on top of a clean one. */
  const run = (env: Record<string, string>) => {
    const r = spawnSync("/bin/sh", [launcher, node, "/pkg/cli.js", "kernel", "-f", "conn.json"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH!, HOME: home, ...env },
    });
    assert.equal(r.status, 0, r.stderr);
    const args = r.stdout.match(/^args: (.*)$/m)![1];
    return { blob: args.match(/--snapshot-blob (\S+)/)?.[1], args, missing: r.stdout.match(/^missing: (.*)$/m)![1] };
  };
  /** A blob (not a real one: the stub never reads it) in `dir`, recorded as built by `forNode`. */
  const blob = (dir: string, forNode = node) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "kernel.blob"), "stub");
    writeFileSync(path.join(dir, "node.id"), identity(forNode) + "\n");
    return path.join(dir, "kernel.blob");
  };
  return { root, home, node, run, blob };
}

test("no snapshot for this node: the kernel starts without one and is told to build it", { skip: !posix && "POSIX launcher" }, () => {
  const { run } = setUp();
  const r = run({});
  assert.equal(r.blob, undefined);
  assert.equal(r.args, `${KERNEL_NODE_FLAGS.join(" ")} /pkg/cli.js kernel -f conn.json`);
  assert.equal(r.missing, "1");
});

test(
  "a blob built by this node in the user's cache is used (a package folder the user cannot write)",
  { skip: !posix && "POSIX launcher" },
  () => {
    const { run, blob, home } = setUp();
    const file = blob(userSnapshotDir({ HOME: home }));
    assert.ok(file.startsWith(path.join(home, ".cache", "seqlab", "snapshot")), file);
    const r = run({});
    assert.equal(r.blob, file);
    assert.equal(r.args, `--snapshot-blob ${file} /pkg/cli.js kernel -f conn.json`);
    assert.equal(r.missing, "");
  },
);

test("XDG_CACHE_HOME moves the user's cache, for the launcher as for the builder", { skip: !posix && "POSIX launcher" }, () => {
  const { run, blob, root, home } = setUp();
  const xdg = path.join(root, "xdg");
  const file = blob(userSnapshotDir({ HOME: home, XDG_CACHE_HOME: xdg }));
  assert.ok(file.startsWith(xdg), file);
  assert.equal(run({ XDG_CACHE_HOME: xdg }).blob, file);
  assert.equal(run({}).blob, undefined, "without XDG_CACHE_HOME the blob is not where the launcher looks");
});

test(
  "a blob that another node binary built (node upgraded) is not used, and a new one is asked for",
  { skip: !posix && "POSIX launcher" },
  () => {
    const { run, blob, home, root } = setUp();
    const other = path.join(root, "other-node");
    writeFileSync(other, "another binary, another size");
    blob(userSnapshotDir({ HOME: home }), other);
    const r = run({});
    assert.equal(r.blob, undefined);
    assert.equal(r.missing, "1");
  },
);

test("NODE_OPTIONS or SEQLAB_SNAPSHOT=off: no snapshot, and none is built", { skip: !posix && "POSIX launcher" }, () => {
  const { run, blob, home } = setUp();
  blob(userSnapshotDir({ HOME: home }));
  for (const env of [{ NODE_OPTIONS: "--max-old-space-size=3000" }, { SEQLAB_SNAPSHOT: "off" }] as Record<string, string>[]) {
    const r = run(env);
    assert.equal(r.blob, undefined, JSON.stringify(env));
    assert.equal(r.missing, "", JSON.stringify(env));
  }
});
