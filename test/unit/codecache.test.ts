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
    const { requireWithCodeCache } = require(${JSON.stringify(path.join(ROOT, "dist/kernel/server/codecache.js"))});
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

test("changed files get new caches; only the newest three are kept", () => {
  const dir = tempDir();
  const mod = path.join(dir, "mod.js");
  const cache = path.join(dir, "cache");
  const script = `
    const { requireWithCodeCache } = require(${JSON.stringify(path.join(ROOT, "dist/kernel/server/codecache.js"))});
    const m = requireWithCodeCache(${JSON.stringify(mod)});
    m.save();
    console.log(m.exports.v);`;
  const run = () => spawnSync(process.execPath, ["-e", script], { env: { ...process.env, XDG_CACHE_HOME: cache }, encoding: "utf8" });
  const names: string[] = [];
  for (let i = 1; i <= 5; i++) {
    writeFileSync(mod, `exports.v = ${"1".repeat(i)};`); // another size each time, so another key
    assert.equal(run().stdout.trim(), "1".repeat(i));
    const now = readdirSync(path.join(cache, "seqlab", "v8"));
    names.push(...now.filter((f) => !names.includes(f)));
    assert.equal(now.length, Math.min(i, 3), `after ${i} versions: ${now.join(", ")}`);
  }
  assert.equal(names.length, 5, "each version got its own cache");
  assert.deepEqual(readdirSync(path.join(cache, "seqlab", "v8")).sort(), names.slice(2).sort(), "the newest three are kept");
});
