// Runs TypeScript cells: the converter (converter.ts) type-checks each cell against the
// declarations of the cells before it and compiles it to CommonJS; we run it in this process (so
// state persists and `vm`'s breakOnSigint can stop a synchronous loop), with interruptible awaits
// and mapped errors.
import Module from "module";
import * as path from "path";
import * as vm from "vm";
import { Converter } from "./converter";
import { PACKAGE_ROOT, saveCodeCache, setupTypeScript } from "./tsenv";
import { CellRegistry, ErrorContent, formatDiagnostics, formatError } from "./traceback";

export class KeyboardInterrupt extends Error {
  constructor() {
    super("execution interrupted; variables defined before this cell are kept");
    this.name = "KeyboardInterrupt";
  }
}

export type Outcome =
  | { ok: true; hasValue: boolean; value?: unknown }
  | { ok: false; error: ErrorContent; interrupted: boolean };

const WRAPPER_LINES = 1;

export class Executor {
  readonly ts: typeof import("typescript");
  readonly cells = new CellRegistry();
  readonly conv: Converter;
  private readonly locals: Record<string, any>;
  private readonly sideOutputs = new Map<string, string>();
  private readonly sideModules = new Map<string, Module>();
  private rejectInterrupt!: (e: Error) => void;
  /** An interrupt came while this cell was being compiled, before its code started. */
  private interruptPending = false;
  private interruptPromise!: Promise<never>;
  private getCodeMetadata: (src: string) => { module?: string; mode?: string; jsx?: boolean };

  constructor(readonly rootDir: string) {
    this.ts = setupTypeScript(rootDir) as any;
    // Required only now: tslab's metadata parser must get the compiler tsenv.ts loaded.
    this.getCodeMetadata = require("tslab/dist/metadata").getCodeMetadata;
    // The kernel's own package does not change during a session: its files are read once.
    this.conv = new Converter(this.ts, rootDir, [PACKAGE_ROOT]);
    // After the first conversion the compiler's hot functions are compiled: cache them then.
    this.conv.convert("0");
    setImmediate(() => saveCodeCache());
    this.locals = {};
    this.renewInterrupt();
    const g = globalThis as any;
    g.__seqlab__ = {
      exports: this.locals,
      // See plainExports in tsenv.ts: a cell's imports become plain, rebindable values.
      defineExport: (target: any, prop: string, attrs: PropertyDescriptor) => {
        if (target !== this.locals) return Object.defineProperty(target, prop, attrs);
        if (prop !== "__esModule") target[prop] = attrs.get ? attrs.get() : attrs.value;
        return target;
      },
      require: this.wrapRequire(Module.createRequire(path.join(rootDir, "src.js")), rootDir),
      guard: (x: unknown) =>
        x !== null && (typeof x === "object" || typeof x === "function") && typeof (x as any).then === "function"
          ? Promise.race([x as Promise<unknown>, this.interruptPromise])
          : x,
    };
  }

  private renewInterrupt() {
    this.interruptPromise = new Promise<never>((_, reject) => (this.rejectInterrupt = reject));
    this.interruptPromise.catch(() => {});
  }

  /** Stop whatever awaits in cell code now; a synchronous loop is stopped by SIGINT itself. */
  interrupt() {
    this.interruptPending = true;
    this.rejectInterrupt(new KeyboardInterrupt());
    this.renewInterrupt();
  }

  async execute(src: string, label: string, file: string): Promise<Outcome> {
    this.interruptPending = false;
    const meta = this.getCodeMetadata(src);
    if (meta.module) {
      const diags = this.conv.addModule(meta.module, src, meta);
      if (diags.length) return { ok: false, error: formatDiagnostics(diags, src, label), interrupted: false };
      return { ok: true, hasValue: false };
    }
    if (meta.mode === "browser") {
      return { ok: false, error: { ename: "Unsupported", evalue: "@browser cells are not supported by seqlab", traceback: ["@browser cells are not supported by seqlab"] }, interrupted: false };
    }
    const converted = this.conv.convert(src);
    if (converted.diagnostics.length > 0) {
      return { ok: false, error: formatDiagnostics(converted.diagnostics, src, label), interrupted: false };
    }
    for (const out of converted.sideOutputs) {
      this.sideModules.delete(out.path);
      this.sideOutputs.set(out.path, out.data);
    }
    this.cells.add(file, label, src, { cjs: converted.map }, WRAPPER_LINES);
    // A SIGINT that arrived while the cell compiled is still queued (signals are events, and
    // compiling never yields); vm's breakOnSigint would not see it. Let it be handled first: a
    // signal is read in the event loop's poll phase, which comes between two immediates.
    await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
    if (this.interruptPending) return this.failure(new KeyboardInterrupt());
    let ret: { value: unknown } | undefined;
    try {
      ret = vm.runInThisContext(this.wrap(converted.output, converted.hasTopLevelAwait), { filename: file, breakOnSigint: true });
      if (converted.hasTopLevelAwait) ret = await Promise.race([ret, this.interruptPromise]);
    } catch (e) {
      return this.failure(e);
    }
    this.conv.commit(converted);
    if (!converted.hasValue || !ret) return { ok: true, hasValue: false };
    return { ok: true, hasValue: ret.value !== undefined, value: ret.value };
  }

