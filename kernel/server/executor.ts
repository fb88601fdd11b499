// Runs TypeScript cells: the converter (converter.ts) type-checks each cell against the
// declarations of the cells before it and compiles it to CommonJS; we run it in this process (so
// state persists and `vm`'s breakOnSigint can stop a synchronous loop), with interruptible awaits
// and mapped errors.
import Module from "module";
import * as path from "path";
import * as vm from "vm";
import { Converter } from "./converter";
import { Cell, Interrupts, KeyboardInterrupt } from "./interrupts";
import { Phase } from "./shared-state";
import { PACKAGE_ROOT, saveCodeCache, setupTypeScript } from "./tsenv";
import { CellRegistry, ErrorContent, formatDiagnostics, formatError } from "./traceback";
// Node's own timers: the globals are the cells' (cell-timers.ts), cleared when a cell is interrupted.
import { setImmediate, setTimeout } from "timers";

export { KeyboardInterrupt };

export type Outcome = { ok: true; hasValue: boolean; value?: unknown } | { ok: false; error: ErrorContent; interrupted: boolean };

const WRAPPER_LINES = 1;
/** How long an interrupted async cell may take to run its own finally blocks. */
const FINALLY_GRACE_MS = 200;
const noop = () => {};

/** What an interrupted cell's code awaits after its interrupt was delivered. */
const NEVER = new Promise<never>(() => {});

export class Executor {
  readonly ts: typeof import("typescript");
  readonly cells = new CellRegistry();
  readonly conv: Converter;
  private readonly locals: Record<string, any>;
  private readonly sideOutputs = new Map<string, string>();
  private readonly sideModules = new Map<string, Module>();
  private getCodeMetadata: (src: string) => { module?: string; mode?: string; jsx?: boolean };

