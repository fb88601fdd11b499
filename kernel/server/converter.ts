// The TypeScript side of a cell: type-check it against what earlier cells declared, compile it to
// CommonJS for the executor, and keep its declarations for the cells after it. Also completion,
// inspection and `%module` cells.
//
// Built on tslab's TypeScript build (@tslab/typescript-for-tslab, loaded by tsenv.ts); it replaces
// tslab's converter, which kept all earlier declarations in one file whose text it parsed, bound
// and printed again at every cell (twice per declaring cell), so that a cell's cost grew with the
// session. Here a cell costs about the same however many ran before it:
//  - a cell that ran leaves an immutable declaration file, `__decl_<k>__.d.ts` (its emitted .d.ts),
//    parsed and bound once and kept by every later program (TypeScript reuses a SourceFile when
//    the host hands back the same object);
//  - a new cell is checked by a long-lived program's checker without becoming one of its files
//    (programFor()): no program and no checker are made per cell, as long as the cell imports
//    nothing new;
//  - names are looked up from the cell into the declaration files through a CellScope
//    (scope.ts): shadowing like nested blocks, a few map lookups per name;
//  - the cell's top-level names (which it exports so that the .d.ts declares them) come from
//    binding the cell's own SourceFile, not from a second program;
//  - one emit per cell, straight to CommonJS with one source map.
import * as path from "path";
import type * as TS from "typescript";
import { CellScope, ScopeName } from "./scope";
import { earlierNames, guardAwaits, plainExports, returnLastValue, widenLiterals } from "./transforms";

/** A diagnostic in cell coordinates (0-based line and character), as traceback.ts formats it. */
export interface Diagnostic {
  start: { offset: number; line: number; character: number };
  end: { offset: number; line: number; character: number };
  messageText: string;
  category: number;
  code: number;
  /** Set when the diagnostic is in another file (a local module the cell imports), relative to the folder. */
  fileName?: string;
}

export interface Conversion {
  diagnostics: Diagnostic[];
  /** CommonJS code, to run inside `function (exports, require) { ... }` (async if hasTopLevelAwait). */
  output: string;
  /** Source map from `output` to the cell's text behind a one-line prefix (traceback.ts). */
  map?: unknown;
  hasTopLevelAwait: boolean;
  /** The code ends with `return { value }`: the cell's last expression. */
  hasValue: boolean;
  /** Local modules the cell imports, compiled to CommonJS, when new or changed. */
  sideOutputs: { path: string; data: string }[];
  /** What commit() keeps for later cells; undefined when the cell declares nothing. */
  declarations?: { text: string; meanings: Map<string, number> };
}

export interface Completion {
  start: number;
  end: number;
  candidates: string[];
  original?: TS.CompletionInfo;
}

/** Counts of work done, for tests: per-cell work must stay flat over a long session. */
export interface ConverterStats {
  /** SourceFiles parsed: cells (with their export suffix), declaration files, files read from disk. */
  parsedFiles: number;
  /** Characters of text those parses covered. */
  parsedChars: number;
  /** Programs made: at start, when a cell imports a module for the first time, every 64 declaring cells, ... (programFor()). */
  programs: number;
  /** Declaration files kept (one per cell that ran and declared something), and their characters. */
  declarationFiles: number;
  declarationChars: number;
  /** How many layers a lookup of a global name passes through (scope.ts). */
  scopeDepth: number;
}

/** Every cell is a module (its names are not globals, top-level await is allowed): this line comes first. */
export const CELL_PREFIX = "export {};\n";
/**
 * Diagnostics that say "top-level await is not allowed under CommonJS": allowed here, the cell
 * runs in an async function. Not every top-level await gets one (topLevelAwait()).
 */
const TOP_LEVEL_AWAIT = new Set([1378 /* await */, 1432 /* for await */]);
/** Declaration files are added to the programs this many at a time (commit()). */
const DECLARATION_SLOTS = 64;
/** Cells checked against one base program before it is made again (programFor()). */
const MAX_CHECKED = 100;
const NO_CANCEL = { isCancellationRequested: () => false, throwIfCancellationRequested: () => {} };

interface FileEntry {
  sf: TS.SourceFile;
  /** undefined for files that do not change during a session (libraries, the standard library). */
  mtime?: number;
}

