// How tslab's converter is adapted to seqlab, without forking it:
//  - module resolution: `seqlab` always means this kernel's own package, and any other package
//    missing from the notebook's folder falls back to the kernel's (so types for @types/node and
//    @tensorflow/tfjs resolve in a bare folder, where tslab fails every cell);
//  - source maps: each cell is compiled with maps (TS → ES module → CommonJS), so errors point
//    at the cell's own lines;
//  - interruptible awaits: every `await x` in cell code becomes `await __seqlab__.guard(x)`,
//    which rejects when the kernel is interrupted, so an `await` loop stops too.
import * as path from "path";
import type * as TS from "typescript";

export const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");
const OWN_NODE_MODULES = path.join(PACKAGE_ROOT, "node_modules");

/** The maps of the most recent transpile (the converter transpiles the cell last). */
export interface CellMaps {
  esm?: any; // TS source → ES module JS
  cjs?: any; // ES module JS → CommonJS JS
}
export let lastMaps: CellMaps = {};

let ts: typeof TS | undefined;

/** Install the adaptations; must run before tslab's converter is first required. Returns typescript. */
export function setupTypeScript(cwd: string): typeof TS {
  if (ts) return ts;
  const tsPath = require.resolve("@tslab/typescript-for-tslab", { paths: [require.resolve("tslab")] });
  const real = require(tsPath) as typeof TS;
  const overrides: Record<string, unknown> = {
    createWatchCompilerHost: (roots: any, options: TS.CompilerOptions, ...rest: any[]) =>
      (real.createWatchCompilerHost as any)(roots, { ...options, inlineSourceMap: true }, ...rest),
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

const INLINE_MAP = /\n?\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;

function transpile(real: typeof TS, input: string, opts: TS.TranspileOptions): TS.TranspileOutput {
  const m = INLINE_MAP.exec(input);
  const esm = m ? JSON.parse(Buffer.from(m[1], "base64").toString("utf8")) : undefined;
  const src = m ? input.slice(0, m.index) : input;
  const out = real.transpileModule(src, {
    ...opts,
    compilerOptions: { ...opts.compilerOptions, sourceMap: true, inlineSourceMap: false },
    transformers: { before: [guardAwaits(real)] },
  });
  lastMaps = { esm, cjs: out.sourceMapText ? JSON.parse(out.sourceMapText) : undefined };
  // Drop the trailing `//# sourceMappingURL=custom.js.map` line.
  return { ...out, outputText: out.outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n") };
}

function guardAwaits(real: typeof TS): TS.TransformerFactory<TS.SourceFile> {
  return (ctx) => {
    const f = ctx.factory;
    const visit = (node: TS.Node): TS.Node => {
      node = real.visitEachChild(node, visit, ctx);
      if (real.isAwaitExpression(node)) {
        const call = f.createCallExpression(
          f.createPropertyAccessExpression(f.createIdentifier("__seqlab__"), "guard"),
          undefined,
          [node.expression],
        );
        return real.setTextRange(f.updateAwaitExpression(node, call), node);
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
    const n = path.normalize(p);
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
}
