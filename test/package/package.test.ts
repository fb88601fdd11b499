// The package as a teacher installs it: `npm pack`, the tarball installed globally into an empty
// folder with an empty HOME (dependency install scripts blocked, as npm 12 does), `seqlab install
// --user`, `seqlab course`, and the course's first notebook under nbclient. Then the start-up
// snapshot: built by `seqlab install` for this node, used by the next kernel; after node is
// replaced (an upgrade), the next kernel starts without it and builds a new one in the
// background, which the kernel after it uses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from "fs";
import * as path from "path";
import { KernelClient } from "../../kernel/tools/client";
import { courseNotebooks } from "../../kernel/tools/course-copy";
import { identity } from "../../kernel/server/snapshotblob";
import { python, ROOT, tempDir } from "../support/tools";

const MAX_TARBALL = 15 * 2 ** 20;
const root = tempDir("seqlab-package-");
const home = path.join(root, "home");
const prefix = path.join(root, "prefix");
const bin = path.join(root, "bin");
/** A node binary of the user's own (a copy of this one), which the test later "upgrades". */
const node = path.join(bin, "node");
const pkg = path.join(prefix, "lib", "node_modules", "seqlab");
const seqlabBin = path.join(prefix, "bin", "seqlab");

/** The user's shell: an empty HOME, their node and the installed seqlab first on PATH, nothing of this repository or of npm test. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|INIT_CWD$|SEQLAB_|JUPYTER|XDG_|NODE_OPTIONS$|CI$)/i.test(k)) env[k] = v;
  return { ...env, HOME: home, PATH: `${bin}:${path.join(prefix, "bin")}:${process.env.PATH}` };
}

function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? root,
    env: opts.env ?? userEnv(),
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 600_000,
    maxBuffer: 64 * 2 ** 20,
  });
  assert.equal(
    r.status,
    0,
    `${cmd} ${args.join(" ")} exited ${r.status ?? r.signal}:\n${(r.stdout ?? "").slice(-4000)}\n${(r.stderr ?? "").slice(-4000)}`,
  );
  return r;
}

/** Start a kernel the way Jupyter does, from the installed kernelspec; say whether it came from the snapshot. */
async function kernelFromSpec(): Promise<{ snapshot: boolean; tsPath?: string; hits?: number; answer: string }> {
  const spec = JSON.parse(readFileSync(path.join(home, ".local", "share", "jupyter", "kernels", "seqlab", "kernel.json"), "utf8"));
  const k = await KernelClient.start({ argv: spec.argv, cwd: path.join(home, "seqlab-course"), env: userEnv() });
  try {
    const r = await k.execute(
      "const s = (globalThis as any).__seqlabSnapshot;\nconsole.log(JSON.stringify({ snapshot: !!s, tsPath: s?.tsPath, hits: s?.stats.hits }));\n6 * 7",
    );
    assert.equal(r.reply.content.status, "ok", JSON.stringify(r.reply.content));
    const printed = r.outputs
      .filter((m) => m.header.msg_type === "stream")
      .map((m) => m.content.text)
      .join("");
    const answer = r.outputs.find((m) => m.header.msg_type === "execute_result")?.content.data["text/plain"];
    return { ...JSON.parse(printed), answer };
  } finally {
    await k.shutdown();
  }
}