export class Converter {
  private readonly options: TS.CompilerOptions;
  private readonly host: TS.CompilerHost;
  private cell: TS.SourceFile | undefined;
  /** Cells get a new file name each (`__cell_<n>__.ts`): the base program caches diagnostics by file. */
  private cells = 0;
  /** The current cell's top-level names (those its `export { ... }` suffix lists). */
  private names: TS.__String[] = [];
  /** In-memory files: declaration files and `%module` cells, by full name. */
  private readonly virtual = new Map<string, { text: string; sf?: TS.SourceFile }>();
  /** Names of the declaration files, committed ones first, then empty slots for the next ones (see commit()). */
  private readonly declarationSlots: string[] = [];
  private committed = 0;
  private readonly scope: CellScope;
  private readonly files = new Map<string, FileEntry>();
  /** Local source files (a cell's imports) already compiled for the executor, as compiled. */
  private readonly emittedSides = new Map<string, TS.SourceFile>();
  /** The program cells are checked against, until something it holds changes (programFor()). */
  private base: TS.Program | undefined;
  /** The base program no longer matches the files (a new declaration file it cannot use as it is, a changed local file). */
  private stale = true;
  /** Declarations committed when the base program was made (its later slots hold empty files). */
  private committedAtBuild = 0;
  /** Cells checked against the base program since it was made. */
  private checkedAgainstBase = 0;
  private readonly slotIndex = new Map<string, number>();
  private readonly moduleCache: TS.ModuleResolutionCache;
  private readonly typeRefCache: TS.TypeReferenceDirectiveResolutionCache;
  private readonly resolved = new Map<string, TS.ResolvedModuleWithFailedLookupLocations>();
  private readonly resolvedTypeRefs = new Map<string, TS.ResolvedTypeReferenceDirectiveWithFailedLookupLocations>();
  private readonly parseOptions: TS.CreateSourceFileOptions;
  private readonly fixedRoots: string[];
  readonly stats: ConverterStats = { parsedFiles: 0, parsedChars: 0, programs: 0, declarationFiles: 0, declarationChars: 0, scopeDepth: 0 };

  constructor(
    private readonly ts: typeof TS,
    private readonly dir: string,
    fixedRoots: string[] = [],
  ) {
    const t = ts as any;
    this.dir = toSlashes(dir);
    this.options = {
      // CommonJS straight away (one emit, one source map): the executor runs cells with
      // require(). Top-level await is then a diagnostic, dropped (TOP_LEVEL_AWAIT); the cell runs
      // in an async function when topLevelAwait() finds one.
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts"],
      // Only @types/node without an import: the kernel's node_modules has a dozen other @types.
      types: ["node"],
      typeRoots: typeRoots(ts, this.dir),
      declaration: true,
      sourceMap: true,
      newLine: ts.NewLineKind.LineFeed,
      // Cells run sloppy, as under tslab (no "use strict" prologue).
      noImplicitUseStrict: true,
      ignoreDeprecations: "5.0",
      experimentalDecorators: true,
      resolveJsonModule: true,
      jsx: ts.JsxEmit.React,
      allowJs: true,
      checkJs: true,
      skipLibCheck: true,
      rootDir: this.dir,
      outDir: `${this.dir}/__out__`,
    } as TS.CompilerOptions;
    this.parseOptions = {
      languageVersion: ts.ScriptTarget.ES2022,
      impliedNodeFormat: undefined,
      setExternalModuleIndicator: t.getSetExternalModuleIndicator(this.options),
    } as TS.CreateSourceFileOptions;
    this.fixedRoots = [path.dirname(ts.getDefaultLibFilePath(this.options)), ...fixedRoots].map((p) => toSlashes(p) + "/");
    this.scope = new CellScope(ts, this.dir, this.options);
    this.moduleCache = ts.createModuleResolutionCache(this.dir, (f) => f, this.options);
    this.typeRefCache = ts.createTypeReferenceDirectiveResolutionCache(
      this.dir,
      (f) => f,
      this.options,
      this.moduleCache.getPackageJsonInfoCache(),
    );
    this.host = this.createHost();
    // The first block of declaration slots is in the first program already (commit()).
    this.addSlots(DECLARATION_SLOTS);
  }

  // ---- cells ------------------------------------------------------------------------------