  constructor(
    readonly rootDir: string,
    private readonly interrupts: Interrupts,
  ) {
    this.ts = setupTypeScript(rootDir) as any;
    // Required only now: tslab's metadata parser must get the compiler tsenv.ts loaded.
    this.getCodeMetadata = require("tslab/dist/metadata").getCodeMetadata;
    // The kernel's own package does not change during a session: its files are read once.
    this.conv = new Converter(this.ts, rootDir, [PACKAGE_ROOT]);
    // After the first conversion the compiler's hot functions are compiled: cache them then.
    this.conv.convert("0");
    setImmediate(() => saveCodeCache());
    this.locals = {};
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
      guard: (x: unknown, n: number) => this.guard(x, n),
    };
  }

  /**
   * Every `await x` in the code of cell n is `await guard(x, n)` (tsenv.ts): while cell n runs, x
   * races the cell's interrupt, which rejects every await pending when it comes.
   */
  private guard(x: unknown, n: number): unknown {
    const cell = this.interrupts.running;
    const thenable = x !== null && (typeof x === "object" || typeof x === "function") && typeof (x as any).then === "function";
    if (cell && cell.n === n && !cell.done) {
      if (!thenable) {
        if (this.interrupts.interrupted(n)) throw new KeyboardInterrupt();
        return x;
      }
      // Work that stops by itself when interrupted (train()) settles normally; its cell still ends
      // with the interrupt.
      return Promise.race([x as Promise<unknown>, cell.stopped]).then((v) => {
        if (this.interrupts.interrupted(n)) throw new KeyboardInterrupt();
        return v;
      });
    }
    // Code of an interrupted cell that awaits again after the interrupt was delivered (a loop that
    // caught it, a callback that outlived it) waits for ever: a promise that never settles, rather
    // than one more rejection it could catch and loop on.
    if (this.interrupts.interrupted(n)) return NEVER;
    return x;
  }

  async execute(src: string, label: string, file: string, cell: Cell): Promise<Outcome> {
    const meta = this.getCodeMetadata(src);
    if (meta.module) {
      const diags = this.conv.addModule(meta.module, src, meta);
      if (diags.length) return { ok: false, error: formatDiagnostics(diags, src, label), interrupted: false };
      return { ok: true, hasValue: false };
    }
    if (meta.mode === "browser") {
      return {
        ok: false,
        error: {
          ename: "Unsupported",
          evalue: "@browser cells are not supported by seqlab",
          traceback: ["@browser cells are not supported by seqlab"],
        },
        interrupted: false,
      };
    }
    const converted = this.conv.convert(src, cell.n);
    if (converted.diagnostics.length > 0) {
      return { ok: false, error: formatDiagnostics(converted.diagnostics, src, label), interrupted: false };
    }
    for (const out of converted.sideOutputs) {
      this.sideModules.delete(out.path);
      this.sideOutputs.set(out.path, out.data);
    }
    this.cells.add(file, label, src, { cjs: converted.map }, WRAPPER_LINES);
    // Compiling is never stopped from outside (the compiler's state would be torn); an interrupt
    // that came meanwhile is in shared memory already, and stops the cell before its code runs.
    if (this.interrupts.interrupted(cell.n)) return this.failure(new KeyboardInterrupt(), cell);
    const code = this.wrap(converted.output, converted.hasTopLevelAwait);
    let ret: { value: unknown } | undefined;
    this.interrupts.phase = Phase.Run;
    try {
      const run = await this.inMicrotask(() => {
        const r = vm.runInThisContext(code, { filename: file });
        // Handled from the start: a cell that loops over `await` keeps this microtask's caller
        // from reaching settle() until it ends, and a rejection meanwhile would be "unhandled".
        if (converted.hasTopLevelAwait) (r as Promise<unknown>).catch(noop);
        return r;
      });
      if (!run) throw new KeyboardInterrupt(); // its first synchronous part was stopped
      if ("error" in run) throw run.error;
      ret = run.value as { value: unknown } | undefined;
      if (converted.hasTopLevelAwait) {
        ret = await this.settle(run.value as Promise<{ value: unknown } | undefined>, cell);
        await this.drainMicrotasks();
      }
    } catch (e) {
      return this.failure(e, cell);
    } finally {
      this.interrupts.phase = Phase.Kernel;
    }
    this.conv.commit(converted);
    if (!converted.hasValue || !ret) return { ok: true, hasValue: false };
    return { ok: true, hasValue: ret.value !== undefined, value: ret.value };
  }

  /** The compiled cell as a function of the cells' exports object; it returns { value } of its last expression. */
  private wrap(output: string, async: boolean): string {
    return (
      (async ? "(async function(exports, require) {\n" : "(function(exports, require) {\n") +
      output +
      "\n})(__seqlab__.exports, __seqlab__.require)"
    );
  }

  /**
   * Run a piece of a cell's code in a microtask of its own, and come back from a new macrotask.
   * An interrupt stops code that does not yield by terminating it (interrupts.ts), which is safe
   * only in a microtask run from the event loop, and which makes V8 drop the whole microtask
   * queue: so the code runs in a microtask, and the kernel's own next step is never in that queue
   * behind it (it would be dropped with it, and the kernel would wait for ever): the kernel awaits
   * a promise still pending, which queues nothing, until an immediate after every microtask the
   * code queued has run. Returns the code's value or exception; undefined when it was stopped.
   */
  private async inMicrotask<T>(run: () => T): Promise<{ value: T } | { error: unknown } | undefined> {
    let out: { value: T } | { error: unknown } | undefined;
    Promise.resolve().then(() => {
      try {
        out = { value: run() };
      } catch (error) {
        out = { error };
      }
    });
    await this.drainMicrotasks();
    return out;
  }

  /** Wait until the microtasks queued so far (and those they queue) have run; see inMicrotask. */
  private async drainMicrotasks() {
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Wait for an async cell; once it is interrupted, give its own finally blocks a moment to run. */
  private async settle<T>(ret: Promise<T>, cell: Cell): Promise<T> {
    try {
      return await Promise.race([ret, cell.stopped]);
    } catch (e) {
      if (cell.interrupted) {
        await Promise.race([ret.then(noop, noop), new Promise((r) => setTimeout(r, FINALLY_GRACE_MS).unref())]);
      }
      throw e;
    }
  }

  private failure(e: unknown, cell: Cell): Outcome {
    const interrupted = e instanceof KeyboardInterrupt;
    if (interrupted) this.interrupts.stop(cell);
    return { ok: false, error: formatError(e, this.cells), interrupted };
  }

  /** Evaluate an expression against the current state without recording it (user_expressions). */
  async evaluate(expr: string): Promise<{ ok: true; value: unknown } | { ok: false; error: ErrorContent }> {
    const converted = this.conv.convert(`(${expr})`);
    if (converted.diagnostics.length) return { ok: false, error: formatDiagnostics(converted.diagnostics, expr, "expression") };
    if (converted.hasTopLevelAwait)
      return {
        ok: false,
        error: {
          ename: "SyntaxError",
          evalue: "await is not allowed in user_expressions",
          traceback: ["await is not allowed in user_expressions"],
        },
      };
    const code = this.wrap(converted.output, false);
    const phase = this.interrupts.phase;
    this.interrupts.phase = Phase.Run;
    try {
      const run = await this.inMicrotask(() => vm.runInThisContext(code, { filename: "expression" }) as { value: unknown } | undefined);
      if (!run) return { ok: false, error: formatError(new KeyboardInterrupt(), this.cells) };
      if ("error" in run) return { ok: false, error: formatError(run.error, this.cells) };
      return { ok: true, value: run.value?.value };
    } finally {
      this.interrupts.phase = phase;
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
