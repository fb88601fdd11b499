// The TypeScript side of a cell: type-check it against what earlier cells declared, compile it to
// CommonJS for the executor, and keep its declarations for the cells after it. Also completion,
// inspection and `%module` cells.
//
// Built on tslab's TypeScript build (@tslab/typescript-for-tslab, loaded by tsenv.ts); it replaces
// tslab's converter, which kept all earlier declarations in one file whose text it parsed, bound
// and printed again at every cell (twice per declaring cell), so that a cell's cost grew with the
// session. Here every cell costs about the same, however many ran before it:
//  - a cell that ran leaves an immutable declaration file, `__decl_<k>__.d.ts` (its emitted .d.ts),
//    parsed and bound once; every later program reuses that SourceFile, as it reuses the standard
//    library's (TypeScript reuses SourceFiles across programs when the host hands back the same
//    object);
//  - name lookup goes from the cell into those files through a CellScope (scope.ts): shadowing
//    like nested blocks, a constant number of lookups per name;
//  - the cell's top-level names (which it exports so that the .d.ts declares them) come from
//    binding the cell's own SourceFile, not from a second program;
//  - one program per cell, one emit, straight to CommonJS with one source map.
// A program is still made per cell (a TypeScript program and its checker are immutable), but it
// only re-reads what changed: the cell, and local files whose modification time changed.
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
  programs: number;
  /** Declaration files kept (one per cell that ran and declared something). */
  declarationFiles: number;
  /** How many layers a lookup of a global name passes through (scope.ts). */
  scopeDepth: number;
}

/** Every cell is a module (its names are not globals, top-level await is allowed): this line comes first. */
export const CELL_PREFIX = "export {};\n";
/** Diagnostics that mean "top-level await": allowed here (the cell runs in an async function). */
const TOP_LEVEL_AWAIT = new Set([1378 /* await */, 1432 /* for await */]);
const NO_CANCEL = { isCancellationRequested: () => false, throwIfCancellationRequested: () => {} };

interface FileEntry {
  sf: TS.SourceFile;
  /** undefined for files that do not change during a session (libraries, the standard library). */
  mtime?: number;
}

export class Converter {
  private readonly options: TS.CompilerOptions;
  private readonly host: TS.CompilerHost;
  private readonly cellFile: string;
  private cell: TS.SourceFile | undefined;
  /** The current cell's top-level names (those its `export { ... }` suffix lists). */
  private names: TS.__String[] = [];
  /** In-memory files: declaration files and `%module` cells, by full name. */
  private readonly virtual = new Map<string, { text: string; sf?: TS.SourceFile }>();
  private readonly declarationFiles: string[] = [];
  private readonly scope: CellScope;
  private readonly files = new Map<string, FileEntry>();
  /** Local source files (a cell's imports) already compiled for the executor, as compiled. */
  private readonly emittedSides = new Map<string, TS.SourceFile>();
  private program: TS.Program | undefined;
  private readonly moduleCache: TS.ModuleResolutionCache;
  private readonly typeRefCache: TS.TypeReferenceDirectiveResolutionCache;
  private readonly resolved = new Map<string, TS.ResolvedModuleWithFailedLookupLocations>();
  private readonly resolvedTypeRefs = new Map<string, TS.ResolvedTypeReferenceDirectiveWithFailedLookupLocations>();
  /** A resolution failed: forget what the caches know before the next program (the file may exist by then). */
  private failedResolution = false;
  private readonly parseOptions: TS.CreateSourceFileOptions;
  private readonly fixedRoots: string[];
  readonly stats: ConverterStats = { parsedFiles: 0, parsedChars: 0, programs: 0, declarationFiles: 0, scopeDepth: 0 };

