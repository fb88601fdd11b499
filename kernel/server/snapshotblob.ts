// Build the kernel's start-up snapshot (kernel/server/snapshot.ts) and start kernels from it.
//
// A V8 snapshot only loads into the very node binary that wrote it; any other crashes at once
// (node checks a checksum and aborts, no fallback). So the blob is stored with the identity of
// the binary that built it (size, mtime and inode: an upgrade replaces the file), and a kernel is
// started from it only through a small POSIX launcher that compares that identity with the node it
// is about to exec, and otherwise starts the kernel without the snapshot, as before. `exec` keeps
// one process, so Jupyter's signals (interrupt, kill) reach the kernel itself.
//
// Where the blob lives: dist/kernel/server/snapshot/ in the package when that folder is writable (a clone,
// or an `npm install -g` by the same user), else the user's cache (a package installed by root and
// used by others): ~/.cache/seqlab/snapshot/VERSION-KEY. It is built for the user's own node after
// installation, never by an install script (npm 12 blocks those): by `seqlab install`, or, when a
// kernel starts and finds none for its node (never built, or node upgraded), in the background
// by that kernel, which itself starts without one.
import { spawn, spawnSync } from "child_process";
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "fs";
import * as os from "os";
import * as path from "path";

const DIR = path.join(__dirname, "snapshot");
const CLI = path.join(__dirname, "..", "tools", "cli.js");
/** seqlab's own declarations (with tfjs's): nearly every notebook's first cell imports them. */
const SEQLAB_TYPES = path.resolve(__dirname, "..", "..", "src", "index");
const VERSION: string = require("../../../package.json").version;

/**
 * The user's own snapshot folder for this copy of the package: the cache folder plus the version
 * and a checksum of the package's path (two installed copies never share a blob). The launcher
 * computes the same path from the user's environment, so one kernelspec serves every user.
 */
export function userSnapshotDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), ".cache");
  return path.join(cache, "seqlab", "snapshot", snapshotKey());
}

function snapshotKey(): string {
  let h = 0x811c9dc5; // FNV-1a: a stable name, not a security measure
  for (const b of Buffer.from(path.dirname(CLI))) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return `${VERSION}-${h.toString(16).padStart(8, "0")}`;
}

/** Where a kernel looks for a blob, in order: the package's folder, then the user's. */
export function snapshotDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  return [DIR, userSnapshotDir(env)];
}

/** Where a new blob is built: the package's folder when it can be written, else the user's. */
export function snapshotTarget(env: NodeJS.ProcessEnv = process.env): string {
  try {
    mkdirSync(DIR, { recursive: true });
    accessSync(DIR, constants.W_OK);
    return DIR;
  } catch {
    return userSnapshotDir(env);
  }
}

/** size:mtime:inode of a file, as the launcher's `stat` prints it. */
export function identity(file: string): string {
  const st = statSync(file);
  return `${st.size}:${Math.floor(st.mtimeMs / 1000)}:${st.ino}`;
}

/**
 * Node flags for a kernel started without the snapshot (a classroom server starts them so, where
 * memory per kernel decides how many students fit):
 * - a young generation of 2 MB semi-spaces instead of V8's 16 MB: a kernel's garbage is mostly
 *   short-lived compiler and tensor bookkeeping, and the larger young generation only holds more
 *   of it (bench/kernel-memory: 11-23 MB less for an idle kernel, about 45 MB less after notebook 03);
 * - one V8 background thread instead of four: each thread's malloc arena stays resident (about
 *   12-20 MB less for an idle kernel); on a server shared by a class the cores are busy anyway.
 * Neither cost measurable time on this (noisy, shared) machine. Not for a kernel from the
 * snapshot: it loads only under the V8 flags it was built with.
 */
export const KERNEL_NODE_FLAGS = ["--max-semi-space-size=2", "--v8-pool-size=1"];

/** The command that starts a kernel with this node: from the snapshot when there is one. */
export function kernelCommand(node = process.execPath): string[] {
  if (process.platform !== "win32") {
    for (const dir of snapshotDirs()) {
      if (existsSync(path.join(dir, "kernel.sh")) && existsSync(path.join(dir, "kernel.blob")))
        return ["/bin/sh", path.join(dir, "kernel.sh"), node, CLI];
    }
  }
  return [node, ...KERNEL_NODE_FLAGS, CLI];
}

