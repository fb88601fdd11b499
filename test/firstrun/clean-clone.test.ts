// The first run, as a new user makes it: a clean clone of the current commit, `npm ci`, the
// clone's own command line, and the README's `npm start` in quick mode with a relative
// SEQLAB_DATA; then a second run that reuses every notebook, an edit that re-executes one
// notebook, and a run killed in its third notebook that resumes there. Before all that, the
// kernel with dependency install scripts blocked (`npm ci --ignore-scripts`, then what `prepare`
// does), as npm 12 will install it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, SpawnSyncReturns } from "child_process";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import * as path from "path";
import { ROOT, tempDir } from "../support/tools";

const MIRROR = process.env.SEQLAB_DATA!;
const clone = path.join(tempDir("seqlab-firstrun-"), "seqlab");
const reports = path.join(clone, "reports");
const quick = "SEQLAB_QUICK";
// The course as this commit has it (notebooks are added and renumbered; the Korean edition in
// notebooks/ko/ runs after the English one): each notebook's place ("NAME" or "ko/NAME"), how many, the last.
const ipynbs = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".ipynb"))
        .sort()
    : [];
const english = ipynbs(path.join(ROOT, "notebooks"));
const course = [...english, ...ipynbs(path.join(ROOT, "notebooks", "ko")).map((f) => `ko/${f}`)];
const last = course[course.length - 1];
/** A notebook's executed copy or report in the site: reports/en/NAME or reports/ko/NAME. */
const inSite = (place: string, ext = ".ipynb") => path.join(reports, place.startsWith("ko/") ? "" : "en", place.replace(/\.ipynb$/, ext));
const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A user's shell: no npm variables from the `npm test` running this, no CI-only settings. */
function shellEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|INIT_CWD$|SEQLAB_)/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** SEQLAB_DATA as a user in the clone's root would type it: relative. */
const relativeData = () => path.relative(clone, MIRROR);

function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? clone,
    env: opts.env ?? shellEnv(),
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 600_000,
    maxBuffer: 64 * 2 ** 20,
  });
  return { ...r, seconds: (Date.now() - t0) / 1000 };
}

function ok(r: SpawnSyncReturns<string>, what: string) {
  assert.equal(r.status, 0, `${what} exited ${r.status ?? r.signal}:\n${(r.stdout ?? "").slice(-4000)}\n${(r.stderr ?? "").slice(-4000)}`);
}

