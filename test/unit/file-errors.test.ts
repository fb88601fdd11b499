// The library's file handling names the file or folder and what was wrong: a checkpoint that
// cannot be written (a real failed write, under a file-size limit; the previous checkpoint stays
// loadable), a checkpoint path that is a file, a corpus path that is a folder or under a file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { corpusInfo, corpusNames, loadCorpus, loadCorpusSync } from "../../src/data";
import { saveCheckpoint } from "../../src/train/checkpoint";
import { tempDir } from "../support/tools";

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

test(
  "a checkpoint write that fails (file too large) names the checkpoint and the folder, and the previous checkpoint stays loadable",
  { skip: process.platform === "win32" && "needs ulimit" },
  () => {
    const dir = tempDir();
    const ck = path.join(dir, "ck");
    // In a child under `ulimit -f 1024` (1 MiB) with SIGXFSZ handled: a small checkpoint is saved,
    // then one with a 4 MB weight fails at its write; then the small one is read back.
    const script = `
    process.on("SIGXFSZ", () => {});
    const tf = require("@tensorflow/tfjs");
    const { saveCheckpoint, readCheckpoint } = require(${JSON.stringify(require.resolve("../../src/train/checkpoint"))});
    (async () => {
      await saveCheckpoint(${JSON.stringify(ck)}, { params: { w: tf.variable(tf.fill([4], 7)) }, step: 1 });
      let message = "";
      try {
        await saveCheckpoint(${JSON.stringify(ck)}, { params: { w: tf.variable(tf.zeros([1000000])) }, step: 2 });
      } catch (e) { message = e.message; }
      const { meta, tensors } = readCheckpoint(${JSON.stringify(ck)});
      console.log(JSON.stringify({ message, step: meta.step, w: Array.from(tensors.w.dataSync()), left: require("fs").readdirSync(${JSON.stringify(dir)}) }));
    })();`;
    const r = spawnSync("/bin/bash", ["-c", `ulimit -f 1024 && exec "$0" "$@"`, process.execPath, "-e", script], {
      encoding: "utf8",
      cwd: path.resolve(__dirname, "..", ".."),
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    assert.match(
      out.message,
      new RegExp(
        `^saveCheckpoint: could not save the checkpoint ${esc(ck)} \\(writing in ${esc(dir)}/\\.ck\\.tmp-[^)]+\\): a file would be larger than this process may write \\(EFBIG: file too large, write\\); the previous checkpoint in ${esc(ck)} is intact$`,
      ),
    );
    assert.equal(out.step, 1);
    assert.deepEqual(out.w, [7, 7, 7, 7]);
    assert.deepEqual(out.left, ["ck"], "no temporary folder left");
  },
);

test("a checkpoint path that is a file, or under a file, is named", async () => {
  const dir = tempDir();
  const file = path.join(dir, "weights.txt");
  fs.writeFileSync(file, "not a folder");
  const params = { w: tf.variable(tf.ones([2])) };
  await assert.rejects(saveCheckpoint(file, { params }), new RegExp(`saveCheckpoint: ${esc(file)} is a file; a checkpoint is a folder`));
  await assert.rejects(
    saveCheckpoint(path.join(file, "ck"), { params }),
    new RegExp(
      `saveCheckpoint: could not save the checkpoint ${esc(file)}/ck \\(writing in ${esc(file)}\\): a part of the path is a file, not a folder .*; no checkpoint was saved`,
    ),
  );
  assert.equal(fs.readFileSync(file, "utf8"), "not a folder");
  params.w.dispose();
});

test("a corpus path that is a folder, or a corpus folder that is a file, is named (no bare EISDIR)", async () => {
  const name = corpusNames()[0];
  const info = corpusInfo(name);
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, info.file));
  const isFolder = new RegExp(
    `corpus "${name}": ${esc(path.join(dir, info.file))} is a folder, not the corpus file; expected ${esc(info.file)} in ${esc(dir)}`,
  );
  assert.throws(() => loadCorpusSync(name, { dir }), isFolder);
  await assert.rejects(loadCorpus(name, { dir, fetch: async () => assert.fail("no download for a path that is there") }), isFolder);
  const plain = path.join(dir, "plain");
  fs.writeFileSync(plain, "x");
  assert.throws(
    () => loadCorpusSync(name, { dir: plain }),
    new RegExp(`corpus "${name}": ${esc(plain)} \\(the corpus folder\\) or a folder above it is a file, not a folder`),
  );
});

test(
  "an unreadable corpus file is named",
  { skip: (process.getuid?.() === 0 || process.platform === "win32") && "root (or Windows) reads a file without read permission" },
  () => {
    const name = corpusNames()[0];
    const dir = tempDir();
    const file = path.join(dir, corpusInfo(name).file);
    fs.writeFileSync(file, "x");
    fs.chmodSync(file, 0);
    assert.throws(() => loadCorpusSync(name, { dir }), new RegExp(`corpus "${name}": ${esc(file)} cannot be read: permission denied`));
  },
);
