// Build the kernel's start-up snapshot (kernel/snapshot.ts) and start kernels from it.
//
// A V8 snapshot only loads into the very node binary that wrote it; any other crashes at once
// (node checks a checksum and aborts, no fallback). So the blob is stored with the identity of
// the binary that built it (size, mtime and inode: an upgrade replaces the file), and a kernel is
// started from it only through a small POSIX launcher that compares that identity with the node it
// is about to exec, and otherwise starts the kernel without the snapshot, as before. `exec` keeps
// one process, so Jupyter's signals (interrupt, kill) reach the kernel itself.
import { spawnSync } from "child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "fs";
import * as path from "path";

const DIR = path.join(__dirname, "snapshot");
const BLOB = path.join(DIR, "kernel.blob");
const ID = path.join(DIR, "node.id");
const LAUNCHER = path.join(DIR, "kernel.sh");
const CLI = path.join(__dirname, "cli.js");
/** seqlab's own declarations (with tfjs's): nearly every notebook's first cell imports them. */
const SEQLAB_TYPES = path.resolve(__dirname, "..", "src", "index");

/** size:mtime:inode of a file, as the launcher's `stat` prints it. */
function identity(file: string): string {
  const st = statSync(file);
  return `${st.size}:${Math.floor(st.mtimeMs / 1000)}:${st.ino}`;
}

/** The command that starts a kernel with this node: from the snapshot when there is one. */
export function kernelCommand(node = process.execPath): string[] {
  if (process.platform !== "win32" && existsSync(LAUNCHER) && existsSync(BLOB)) return ["/bin/sh", LAUNCHER, node, CLI];
  return [node, CLI];
}

/** Whether a kernel started now by kernelCommand() would use the snapshot. */
export function snapshotUsable(node = process.execPath): boolean {
  try {
    return kernelCommand(node)[0] === "/bin/sh" && !process.env.NODE_OPTIONS && readFileSync(ID, "utf8").trim() === identity(node);
  } catch {
    return false;
  }
}

const LAUNCHER_TEXT = `#!/bin/sh
# Written by seqlab (kernel/snapshotblob.ts). Usage: kernel.sh NODE CLI ARGS...
# Starts the seqlab kernel from its start-up snapshot if NODE is the binary that built it,
# otherwise without it (a snapshot from another node binary would crash it).
node="$1"; cli="$2"; shift 2
dir=$(dirname "$0")
id=$(stat -L -c '%s:%Y:%i' "$node" 2>/dev/null || stat -L -f '%z:%m:%i' "$node" 2>/dev/null)
# NODE_OPTIONS may hold V8 flags, and a snapshot loads only under the flags it was built with.
if [ -z "$NODE_OPTIONS" ] && [ -n "$id" ] && [ -f "$dir/kernel.blob" ] && [ "$id" = "$(cat "$dir/node.id" 2>/dev/null)" ]; then
  exec "$node" --snapshot-blob "$dir/kernel.blob" "$cli" "$@"
fi
exec "$node" "$cli" "$@"
`;

/**
 * Build the snapshot for this node into dist/kernel/snapshot/, replacing an old one only once the
 * new one has started a kernel's TypeScript. Returns a line saying what happened; a failure is
 * reported, not thrown: the kernel then starts without a snapshot.
 */
export function buildSnapshot(): string {
  if (process.platform === "win32") return "start-up snapshot: skipped on Windows (the launcher is a POSIX shell script)";
  const tsPath = require.resolve("@tslab/typescript-for-tslab", { paths: [require.resolve("tslab")] });
  const typesNode = path.dirname(require.resolve("@types/node/package.json"));
  const major = Number(process.versions.node.split(".")[0]);
  // The converter's target (converter.ts) is es2022, which Node has from 18 on.
  if (major < 18) return "start-up snapshot: skipped (cells are compiled for es2022, Node 18 and later)";
  const config = { tsPath, typeRoots: [path.dirname(typesNode)], target: 9 /* ES2022 */, lib: ["lib.es2022.d.ts"], imports: [SEQLAB_TYPES] };
  mkdirSync(DIR, { recursive: true });
  const tmp = `${BLOB}.${process.pid}.tmp`;
  const t0 = Date.now();
  const built = spawnSync(process.execPath, ["--snapshot-blob", tmp, "--build-snapshot", path.join(__dirname, "snapshot.js")], {
    env: { ...process.env, SEQLAB_SNAPSHOT_CONFIG: JSON.stringify(config) },
    encoding: "utf8",
  });
  const fail = (what: string, r: { status: number | null; signal?: NodeJS.Signals | null; stderr?: string }) => {
    rmSync(tmp, { force: true });
    return `start-up snapshot: not built (${what}: status ${r.status ?? r.signal}); kernels start without it.\n${(r.stderr ?? "").trim().split("\n").slice(-5).join("\n")}`;
  };
  if (built.status !== 0) return fail("building it failed", built);
  // Check the blob before using it: the command line must start from it.
  const version: string = require("../../package.json").version;
  const probe = spawnSync(process.execPath, ["--snapshot-blob", tmp, CLI, "--version"], { encoding: "utf8" });
  if (probe.status !== 0 || probe.stdout.trim() !== version) return fail("it does not start the command line", probe);
  renameSync(tmp, BLOB);
  writeFileSync(ID, identity(process.execPath) + "\n");
  writeFileSync(LAUNCHER, LAUNCHER_TEXT);
  chmodSync(LAUNCHER, 0o755);
  const mb = (statSync(BLOB).size / 2 ** 20).toFixed(0);
  return `start-up snapshot: ${path.relative(process.cwd(), BLOB)} (${mb} MB, ${((Date.now() - t0) / 1000).toFixed(1)} s, for node ${process.version})`;
}

if (require.main === module) console.log(buildSnapshot());