/** "~2 min 05 s", "~31 min", "~1 h 05 min", "~45 s" in seconds. */
function parseDuration(s: string): number {
  const m = s.match(/^(?:(\d+) h )?(?:(\d+) min ?)?(?:(\d+) s)?$/);
  assert.ok(m, `not a duration: ${s}`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** npm start of the whole course (both editions): its time grows with the course and the machine's load. */
const COURSE_TIMEOUT = 40 * 60_000;

const planLine = (out: string, name: string) => out.split("\n").find((l) => l.trim().startsWith(name)) ?? `(no plan line for ${name})`;
const mtime = (f: string) => statSync(f).mtimeMs;

test("a clean clone: npm ci, its command line, npm start planned, reused, resumed", { timeout: 45 * 60_000 }, async (t) => {
  // The clone holds its own node_modules (about 500 MB): removed afterwards unless SEQLAB_KEEP_CLONE is set.
  t.after(() => {
    if (!process.env.SEQLAB_KEEP_CLONE) rmSync(path.dirname(clone), { recursive: true, force: true });
  });
  if (sh("git", ["rev-parse", "--is-inside-work-tree"], { cwd: ROOT }).status === 0) {
    ok(sh("git", ["clone", "--quiet", ROOT, clone], { cwd: path.dirname(clone) }), "git clone");
    t.diagnostic(`clone of ${sh("git", ["rev-parse", "HEAD"]).stdout.trim()} in ${clone}`);
  } else {
    // A checkout without git (a CI that copies the tree): the same files, without what builds make.
    const skip = new Set(["node_modules", "dist", "reports", ".git"].map((d) => path.join(ROOT, d)));
    cpSync(ROOT, clone, { recursive: true, filter: (src) => !skip.has(src) });
    t.diagnostic(`${ROOT} is not a git work tree: its files copied to ${clone}`);
  }

  await t.test("with dependency install scripts blocked (as npm 12 installs), the kernel works", () => {
    const ci = sh("npm", ["ci", "--ignore-scripts"]);
    ok(ci, "npm ci --ignore-scripts");
    ok(sh("npm", ["run", "prepare"]), "npm run prepare");
    const dir = tempDir();
    const nb = path.join(dir, "blocked.ipynb");
    const cell = (source: string) => ({ cell_type: "code", source, metadata: {}, outputs: [], execution_count: null });
    writeFileSync(
      nb,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          cell('import * as tf from "@tensorflow/tfjs";\nimport { useBackend } from "seqlab";\nawait useBackend({ quiet: true });'),
          cell("tf.tensor([1, 2, 3]).sum().dataSync()[0] * 7"),
        ],
      }),
    );
    ok(sh("npx", ["seqlab", "run", nb]), "npx seqlab run (scripts blocked)");
    const result = JSON.parse(readFileSync(nb, "utf8")).cells[1].outputs[0];
    assert.deepEqual(result?.data?.["text/plain"], ["42"]);
  });

  await t.test("npm ci prints no install-scripts warning; npx seqlab --version and install --prefix work", () => {
    const ci = sh("npm", ["ci"]);
    ok(ci, "npm ci");
    const warnings = (ci.stdout + ci.stderr).split("\n").filter((l) => /npm warn/i.test(l));
    assert.deepEqual(warnings, [], "npm ci warned");
    assert.ok(statSync(path.join(clone, "dist", "kernel", "tools", "cli.js")).mode & 0o100, "dist/kernel/tools/cli.js is executable");
    const version = sh("npx", ["seqlab", "--version"]);
    ok(version, "npx seqlab --version");
    assert.equal(version.stdout.trim(), JSON.parse(readFileSync(path.join(clone, "package.json"), "utf8")).version);
    const prefix = tempDir();
    ok(sh("npx", ["seqlab", "install", "--prefix", prefix]), "npx seqlab install --prefix");
    assert.ok(existsSync(path.join(prefix, "share", "jupyter", "kernels", "seqlab", "kernel.json")));
    const ko = JSON.parse(readFileSync(path.join(prefix, "share", "jupyter", "kernels", "seqlab-ko", "kernel.json"), "utf8"));
    assert.deepEqual(ko.env, { SEQLAB_LANG: "ko" });
  });

  let first = 0;
  await t.test("SEQLAB_DATA=<relative> SEQLAB_QUICK=1 npm start: a plan, every notebook, what to open next", () => {
    const r = sh("npm", ["start"], { env: shellEnv({ SEQLAB_DATA: relativeData(), [quick]: "1" }), timeoutMs: COURSE_TIMEOUT });
    ok(r, "npm start");
    first = r.seconds;
    const est = r.stdout.match(/^estimate: ~(.+?) for (\d+) notebooks/m);
    assert.ok(est, `the plan gives an estimate:\n${r.stdout}`);
    const estimate = parseDuration(est[1]);
    t.diagnostic(
      `first quick npm start: ${first.toFixed(1)} s measured, ${estimate} s estimated by the plan (measured/estimate ${(first / estimate).toFixed(2)})`,
    );
    assert.match(r.stdout, /mode: quick \(SEQLAB_QUICK=1\)/);
    assert.match(r.stdout, /npm start -- --full/);
    assert.ok(
      first <= 2 * estimate && first >= estimate / 2,
      `the estimate ${estimate} s is not within a factor of 2 of the measured ${first.toFixed(1)} s`,
    );
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines.at(-4)!, new RegExp(`^Open the course: ${escaped(path.join(reports, "index.html"))}$`));
    assert.deepEqual(lines.slice(-3), [
      "Use the notebooks in JupyterLab with this kernel:",
      "  npx seqlab install --user",
      "  jupyter lab notebooks/",
    ]);
    assert.match(r.stderr, new RegExp(`\\[${course.length}/${course.length}\\] ${escaped(last)}: done in`));
    for (const f of [
      inSite("00-kernel-tour.ipynb"),
      inSite("00-kernel-tour.ipynb", ".html"),
      inSite(last, ".html"),
      path.join(reports, ".cache.json"),
      path.join(reports, "index.html"),
    ])
      assert.ok(existsSync(f), path.relative(clone, f));
    // The front page links every report of both editions.
    const index = readFileSync(path.join(reports, "index.html"), "utf8");
    for (const place of course) {
      const href = path.relative(reports, inSite(place, ".html")).split(path.sep).join("/");
      assert.ok(index.includes(`href="${href}"`), `index.html links ${href}`);
    }
    t.diagnostic(`the course: ${english.length} English and ${course.length - english.length} Korean notebooks`);
  });

  await t.test("a second npm start reuses every notebook and takes at most a fifth of the first", () => {
    const before = mtime(inSite("04-lstm-gates.ipynb"));
    const r = sh("npm", ["start"], { env: shellEnv({ SEQLAB_DATA: relativeData(), [quick]: "1" }), timeoutMs: COURSE_TIMEOUT });
    ok(r, "second npm start");
    t.diagnostic(
      `second quick npm start: ${r.seconds.toFixed(1)} s (first ${first.toFixed(1)} s, ratio ${(r.seconds / first).toFixed(3)})`,
    );
    assert.match(r.stdout, new RegExp(`0 executed, ${course.length} reused from the cache, 0 failed`));
    assert.match(planLine(r.stdout, "04-lstm-gates.ipynb"), /^\s+04-lstm-gates\.ipynb\s+cached$/);
    assert.equal(mtime(inSite("04-lstm-gates.ipynb")), before, "the executed copy was not rewritten");
    assert.ok(r.seconds <= first / 5, `second run ${r.seconds.toFixed(1)} s > a fifth of the first (${first.toFixed(1)} s)`);
  });

  await t.test("editing one code cell re-executes that notebook only", () => {
    const file = path.join(clone, "notebooks", "00-kernel-tour.ipynb");
    const nb = JSON.parse(readFileSync(file, "utf8"));
    const cell = nb.cells.find((c: any) => c.cell_type === "code");
    cell.source = [...(Array.isArray(cell.source) ? cell.source : [cell.source]), '\nconsole.log("edited by the first-run test");'];
    writeFileSync(file, JSON.stringify(nb, null, 1) + "\n");
    const others = ["00-plots-and-display.ipynb", last].map((f) => [f, mtime(inSite(f))] as const);
    const r = sh("npm", ["start"], { env: shellEnv({ SEQLAB_DATA: relativeData(), [quick]: "1" }), timeoutMs: COURSE_TIMEOUT });
    ok(r, "npm start after the edit");
    assert.match(planLine(r.stdout, "00-kernel-tour.ipynb"), /code changed/);
    assert.match(r.stdout, new RegExp(`1 executed, ${course.length - 1} reused from the cache, 0 failed`));
    assert.match(readFileSync(inSite("00-kernel-tour.ipynb"), "utf8"), /edited by the first-run test/);
    for (const [f, m] of others) assert.equal(mtime(inSite(f)), m, `${f} was not executed again`);
  });

  await t.test("a run killed in its third notebook resumes there", async () => {
    const subset = ["00-kernel-tour.ipynb", "01-recurrence-and-unrolling.ipynb", "00-plots-and-display.ipynb"].map((f) => `notebooks/${f}`);
    const args = ["start", "--", "--out", "killed", ...subset];
    const env = shellEnv({ SEQLAB_DATA: relativeData(), [quick]: "1" });
    // Its own process group (npm, the course, its kernel), killed at once as a whole.
    const child = spawn("npm", args, { cwd: clone, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    const killed = await new Promise<boolean>((resolve) => {
      const watch = (chunk: Buffer) => {
        log += chunk.toString();
        if (/\[3\/3\] 00-plots-and-display\.ipynb: started/.test(log)) {
          process.kill(-child.pid!, "SIGKILL");
          resolve(true);
        }
      };
      child.stdout!.on("data", watch);
      child.stderr!.on("data", watch);
      child.on("exit", () => resolve(false));
    });
    assert.ok(killed, `the run ended before its third notebook:\n${log}`);
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once("exit", r)));
    const r = sh("npm", args, { env });
    ok(r, "npm start after the kill");
    assert.match(planLine(r.stdout, "00-kernel-tour.ipynb"), /cached/);
    assert.match(planLine(r.stdout, "01-recurrence-and-unrolling.ipynb"), /cached/);
    assert.match(planLine(r.stdout, "00-plots-and-display.ipynb"), /~.*not run before/);
    assert.match(r.stdout, /1 executed, 2 reused from the cache, 0 failed/);
    assert.ok(existsSync(path.join(clone, "killed", "en", "00-plots-and-display.html")));
  });
});
