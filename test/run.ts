// `npm test`: every suite this machine can run, through Node's test runner (its summary counts
// the tests). A suite whose prerequisites are missing is skipped with the reason; under CI
// (CI=true) a skipped suite fails the run.
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "fs";
import * as os from "os";
import * as path from "path";
import { snapshotUsable } from "../kernel/server/snapshotblob";
import { python } from "./support/tools";

interface Suite {
  name: string;
  /** Why the suite cannot run here, or undefined when it can. */
  missing(): string | undefined;
}

const suites: Suite[] = [
  { name: "unit", missing: () => undefined },
  { name: "protocol", missing: () => undefined },
  // eslint and prettier over the sources (the build already refused unused names).
  { name: "lint", missing: () => undefined },
  {
    name: "snapshot",
    missing: () =>
      snapshotUsable()
        ? undefined
        : process.env.NODE_OPTIONS
          ? "NODE_OPTIONS is set, so kernels start without the start-up snapshot"
          : "no start-up snapshot for this node binary (npm install / npm ci builds it; or run node dist/kernel/server/snapshotblob.js)",
  },
  {
    name: "jupyter",
    missing: () => {
      const py = python();
      if (!py) return "no python3 with jupyter_client";
      const r = spawnSync(py, ["-c", "import jupyter_kernel_test, nbclient, nbconvert, ipykernel, notebook"], { encoding: "utf8" });
      if (r.status !== 0) {
        return `${py} lacks Jupyter's modules (${(r.stderr.trim().split("\n").pop() ?? "").trim()}); install Debian's jupyter-notebook jupyter-nbconvert python3-nbclient python3-jupyter-kernel-test jupyter-client python3-ipykernel`;
      }
      return undefined;
    },
  },
  {
    name: "browser",
    missing: () => {
      const chromium = process.env.SEQLAB_CHROMIUM ?? "/usr/bin/chromium";
      if (!existsSync(chromium)) return `no Chromium at ${chromium} (apt-get install chromium, or set SEQLAB_CHROMIUM)`;
      return undefined;
    },
  },
  {
    // the course's outputs in JupyterLab 4's renderers (npm packages bundled by esbuild at test time)
    name: "lab",
    missing: () => {
      const chromium = process.env.SEQLAB_CHROMIUM ?? "/usr/bin/chromium";
      if (!existsSync(chromium)) return `no Chromium at ${chromium} (apt-get install chromium, or set SEQLAB_CHROMIUM)`;
      for (const p of [
        "esbuild",
        "@jupyterlab/outputarea",
        "@jupyterlab/rendermime",
        "@jupyterlab/vega5-extension",
        "@jupyterlab/theme-light-extension",
        "marked",
      ]) {
        try {
          require.resolve(`${p}/package.json`);
        } catch {
          return `the dev dependency ${p} is not installed (npm install / npm ci installs it)`;
        }
      }
      return undefined;
    },
  },
  {
    // A clean clone, npm ci twice and the whole course in quick mode: about 5 minutes.
    name: "firstrun",
    missing: () => {
      // git is used when the checkout is a git work tree (a clone of HEAD), else the files are copied.
      if (spawnSync("npm", ["--version"], { encoding: "utf8" }).status !== 0) return "no npm on PATH";
      const data = process.env.SEQLAB_DATA;
      if (!data || !existsSync(path.join(data, "timemachine.txt")))
        return "no offline corpus mirror (set SEQLAB_DATA to a folder holding the corpora, e.g. ../shared/corpora)";
      const ping = spawnSync("npm", ["ping"], { encoding: "utf8", timeout: 30_000 });
      if (ping.status !== 0)
        return `the npm registry does not answer (npm ping: ${(ping.stderr || ping.error?.message || "").trim().split("\n").pop()})`;
      return undefined;
    },
  },
  {
    // The package as a teacher installs it (npm pack, npm install -g into an empty folder,
    // seqlab install --user, seqlab course, nbclient): about 3-5 minutes, most of it npm.
    name: "package",
    missing: () => {
      if (process.platform === "win32") return "the package test uses POSIX paths and the POSIX launcher";
      if (spawnSync("npm", ["--version"], { encoding: "utf8" }).status !== 0) return "no npm on PATH";
      const py = python();
      if (!py || spawnSync(py, ["-c", "import nbclient, nbformat"]).status !== 0)
        return "no python3 with nbclient (apt-get install python3-nbclient jupyter-client)";
      const ping = spawnSync("npm", ["ping"], { encoding: "utf8", timeout: 30_000 });
      if (ping.status !== 0)
        return `the npm registry does not answer (npm ping: ${(ping.stderr || ping.error?.message || "").trim().split("\n").pop()})`;
      return undefined;
    },
  },
  {
    // A classroom: Debian's JupyterHub with deploy/jupyterhub's configuration, 8 users running
    // 00-kernel-tour and 03-char-rnn (quick) at once over the kernel websocket.
    name: "hub",
    missing: () => (require("./hub/support") as typeof import("./hub/support")).hubMissing(),
  },
  {
    // Widgets live in the ipywidgets 8 front end (a page bundled now from npm), and from saved state.
    name: "widgets",
    missing: () => (require("./widgets/support") as typeof import("./widgets/support")).widgetsMissing(),
  },
];

const dist = __dirname;
// Tests read corpora from the offline mirror beside the repository when no cache is set.
const mirror = path.resolve(dist, "..", "..", "..", "shared", "corpora");
if (!process.env.SEQLAB_DATA && existsSync(mirror)) {
  process.env.SEQLAB_DATA = mirror;
  console.log(`SEQLAB_DATA=${mirror} (the offline corpus mirror)`);
}
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith("-"));
const files: string[] = [];
const skipped: string[] = [];
for (const s of suites) {
  if (wanted.length && !wanted.includes(s.name)) continue;
  const why = s.missing();
  if (why) {
    skipped.push(`${s.name}: ${why}`);
    continue;
  }
  const dir = path.join(dist, s.name);
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).sort()) if (f.endsWith(".test.js")) files.push(path.join(dir, f));
}
for (const s of skipped) console.log(`SKIPPED suite ${s}`);
const ci = process.env.CI === "true" || process.env.CI === "1";
if (!files.length) {
  // `node --test` with no files would run every test file it finds under the current folder.
  console.log(
    `no test files to run${wanted.length ? ` for ${wanted.join(", ")}` : ""}${skipped.length ? ` (skipped: ${skipped.map((s) => s.split(":")[0]).join(", ")})` : ""}`,
  );
  process.exit(ci && skipped.length ? 1 : wanted.some((w) => !suites.some((s) => s.name === w)) ? 2 : 0);
}
// One folder for the whole run: suites that need the course executed share one execution
// (test/support/course.ts).
const runDir = mkdtempSync(path.join(os.tmpdir(), "seqlab-test-run-"));
const r = spawnSync(process.execPath, ["--test", ...passthrough, ...files], {
  stdio: "inherit",
  env: { ...process.env, SEQLAB_TEST_RUN_DIR: runDir },
});
if (!process.env.SEQLAB_KEEP_TEST_RUN) rmSync(runDir, { recursive: true, force: true });
else console.log(`kept ${runDir} (SEQLAB_KEEP_TEST_RUN)`);
if (skipped.length)
  console.log(`skipped ${skipped.length} suite(s): ${skipped.map((s) => s.split(":")[0]).join(", ")}${ci ? " (a failure under CI)" : ""}`);
process.exit(r.status !== 0 ? (r.status ?? 1) : ci && skipped.length ? 1 : 0);