  /**
   * Check and compile a cell (its awaits guarded for cell number `n`; 0 for code of no cell, such
   * as a user expression). Nothing is kept until commit() is called (after the cell ran).
   */
  convert(src: string, n = 0): Conversion {
    const ts = this.ts;
    const cell = this.parseCell(src, true);
    const program = this.programFor(cell);
    // A cell that augments the globals or a module is checked as one of a new program's files
    // (programFor()); the next cell must not see what it declared unless it ran (then its
    // declaration file has it), so it gets a new program.
    const augments = !moduleNames(ts, cell);
    if (augments) this.stale = true;
    const checker = program.getTypeChecker();
    const sides = this.localDependencies(program, cell);
    const { diagnostics } = this.diagnose(program, [cell, ...sides]);
    const hasTopLevelAwait = topLevelAwait(ts, cell);
    const none: Conversion = { diagnostics, output: "", hasTopLevelAwait, hasValue: false, sideOutputs: [] };
    if (diagnostics.length) return none;

    const sideOutputs = sides.filter((sf) => this.emittedSides.get(sf.fileName) !== sf).map((sf) => this.emitSide(program, sf));
    let hasValue = false;
    const out = this.emit(program, cell, {
      before: [returnLastValue(this.ts, () => (hasValue = true)), guardAwaits(this.ts, n)],
      after: [earlierNames(this.ts, checker, (s) => this.scope.declaredEarlier(s)), plainExports(this.ts)],
      afterDeclarations: [widenLiterals(this.ts) as TS.TransformerFactory<TS.SourceFile | TS.Bundle>],
    });
    // Something to keep: names the suffix exports, or the cell's own `export`s.
    const declares = this.names.length > 0 || ((cell as any).symbol?.exports?.size ?? 0) > 0 || augments;
    const declarations = declares
      ? { text: withoutNodeReference(out.dts ?? ""), meanings: this.meanings(checker, cell, this.names) }
      : undefined;
    return { diagnostics: [], output: out.js, map: out.map, hasTopLevelAwait, hasValue, sideOutputs, declarations };
  }

  /**
   * Keep a cell's declarations for the cells after it (call once the cell has run without error).
   *
   * The file fills a slot: programs have 64 declaration files at a time, empty until committed,
   * so that a program has the same files from one declaring cell to the next. The base program
   * (programFor()) uses a new declaration file without being made again when the file imports
   * only modules the program has; otherwise the next cell gets a new program.
   */
  commit(c: Conversion) {
    if (!c.declarations) return;
    if (this.committed === this.declarationSlots.length) this.addSlots(DECLARATION_SLOTS);
    const fileName = this.declarationSlots[this.committed++];
    const sf = this.parse(fileName, c.declarations.text);
    (this.ts as any).bindSourceFile(sf, this.options);
    this.virtual.set(fileName, { text: c.declarations.text, sf });
    this.scope.add(sf, this.exportedNames(sf, c.declarations.meanings));
    if (!this.stale && !this.attach(sf)) this.stale = true;
    this.stats.declarationFiles = this.committed;
    this.stats.declarationChars += c.declarations.text.length;
    this.stats.scopeDepth = this.scope.depth;
  }

  private addSlots(n: number) {
    for (let i = 0; i < n; i++) {
      const fileName = `${this.dir}/__decl_${this.declarationSlots.length + 1}__.d.ts`;
      this.virtual.set(fileName, { text: CELL_PREFIX });
      this.slotIndex.set(fileName, this.declarationSlots.length);
      this.declarationSlots.push(fileName);
    }
    this.stale = true;
  }

  // ---- completion and inspection ------------------------------------------------------------

  complete(src: string, position: number): Completion {
    const ts = this.ts;
    const cell = this.parseCell(src, false);
    const program = this.programFor(cell);
    const pos = position + CELL_PREFIX.length;
    const info: TS.CompletionInfo | undefined = (ts as any).Completions.getCompletionsAtPositionForTslab(
      {},
      program,
      () => {},
      cell,
      pos,
      {},
      undefined,
      ts.CompletionTriggerKind.Invoked,
      NO_CANCEL,
    );
    if (info?.optionalReplacementSpan) info.optionalReplacementSpan.start -= CELL_PREFIX.length;
    // The identifier being typed, if any: candidates are ranked by how they match it.
    const prev = (ts as any).findPrecedingToken(pos, cell) as TS.Node | undefined;
    if (prev && ts.isIdentifier(prev) && prev.end >= pos) return completionFor(info, prev, cell);
    const next = prev ? ((ts as any).findNextToken(prev, cell, cell) as TS.Node | undefined) : undefined;
    if (next && ts.isIdentifier(next) && next.getStart(cell) <= pos && pos <= next.end) return completionFor(info, next, cell);
    const entries = (info?.entries ?? []).slice().sort((a, b) => a.sortText.localeCompare(b.sortText) || a.name.localeCompare(b.name));
    return { start: position, end: position, candidates: entries.map((e) => e.name), original: info };
  }