  constructor(
    private readonly ts: typeof TS,
    private readonly dir: string,
    fixedRoots: string[] = [],
  ) {
    const t = ts as any;
    this.dir = toSlashes(dir);
    this.cellFile = `${this.dir}/__cell__.ts`;
    this.options = {
      // CommonJS straight away: the executor runs cells with require(). Top-level await is a
      // diagnostic under CommonJS, which says exactly where a cell awaits at its top level.
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
    this.typeRefCache = ts.createTypeReferenceDirectiveResolutionCache(this.dir, (f) => f, this.options, this.moduleCache.getPackageJsonInfoCache());
    this.host = this.createHost();
  }

  // ---- cells ------------------------------------------------------------------------------

  /** Check and compile a cell. Nothing is kept until commit() is called (after the cell ran). */
  convert(src: string): Conversion {
    const cell = this.parseCell(src, true);
    const program = this.createProgram([...this.declarationFiles, this.cellFile]);
    const checker = program.getTypeChecker();
    const sides = this.localDependencies(program, cell);
    const { diagnostics, hasTopLevelAwait } = this.diagnose(program, [cell, ...sides]);
    const none: Conversion = { diagnostics, output: "", hasTopLevelAwait, hasValue: false, sideOutputs: [] };
    if (diagnostics.length) return none;

    const sideOutputs = sides.filter((sf) => this.emittedSides.get(sf.fileName) !== sf).map((sf) => this.emitSide(program, sf));
    let hasValue = false;
    const out = this.emit(program, cell, {
      before: [returnLastValue(this.ts, () => (hasValue = true)), guardAwaits(this.ts)],
      after: [earlierNames(this.ts, checker, (s) => this.scope.declaredEarlier(s)), plainExports(this.ts)],
      afterDeclarations: [widenLiterals(this.ts) as TS.TransformerFactory<TS.SourceFile | TS.Bundle>],
    });
    // Something to keep: names the suffix exports, or the cell's own `export`s.
    const declares = this.names.length > 0 || ((cell as any).symbol?.exports?.size ?? 0) > 0;
    const declarations = declares ? { text: out.dts ?? "", meanings: this.meanings(checker, cell, this.names) } : undefined;
    return { diagnostics: [], output: out.js, map: out.map, hasTopLevelAwait, hasValue, sideOutputs, declarations };
  }

  /** Keep a cell's declarations for the cells after it (call once the cell has run without error). */
  commit(c: Conversion) {
    if (!c.declarations) return;
    const k = this.declarationFiles.length + 1;
    const fileName = `${this.dir}/__decl_${k}__.d.ts`;
    const sf = this.parse(fileName, c.declarations.text);
    (this.ts as any).bindSourceFile(sf, this.options);
    this.virtual.set(fileName, { text: c.declarations.text, sf });
    this.declarationFiles.push(fileName);
    this.scope.add(sf, this.exportedNames(sf, c.declarations.meanings));
    this.stats.declarationFiles = this.declarationFiles.length;
    this.stats.scopeDepth = this.scope.depth;
  }

  // ---- completion and inspection ------------------------------------------------------------

  complete(src: string, position: number): Completion {
    const ts = this.ts;
    const cell = this.parseCell(src, false);
    const program = this.createProgram([...this.declarationFiles, this.cellFile]);
    const pos = position + CELL_PREFIX.length;
    const info: TS.CompletionInfo | undefined = (ts as any).Completions.getCompletionsAtPositionForTslab(
      {}, program, () => {}, cell, pos, {}, undefined, ts.CompletionTriggerKind.Invoked, NO_CANCEL,
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
    const program = this.createProgram([...this.declarationFiles, this.cellFile]);
    const info = (this.ts as any).getQuickInfoAtPosition(cell, program.getTypeChecker(), NO_CANCEL, position + CELL_PREFIX.length) as TS.QuickInfo | undefined;
    if (info?.textSpan) info.textSpan.start -= CELL_PREFIX.length;
    return info;
  }

  // ---- %module cells ---------------------------------------------------------------------------

  /** A `%module NAME` cell (tslab's metadata): an in-memory module `./NAME` that later cells import. */
  addModule(name: string, content: string, meta?: { jsx?: boolean }): Diagnostic[] {
    if (!/^\w+$/.test(name)) throw new Error("invalid module name: " + JSON.stringify(name));
    const fileName = `${this.dir}/${name}.ts${meta?.jsx ? "x" : ""}`;
    this.virtual.set(fileName, { text: CELL_PREFIX + content });
    const program = this.createProgram([fileName]);
    return this.diagnose(program, [program.getSourceFile(fileName)!]).diagnostics;
  }

  // ---- programs ----------------------------------------------------------------------------

  private createProgram(rootNames: string[]): TS.Program {
    if (this.failedResolution) {
      this.failedResolution = false;
      this.moduleCache.clear();
      this.typeRefCache.clear();
    }
    this.stats.programs++;
    this.program = this.ts.createProgram({ rootNames, options: this.options, host: this.host, oldProgram: this.program });
    return this.program;
  }

  /**
   * Parse the cell behind the prefix; when `declaring`, also with an `export { ... }` of its
   * top-level names after it, so that the emitted .d.ts declares them. The names come from
   * binding the parse without the suffix (what tslab got from a whole second program).
   */
  private parseCell(src: string, declaring: boolean): TS.SourceFile {
    const ts = this.ts as any;
    let sf = this.parse(this.cellFile, CELL_PREFIX + src);
    ts.bindSourceFile(sf, this.options);
    const names = declaring ? this.cellNames(sf) : [];
    if (names.length) {
      sf = this.parse(this.cellFile, `${CELL_PREFIX}${src}\nexport { ${names.map((n) => ts.unescapeLeadingUnderscores(n)).join(", ")} };`);
      ts.bindSourceFile(sf, this.options);
    }
    // After binding: the binder resets a file's parent.
    (sf as any).parent = this.scope.head;
    this.cell = sf;
    this.names = names;
    return sf;
  }

  /** The cell's top-level names that it does not export itself (those its .d.ts has to declare). */
  private cellNames(sf: TS.SourceFile): TS.__String[] {
    const names: TS.__String[] = [];
    (sf as any).locals?.forEach((s: TS.Symbol, name: TS.__String) => {
      if (!(s as any).exportSymbol) names.push(name);
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
      const symbol: TS.Symbol | undefined = spec ? (sf as any).locals?.get((spec.propertyName as TS.Identifier | undefined)?.escapedText ?? name) : exported;
      if (!symbol) return;
      names.push({ name, symbol, meanings: meanings.get(name as string) ?? symbol.flags });
    });
    return names;
  }

  // ---- diagnostics ---------------------------------------------------------------------------

  private diagnose(program: TS.Program, files: TS.SourceFile[]): { diagnostics: Diagnostic[]; hasTopLevelAwait: boolean } {
    const all: TS.Diagnostic[] = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
    for (const sf of files) all.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf));
    let hasTopLevelAwait = false;
    const diagnostics: Diagnostic[] = [];
    for (const d of (this.ts as any).sortAndDeduplicateDiagnostics(all) as TS.Diagnostic[]) {
      if (!d.file || d.start === undefined) continue;
      if (d.file === this.cell && TOP_LEVEL_AWAIT.has(d.code)) {
        hasTopLevelAwait = true;
        continue;
      }
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
    return { diagnostics, hasTopLevelAwait };
  }

  /** A message chain becomes one diagnostic per message, at the same place (as tslab did). */
  private flatten(msg: string | TS.DiagnosticMessageChain, category: number, code: number, start: Diagnostic["start"], end: Diagnostic["end"], fileName: string | undefined, out: Diagnostic[]) {
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
    let js = "", map: unknown, dts: string | undefined;
    program.emit(sf, (name, data) => {
      if (name.endsWith(".d.ts")) dts = data;
      else if (name.endsWith(".map")) map = JSON.parse(data);
      else js = data.replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n");
    }, undefined, false, transformers);
    return { js, map, dts };
  }

  private emitSide(program: TS.Program, sf: TS.SourceFile): { path: string; data: string } {
    const out = this.emit(program, sf, { before: [guardAwaits(this.ts)], after: [plainExports(this.ts)] });
    this.emittedSides.set(sf.fileName, sf);
    return { path: sf.fileName.replace(/\.(tsx?|jsx?)$/, ".js"), data: out.js };
  }

  /** Local source files (.ts, .js; not declarations, not packages) the cell imports, directly or not. */
  private localDependencies(program: TS.Program, cell: TS.SourceFile): TS.SourceFile[] {
    const found: TS.SourceFile[] = [];
    const seen = new Set<TS.SourceFile>([cell]);
    const visit = (sf: TS.SourceFile) => {
      (sf as any).resolvedModules?.forEach((r: TS.ResolvedModuleWithFailedLookupLocations) => {
        const m = r.resolvedModule;
        const dep = m && !m.isExternalLibraryImport ? program.getSourceFile(m.resolvedFileName) : undefined;
        if (!dep || seen.has(dep) || dep.isDeclarationFile) return;
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
      fileExists: (f) => f === this.cellFile || this.virtual.has(f) || sys.fileExists(f),
      readFile: (f) => (f === this.cellFile ? this.cell?.text : this.virtual.get(f)?.text ?? sys.readFile(f)),
      directoryExists: (d) => sys.directoryExists(d),
      getDirectories: (d) => sys.getDirectories(d),
      realpath: sys.realpath && ((p) => sys.realpath!(p)),
      getModuleResolutionCache: () => this.moduleCache,
      resolveModuleNameLiterals: (literals, containingFile, redirected, options, containingSourceFile) =>
        literals.map((lit) => this.resolveModule(lit.text, containingFile, ts.getModeForUsageLocation(containingSourceFile, lit, options), redirected, options)),
      resolveTypeReferenceDirectiveReferences: (refs, containingFile, redirected, options, containingSourceFile) =>
        refs.map((r) => {
          const name = typeof r === "string" ? r : r.fileName.toLowerCase();
          const mode = typeof r === "string" ? containingSourceFile?.impliedNodeFormat : (ts as any).getModeForFileReference(r, containingSourceFile?.impliedNodeFormat);
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
    if (fileName === this.cellFile) return this.cell;
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

  private resolveModule(name: string, containingFile: string, mode: TS.ResolutionMode, redirected: TS.ResolvedProjectReference | undefined, options: TS.CompilerOptions) {
    const key = `${path.dirname(containingFile)}\0${mode}\0${name}`;
    let r = this.resolved.get(key);
    if (!r) {
      r = this.ts.resolveModuleName(name, containingFile, options, this.host, this.moduleCache, redirected, mode);
      if (r.resolvedModule) this.resolved.set(key, r);
      else this.failedResolution = true;
    }
    return r;
  }

  private resolveTypeRef(name: string, containingFile: string, mode: TS.ResolutionMode, redirected: TS.ResolvedProjectReference | undefined, options: TS.CompilerOptions) {
    const key = `${path.dirname(containingFile)}\0${mode}\0${name}`;
    let r = this.resolvedTypeRefs.get(key);
    if (!r) {
      r = this.ts.resolveTypeReferenceDirective(name, containingFile, options, this.host, redirected, this.typeRefCache, mode);
      if (r.resolvedTypeReferenceDirective?.resolvedFileName) this.resolvedTypeRefs.set(key, r);
      else this.failedResolution = true;
    }
    return r;
  }
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

