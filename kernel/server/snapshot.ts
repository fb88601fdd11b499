// The kernel's start-up snapshot, built by `node --snapshot-blob FILE --build-snapshot snapshot.js`
// (kernel/server/snapshotblob.ts runs it at `npm install`; nothing else should). Most of a kernel's
// start-up is TypeScript reading, parsing and binding the same declaration files every time: the
// standard library's lib.*.d.ts and @types/node, over a megabyte, and at the first cell of nearly
// every notebook seqlab's own with tfjs's. This script does that once, in a
// throwaway program, and V8 saves the whole heap (the compiler and the parsed, bound files) into
// the blob; a kernel started from the blob begins with them in memory.
//
// How the kernel gets them back: the compiler's text is patched at one place, createSourceFile,
// which asks `globalThis.__seqlabSourceFiles` first. It answers with a saved file only when the
// name, the text (so a changed file is parsed again), the language version, the module format and
// setParentNodes all match what was saved; bound files are reused by any program, which is how a
// language service shares them between its programs anyway.
//
// A snapshot builder may require only Node's built-in modules, so this file imports nothing of
// ours and is a script (everything inside one function), not a module.
(() => {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  const vm = require("vm") as typeof import("vm");
  const v8 = require("v8") as typeof import("v8");
  const Module = require("module") as typeof import("module");
  type TS = typeof import("typescript");
  // The same expression as JSDOC in tsenv.ts (this file cannot import it): if the two differ, the
  // kernel parses @types/node again and the snapshot test fails.
  const JSDOC = /^[ \t]*\/\*\*[\s\S]*?\*\/[ \t]*\r?\n/gm;

  interface Config {
    /** typescript.js of @tslab/typescript-for-tslab: the compiler the kernel's converter (converter.ts) uses. */
    tsPath: string;
    /** Where @types/node is (the kernel's node_modules/@types). */
    typeRoots: string[];
    /** The converter's target and lib (its compiler options in converter.ts). */
    target: number;
    lib: string[];
    /** Modules a first cell usually imports (seqlab itself), whose declarations are saved too. */
    imports: string[];
  }

  interface Saved {
    sf: import("typescript").SourceFile;
    text: string;
    size: number;
    mtimeMs: number;
    languageVersion: number;
    impliedNodeFormat: number | undefined;
    setParentNodes: boolean;
  }

  const config: Config = JSON.parse(process.env.SEQLAB_SNAPSHOT_CONFIG ?? "null");
  if (!config) throw new Error("snapshot.js: SEQLAB_SNAPSHOT_CONFIG is not set (run it through kernel/server/snapshotblob.ts)");

  // Two changes to the compiler. The node system memoizes process.cwd() on first use, which would
  // freeze the builder's folder into every kernel: ask each time (node caches it anyway).
  const CWD = "const getCurrentDirectory = memoize(() => process.cwd());";
  // And createSourceFile consults the saved files.
  const ANCHOR = "function createSourceFile(fileName, sourceText, languageVersionOrOptions, setParentNodes = false, scriptKind) {";
  const once = (text: string, what: string) => {
    const i = text.indexOf(what);
    if (i < 0 || text.indexOf(what, i + 1) >= 0)
      throw new Error(`snapshot.js: expected exactly one ${JSON.stringify(what)} in ${config.tsPath}`);
    return i;
  };
  const original = fs.readFileSync(config.tsPath, "utf8");
  once(original, CWD);
  const source = original.replace(CWD, "const getCurrentDirectory = () => process.cwd();");
  const at = once(source, ANCHOR);
  const patched =
    source.slice(0, at) +
    "function createSourceFile(fileName, sourceText, languageVersionOrOptions, setParentNodes = false, scriptKind) {\n" +
    "    const saved = globalThis.__seqlabSourceFiles;\n" +
    "    if (!saved) return parseSourceFileNow(fileName, sourceText, languageVersionOrOptions, setParentNodes, scriptKind);\n" +
    "    return saved.get(fileName, sourceText, languageVersionOrOptions, setParentNodes, scriptKind) ??\n" +
    "      saved.parsed(fileName, sourceText, languageVersionOrOptions, setParentNodes, scriptKind, parseSourceFileNow(fileName, sourceText, languageVersionOrOptions, setParentNodes, scriptKind));\n" +
    "  }\n" +
    "  function parseSourceFileNow(fileName, sourceText, languageVersionOrOptions, setParentNodes = false, scriptKind) {" +
    source.slice(at + ANCHOR.length);

  const files = new Map<string, Saved>();
  let recording = true;
  /** Declaration files answered from the snapshot, and those parsed after all (kernel tests read both). */
  const stats = { hits: 0, parsed: [] as string[] };
  const options = (o: unknown) =>
    typeof o === "object" && o
      ? (o as { languageVersion: number; impliedNodeFormat?: number })
      : { languageVersion: o as number, impliedNodeFormat: undefined };

  (globalThis as any).__seqlabSourceFiles = {
    get(fileName: string, text: string, o: unknown, setParentNodes: boolean, scriptKind: unknown) {
      if (recording || scriptKind !== undefined) return undefined;
      const s = files.get(fileName);
      const { languageVersion, impliedNodeFormat } = options(o);
      if (
        !s ||
        s.text !== text ||
        s.languageVersion !== languageVersion ||
        s.impliedNodeFormat !== impliedNodeFormat ||
        s.setParentNodes !== !!setParentNodes
      )
        return undefined;
      stats.hits++;
      return s.sf;
    },
    parsed(fileName: string, text: string, o: unknown, setParentNodes: boolean, scriptKind: unknown, sf: import("typescript").SourceFile) {
      if (!fileName.endsWith(".d.ts")) return sf;
      if (!recording) {
        stats.parsed.push(fileName);
      } else if (scriptKind === undefined) {
        const st = fs.statSync(fileName);
        const { languageVersion, impliedNodeFormat } = options(o);
        files.set(fileName, {
          sf,
          text,
          size: st.size,
          mtimeMs: st.mtimeMs,
          languageVersion,
          impliedNodeFormat,
          setParentNodes: !!setParentNodes,
        });
      }
      return sf;
    },
  };

  const mod = new Module(config.tsPath);
  mod.filename = config.tsPath;
  const compiled = vm.runInThisContext(Module.wrap(patched), { filename: config.tsPath });
  compiled.call(mod.exports, mod.exports, require, mod, config.tsPath, path.dirname(config.tsPath));
  const ts: TS = mod.exports;

  // The declarations every kernel reads before its first cell: the program the converter
  // (converter.ts) builds, with an empty cell. Only what parsing and binding depend on has to match
  // its options (target, lib, module detection); kernel tests check that the kernel parses none of them.
  const root = path.join(path.dirname(config.typeRoots[0]), "__seqlab_snapshot__.ts");
  const compilerOptions = {
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    target: config.target,
    lib: config.lib,
    types: ["node"],
    typeRoots: config.typeRoots,
    jsx: ts.JsxEmit.React,
    allowJs: true,
    skipLibCheck: true,
    noEmit: true,
  };
  const host = ts.createCompilerHost(compilerOptions);
  const readFile = host.readFile.bind(host);
  const rootText = config.imports.map((m) => `import ${JSON.stringify(m)};\n`).join("") + "export {};\n";
  host.readFile = (p: string) => (p === root ? rootText : declarationText(p, readFile(p)));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (p: string) => p === root || fileExists(p);
  const program = ts.createProgram({ rootNames: [root], options: compilerOptions, host });
  program.getTypeChecker(); // binds every file
  recording = false;

  const tsStat = fs.statSync(config.tsPath);
  (globalThis as any).__seqlabSnapshot = {
    ts,
    tsPath: config.tsPath,
    /** size:mtime of typescript.js when it was loaded: a kernel uses the saved compiler only if it still matches. */
    tsStamp: `${tsStat.size}:${tsStat.mtimeMs}`,
    stats,
    /** The saved text of a declaration file, if the file is still what was saved. */
    text(fileName: string): string | undefined {
      const s = files.get(fileName);
      if (!s) return undefined;
      try {
        const st = fs.statSync(fileName);
        return st.size === s.size && st.mtimeMs === s.mtimeMs ? s.text : undefined;
      } catch {
        return undefined;
      }
    },
    files: () => [...files.keys()],
  };

  // Started from the blob, node runs this instead of a script: run the kernel's command line,
  // which is process.argv[1] (the kernelspec puts cli.js there, as without a snapshot).
  v8.startupSnapshot.setDeserializeMainFunction(() => {
    if (!process.argv[1]) throw new Error("the seqlab snapshot runs a script: node --snapshot-blob kernel.blob SCRIPT [ARGS...]");
    process.argv[1] = path.resolve(process.argv[1]);
    // Node removes Error.stackTraceLimit while writing a snapshot and, in Node 20, does not put it
    // back for a user-land main function: without it errors have no stack (no cell tracebacks).
    if (Error.stackTraceLimit === undefined) Error.stackTraceLimit = 10;
    (require("module") as any).runMain();
  });

  /** Declaration text as the kernel reads it: @types/node without its JSDoc (see tsenv.ts). */
  function declarationText(p: string, text: string | undefined): string | undefined {
    return text !== undefined && p.includes(`${path.sep}node_modules${path.sep}@types${path.sep}node${path.sep}`)
      ? text.replace(JSDOC, "")
      : text;
  }
})();