  /** The compiled cell as a function of the cells' exports object; it returns { value } of its last expression. */
  private wrap(output: string, async: boolean): string {
    return (async ? "(async function(exports, require) {\n" : "(function(exports, require) {\n") + output + "\n})(__seqlab__.exports, __seqlab__.require)";
  }

  private failure(e: unknown): Outcome {
    const interrupted =
      e instanceof KeyboardInterrupt || (e instanceof Error && /Script execution was interrupted by `SIGINT`/.test(e.message));
    const err = interrupted && !(e instanceof KeyboardInterrupt) ? new KeyboardInterrupt() : e;
    const error = formatError(err, this.cells);
    if (err !== e) error.traceback.push(...formatError(e, this.cells).traceback.slice(1));
    return { ok: false, error, interrupted };
  }

  /** Evaluate an expression against the current state without recording it (user_expressions). */
  evaluate(expr: string): { ok: true; value: unknown } | { ok: false; error: ErrorContent } {
    const converted = this.conv.convert(`(${expr})`);
    if (converted.diagnostics.length) return { ok: false, error: formatDiagnostics(converted.diagnostics, expr, "expression") };
    if (converted.hasTopLevelAwait) return { ok: false, error: { ename: "SyntaxError", evalue: "await is not allowed in user_expressions", traceback: ["await is not allowed in user_expressions"] } };
    try {
      const ret = vm.runInThisContext(this.wrap(converted.output, false), { filename: "expression" }) as { value: unknown } | undefined;
      return { ok: true, value: ret?.value };
    } catch (e) {
      return { ok: false, error: formatError(e, this.cells) };
    }
  }

  complete(src: string, pos: number) {
    return this.conv.complete(src, pos);
  }

  inspect(src: string, pos: number) {
    return this.conv.inspect(src, pos);
  }

  close() {}

  /** `require` for cells: `seqlab` is this kernel's package; local .ts files come from the converter. */
  private wrapRequire(req: NodeJS.Require, dirname: string): NodeJS.Require {
    const own = Module.createRequire(path.join(PACKAGE_ROOT, "package.json"));
    const fromSide = (id: string): any => {
      let filename = path.join(dirname, id);
      if (path.extname(filename) === "") filename += ".js";
      const cached = this.sideModules.get(filename);
      if (cached) return cached.exports;
      const code = this.sideOutputs.get(filename);
      if (code === undefined) return null;
      const mod: any = new Module(filename, module);
      mod.filename = filename;
      mod.paths = (Module as any)._nodeModulePaths(path.dirname(filename));
      mod.require = this.wrapRequire(mod.require, path.dirname(filename));
      mod._compile(code, filename);
      this.sideModules.set(filename, mod);
      return mod.exports;
    };
    return new Proxy(req, {
      apply: (_t, thisArg, args: any[]) => {
        const id = args[0];
        if (args.length !== 1 || typeof id !== "string") return req.apply(thisArg, args as [string]);
        // The trailing separator makes this the package folder, never a file named like it (PACKAGE_ROOT.js).
        if (id === "seqlab") return own(PACKAGE_ROOT + path.sep);
        if (id.startsWith(".")) {
          const side = fromSide(id);
          if (side) return side;
        }
        try {
          return req(id);
        } catch (e: any) {
          // A package the notebook's folder lacks but the kernel has (e.g. @tensorflow/tfjs).
          if (e?.code === "MODULE_NOT_FOUND" && !id.startsWith(".") && !path.isAbsolute(id)) return own(id);
          throw e;
        }
      },
    });
  }
}