  inspect(src: string, position: number): TS.QuickInfo | undefined {
    const cell = this.parseCell(src, false);
    const program = this.programFor(cell);
    const info = (this.ts as any).getQuickInfoAtPosition(cell, program.getTypeChecker(), NO_CANCEL, position + CELL_PREFIX.length) as
      TS.QuickInfo | undefined;
    if (info?.textSpan) info.textSpan.start -= CELL_PREFIX.length;
    return info;
  }

  // ---- %module cells ---------------------------------------------------------------------------

  /** A `%module NAME` cell (tslab's metadata): an in-memory module `./NAME` that later cells import. */
  addModule(name: string, content: string, meta?: { jsx?: boolean }): Diagnostic[] {
    if (!/^\w+$/.test(name)) throw new Error("invalid module name: " + JSON.stringify(name));
    const fileName = `${this.dir}/${name}.ts${meta?.jsx ? "x" : ""}`;
    this.virtual.set(fileName, { text: CELL_PREFIX + content });
    // The base program may hold an older version of the module.
    this.stale = true;
    this.stats.programs++;
    const program = this.ts.createProgram({ rootNames: [fileName], options: this.options, host: this.host, oldProgram: this.base });
    return this.diagnose(program, [program.getSourceFile(fileName)!]).diagnostics;
  }

  // ---- programs ----------------------------------------------------------------------------

  /**
   * The program to check a cell with. A TypeScript program and its checker are immutable, and
   * making a new one per cell (as a language service does per edit) costs more than checking the
   * cell: its files are walked again (700 with seqlab's and tfjs's declarations) and the new
   * checker merges the standard library's globals again. So one base program serves many cells:
   * a cell is checked by the base program's checker without being one of its files, as long as
   * everything it imports is in the program already. The base program is made again when that
   * fails (the first import of a module), when a declaration file needs it (commit()), when a
   * local file it holds changed on disk, and after MAX_CHECKED cells (the checker keeps what it
   * learned about every cell it checked).
   */
  private programFor(cell: TS.SourceFile): TS.Program {
    const base = this.base;
    if (base && !this.stale && this.checkedAgainstBase < MAX_CHECKED && !this.localFileChanged(base) && this.attach(cell)) {
      this.checkedAgainstBase++;
      return base;
    }
    this.stats.programs++;
    this.base = this.ts.createProgram({
      rootNames: [...this.declarationSlots, cell.fileName],
      options: this.options,
      host: this.host,
      oldProgram: base,
    });
    this.stale = false;
    this.committedAtBuild = this.committed;
    this.checkedAgainstBase = 0;
    return this.base;
  }

  /**
   * Prepare a file that is not one of the base program's to be checked by its checker: resolve
   * its imports as the program would and record them on it. False when the program cannot do
   * without being made again: the file imports a module the program does not have (or a
   * declaration file committed after it was made), augments a module or references files.
   */
  private attach(sf: TS.SourceFile): boolean {
    const ts = this.ts as any;
    const base = this.base!;
    const names = moduleNames(this.ts, sf);
    if (!names) return false;
    const resolutions: [string, TS.ResolvedModuleWithFailedLookupLocations][] = [];
    for (const name of names) {
      const r = this.resolveModule(name, sf.fileName, undefined, undefined, this.options);
      const m = r.resolvedModule;
      // Programs do not load JavaScript from packages (its imports are `any`).
      const loaded = m && !(m.isExternalLibraryImport && /\.[cm]?jsx?$/.test(m.resolvedFileName));
      if (loaded && (!base.getSourceFile(m.resolvedFileName) || (this.slotIndex.get(m.resolvedFileName) ?? -1) >= this.committedAtBuild))
        return false;
      resolutions.push([name, r]);
    }
    const file = sf as any;
    file.path = file.resolvedPath = file.originalFileName = sf.fileName;
    for (const [name, r] of resolutions) ts.setResolvedModule(sf, name, r, undefined);
    return true;
  }

