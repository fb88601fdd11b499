// Where the tests find Jupyter's Python tools and this package's built files.
import { spawnSync } from "child_process";
import { mkdtempSync } from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..", "..");
export const CLI = path.join(ROOT, "dist", "kernel", "tools", "cli.js");

/** Debian's python3 first: the python3 first on PATH may lack Jupyter's modules. */
export function python(): string | undefined {
  for (const py of [process.env.SEQLAB_PYTHON, "/usr/bin/python3", "python3"]) {
    if (!py) continue;
    if (spawnSync(py, ["-c", "import jupyter_client"]).status === 0) return py;
  }
  return undefined;
}

export function tempDir(prefix = "seqlab-test-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Install the kernelspec into a fresh prefix; returns env vars that make Jupyter find it. */
export function kernelspecEnv(): NodeJS.ProcessEnv {
  const prefix = tempDir("seqlab-ks-");
  const r = spawnSync(process.execPath, [CLI, "install", "--prefix", prefix, "--no-snapshot"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`seqlab install failed: ${r.stderr}`);
  return { ...process.env, JUPYTER_PATH: path.join(prefix, "share", "jupyter"), XDG_DATA_HOME: path.join(prefix, "data") };
}