/** The folder whose blob a kernel started now with this node would use, if any. */
export function usableSnapshot(node = process.execPath, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (process.platform === "win32" || env.NODE_OPTIONS || env.SEQLAB_SNAPSHOT === "off") return undefined;
  let id: string;
  try {
    id = identity(node);
  } catch {
    return undefined;
  }
  return snapshotDirs(env).find((dir) => {
    try {
      return existsSync(path.join(dir, "kernel.blob")) && readFileSync(path.join(dir, "node.id"), "utf8").trim() === id;
    } catch {
      return false;
    }
  });
}

/** Whether a kernel started now by kernelCommand() would use the snapshot. */
export function snapshotUsable(node = process.execPath): boolean {
  const dir = usableSnapshot(node);
  return dir !== undefined && kernelCommand(node)[0] === "/bin/sh";
}

/**
 * The launcher: `kernel.sh NODE CLI ARGS...`. It looks for a blob in `dirs` (shell words, expanded
 * when it runs), uses the first one built by NODE, and otherwise starts the kernel without one,
 * telling it (SEQLAB_SNAPSHOT_MISSING) so that it can build one in the background. It skips the
 * snapshot when NODE_OPTIONS is set (it may hold V8 flags, and a snapshot loads only under the
 * flags it was built with) or SEQLAB_SNAPSHOT=off (a classroom server, where the ~100 MB each
 * kernel started from it holds weigh more than the second it saves: see README).
 */
export function launcherText(dirs: string[]): string {
  return `#!/bin/sh
# Written by seqlab (kernel/server/snapshotblob.ts). Usage: kernel.sh NODE CLI ARGS...
# Starts the seqlab kernel from its start-up snapshot if NODE is the binary that built it,
# otherwise without it (a snapshot from another node binary would crash it).
node="$1"; cli="$2"; shift 2
if [ -z "$NODE_OPTIONS" ] && [ "$SEQLAB_SNAPSHOT" != off ]; then
  id=$(stat -L -c '%s:%Y:%i' "$node" 2>/dev/null || stat -L -f '%z:%m:%i' "$node" 2>/dev/null)
  for dir in ${dirs.join(" ")}; do
    if [ -n "$id" ] && [ -f "$dir/kernel.blob" ] && [ "$id" = "$(cat "$dir/node.id" 2>/dev/null)" ]; then
      exec "$node" --snapshot-blob "$dir/kernel.blob" "$cli" "$@"
    fi
  done
  SEQLAB_SNAPSHOT_MISSING=1; export SEQLAB_SNAPSHOT_MISSING
fi
exec "$node" ${KERNEL_NODE_FLAGS.join(" ")} "$cli" "$@"
`;
}

/** A shell word for a fixed path. */
const shellWord = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;

/** The launcher a kernelspec uses: the package's folder, then the cache of whichever user runs it. */
export function kernelspecLauncher(): string {
  return launcherText([shellWord(DIR), `"\${XDG_CACHE_HOME:-$HOME/.cache}/seqlab/snapshot/${snapshotKey()}"`]);
}

/** The launcher beside a blob: the blob in its own folder. */
const OWN_LAUNCHER = launcherText([`"$(dirname "$0")"`]);

/**
 * Build the snapshot for this node into `dir` (the package's dist/kernel/server/snapshot/ when writable,
 * else the user's cache), replacing an old one only once the new one has started a kernel's
 * TypeScript. Returns a line saying what happened; a failure is reported, not thrown: the kernel
 * then starts without a snapshot.
 */