  /** Whether a local file (not a package's, not the standard library's) of the program changed on disk. */
  private localFileChanged(program: TS.Program): boolean {
    for (const [fileName, e] of this.files) {
      if (
        e.mtime !== undefined &&
        program.getSourceFile(fileName) === e.sf &&
        this.ts.sys.getModifiedTime?.(fileName)?.getTime() !== e.mtime
      )
        return true;
    }
    return false;
  }

  /**
   * Parse the cell behind the prefix; when `declaring`, also with an `export { ... }` of its
   * top-level names after it, so that the emitted .d.ts declares them. The names come from
   * binding the parse without the suffix (what tslab got from a whole second program).
   */
  private parseCell(src: string, declaring: boolean): TS.SourceFile {
    const ts = this.ts as any;
    const fileName = `${this.dir}/__cell_${++this.cells}__.ts`;
    let sf = this.parse(fileName, CELL_PREFIX + src);
    ts.bindSourceFile(sf, this.options);
    const names = declaring ? this.cellNames(sf) : [];
    if (names.length) {
      sf = this.parse(fileName, `${CELL_PREFIX}${src}\nexport { ${names.map((n) => ts.unescapeLeadingUnderscores(n)).join(", ")} };`);
      ts.bindSourceFile(sf, this.options);
    }
    // After binding: the binder resets a file's parent.
    (sf as any).parent = this.scope.head;
    this.cell = sf;
    this.names = names;
    return sf;
  }

  /**
   * The cell's top-level names that it does not export itself (those its .d.ts has to declare).
   * Not the compiler's own names (`declare global` is a local "__global"): a user's `__x` is
   * stored as "___x", so only internal names start with exactly two underscores.
   */
  private cellNames(sf: TS.SourceFile): TS.__String[] {
    const names: TS.__String[] = [];
    (sf as any).locals?.forEach((s: TS.Symbol, name: TS.__String) => {
      if (!(s as any).exportSymbol && !/^__[^_]/.test(name as string)) names.push(name);
    });
    return names;
  }

  /** What a lookup can match each name by (scope.ts): an import by its target's flags too. */
  private meanings(checker: TS.TypeChecker, cell: TS.SourceFile, names: TS.__String[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const name of names) {
      const s: TS.Symbol | undefined = (cell as any).locals?.get(name);
      if (!s) continue;
      let m: number = s.flags;
      if (s.flags & this.ts.SymbolFlags.Alias) {
        try {
          m |= checker.getAliasedSymbol(s).flags;
        } catch {
          m = ~0; // unknown target: never counts as covering an older declaration
        }
      }
      out.set(name as string, m);
    }
    return out;
  }

  /** The names a declaration file gives later cells: its exports (a .d.ts may have helper locals too). */
  private exportedNames(sf: TS.SourceFile, meanings: Map<string, number>): ScopeName[] {
    const ts = this.ts;
    const names: ScopeName[] = [];
    const exports: Map<TS.__String, TS.Symbol> | undefined = (sf as any).symbol?.exports;
    exports?.forEach((exported, name) => {
      if (name === "default" || name === "__export" || name === "export=") return;
      // `export { a }` names a local; an `export const a` in the cell itself is the symbol.
      const spec = exported.declarations?.find(ts.isExportSpecifier);
      const symbol: TS.Symbol | undefined = spec
        ? (sf as any).locals?.get((spec.propertyName as TS.Identifier | undefined)?.escapedText ?? name)
        : exported;
      if (!symbol) return;
      names.push({ name, symbol, meanings: meanings.get(name as string) ?? symbol.flags });
    });
    return names;
  }

  // ---- diagnostics ---------------------------------------------------------------------------

