// Errors as a learner should see them: the error's name and message, the stack in the cells'
// own line numbers (through the source maps of each compiled cell), and the offending line.
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";

const RED = "\x1b[31m",
  CYAN = "\x1b[36m",
  GREEN = "\x1b[32m",
  BOLD = "\x1b[1m",
  RESET = "\x1b[0m";

export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** Source maps of a compiled cell; with two compile steps, esm maps the cell to the first step's output. */
export interface CellMaps {
  esm?: any;
  cjs?: any;
}

export interface CellRecord {
  file: string; // the vm filename, e.g. "cell[3]"
  label: string; // as shown: "Cell In[3]"
  source: string;
  esm?: TraceMap;
  cjs?: TraceMap;
  /** Lines the executor put before the compiled code. */
  wrapperLines: number;
}

export class CellRegistry {
  private cells = new Map<string, CellRecord>();
  add(file: string, label: string, source: string, maps: CellMaps, wrapperLines: number) {
    this.cells.set(file, {
      file,
      label,
      source,
      esm: maps.esm ? new TraceMap(maps.esm) : undefined,
      cjs: maps.cjs ? new TraceMap(maps.cjs) : undefined,
      wrapperLines,
    });
  }
  get(file: string) {
    return this.cells.get(file);
  }
  /** Map a 1-based line and column in the executed code to the cell's own 1-based line and column. */
  locate(file: string, line: number, column: number): { cell: CellRecord; line: number; column: number } | undefined {
    const cell = this.cells.get(file);
    if (!cell || !cell.cjs) return undefined;
    const a = originalPositionFor(cell.cjs, { line: line - cell.wrapperLines, column: Math.max(0, column - 1) });
    if (a.line == null) return undefined;
    let pos = { line: a.line, column: a.column ?? 0 };
    if (cell.esm) {
      const b = originalPositionFor(cell.esm, { line: pos.line, column: pos.column });
      if (b.line == null) return undefined;
      pos = { line: b.line, column: b.column ?? 0 };
    }
    // The converter's virtual file starts with one line ("export {};") before the cell.
    return { cell, line: pos.line - 1, column: pos.column + 1 };
  }
}

/** A source excerpt with a caret under the column. */
export function codeFrame(source: string, line: number, column: number, context = 1): string {
  const lines = source.split("\n");
  const from = Math.max(1, line - context),
    to = Math.min(lines.length, line + context);
  const width = String(to).length;
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    const mark = n === line ? `${GREEN}---->${RESET} ` : "      ";
    out.push(`${mark}${String(n).padStart(width)} | ${lines[n - 1]}`);
    if (n === line) out.push(`      ${" ".repeat(width)} | ${" ".repeat(Math.max(0, column - 1))}${RED}^${RESET}`);
  }
  return out.join("\n");
}

const FRAME = /^\s*at (?:(.*?) \()?(.*?):(\d+):(\d+)\)?$/;
const INTERNAL = /^(node:|internal\/)|[\\/]node_modules[\\/](tslab|@tslab)[\\/]|[\\/]dist[\\/]kernel[\\/]/;

/** Turn a thrown value into Jupyter's error content. */
export function formatError(err: unknown, cells: CellRegistry): ErrorContent {
  if (!(err instanceof Error)) {
    const text = describe(err);
    return { ename: "Uncaught", evalue: text, traceback: [`${RED}${BOLD}Uncaught${RESET} ${text}`] };
  }
  const ename = err.name || "Error";
  const evalue = err.message ?? "";
  const traceback = [`${RED}${BOLD}${ename}${RESET}: ${evalue}`];
  let framed = false;
  // An interrupt shows where in the cells it stopped; the library's frames below them say nothing.
  const cellsOnly = ename === "KeyboardInterrupt";
  for (const raw of (err.stack ?? "").split("\n").slice(1)) {
    const m = FRAME.exec(raw);
    if (!m) continue;
    const [, fn, file, l, c] = m;
    const loc = cells.locate(file, Number(l), Number(c));
    if (loc) {
      const name = fn && !/^(exports\.|Object\.<anonymous>|eval)/.test(fn) ? ` in ${fn}` : "";
      traceback.push(`${CYAN}${loc.cell.label}${RESET}, line ${loc.line}${name}`);
      if (!framed) {
        traceback.push(codeFrame(loc.cell.source, loc.line, loc.column));
        framed = true;
      }
    } else if (!cellsOnly && !INTERNAL.test(file) && !cells.get(file)) {
      traceback.push(`    at ${fn ? `${fn} (${file}:${l}:${c})` : `${file}:${l}:${c}`}`);
    }
  }
  return { ename, evalue, traceback };
}

function describe(v: unknown): string {
  try {
    return typeof v === "string" ? JSON.stringify(v) : require("util").inspect(v);
  } catch {
    return String(v);
  }
}

export interface Diag {
  start: { line: number; character: number };
  messageText: string;
  code: number;
  category: number;
  fileName?: string;
}

/** Type errors from the TypeScript checker, each with the line it points at. */
export function formatDiagnostics(diags: Diag[], source: string, label: string): ErrorContent {
  const errors = diags.filter((d) => d.category === 1);
  const shown = errors.length ? errors : diags;
  const first = shown[0];
  const where = (d: Diag) => `${d.fileName ?? label}, line ${d.start.line + 1}`;
  const evalue = `${where(first)}: ${first.messageText} (TS${first.code})`;
  const traceback = [`${RED}${BOLD}TSError${RESET}: ${shown.length} type error${shown.length > 1 ? "s" : ""}`];
  for (const d of shown) {
    traceback.push(`${CYAN}${where(d)}${RESET}: ${d.messageText} ${GREEN}(TS${d.code})${RESET}`);
    if (!d.fileName) traceback.push(codeFrame(source, d.start.line + 1, d.start.character + 1, 0));
  }
  return { ename: "TSError", evalue, traceback };
}
