// `seqlab assignment`: the student edition of a course notebook. The teacher edition carries the
// solutions, marked as nbgrader marks them: a cell whose metadata says
// {"nbgrader": {"solution": true, ...}} holds a region
//
//     // ### BEGIN SOLUTION
//     ...the solution...
//     // ### END SOLUTION
//
// inside a function body. The student edition replaces each region (marker lines included) by
// `throw new Error("your code here");` at the marker's indentation, so the function still
// type-checks and the self-check that calls it reports "not yet" instead of failing the notebook;
// everything else in the cell is kept. Outputs and execution counts are cleared; self-check cells
// (nbgrader grade cells) are kept as they are, minus any BEGIN/END HIDDEN TESTS region.
//
// The rules follow nbgrader's ClearSolutions and ClearHiddenTests (a marker is any line containing
// "BEGIN SOLUTION" / "END SOLUTION"; a region outside a solution cell is an error), so a teacher
// with nbgrader gets the same student edition from `nbgrader generate_assignment` with
// `c.ClearSolutions.code_stub = {"typescript": 'throw new Error("your code here");'}`. Unlike
// nbgrader, a code solution cell without a region is an error here: replacing the whole cell
// would drop the function the self-check calls.
import { realpathSync, statSync } from "fs";
import * as path from "path";
import type * as TS from "typescript";
import { writeFileAtomic } from "../server/atomic-write";
import { Cell, Notebook, lines, readNotebook, sourceText } from "./notebook";

export const CODE_STUB = 'throw new Error("your code here");';
/** What replaces a written (markdown) solution, as in nbgrader. */
export const TEXT_STUB = "YOUR ANSWER HERE";

const BEGIN_SOLUTION = "BEGIN SOLUTION";
const END_SOLUTION = "END SOLUTION";
const BEGIN_HIDDEN = "BEGIN HIDDEN TESTS";
const END_HIDDEN = "END HIDDEN TESTS";

/** nbgrader's cell metadata (schema 3). */
export interface NbgraderCell {
  schema_version?: number;
  grade?: boolean;
  solution?: boolean;
  locked?: boolean;
  task?: boolean;
  grade_id?: string;
  points?: number;
}

export const nbgrader = (c: Cell): NbgraderCell => {
  const m = (c.metadata as any)?.nbgrader;
  return m && typeof m === "object" ? m : {};
};
export const isSolutionCell = (c: Cell) => nbgrader(c).solution === true;
export const isGradeCell = (c: Cell) => nbgrader(c).grade === true;

/** A marked region of a cell: the lines (from 0) of its BEGIN and END markers. */
export interface Region {
  begin: number;
  end: number;
}

/** A malformed teacher edition: the message names the file and the cell. */
export class AssignmentError extends Error {}

/** How a cell is named in errors: "FILE: cell 7 (cells[6], grade_id 01-ex-2)". */
function cellName(file: string, c: Cell, i: number): string {
  const id = nbgrader(c).grade_id;
  return `${file}: cell ${i + 1} (cells[${i}]${id ? `, grade_id ${id}` : ""})`;
}

/** The BEGIN…END regions of `src` (lines numbered from 0), checked: none nested, none left open. */
export function findRegions(src: string, begin: string, end: string, where: string): Region[] {
  const regions: Region[] = [];
  let open: number | undefined;
  src.split("\n").forEach((line, n) => {
    if (line.includes(begin)) {
      if (open !== undefined)
        throw new AssignmentError(
          `${where}: a second ${begin} at line ${n + 1} inside the region opened at line ${open + 1} (regions cannot nest)`,
        );
      open = n;
    } else if (line.includes(end)) {
      if (open === undefined) throw new AssignmentError(`${where}: ${end} at line ${n + 1} without a ${begin} before it`);
      regions.push({ begin: open, end: n });
      open = undefined;
    }
  });
  if (open !== undefined) throw new AssignmentError(`${where}: the ${begin} at line ${open + 1} has no ${end}`);
  return regions;
}

/** `src` with each region (marker lines included) replaced by `stub`, indented as its BEGIN line. */
export function replaceRegions(src: string, regions: readonly Region[], stub: string | undefined): string {
  const ls = src.split("\n");
  const out: string[] = [];
  let r = 0;
  for (let n = 0; n < ls.length; n++) {
    const region = regions[r];
    if (region && n === region.begin) {
      const indent = /^\s*/.exec(ls[n])![0];
      if (stub !== undefined) for (const s of stub.split("\n")) out.push(indent + s);
      n = region.end;
      r++;
    } else out.push(ls[n]);
  }
  return out.join("\n");
}

let tsCompiler: typeof TS | undefined;
/** The compiler the kernel itself uses (tslab's), loaded once, on first need. */
function typescript(): typeof TS {
  if (!tsCompiler) tsCompiler = require(require.resolve("@tslab/typescript-for-tslab", { paths: [require.resolve("tslab")] })) as typeof TS;
  return tsCompiler;
}

const FUNCTION_KINDS = (ts: typeof TS) =>
  new Set([
    ts.SyntaxKind.FunctionDeclaration,
    ts.SyntaxKind.FunctionExpression,
    ts.SyntaxKind.ArrowFunction,
    ts.SyntaxKind.MethodDeclaration,
    ts.SyntaxKind.Constructor,
    ts.SyntaxKind.GetAccessor,
    ts.SyntaxKind.SetAccessor,
  ]);

/**
 * Why a code region cannot be replaced by a `throw` (not inside the block body of one function,
 * both markers in the same body), or undefined when it can. A top-level `throw` would fail the
 * student's notebook in that cell and stop Run All there.
 */