  private diagnose(program: TS.Program, files: TS.SourceFile[]): { diagnostics: Diagnostic[] } {
    const all: TS.Diagnostic[] = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
    for (const sf of files) all.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf));
    const diagnostics: Diagnostic[] = [];
    for (const d of (this.ts as any).sortAndDeduplicateDiagnostics(all) as TS.Diagnostic[]) {
      if (!d.file || d.start === undefined) continue;
      if (d.file === this.cell && TOP_LEVEL_AWAIT.has(d.code)) continue;
      let fileName: string | undefined;
      if (d.file !== this.cell) {
        const rel = path.relative(this.dir, d.file.fileName);
        if (rel.startsWith("..")) continue;
        fileName = rel;
      }
      const start = this.position(d.file, d.start);
      const end = this.position(d.file, d.start + (d.length ?? 0));
      this.flatten(d.messageText, d.category, d.code, start, end, fileName, diagnostics);
    }
    return { diagnostics };
  }

  /** A message chain becomes one diagnostic per message, at the same place (as tslab did). */
  private flatten(
    msg: string | TS.DiagnosticMessageChain,
    category: number,
    code: number,
    start: Diagnostic["start"],
    end: Diagnostic["end"],
    fileName: string | undefined,
    out: Diagnostic[],
  ) {
    if (typeof msg === "string") {
      out.push({ start, end, messageText: msg, category, code, fileName });
      return;
    }
    out.push({ start, end, messageText: msg.messageText, category: msg.category, code: msg.code, fileName });
    for (const next of msg.next ?? []) this.flatten(next, next.category, next.code, start, end, undefined, out);
  }

  /** A position in cell (or `%module`) coordinates: without the prefix line. */
  private position(sf: TS.SourceFile, offset: number): Diagnostic["start"] {
    const { line, character } = this.ts.getLineAndCharacterOfPosition(sf, offset);
    const prefixed = sf === this.cell || this.virtual.has(sf.fileName);
    return prefixed ? { offset: offset - CELL_PREFIX.length, line: line - 1, character } : { offset, line, character };
  }

  // ---- emit --------------------------------------------------------------------------------

  private emit(program: TS.Program, sf: TS.SourceFile, transformers: TS.CustomTransformers): { js: string; map?: unknown; dts?: string } {
    let js = "",
      map: unknown,
      dts: string | undefined;
    program.emit(
      sf,
      (name, data) => {
        if (name.endsWith(".d.ts")) dts = data;
        else if (name.endsWith(".map")) map = JSON.parse(data);
        else js = data.replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n");
      },
      undefined,
      false,
      transformers,
    );
    return { js, map, dts };
  }

  private emitSide(program: TS.Program, sf: TS.SourceFile): { path: string; data: string } {
    const out = this.emit(program, sf, { before: [guardAwaits(this.ts, 0)], after: [plainExports(this.ts)] });
    this.emittedSides.set(sf.fileName, sf);
    return { path: sf.fileName.replace(/\.(tsx?|jsx?)$/, ".js"), data: out.js };
  }

  /** Local source files (.ts, .js; not declarations, JSON or packages) the cell imports, directly or not. */
  private localDependencies(program: TS.Program, cell: TS.SourceFile): TS.SourceFile[] {
    const found: TS.SourceFile[] = [];
    const seen = new Set<TS.SourceFile>([cell]);
    const visit = (sf: TS.SourceFile) => {
      (sf as any).resolvedModules?.forEach((r: TS.ResolvedModuleWithFailedLookupLocations) => {
        const m = r.resolvedModule;
        const dep = m && !m.isExternalLibraryImport ? program.getSourceFile(m.resolvedFileName) : undefined;
        // JSON files are left to Node's require, as are packages.
        if (!dep || seen.has(dep) || dep.isDeclarationFile || !/\.[cm]?[tj]sx?$/.test(dep.fileName)) return;
        seen.add(dep);
        found.push(dep);
        visit(dep);
      });
    };
    visit(cell);
    return found;
  }

  // ---- files -------------------------------------------------------------------------------

  private parse(fileName: string, text: string, options: TS.CreateSourceFileOptions | TS.ScriptTarget = this.parseOptions): TS.SourceFile {
    this.stats.parsedFiles++;
    this.stats.parsedChars += text.length;
    return this.ts.createSourceFile(fileName, text, options);
  }

  private createHost(): TS.CompilerHost {
    const ts = this.ts;
    const sys = ts.sys;
    return {
      getSourceFile: (fileName, options) => this.sourceFile(fileName, options),
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      writeFile: () => {
        throw new Error("the converter writes no files");
      },
      getCurrentDirectory: () => this.dir,
      getCanonicalFileName: (f) => f,
      useCaseSensitiveFileNames: () => true,
      getNewLine: () => "\n",
      fileExists: (f) => f === this.cell?.fileName || this.virtual.has(f) || sys.fileExists(f),
      readFile: (f) => (f === this.cell?.fileName ? this.cell.text : (this.virtual.get(f)?.text ?? sys.readFile(f))),
      directoryExists: (d) => sys.directoryExists(d),
      getDirectories: (d) => sys.getDirectories(d),
      realpath: sys.realpath && ((p) => sys.realpath!(p)),
      getModuleResolutionCache: () => this.moduleCache,
      resolveModuleNameLiterals: (literals, containingFile, redirected, options, containingSourceFile) =>
        literals.map((lit) =>
          this.resolveModule(lit.text, containingFile, ts.getModeForUsageLocation(containingSourceFile, lit, options), redirected, options),
        ),
      resolveTypeReferenceDirectiveReferences: (refs, containingFile, redirected, options, containingSourceFile) =>
        refs.map((r) => {
          const name = typeof r === "string" ? r : r.fileName.toLowerCase();
          const mode =
            typeof r === "string"
              ? containingSourceFile?.impliedNodeFormat
              : (ts as any).getModeForFileReference(r, containingSourceFile?.impliedNodeFormat);
          return this.resolveTypeRef(name, containingFile, mode, redirected, options);
        }),
    };
  }

  /**
   * The host's files: the cell and in-memory files as they are now; other files parsed once and
   * kept, re-read only if they may change during a session (not under node_modules or the
   * standard library) and their modification time did.
   */
  private sourceFile(fileName: string, options: TS.ScriptTarget | TS.CreateSourceFileOptions): TS.SourceFile | undefined {
    if (fileName === this.cell?.fileName) return this.cell;
    const v = this.virtual.get(fileName);
    if (v) return (v.sf ??= this.parse(fileName, v.text, options));
    const fixed = this.isFixed(fileName);
    const old = this.files.get(fileName);
    const mtime = fixed ? undefined : this.ts.sys.getModifiedTime?.(fileName)?.getTime();
    if (old && (fixed || old.mtime === mtime)) return old.sf;
    const text = this.ts.sys.readFile(fileName);
    if (text === undefined) return undefined;
    const sf = this.parse(fileName, text, options);
    this.files.set(fileName, { sf, mtime });
    return sf;
  }

  private isFixed(fileName: string): boolean {
    return fileName.includes("/node_modules/") || this.fixedRoots.some((r) => fileName.startsWith(r));
  }

  /**
   * Module resolution, cached: a resolution that succeeded is kept for the session; one that
   * failed is kept when a library asked (an @types/node `import "fs"` fails every time and finds
   * the ambient `declare module "fs"` instead), but asked again when a cell or a local file
   * asked, without TypeScript's cache, so that a module installed or written meanwhile is found.
   */
  private resolveModule(
    name: string,
    containingFile: string,
    mode: TS.ResolutionMode,
    redirected: TS.ResolvedProjectReference | undefined,
    options: TS.CompilerOptions,
  ) {
    const key = `${path.dirname(containingFile)}\0${mode}\0${name}`;
    let r = this.resolved.get(key);
    if (r) return r;
    const fresh = !this.isFixed(containingFile);
    r = this.ts.resolveModuleName(name, containingFile, options, this.host, fresh ? undefined : this.moduleCache, redirected, mode);
    if (r.resolvedModule || !fresh) this.resolved.set(key, r);
    return r;
  }

  private resolveTypeRef(
    name: string,
    containingFile: string,
    mode: TS.ResolutionMode,
    redirected: TS.ResolvedProjectReference | undefined,
    options: TS.CompilerOptions,
  ) {
    const key = `${path.dirname(containingFile)}\0${mode}\0${name}`;
    let r = this.resolvedTypeRefs.get(key);
    if (r) return r;
    const fresh = !this.isFixed(containingFile);
    r = this.ts.resolveTypeReferenceDirective(
      name,
      containingFile,
      options,
      this.host,
      redirected,
      fresh ? undefined : this.typeRefCache,
      mode,
    );
    if (r.resolvedTypeReferenceDirective?.resolvedFileName || !fresh) this.resolvedTypeRefs.set(key, r);
    return r;
  }
}

