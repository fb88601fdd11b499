// What the widget browser tests need: Chromium, Debian's Jupyter (notebook server, nbconvert,
// nbclient), and from npm (devDependencies) esbuild with the ipywidgets 8 front end.
import { ChildProcess, spawn, spawnSync } from "child_process";
import { existsSync, writeFileSync } from "fs";
import * as path from "path";
import { randomBytes } from "crypto";
import { chromium, type Browser } from "playwright-core";
import { freePort } from "../../kernel/tools/client";
import { kernelspecEnv, python, ROOT, tempDir } from "../support/tools";

export const CHROMIUM = process.env.SEQLAB_CHROMIUM ?? "/usr/bin/chromium";
export const ci = process.env.CI === "true" || process.env.CI === "1";

/** Why the widget browser tests cannot run here, or undefined. */
export function widgetsMissing(): string | undefined {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set SEQLAB_CHROMIUM)`;
  const py = python();
  if (!py) return "no python3 with jupyter_client (apt-get install jupyter-notebook jupyter-nbconvert python3-nbclient)";
  const r = spawnSync(py, ["-c", "import notebook, nbconvert, nbclient"], { encoding: "utf8" });
  if (r.status !== 0)
    return `${py} lacks the notebook server or nbconvert (apt-get install jupyter-notebook jupyter-nbconvert python3-nbclient)`;
  for (const pkg of ["esbuild", "@jupyter-widgets/html-manager", "@jupyterlab/services"]) {
    try {
      require.resolve(`${pkg}/package.json`, { paths: [ROOT] });
    } catch {
      return `the npm package ${pkg} is missing (npm install: it is a devDependency)`;
    }
  }
  return undefined;
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** Bundle the live page (test/widgets/page/live.js) with its CSS and fonts into dir. */
export async function buildPage(dir: string): Promise<void> {
  const esbuild = require(require.resolve("esbuild", { paths: [ROOT] })) as typeof import("esbuild");
  await esbuild.build({
    entryPoints: [path.join(ROOT, "test", "widgets", "page", "live.js")],
    bundle: true,
    outdir: dir,
    format: "iife",
    platform: "browser",
    target: "chrome110",
    loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".eot": "file", ".svg": "file", ".png": "file", ".gif": "file" },
    define: { "process.env.NODE_ENV": '"production"', global: "window" },
    // html-manager's AMD entry assigns webpack's public path; give it something to assign to.
    banner: { js: 'var __webpack_public_path__ = "";' },
    logLevel: "error",
  });
  writeFileSync(
    path.join(dir, "live.html"),
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>seqlab widgets</title><link rel="stylesheet" href="live.css"></head>\n<body><script src="live.js"></script></body></html>\n',
  );
}

export interface Server {
  url: string;
  token: string;
  /** The page, served same-origin by the server's static handler (/files/ pages are sandboxed). */
  page: string;
  stop(): Promise<void>;
}

/**
 * Debian's classic notebook server on 127.0.0.1, with seqlab's kernelspec from a fresh prefix, its
 * runtime and config in a temp folder, serving `pageDir` under /static/.
 */
export async function startServer(pageDir: string): Promise<Server> {
  const port = await freePort();
  const token = randomBytes(12).toString("hex");
  const home = tempDir("seqlab-jupyter-");
  const env = {
    ...kernelspecEnv(),
    JUPYTER_RUNTIME_DIR: path.join(home, "runtime"),
    JUPYTER_CONFIG_DIR: path.join(home, "config"),
    JUPYTER_DATA_DIR: path.join(home, "data"),
    SEQLAB_QUICK: "1",
  };
  const args = [
    "-m",
    "notebook",
    "--no-browser",
    "--allow-root",
    "--ip=127.0.0.1",
    `--port=${port}`,
    "--port-retries=0",
    `--NotebookApp.token=${token}`,
    `--notebook-dir=${pageDir}`,
    `--NotebookApp.extra_static_paths=${JSON.stringify([pageDir])}`,
  ];
  const proc: ChildProcess = spawn(python()!, args, { cwd: pageDir, env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  proc.stderr!.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the notebook server exited (${proc.exitCode}):\n${log}`);
    try {
      const r = await fetch(`${url}/api/status?token=${token}`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`the notebook server did not answer within 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    token,
    page: `${url}/static/live.html`,
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}
