// `seqlab start` (npm start) on small notebooks: failures do not stop the others and are named at
// the end; the cache reuses what is unchanged (a markdown edit only rebuilds the report); Ctrl-C
// stops after the running cell and the next run resumes; progress on a terminal redraws in place.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "fs";
import * as path from "path";
import { CLI, tempDir } from "../support/tools";

const code = (source: string) => ({ cell_type: "code", source, metadata: {}, outputs: [], execution_count: null });
const md = (source: string) => ({ cell_type: "markdown", source, metadata: {} });

function write(dir: string, name: string, cells: any[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }));
  return file;
}

/** No npm variables from the `npm test` running this, and no mode from the environment. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|INIT_CWD$|SEQLAB_QUICK$)/i.test(k)) e[k] = v;
  return { ...e, ...extra };
}

const course = (cwd: string, args: string[], extra: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [CLI, "start", ...args], { cwd, env: env(extra), encoding: "utf8" });
const planLine = (out: string, name: string) => out.split("\n").find((l) => l.trim().startsWith(name)) ?? `(no plan line for ${name})`;

test("a failing notebook does not stop the others; the run ends non-zero naming notebook, cell and error; only it runs again", () => {
  const dir = tempDir();
  write(dir, "a.ipynb", [code("console.log('a ran')")]);
  write(dir, "b.ipynb", [md("# b"), code("let x = 1;"), code("throw new RangeError('b is broken')")]);
  write(dir, "c.ipynb", [code("console.log('c ran')")]);
  const r = course(dir, [".", "--out", "reports", "--quick"]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /2 executed, 0 reused from the cache, 1 failed/);
  assert.match(r.stdout, /1 notebook failed[^\n]*\n\s+\S*b\.ipynb: cell 3 \(code cell 2\) failed: RangeError: b is broken/);
  assert.ok(existsSync(path.join(dir, "reports", "en", "c.html")), "the notebook after the failure ran");
  assert.ok(existsSync(path.join(dir, "reports", "en", "b.html")), "the failed notebook has its report");
  const again = course(dir, [".", "--out", "reports", "--quick"]);
  assert.equal(again.status, 1);
  assert.match(planLine(again.stdout, "a.ipynb"), /cached$/);
  assert.match(planLine(again.stdout, "b.ipynb"), /not run before/);
  assert.match(planLine(again.stdout, "c.ipynb"), /cached$/);
  assert.match(again.stdout, /0 executed, 2 reused from the cache, 1 failed/);
});

test("the plan names the mode and how to choose the other; the key holds the mode; --force executes everything", () => {
  const dir = tempDir();
  write(dir, "a.ipynb", [code("console.log(process.env.SEQLAB_QUICK ?? 'full')")]);
  const quick = course(dir, ["a.ipynb", "--out", "r"], { SEQLAB_QUICK: "1" });
  assert.equal(quick.status, 0, quick.stderr);
  assert.match(quick.stdout, /mode: quick \(SEQLAB_QUICK=1\)[^\n]*\n\s+full mode [^\n]*: seqlab start --full/);
  assert.match(quick.stdout, /^estimate: ~\d+ s for 1 notebook; from no recorded time/m);
  const full = course(dir, ["a.ipynb", "--out", "r", "--full"], { SEQLAB_QUICK: "1" });
  assert.equal(full.status, 0, full.stderr);
  assert.match(
    full.stdout,
    /mode: full \(--full, over SEQLAB_QUICK=1\)[^\n]*\n\s+quick mode [^\n]*: seqlab start --quick, or SEQLAB_QUICK=1 seqlab start/,
  );
  assert.match(planLine(full.stdout, "a.ipynb"), /mode changed/);
  assert.match(readFileSync(path.join(dir, "r", "en", "a.ipynb"), "utf8"), /"full\\n"/);
  // This machine's last run now gives the estimate.
  const cached = course(dir, ["a.ipynb", "--out", "r", "--full"]);
  assert.match(planLine(cached.stdout, "a.ipynb"), /cached$/);
  const forced = course(dir, ["a.ipynb", "--out", "r", "--full", "--force"]);
  assert.match(planLine(forced.stdout, "a.ipynb"), /--force/);
  assert.match(forced.stdout, /from this machine's last run \(1\)/);
  assert.match(forced.stdout, /1 executed, 0 reused/);
  const both = course(dir, ["a.ipynb", "--quick", "--full"]);
  assert.notEqual(both.status, 0);
  assert.match(both.stderr, /option '--quick' cannot be used with option '--full'/);
});

test("a markdown edit reuses the outputs and rebuilds the report without a kernel", () => {
  const dir = tempDir();
  const file = write(dir, "a.ipynb", [md("# Before"), code("console.log('computed ' + (6 * 7))")]);
  assert.equal(course(dir, ["a.ipynb", "--out", "r"]).status, 0);
  write(dir, "a.ipynb", [md("# After the edit"), code("console.log('computed ' + (6 * 7))")]);
  const before = statSync(path.join(dir, "r", "en", "a.html")).mtimeMs;
  const r = course(dir, ["a.ipynb", "--out", "r"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(planLine(r.stdout, "a.ipynb"), /cached \(text changed: report rebuilt\)/);
  assert.match(r.stdout, /0 executed, 1 reused/);
  const executed = JSON.parse(readFileSync(path.join(dir, "r", "en", "a.ipynb"), "utf8"));
  assert.deepEqual(executed.cells[0].source, "# After the edit");
  assert.deepEqual(executed.cells[1].outputs[0].text, ["computed 42\n"]);
  const html = readFileSync(path.join(dir, "r", "en", "a.html"), "utf8");
  assert.match(html, /After the edit/);
  assert.ok(statSync(path.join(dir, "r", "en", "a.html")).mtimeMs >= before);
  assert.ok(file);
});

test("Ctrl-C stops after the running cell, keeps what is done, and the next run resumes there", async () => {
  const dir = tempDir();
  write(dir, "1-done.ipynb", [code("console.log('one')")]);
  write(dir, "2-slow.ipynb", [code("console.log('two')"), code("while (true) {}")]);
  // Its own process group, as a terminal's foreground job: Ctrl-C reaches the course and its kernel.
  const child = spawn(process.execPath, [CLI, "start", ".", "--out", "r"], {
    cwd: dir,
    env: env(),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  let sent = false;
  const status = await new Promise<number | null>((resolve) => {
    const watch = (chunk: Buffer) => {
      log += chunk.toString();
      if (!sent && /2-slow\.ipynb \[2\/2\] cell 2/.test(log)) {
        sent = true;
        process.kill(-child.pid!, "SIGINT");
      }
    };
    child.stdout!.on("data", watch);
    child.stderr!.on("data", watch);
    child.on("close", (code) => resolve(code));
  });
  assert.ok(sent, `the slow cell never started:\n${log}`);
  assert.equal(status, 130, log);
  assert.match(log, /stopped in 2-slow\.ipynb: seqlab start resumes there/);
  const again = spawnSync(process.execPath, [CLI, "start", "1-done.ipynb", "--out", "r"], { cwd: dir, env: env(), encoding: "utf8" });
  assert.match(planLine(again.stdout, "1-done.ipynb"), /cached$/);
});

test(
  "on a terminal the progress line redraws in place; in a log it is plain lines",
  { skip: spawnSync("script", ["--version"]).status === 0 ? false : "no script(1) to give the run a terminal" },
  () => {
    const dir = tempDir();
    write(dir, "a.ipynb", [code("console.log(1)"), code("console.log(2)")]);
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} start a.ipynb --out r`;
    const tty = spawnSync("script", ["-qec", cmd, "/dev/null"], { cwd: dir, env: env({ COLUMNS: "200" }), encoding: "utf8" });
    assert.equal(tty.status, 0, tty.stdout);
    assert.match(tty.stdout, /\r\x1b\[K[█░]{20} +\d+% \[1\/1\] a\.ipynb( \[\d\/2\] cell \d)? · \d+:\d\d elapsed/);
    const logged = course(dir, ["a.ipynb", "--out", "r2"]);
    assert.ok(!/\x1b\[K/.test(logged.stderr), "no control sequences in a log");
    assert.match(logged.stderr, /^\[1\/1\] a\.ipynb: started, estimate [^;]+; course 0:\d\d elapsed, ~\d+:\d\d left$/m);
    assert.match(logged.stderr, /^ {2}a\.ipynb \[2\/2\] cell 2 \(\d+:\d\d elapsed, (~\d+:\d\d left|past its estimate)\)$/m);
    assert.match(logged.stderr, /^\[1\/1\] a\.ipynb: done in \d+ s \(estimate [^)]+\)/m);
  },
);

test("two editions: a folder's ko/ notebooks run with SEQLAB_LANG=ko into reports/ko/, cached apart from the English ones of the same name; the site links them", () => {
  const dir = tempDir();
  const { mkdirSync } = require("fs") as typeof import("fs");
  mkdirSync(path.join(dir, "nb", "ko"), { recursive: true });
  const say = code("console.log(`lang=${process.env.SEQLAB_LANG ?? 'unset'}`)");
  write(path.join(dir, "nb"), "01-a.ipynb", [md("# 1. Alpha"), say]);
  write(path.join(dir, "nb"), "02-b.ipynb", [md("# 2. Beta"), code("console.log('b')")]);
  write(path.join(dir, "nb", "ko"), "01-a.ipynb", [md("# 1. 알파 (Alpha)"), say]);
  const r = course(dir, ["nb", "--out", "site", "--quick"], { SEQLAB_LANG: "en" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /3 executed, 0 reused/);
  assert.match(planLine(r.stdout, "ko/01-a.ipynb"), /not run before/);
  const out = (f: string) => JSON.parse(readFileSync(path.join(dir, "site", f), "utf8")).cells[1].outputs[0].text.join("");
  assert.equal(out("en/01-a.ipynb"), "lang=en\n");
  assert.equal(out("ko/01-a.ipynb"), "lang=ko\n");
  assert.equal(JSON.parse(readFileSync(path.join(dir, "site", "ko", "01-a.ipynb"), "utf8")).metadata.kernelspec.name, "seqlab-ko");
  assert.match(r.stdout, new RegExp(`Open the course: ${path.join(dir, "site", "index.html").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  const index = readFileSync(path.join(dir, "site", "index.html"), "utf8");
  for (const href of ["en/01-a.html", "en/02-b.html", "ko/01-a.html", "#en", "#ko"])
    assert.ok(index.includes(`href="${href}"`), `index links ${href}`);
  const enA = readFileSync(path.join(dir, "site", "en", "01-a.html"), "utf8");
  assert.match(enA, /href="02-b\.html" rel="next"/);
  assert.match(enA, /href="\.\.\/ko\/01-a\.html" rel="alternate"/);
  assert.match(readFileSync(path.join(dir, "site", "ko", "01-a.html"), "utf8"), /href="\.\.\/index\.html#ko" rel="index"[^>]*>강좌 목차/);

  // A Korean notebook added: only it runs; the English 01's report, cached, gets no new link, the Korean 01's gets its "next".
  write(path.join(dir, "nb", "ko"), "02-b.ipynb", [md("# 2. 베타 (Beta)"), code("console.log('b')")]);
  const again = course(dir, ["nb", "--out", "site", "--quick"]);
  assert.equal(again.status, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /1 executed, 3 reused/);
  assert.match(planLine(again.stdout, "02-b.ipynb"), /cached$/);
  assert.match(planLine(again.stdout, "ko/02-b.ipynb"), /not run before/);
  assert.match(
    readFileSync(path.join(dir, "site", "ko", "01-a.html"), "utf8"),
    /href="02-b\.html" rel="next"[^>]*>다음: 2\. 베타 \(Beta\)/,
  );
  assert.match(readFileSync(path.join(dir, "site", "en", "02-b.html"), "utf8"), /href="\.\.\/ko\/02-b\.html" rel="alternate"/);
  assert.equal(out("ko/01-a.ipynb"), "lang=ko\n", "the cached Korean notebook kept its outputs");
});

test("seqlab run: a notebook whose kernelspec is seqlab-ko runs with SEQLAB_LANG=ko and keeps its kernelspec", () => {
  const dir = tempDir();
  const file = path.join(dir, "k.ipynb");
  writeFileSync(
    file,
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "seqlab-ko", display_name: "TypeScript (seqlab, 한국어)", language: "typescript" } },
      cells: [code("console.log(process.env.SEQLAB_LANG)")],
    }),
  );
  const r = spawnSync(process.execPath, [CLI, "run", file], { env: env({ SEQLAB_LANG: "en" }), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const nb = JSON.parse(readFileSync(file, "utf8"));
  assert.deepEqual(nb.cells[0].outputs[0].text, ["ko\n"]);
  assert.equal(nb.metadata.kernelspec.name, "seqlab-ko");
});