/**
 * The .d.ts of a cell that mentions Node's types (Buffer, NodeJS.Timeout) starts with a reference
 * to them; every program has them already (`types: ["node"]`), and a declaration file with a
 * reference would change the programs' structure (commit()).
 */
function withoutNodeReference(dts: string): string {
  return dts.replace(/^\/\/\/ <reference types="node" \/>\n/gm, "");
}

/**
 * Whether a cell awaits at its top level (`await`, `for await`, anywhere but inside a function or
 * class body): then it runs in an async function. Found in the syntax tree, as TypeScript decides
 * it (isInTopLevelContext): the checker does not report every such await under CommonJS, since
 * TypeScript parses a statement like `await (await p).f()` again as if in an async function, and
 * the awaits in it then look like an async function's (tslab missed these, and `for await`).
 */
function topLevelAwait(ts: typeof TS, sf: TS.SourceFile): boolean {
  if (!/\bawait\b/.test(sf.text)) return false;
  const isTop = (ts as any).isInTopLevelContext as (n: TS.Node) => boolean;
  const visit = (n: TS.Node): boolean =>
    ((ts.isAwaitExpression(n) || (ts.isForOfStatement(n) && !!n.awaitModifier)) && isTop(n)) || !!ts.forEachChild(n, visit);
  return visit(sf);
}

