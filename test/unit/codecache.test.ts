import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { readdirSync, writeFileSync } from "fs";
import * as path from "path";
import { ROOT, tempDir } from "../support/tools";

test("a module loaded with the code cache works, writes its cache once, and reuses it", () => {
  const dir = tempDir();
  const mod = path.join(dir, "mod.js");
  writeFileSync(mod, "exports.twice = (x) => 2 * x; exports.file = __filename; exports.req = typeof require('path').join;");
  const cache = path.join(dir, "cache");
  const script = `
    const { requireWithCodeCache } = require(${JSON.stringify(path.join(ROOT, "dist/kernel/codecache.js"))});
    const m = requireWithCodeCache(${JSON.stringify(mod)});
    m.save();
    console.log(JSON.stringify({ twice: m.exports.twice(21), file: m.exports.file, req: m.exports.req, same: require(${JSON.stringify(mod)}) === m.exports }));`;
  const run = () => spawnSync(process.execPath, ["-e", script], { env: { ...process.env, XDG_CACHE_HOME: cache }, encoding: "utf8" });
  const first = run();
  assert.equal(first.status, 0, first.stderr);
  assert.deepEqual(JSON.parse(first.stdout), { twice: 42, file: mod, req: "function", same: true });
  const files = readdirSync(path.join(cache, "seqlab", "v8"));
  assert.equal(files.length, 1);
  assert.match(files[0], /^mod\.js-\d+-\d+-v\d+/);
  const second = run();
  assert.equal(second.status, 0, second.stderr);
  assert.equal(JSON.parse(second.stdout).twice, 42);
  assert.deepEqual(readdirSync(path.join(cache, "seqlab", "v8")), files, "an accepted cache is not rewritten under another name");
});

test("a changed file gets a new cache and the old one is removed", () => {
  const dir = tempDir();
  const mod = path.join(dir, "mod.js");
  const cache = path.join(dir, "cache");
  const script = `
    const { requireWithCodeCache } = require(${JSON.stringify(path.join(ROOT, "dist/kernel/codecache.js"))});
    const m = requireWithCodeCache(${JSON.stringify(mod)});
    m.save();
    console.log(m.exports.v);`;
  const run = () => spawnSync(process.execPath, ["-e", script], { env: { ...process.env, XDG_CACHE_HOME: cache }, encoding: "utf8" });
  writeFileSync(mod, "exports.v = 1;");
  assert.equal(run().stdout.trim(), "1");
  const before = readdirSync(path.join(cache, "seqlab", "v8"));
  writeFileSync(mod, "exports.v = 22;"); // another size, so another key even within the same millisecond
  assert.equal(run().stdout.trim(), "22");
  const after = readdirSync(path.join(cache, "seqlab", "v8"));
  assert.equal(after.length, 1, `one cache file, found ${after.join(", ")}`);
  assert.notEqual(after[0], before[0]);
});
