// `seqlab install`: write the kernelspecs that start this package's kernel, whatever folder the
// notebook is in (absolute paths to node and to our entry point; no lookup near the notebook):
// `seqlab` (messages in the language of the environment, English by default) and `seqlab-ko`
// (the same kernel with SEQLAB_LANG=ko, named by the Korean edition's notebooks in notebooks/ko/).
import { execFileSync } from "child_process";
import { chmodSync, mkdirSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { KERNEL_NODE_FLAGS, kernelspecLauncher } from "../server/snapshotblob";

export type Where = { kind: "user" } | { kind: "sys-prefix" } | { kind: "prefix"; dir: string };

export function userDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Jupyter");
  if (process.platform === "win32") return path.join(process.env.APPDATA ?? os.homedir(), "jupyter");
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), ".local", "share"), "jupyter");
}

function pythonPrefix(): string {
  for (const py of ["python3", "python"]) {
    try {
      return execFileSync(py, ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8" }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error("--sys-prefix needs a python3 on PATH (to find sys.prefix); use --user or --prefix DIR instead");
}

/** The kernelspecs: one per language of the course's editions. */
export const KERNELSPECS = {
  seqlab: { display_name: "TypeScript (seqlab)", env: undefined as Record<string, string> | undefined },
  "seqlab-ko": { display_name: "TypeScript (seqlab, 한국어)", env: { SEQLAB_LANG: "ko" } as Record<string, string> | undefined },
};
export type KernelName = keyof typeof KERNELSPECS;

export function kernelDir(where: Where, name: KernelName = "seqlab"): string {
  const base =
    where.kind === "user"
      ? userDataDir()
      : where.kind === "sys-prefix"
        ? path.join(pythonPrefix(), "share", "jupyter")
        : path.join(path.resolve(where.dir), "share", "jupyter");
  return path.join(base, "kernels", name);
}

/**
 * A kernelspec. On POSIX it starts the kernel through a launcher kept beside kernel.json, which
 * picks the start-up snapshot built for the node it runs, wherever it was built (the package's
 * folder or the user's cache) and whenever (after this install too), and otherwise starts the
 * kernel without one (kernel/server/snapshotblob.ts). seqlab-ko adds SEQLAB_LANG=ko to its env.
 */
export function kernelSpec(dir: string, name: KernelName = "seqlab") {
  const { display_name, env } = KERNELSPECS[name];
  const cli = path.join(__dirname, "cli.js");
  const command =
    process.platform === "win32"
      ? [process.execPath, ...KERNEL_NODE_FLAGS, cli]
      : ["/bin/sh", path.join(dir, "kernel.sh"), process.execPath, cli];
  return {
    argv: [...command, "kernel", "-f", "{connection_file}"],
    display_name,
    language: "typescript",
    interrupt_mode: "signal",
    ...(env ? { env } : {}),
    metadata: { debugger: false },
  };
}

/** Write both kernelspecs (each with its launcher); returns their folders (seqlab's first). */
export function install(where: Where): string[] {
  return (Object.keys(KERNELSPECS) as KernelName[]).map((name) => {
    const dir = kernelDir(where, name);
    mkdirSync(dir, { recursive: true });
    if (process.platform !== "win32") {
      writeFileSync(path.join(dir, "kernel.sh"), kernelspecLauncher());
      chmodSync(path.join(dir, "kernel.sh"), 0o755);
    }
    writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(kernelSpec(dir, name), null, 2) + "\n");
    return dir;
  });
}
