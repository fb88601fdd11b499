// How tslab's converter is adapted to seqlab, without forking it:
//  - module resolution: `seqlab` always means this kernel's own package, and any other package
//    missing from the notebook's folder falls back to the kernel's (so types for @types/node and
//    @tensorflow/tfjs resolve in a bare folder, where tslab fails every cell);
//  - source maps: each cell is compiled with maps (TS → ES module → CommonJS), so errors point
//    at the cell's own lines;
//  - interruptible awaits: every `await x` in the code of cell n becomes
//    `await __seqlab__.guard(x, n)`, which rejects once cell n is interrupted, so an `await` loop
//    stops too, even one that outlives its cell.
import { statSync } from "fs";
import Module from "module";
import * as path from "path";
import type * as TS from "typescript";
import { requireWithCodeCache } from "./codecache";

export const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");
const OWN_NODE_MODULES = path.join(PACKAGE_ROOT, "node_modules");

/** The maps of the most recent transpile (the converter transpiles the cell last). */
export interface CellMaps {
  esm?: any; // TS source → ES module JS
  cjs?: any; // ES module JS → CommonJS JS
}
export let lastMaps: CellMaps = {};

/** The number of the cell being compiled: its awaits are guarded for that cell (executor.ts). */
let cellNumber = 0;
export function setCellNumber(n: number) {
  cellNumber = n;
}

let ts: typeof TS | undefined;

/** Write the compiler's code cache; the executor calls it once the converter has been built. */
export let saveCodeCache: () => void = () => {};

/** Install the adaptations; must run before tslab's converter is first required. Returns typescript. */
export function setupTypeScript(cwd: string): typeof TS {
  if (ts) return ts;
  const tsPath = require.resolve("@tslab/typescript-for-tslab", { paths: [require.resolve("tslab")] });
  const loaded = snapshotMatches(tsPath) ? fromSnapshot(tsPath) : requireWithCodeCache(tsPath);
  saveCodeCache = loaded.save;
  const real = loaded.exports as typeof TS;
  const overrides: Record<string, unknown> = {
    // Only @types/node is included without an import: the kernel's node_modules carries a dozen
    // @types packages (from tfjs and others) that would each be parsed at start-up for nothing.
    createWatchCompilerHost: (roots: any, options: TS.CompilerOptions, ...rest: any[]) =>
      withPrevShorthands(real, (real.createWatchCompilerHost as any)(roots, { ...options, inlineSourceMap: true, types: ["node"] }, ...rest)),
    transpileModule: (input: string, opts: TS.TranspileOptions) => transpile(real, input, opts),
  };
  const wrapper: any = {};
  for (const key of Object.keys(real)) {
    const get = key in overrides ? () => overrides[key] : () => (real as any)[key];
    Object.defineProperty(wrapper, key, { enumerable: true, get });
  }
  require.cache[tsPath]!.exports = wrapper;
  patchSys(real, cwd);
  ts = real;
  return real;
}

/** What a kernel started from the start-up snapshot has in memory (kernel/snapshot.ts). */
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

const INLINE_MAP = /\n?\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;

