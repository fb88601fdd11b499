// Loading TypeScript for the kernel (tslab's build, @tslab/typescript-for-tslab), and how it sees
// the file system:
//  - loading: from the start-up snapshot when the kernel started from one (snapshot.ts), else
//    with a V8 code cache (codecache.ts);
//  - module resolution: `seqlab` always means this kernel's own package, and any other package
//    missing from the notebook's folder falls back to the kernel's (so types for @types/node and
//    @tensorflow/tfjs resolve in a bare folder, where tslab fails every cell);
//  - @types/node is read without its JSDoc, and the standard library's and @types' declarations
//    come from the snapshot's memory when it has them.
// What the compiler does with cells is converter.ts.
import { statSync } from "fs";
import Module from "module";
import * as path from "path";
import type * as TS from "typescript";
import { requireWithCodeCache } from "./codecache";

export const PACKAGE_ROOT = path.resolve(__dirname, "..", "..", "..");
const OWN_NODE_MODULES = path.join(PACKAGE_ROOT, "node_modules");

let ts: typeof TS | undefined;

/** Write the compiler's code cache; the executor calls it once the converter has been built. */
export let saveCodeCache: () => void = () => {};

/** Load the compiler and adapt its file system for a kernel working in `cwd`. Returns typescript. */
export function setupTypeScript(cwd: string): typeof TS {
  if (ts) return ts;
  const tsPath = require.resolve("@tslab/typescript-for-tslab", { paths: [require.resolve("tslab")] });
  const loaded = snapshotMatches(tsPath) ? fromSnapshot(tsPath) : requireWithCodeCache(tsPath);
  saveCodeCache = loaded.save;
  const real = loaded.exports as typeof TS;
  patchSys(real, cwd);
  ts = real;
  return real;
}

/** What a kernel started from the start-up snapshot has in memory (kernel/server/snapshot.ts). */
interface Snapshot {
  ts: typeof TS;
  tsPath: string;
  tsStamp: string;
  text(fileName: string): string | undefined;
}
const snapshot: Snapshot | undefined = (globalThis as any).__seqlabSnapshot;

/** Whether the snapshot's compiler is the one installed now (an `npm install` may have replaced it). */
function snapshotMatches(tsPath: string): boolean {
  if (snapshot?.tsPath !== tsPath) return false;
  const st = statSync(tsPath);
  return snapshot.tsStamp === `${st.size}:${st.mtimeMs}`;
}

/** The snapshot's compiler, registered as the module tslab requires. */
function fromSnapshot(tsPath: string) {
  const mod = new Module(tsPath, module);
  mod.filename = tsPath;
  mod.exports = snapshot!.ts;
  mod.loaded = true;
  require.cache[tsPath] = mod;
  return { exports: mod.exports, save() {} };
}

/**
 * Map paths that TypeScript probes to where the files really are:
 * <cwd>/node_modules/seqlab/** → the kernel's package; /node_modules/** (the last place module
 * resolution looks) → the kernel's node_modules.
 */
function patchSys(real: typeof TS, cwd: string) {
  const sys = real.sys;
  const own = path.join(cwd, "node_modules", "seqlab");
  const rootModules = path.join(path.parse(cwd).root, "node_modules");
  const map = (p: string): string => {
    // The compiler's paths are normalised already, but for the odd "." or "..": normalize is
    // costly for the thousands of probes of a start-up.
    const n = p.includes("/.") || p.includes("//") || path.sep !== "/" ? path.normalize(p) : p;
    if (n === own || n.startsWith(own + path.sep)) return PACKAGE_ROOT + n.slice(own.length);
    if ((n === rootModules || n.startsWith(rootModules + path.sep)) && !realExists(n)) {
      return OWN_NODE_MODULES + n.slice(rootModules.length);
    }
    return p;
  };
  const realExists = (p: string) => origDirExists(p) || origFileExists(p);
  const origDirExists = sys.directoryExists.bind(sys);
  const origFileExists = sys.fileExists.bind(sys);
  const wrap = <K extends keyof TS.System>(key: K) => {
    const orig = (sys[key] as any)?.bind(sys);
    if (orig) (sys as any)[key] = (p: string, ...rest: any[]) => orig(map(p), ...rest);
  };
  for (const key of [
    "fileExists",
    "readFile",
    "directoryExists",
    "getDirectories",
    "readDirectory",
    "realpath",
    "getModifiedTime",
  ] as const) {
    wrap(key);
  }
  // A virtual folder must exist for resolution to look into it.
  const dirExists = sys.directoryExists;
  sys.directoryExists = (p: string) => path.normalize(p) === path.join(cwd, "node_modules") || dirExists(p);
  // Start-up is mostly the parsing of declaration files, and @types/node is 85% of their bytes,
  // two thirds of them JSDoc (TypeScript 5.0 parses every JSDoc comment into nodes). Without it
  // the converter is built with about a sixth less CPU time (bench/README.md, kernel-latency);
  // the cost: inspecting a Node API shows its type but not its prose (the standard library's,
  // seqlab's and the cells' own documentation are kept).
  const readFile = sys.readFile;
  sys.readFile = (p: string, encoding?: string) => {
    const saved = snapshot && isFixedDeclaration(p) ? snapshot.text(p) : undefined;
    if (saved !== undefined) return saved;
    const text = readFile(p, encoding);
    return text !== undefined && isFixedDeclaration(p) && p.includes(TYPES_NODE) ? text.replace(JSDOC, "") : text;
  };
}

const TYPES_NODE = `${path.sep}node_modules${path.sep}@types${path.sep}node${path.sep}`;
/** A JSDoc block that starts a line (in @types/node every one does). */
const JSDOC = /^[ \t]*\/\*\*[\s\S]*?\*\/[ \t]*\r?\n/gm;
let libDir: string | undefined;

/** The compiler's lib.*.d.ts and installed @types declarations. */
function isFixedDeclaration(p: string): boolean {
  if (!p.endsWith(".d.ts")) return false;
  libDir ??= path.dirname(require.resolve("@tslab/typescript-for-tslab", { paths: [require.resolve("tslab")] }));
  return p.startsWith(libDir + path.sep) || p.includes(`${path.sep}node_modules${path.sep}@types${path.sep}`);
}