export function regionProblem(src: string, region: Region): string | undefined {
  const ts = typescript();
  const sf = ts.createSourceFile("cell.ts", src, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const starts = [0];
  for (const l of src.split("\n")) starts.push(starts[starts.length - 1] + l.length + 1);
  const kinds = FUNCTION_KINDS(ts);
  /** The innermost function body (a block) that encloses the position. */
  const bodyAt = (pos: number): TS.Block | undefined => {
    let found: TS.Block | undefined;
    const visit = (node: TS.Node) => {
      if (pos < node.getStart(sf) || pos >= node.getEnd()) return;
      const body = kinds.has(node.kind) ? (node as TS.FunctionLikeDeclaration).body : undefined;
      if (body && ts.isBlock(body) && pos > body.getStart(sf) && pos < body.getEnd()) found = body;
      ts.forEachChild(node, visit);
    };
    ts.forEachChild(sf, visit);
    return found;
  };
  const b = bodyAt(starts[region.begin]);
  if (!b)
    return `the solution region at lines ${region.begin + 1}-${region.end + 1} is not inside a function body; put the solution inside the function the self-check calls`;
  if (bodyAt(starts[region.end]) !== b)
    return `the solution region at lines ${region.begin + 1}-${region.end + 1} begins and ends in different blocks`;
  return undefined;
}

/** What the student edition of one notebook holds. */
export interface StudentEdition {
  notebook: Notebook;
  /** Solution regions replaced by the stub. */
  solutions: number;
  /** Self-check (grade) cells kept. */
  checks: number;
}

/** The student edition of a teacher's notebook (a new object; `nb` is not changed). */
export function studentEdition(nb: Notebook, file: string): StudentEdition {
  if (nb.metadata?.seqlab?.edition === "student")
    throw new AssignmentError(`${file} is already a student edition (written by seqlab assignment); give it the teacher's edition`);
  const out: Notebook = JSON.parse(JSON.stringify(nb));
  let solutions = 0;
  let checks = 0;
  out.cells.forEach((c, i) => {
    const where = cellName(file, c, i);
    let src = sourceText(c);
    const solution = isSolutionCell(c);
    const grade = isGradeCell(c);
    if (c.cell_type === "raw") return;
    // Prose may mention the markers; only code and solution cells hold regions.
    const regions = c.cell_type === "code" || solution ? findRegions(src, BEGIN_SOLUTION, END_SOLUTION, where) : [];
    if (regions.length && !solution)
      throw new AssignmentError(
        `${where} has a ${BEGIN_SOLUTION} region but is not a solution cell; add "nbgrader": {"solution": true, ...} to its metadata`,
      );
    if (solution && c.cell_type === "code") {
      if (!regions.length)
        throw new AssignmentError(
          `${where} is a solution cell without a "// ### ${BEGIN_SOLUTION}" … "// ### ${END_SOLUTION}" region; mark the solution inside its function`,
        );
      for (const r of regions) {
        const problem = regionProblem(src, r);
        if (problem) throw new AssignmentError(`${where}: ${problem}`);
      }
      src = replaceRegions(src, regions, CODE_STUB);
    } else if (solution) {
      // A written answer: the region, or the whole cell, becomes nbgrader's text stub.
      src = regions.length ? replaceRegions(src, regions, TEXT_STUB) : TEXT_STUB;
    }
    solutions += solution ? Math.max(1, regions.length) : 0;
    const hidden = c.cell_type === "code" ? findRegions(src, BEGIN_HIDDEN, END_HIDDEN, where) : [];
    if (hidden.length && !grade) throw new AssignmentError(`${where} has a ${BEGIN_HIDDEN} region but is not a self-check (grade) cell`);
    src = replaceRegions(src, hidden, undefined);
    if (grade) checks++;
    c.source = lines(src);
    if (c.cell_type === "code") {
      c.outputs = [];
      c.execution_count = null;
    }
    // nbclient's timing metadata belongs to a run, not to the assignment.
    delete (c.metadata as any).execution;
  });
  // Widget state describes outputs that are gone.
  delete out.metadata.widgets;
  out.metadata.seqlab = { ...(out.metadata.seqlab ?? {}), edition: "student" };
  return { notebook: out, solutions, checks };
}

function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** The same file (by device and inode: a hard link too), or the same path. */
function sameFile(a: string, b: string): boolean {
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return realOrResolved(a) === realOrResolved(b);
  }
}

export interface WrittenAssignment {
  from: string;
  to: string;
  solutions: number;
  checks: number;
}

/**
 * Write the student edition of each notebook into `outDir` under its own name. Every notebook is
 * read and transformed before any is written, so an error writes nothing; a target that is one of
 * the inputs, or two inputs with the same name, is refused.
 */
export function writeAssignments(files: readonly string[], outDir: string): WrittenAssignment[] {
  const targets = new Map<string, string>();
  const editions: { from: string; to: string; ed: StudentEdition }[] = [];
  for (const file of files) {
    const to = path.join(outDir, path.basename(file));
    const clash = targets.get(path.resolve(to));
    if (clash) throw new AssignmentError(`${file} and ${clash} would both be written to ${to}; run them with different --out folders`);
    targets.set(path.resolve(to), file);
    for (const input of files) {
      if (sameFile(input, to))
        throw new AssignmentError(
          `refusing to write the student edition of ${file} over ${input === file ? "itself" : input} (${to}); choose another --out folder`,
        );
    }
    let nb: Notebook;
    try {
      nb = readNotebook(file);
    } catch (e) {
      throw new AssignmentError((e as Error).message);
    }
    editions.push({ from: file, to, ed: studentEdition(nb, file) });
  }
  for (const { to, ed } of editions) writeFileAtomic(to, JSON.stringify(ed.notebook, null, 1) + "\n", "notebook");
  return editions.map(({ from, to, ed }) => ({ from, to, solutions: ed.solutions, checks: ed.checks }));
}
