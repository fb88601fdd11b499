// Tests that need what a machine may lack — the offline corpus mirror, an optional package: skipped
// with the reason on a developer's machine, but under CI (CI=true) a missing prerequisite fails the
// test, so that a CI run cannot pass by skipping.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

export const CI = process.env.CI === "true" || process.env.CI === "1";

/** The repository's root (tests run from dist/test/...). */
const ROOT = path.resolve(__dirname, "..", "..", "..");

/** The offline corpus mirror: SEQLAB_DATA when set, else ../shared/corpora beside the repository, when it exists. */
export function corpusMirror(): string | undefined {
  if (process.env.SEQLAB_DATA) return process.env.SEQLAB_DATA;
  const beside = path.resolve(ROOT, "..", "shared", "corpora");
  return fs.existsSync(beside) ? beside : undefined;
}

/** Why a test needing `files` of the mirror cannot run here, or false when it can. */
export function noMirror(...files: string[]): string | false {
  const mirror = corpusMirror();
  const missing = files.filter((f) => !mirror || !fs.existsSync(path.join(mirror, f)));
  return missing.length
    ? `no corpus mirror holding ${missing.join(", ")}: set SEQLAB_DATA to the offline mirror (e.g. <clone>/../shared/corpora) to run this test`
    : false;
}

/** test(name, fn) when nothing is `missing`; else skipped with the reason, or, under CI, failed with it. */
export function testNeeding(name: string, missing: string | false, fn: () => void | Promise<void>): void {
  if (!missing) test(name, fn);
  else if (CI) test(name, () => assert.fail(`${missing} (CI=true: a missing prerequisite fails instead of skipping)`));
  else test(name, { skip: missing }, fn);
}