/**
 * The module names a file imports (statements, `import()` calls, `import("x")` types); undefined
 * when it also references files or types, or augments a module or the globals: only a new
 * program takes those in.
 */
function moduleNames(ts: typeof TS, sf: TS.SourceFile): string[] | undefined {
  if (sf.referencedFiles.length || sf.typeReferenceDirectives.length || sf.libReferenceDirectives.length) return undefined;
  const names: string[] = [];
  for (const st of sf.statements) {
    if ((ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteralLike(st.moduleSpecifier)) {
      names.push(st.moduleSpecifier.text);
    } else if (
      ts.isImportEqualsDeclaration(st) &&
      ts.isExternalModuleReference(st.moduleReference) &&
      ts.isStringLiteralLike(st.moduleReference.expression)
    ) {
      names.push(st.moduleReference.expression.text);
    } else if (ts.isModuleDeclaration(st) && (ts.isStringLiteral(st.name) || st.flags & ts.NodeFlags.GlobalAugmentation)) {
      return undefined;
    }
  }
  if (/\bimport\s*\(/.test(sf.text)) {
    const visit = (n: TS.Node): void => {
      if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal))
        names.push(n.argument.literal.text);
      else if (
        ts.isCallExpression(n) &&
        n.expression.kind === ts.SyntaxKind.ImportKeyword &&
        n.arguments.length &&
        ts.isStringLiteralLike(n.arguments[0])
      )
        names.push(n.arguments[0].text);
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return names;
}

function toSlashes(p: string): string {
  return p.replace(/\\/g, "/");
}

/** Where `types: ["node"]` is looked up: the folder's own @types first (as tslab did). */
function typeRoots(ts: typeof TS, dir: string): string[] {
  return (ts as any).getDefaultTypeRoots(dir, { directoryExists: (d: string) => ts.sys.directoryExists(d) }) ?? [];
}

/** Candidates for the identifier being typed, best matches first (tslab's ranking). */
function completionFor(info: TS.CompletionInfo | undefined, id: TS.Identifier, sf: TS.SourceFile): Completion {
  const name = id.text;
  const lower = name.toLowerCase();
  const rank = (e: TS.CompletionEntry): string => {
    if (e.name.startsWith(name)) return "0";
    const l = e.name.toLowerCase();
    if (l.startsWith(lower)) return "1";
    if (l.includes(lower)) return "2";
    return "";
  };
  const candidates = (info?.entries ?? [])
    .map((e, index) => ({ name: e.name, key: rank(e), sortText: e.sortText, index }))
    .filter((e) => e.key !== "")
    .sort((a, b) => (a.key + a.sortText).localeCompare(b.key + b.sortText) || a.index - b.index);
  return {
    start: id.getStart(sf) - CELL_PREFIX.length,
    end: id.end - CELL_PREFIX.length,
    candidates: candidates.map((e) => e.name),
    original: info,
  };
}
