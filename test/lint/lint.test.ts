// The code's style is checked like its behaviour: typescript-eslint's rules (eslint.config.mjs says
// which are relaxed and why) and prettier's layout (.prettierrc.json). The compiler's noUnusedLocals and
// noUnusedParameters are on in tsconfig.json, so the build itself fails on an unused name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as path from "path";

const root = path.resolve(__dirname, "..", "..", "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
const SOURCES = ["kernel", "src", "test", "bench", "scripts"];

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", timeout: 600_000 });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

test("eslint (typescript-eslint's recommended rules) finds nothing", () => {
  const r = run(bin("eslint"), ["--max-warnings", "0", ...SOURCES]);
  assert.equal(r.status, 0, `eslint:\n${r.out.slice(-6000)}`);
});

test("prettier finds every TypeScript file formatted (.prettierrc.json)", () => {
  const r = run(bin("prettier"), ["--check", `{${SOURCES.join(",")}}/**/*.ts`]);
  assert.equal(r.status, 0, `prettier --check (npx prettier --write formats them):\n${r.out.slice(-6000)}`);
});