function transpile(real: typeof TS, input: string, opts: TS.TranspileOptions): TS.TranspileOutput {
  const m = INLINE_MAP.exec(input);
  const esm = m ? JSON.parse(Buffer.from(m[1], "base64").toString("utf8")) : undefined;
  const src = m ? input.slice(0, m.index) : input;
  const out = real.transpileModule(src, {
    ...opts,
    compilerOptions: { ...opts.compilerOptions, sourceMap: true, inlineSourceMap: false },
    // A local module a cell imports belongs to no cell: its awaits are guarded for none (0).
    transformers: { before: [guardAwaits(real, isCell(esm) ? cellNumber : 0)], after: [plainExports(real)] },
  });
  lastMaps = { esm, cjs: out.sourceMapText ? JSON.parse(out.sourceMapText) : undefined };
  // Drop the trailing `//# sourceMappingURL=custom.js.map` line.
  return { ...out, outputText: out.outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n") };
}

/** Whether an emitted file is the cell itself (tslab's `__tslab__.ts`), by its source map. */
function isCell(esm: { sources?: string[] } | undefined): boolean {
  return esm?.sources?.some((s) => s.endsWith("__tslab__.ts")) ?? true;
}

function guardAwaits(real: typeof TS, cell: number): TS.TransformerFactory<TS.SourceFile> {
  return (ctx) => {
    const f = ctx.factory;
    const visit = (node: TS.Node): TS.Node => {
      node = real.visitEachChild(node, visit, ctx);
      if (real.isAwaitExpression(node)) {
        const call = f.createCallExpression(
          f.createPropertyAccessExpression(f.createIdentifier("__seqlab__"), "guard"),
          undefined,
          [node.expression, f.createNumericLiteral(cell)],
        );
        return real.setTextRange(f.updateAwaitExpression(node, call), node);
      }
      return node;
    };
    return (sf) => real.visitNode(sf, visit) as TS.SourceFile;
  };
}

/**
 * tslab rewrites a use of an earlier cell's variable `n` into `exports.n`, but not inside a
 * shorthand property (`({ n })` fails at run time). The converter's emits get one more transformer,
 * before its own, that spells such shorthands out as `n: exports.n`.
 */
function withPrevShorthands(real: typeof TS, host: any) {
  let after: ((b: any) => void) | undefined;
  Object.defineProperty(host, "afterProgramCreate", {
    configurable: true,
    enumerable: true,
    get: () => after,
    set: (f: (b: any) => void) => {
      after = (b: any) => {
        const emit = b.emit.bind(b);
        b.emit = (sf: any, write: any, token: any, dts: any, transformers: TS.CustomTransformers = {}) =>
          emit(sf, write, token, dts, { ...transformers, before: [expandShorthands(real, b.getProgram().getTypeChecker()), ...(transformers.before ?? [])] });
        f(b);
      };
    },
  });
  return host;
}

function expandShorthands(real: typeof TS, checker: TS.TypeChecker): TS.TransformerFactory<TS.SourceFile> {
  return (ctx) => {
    const f = ctx.factory;
    const visit = (node: TS.Node): TS.Node => {
      if (real.isShorthandPropertyAssignment(node)) {
        const sym = checker.getShorthandAssignmentValueSymbol(node);
        if (sym?.declarations?.some((d) => d.getSourceFile().fileName.endsWith("__prev__.d.ts"))) {
          const ref = f.createPropertyAccessExpression(f.createIdentifier("exports"), node.name.text);
          const init = node.objectAssignmentInitializer;
          const value = init ? f.createAssignment(ref, real.visitNode(init, visit) as TS.Expression) : ref;
          return real.setTextRange(f.createPropertyAssignment(node.name.text, value), node);
        }
      }
      return real.visitEachChild(node, visit, ctx);
    };
    return (sf) => real.visitNode(sf, visit) as TS.SourceFile;
  };
}

/**
 * Cells keep their variables as properties of one object, written on every assignment
 * (`exports.i = (i++, i)`). tslab makes that object a Proxy, to turn the accessors TypeScript
 * defines for imports into plain values; a Proxy store is slow in a hot loop. Instead the
 * `Object.defineProperty(exports, ...)` calls themselves go through `__seqlab__.defineExport`.
 */
function plainExports(real: typeof TS): TS.TransformerFactory<TS.SourceFile> {
  return (ctx) => {
    const f = ctx.factory;
    const visit = (node: TS.Node): TS.Node => {
      node = real.visitEachChild(node, visit, ctx);
      if (
        real.isCallExpression(node) &&
        real.isPropertyAccessExpression(node.expression) &&
        real.isIdentifier(node.expression.expression) &&
        real.idText(node.expression.expression) === "Object" &&
        real.idText(node.expression.name) === "defineProperty" &&
        node.arguments.length === 3 &&
        real.isIdentifier(node.arguments[0]) &&
        real.idText(node.arguments[0]) === "exports"
      ) {
        return f.updateCallExpression(node, f.createPropertyAccessExpression(f.createIdentifier("__seqlab__"), "defineExport"), undefined, node.arguments);
      }
      return node;
    };
    return (sf) => real.visitNode(sf, visit) as TS.SourceFile;
  };
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
  for (const key of ["fileExists", "readFile", "directoryExists", "getDirectories", "readDirectory", "realpath", "getModifiedTime"] as const) {
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
  // The standard library's and @types' declarations do not change during a session: no watcher
  // (the compiler would otherwise open one per file, a hundred of them, at start-up).
  const watchFile = sys.watchFile?.bind(sys);
  if (watchFile) {
    sys.watchFile = (p: string, ...rest: any[]) => (isFixedDeclaration(p) ? { close() {} } : (watchFile as any)(p, ...rest));
  }
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