test(
  "npm pack → npm install -g into an empty folder → seqlab install --user → seqlab course → 00-kernel-tour; the snapshot built for this node",
  { timeout: 40 * 60_000 },
  async (t) => {
    t.after(() => {
      if (!process.env.SEQLAB_KEEP_PACKAGE) rmSync(root, { recursive: true, force: true });
    });
    mkdirSync(home);
    mkdirSync(bin);
    copyFileSync(process.execPath, node);

    let tarball = "";
    await t.test(`npm pack: under ${MAX_TARBALL / 2 ** 20} MB, the compiled package without anything built for one machine`, () => {
      // --ignore-scripts: the tests run from the compiled dist/ already, and `prepare` would rebuild
      // the start-up snapshot that other suites are using.
      const r = sh("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", root], {
        cwd: ROOT,
        env: { ...process.env, NODE_OPTIONS: "" },
      });
      const info = JSON.parse(r.stdout)[0];
      tarball = path.join(root, info.filename);
      const size = statSync(tarball).size;
      t.diagnostic(
        `${info.filename}: ${(size / 2 ** 20).toFixed(2)} MB packed, ${(info.unpackedSize / 2 ** 20).toFixed(1)} MB unpacked, ${info.files.length} files`,
      );
      assert.ok(size < MAX_TARBALL, `the tarball is ${size} bytes, more than ${MAX_TARBALL}`);
      const files: string[] = info.files.map((f: { path: string }) => f.path);
      for (const f of [
        "package.json",
        "README.md",
        "dist/kernel/tools/cli.js",
        "dist/kernel/server/snapshot.js",
        "dist/src/index.js",
        "dist/src/index.d.ts",
        "notebooks/00-kernel-tour.ipynb",
        "notebooks/03-char-rnn.ipynb",
        "deploy/jupyterhub/jupyterhub_config.py",
      ]) {
        assert.ok(files.includes(f), `${f} is not in the tarball`);
      }
      const machineBound = files.filter(
        (f) =>
          f.startsWith("dist/kernel/server/snapshot/") ||
          f.startsWith("dist/test/") ||
          f.startsWith("dist/bench/") ||
          f.endsWith(".blob") ||
          f.startsWith("node_modules/"),
      );
      assert.deepEqual(machineBound, [], "files in the tarball that belong to this machine or to development");
      const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
      assert.equal(manifest.private, undefined, "package.json is marked private (npm publish refuses it)");
    });

    await t.test("npm install -g --prefix EMPTY with dependency install scripts blocked (as npm 12)", () => {
      // npm's download cache is the invoking user's (only to save downloads; nothing of it is seqlab's).
      const env = { ...userEnv(), npm_config_cache: process.env.npm_config_cache ?? path.join(process.env.HOME ?? "", ".npm") };
      sh("npm", ["install", "-g", "--prefix", prefix, "--ignore-scripts", "--no-audit", "--no-fund", tarball], { env });
      assert.ok(existsSync(seqlabBin), `no ${seqlabBin}`);
      assert.equal(sh(seqlabBin, ["--version"]).stdout.trim(), JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
      assert.ok(
        !existsSync(path.join(pkg, "dist", "kernel", "server", "snapshot", "kernel.blob")),
        "a start-up snapshot came with the package",
      );
    });

    await t.test("seqlab install --user: the kernelspec in the empty HOME, and a start-up snapshot built for the user's node", () => {
      const r = sh(node, [seqlabBin, "install", "--user"]);
      const dir = path.join(home, ".local", "share", "jupyter", "kernels", "seqlab");
      assert.match(r.stdout, new RegExp(`^installed kernelspecs seqlab and seqlab-ko \\(SEQLAB_LANG=ko\\) in ${path.dirname(dir)}$`, "m"));
      const ko = JSON.parse(readFileSync(path.join(path.dirname(dir), "seqlab-ko", "kernel.json"), "utf8"));
      assert.equal(ko.env?.SEQLAB_LANG, "ko", "the Korean kernelspec sets SEQLAB_LANG=ko");
      assert.match(r.stdout, /^start-up snapshot: .*kernel\.blob \(\d+ MB, [\d.]+ s, for node v[\d.]+\)$/m);
      const spec = JSON.parse(readFileSync(path.join(dir, "kernel.json"), "utf8"));
      assert.deepEqual(spec.argv.slice(0, 4), [
        "/bin/sh",
        path.join(dir, "kernel.sh"),
        node,
        path.join(pkg, "dist", "kernel", "tools", "cli.js"),
      ]);
      assert.ok(!JSON.stringify(spec).includes(ROOT), "the kernelspec points into the repository");
      assert.equal(readFileSync(path.join(pkg, "dist", "kernel", "server", "snapshot", "node.id"), "utf8").trim(), identity(node));
    });

    await t.test("seqlab course: the notebooks in ~/seqlab-course", () => {
      const r = sh(seqlabBin, ["course"], { cwd: home });
      // Every notebook the installed package holds, in every folder of notebooks/ (ko/ when present).
      const expected = courseNotebooks(path.join(pkg, "notebooks"));
      assert.deepEqual(expected, courseNotebooks(path.join(ROOT, "notebooks")), "the package's notebooks are not the repository's");
      assert.match(r.stdout, new RegExp(`^seqlab course: ${path.join(home, "seqlab-course")}: ${expected.length} copied, 0 updated`, "m"));
      for (const f of expected) assert.ok(existsSync(path.join(home, "seqlab-course", f)), `${f} was not copied`);
    });

    await t.test("00-kernel-tour under nbclient with the installed kernelspec: every cell, no error", () => {
      const py = python()!;
      const script = `
import json, nbformat, nbclient
nb = nbformat.read("00-kernel-tour.ipynb", as_version=4)
nbclient.NotebookClient(nb, timeout=600, kernel_name="seqlab", resources={"metadata": {"path": "."}}).execute()
code = [c for c in nb.cells if c.cell_type == "code"]
print(json.dumps({"cells": len(code), "executed": sum(1 for c in code if c.execution_count), "errors": [o.get("ename", "") + ": " + o.get("evalue", "") for c in code for o in c.outputs if o.output_type == "error"]}))`;
      const r = sh(py, ["-c", script], { cwd: path.join(home, "seqlab-course") });
      const summary = JSON.parse(r.stdout.trim().split("\n").pop()!);
      t.diagnostic(`00-kernel-tour: ${summary.executed}/${summary.cells} code cells executed`);
      assert.deepEqual(summary.errors, []);
      assert.equal(summary.executed, summary.cells);
      assert.ok(summary.cells >= 10, `only ${summary.cells} code cells`);
    });

    await t.test("the next kernel starts from the snapshot built for this node, from the installed package", async () => {
      const k = await kernelFromSpec();
      assert.equal(k.answer, "42");
      assert.equal(k.snapshot, true, "the kernel did not start from the start-up snapshot");
      assert.ok(k.tsPath!.startsWith(pkg + path.sep), `the snapshot's compiler ${k.tsPath} is not the installed package's`);
    });

    await t.test("node upgraded: a kernel starts without the old snapshot and builds one; the next kernel uses it", async () => {
      const before = identity(node);
      // A new binary at the same path, as an upgrade installs it (a new file renamed over the old).
      copyFileSync(process.execPath, `${node}.new`);
      renameSync(`${node}.new`, node);
      const after = identity(node);
      assert.notEqual(after, before);
      const first = await kernelFromSpec();
      assert.equal(first.answer, "42");
      assert.equal(first.snapshot, false, "a snapshot built by another node binary was used");
      // The first kernel started the build in the background; wait for it to finish (a lock while it runs).
      const dir = path.join(pkg, "dist", "kernel", "server", "snapshot");
      const deadline = Date.now() + 15 * 60_000;
      const idFile = path.join(dir, "node.id");
      const current = () => (existsSync(idFile) ? readFileSync(idFile, "utf8").trim() : "");
      while ((current() !== after || existsSync(`${dir}.lock`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
      const log = existsSync(path.join(dir, "build.log")) ? readFileSync(path.join(dir, "build.log"), "utf8") : "(no build.log)";
      assert.equal(current(), after, `no snapshot was built for the new node within 15 minutes; build.log:\n${log}`);
      t.diagnostic(`background build: ${log.trim()}`);
      const second = await kernelFromSpec();
      assert.equal(second.snapshot, true, `the kernel after the build did not use it; build.log:\n${log}`);
      assert.ok(second.hits! >= 100, `only ${second.hits} declaration files came from the snapshot`);
    });
  },
);