export function buildSnapshot(dir = snapshotTarget()): string {
  if (process.platform === "win32") return "start-up snapshot: skipped on Windows (the launcher is a POSIX shell script)";
  const tsPath = require.resolve("@tslab/typescript-for-tslab", { paths: [require.resolve("tslab")] });
  const typesNode = path.dirname(require.resolve("@types/node/package.json"));
  const major = Number(process.versions.node.split(".")[0]);
  // The converter's target (converter.ts) is es2022, which Node has from 18 on.
  if (major < 18) return "start-up snapshot: skipped (cells are compiled for es2022, Node 18 and later)";
  const config = {
    tsPath,
    typeRoots: [path.dirname(typesNode)],
    target: 9 /* ES2022 */,
    lib: ["lib.es2022.d.ts"],
    imports: [SEQLAB_TYPES],
  };
  const blob = path.join(dir, "kernel.blob");
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    return `start-up snapshot: not built (cannot create ${dir}: ${(e as Error).message}); kernels start without it.`;
  }
  const tmp = `${blob}.${process.pid}.tmp`;
  const t0 = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, SEQLAB_SNAPSHOT_CONFIG: JSON.stringify(config) };
  delete env.SEQLAB_SNAPSHOT_MISSING;
  const built = spawnSync(process.execPath, ["--snapshot-blob", tmp, "--build-snapshot", path.join(__dirname, "snapshot.js")], {
    env,
    encoding: "utf8",
  });
  const fail = (what: string, r: { status: number | null; signal?: NodeJS.Signals | null; stderr?: string }) => {
    rmSync(tmp, { force: true });
    return `start-up snapshot: not built (${what}: status ${r.status ?? r.signal}); kernels start without it.\n${(r.stderr ?? "").trim().split("\n").slice(-5).join("\n")}`;
  };
  if (built.status !== 0) return fail("building it failed", built);
  // Check the blob before using it: the command line must start from it.
  const probe = spawnSync(process.execPath, ["--snapshot-blob", tmp, CLI, "--version"], { encoding: "utf8" });
  if (probe.status !== 0 || probe.stdout.trim() !== VERSION) return fail("it does not start the command line", probe);
  // The identity last, each file replaced whole: a launcher reading in between finds a blob and an
  // identity that do not match this node and starts the kernel without the snapshot.
  rmSync(path.join(dir, "node.id"), { force: true });
  renameSync(tmp, blob);
  writeAtomically(path.join(dir, "kernel.sh"), OWN_LAUNCHER, 0o755);
  writeAtomically(path.join(dir, "node.id"), identity(process.execPath) + "\n", 0o644);
  const mb = (statSync(blob).size / 2 ** 20).toFixed(0);
  const shown = path.relative(process.cwd(), blob).startsWith("..") ? blob : path.relative(process.cwd(), blob);
  return `start-up snapshot: ${shown} (${mb} MB, ${((Date.now() - t0) / 1000).toFixed(1)} s, for node ${process.version})`;
}

function writeAtomically(file: string, text: string, mode: number) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

/** How long a build may hold its lock before another kernel may take over (a build takes 10-60 s). */
const LOCK_STALE_MS = 15 * 60_000;

/** Take `dir`.lock, or return undefined when a live build holds it. */
function takeLock(dir: string): string | undefined {
  const lock = `${dir}.lock`;
  mkdirSync(path.dirname(lock), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      closeSync(openSync(lock, "wx"));
      writeFileSync(lock, `${process.pid}\n`);
      return lock;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let stale = true;
      try {
        const pid = Number(readFileSync(lock, "utf8").trim());
        const young = Date.now() - statSync(lock).mtimeMs < LOCK_STALE_MS;
        stale = !(young && pid > 0 && alive(pid));
      } catch {
        // removed meanwhile: try again
      }
      if (!stale) return undefined;
      rmSync(lock, { force: true });
    }
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Called by a kernel that the launcher started without a snapshot because none fits its node:
 * build one in the background (its own process group, so Jupyter's signals to the kernel do not
 * reach it; lowest priority, so the kernel's cells come first), for the next kernel to start from.
 * One build per folder at a time. Returns the folder it builds into, or undefined.
 */
export function buildInBackground(): string | undefined {
  if (process.platform === "win32" || process.env.NODE_OPTIONS || process.env.SEQLAB_SNAPSHOT === "off") return undefined;
  const dir = snapshotTarget();
  const env = { ...process.env };
  delete env.SEQLAB_SNAPSHOT_MISSING;
  try {
    mkdirSync(dir, { recursive: true });
    const log = openSync(path.join(dir, "build.log"), "w");
    const child = spawn("nice", ["-n", "19", process.execPath, __filename, "--background", dir], {
      detached: true,
      stdio: ["ignore", log, log],
      env,
    });
    child.on("error", () => {}); // no `nice`: the build is skipped, the kernel is unaffected
    child.unref();
    closeSync(log);
    return dir;
  } catch {
    return undefined;
  }
}

if (require.main === module) {
  const [flag, dir] = process.argv.slice(2);
  if (flag === "--background" && dir) {
    const lock = takeLock(dir);
    if (!lock) {
      console.log(`start-up snapshot: another build holds ${dir}.lock`);
    } else {
      try {
        if (usableSnapshot() === undefined) console.log(buildSnapshot(dir));
        else console.log("start-up snapshot: one for this node is there already");
      } finally {
        rmSync(lock, { force: true });
      }
    }
  } else {
    console.log(buildSnapshot());
  }
}
