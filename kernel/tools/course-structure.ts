// The conventions every course notebook follows, read from its .ipynb file (nothing is run):
//
//  - an opening markdown cell: a title, "After this notebook you can" and a bullet list of
//    outcomes, each starting with a verb a learner can be checked on (not "understand" or "know"),
//    "Prerequisites:" naming notebooks by file name (or "none"), "Time:" in quick and in full mode;
//  - exercises, at least three, easy → hard: a heading `### Exercise N.k (easy|medium|hard): title`,
//    a solution cell (nbgrader solution cell "NN-ex-k", the solution between `// ### BEGIN SOLUTION`
//    and `// ### END SOLUTION` inside a function body), then a self-check cell
//    `await check("Exercise N.k", …, { hint: { en, ko } })` (nbgrader grade cell "NN-ex-k-check");
//  - a "## Summary" markdown cell in prose (no table), then "## References" citing the papers the
//    notebook relies on (from the course's list) and d2l.ai with section numbers;
//  - no code line over 100 characters and no code cell over 30 lines;
//  - no unfinished text: no cell (markdown, code or raw) says PLACEHOLDER or TODO.
//
// The parsed opening (outcomes, prerequisites, times) is what a course index can show.
import * as path from "path";
import { AssignmentError, nbgrader, studentEdition } from "./assignment";
import { Cell, Notebook, sourceText } from "./notebook";

export const MAX_LINE = 100;
export const MAX_CELL_LINES = 30;
export const MIN_EXERCISES = 3;
export const LEVELS = ["easy", "medium", "hard"] as const;
export type Level = (typeof LEVELS)[number];

/** Words that mark a cell as unfinished (whole words, as written: "todo" in prose is not one). */
export const UNFINISHED = /\b(PLACEHOLDER|TODO)\b/;

/** Outcomes no one can check: the classic vague verbs. */
const VAGUE = /^(understand|know|learn|appreciate|see|be (familiar|aware)|get|grasp|become)\b/i;

/** The works the course cites, as "Author(s) year" patterns (any of the years given). */
export const KNOWN_REFERENCES: { name: string; pattern: RegExp }[] = [
  { name: "Hochreiter & Schmidhuber 1997", pattern: /Hochreiter[^\n]*1997/ },
  { name: "Gers et al. 2000", pattern: /Gers[^\n]*2000/ },
  { name: "Mikolov et al. 2013", pattern: /Mikolov[^\n]*2013/ },
  { name: "Bojanowski et al. 2017", pattern: /Bojanowski[^\n]*2017/ },
  { name: "Peters et al. 2018", pattern: /Peters[^\n]*2018/ },
  { name: "Radford et al. 2018/2019", pattern: /Radford[^\n]*20(18|19)/ },
  { name: "Devlin et al. 2019", pattern: /Devlin[^\n]*2019/ },
  { name: "Yang et al. 2019", pattern: /Yang[^\n]*2019/ },
  { name: "Dai & Le 2015", pattern: /Dai[^\n]*Le[^\n]*2015/ },
  { name: "Melamud et al. 2016", pattern: /Melamud[^\n]*2016/ },
  { name: "Ramachandran et al. 2017", pattern: /Ramachandran[^\n]*2017/ },
  { name: "Vaswani et al. 2017", pattern: /Vaswani[^\n]*2017/ },
  { name: "Brown et al. 2020", pattern: /Brown[^\n]*2020/ },
  { name: "Kaplan et al. 2020", pattern: /Kaplan[^\n]*2020/ },
  { name: "Hoffmann et al. 2022", pattern: /Hoffmann[^\n]*2022/ },
  { name: "d2l.ai", pattern: /d2l/i },
];

/** What the opening cell says. */
export interface Opening {
  title?: string;
  outcomes: string[];
  /** Notebook file names (without .ipynb); empty when "none". */
  prerequisites?: string[];
  /** The "Time:" line as written. */
  time?: string;
}

/** An exercise as found: its heading cell, solution cell and self-check cell (indices into cells). */
export interface Exercise {
  id: string; // "1.2"
  level: Level | string;
  title: string;
  heading: number;
  solution?: number;
  check?: number;
}

const heading = (src: string, level: number, words: RegExp) =>
  new RegExp(`^${"#".repeat(level)} [^\\n]*(?:${words.source})`, "m").test(src);
const md = (c: Cell) => (c.cell_type === "markdown" ? sourceText(c) : "");

/** The notebook's number from its file name ("01-recurrence….ipynb" → 1), or undefined. */
export function notebookNumber(file: string): number | undefined {
  const m = /^(\d\d)-/.exec(path.basename(file));
  return m ? Number(m[1]) : undefined;
}

/** Read the opening cell: title, outcomes, prerequisites and time. */
export function readOpening(nb: Notebook): Opening {
  const first = nb.cells[0];
  const src = first ? md(first) : "";
  const title = /^# (.+)$/m.exec(src)?.[1].trim();
  const outcomes: string[] = [];
  const start = src.search(/After this notebook you can/i);
  if (start >= 0) {
    // The bullet list after it: items, their indented continuations and blank lines, up to the
    // first line of other text.
    for (const line of src.slice(start).split("\n").slice(1)) {
      const item = /^[ \t]*[-*] (.+)$/.exec(line);
      if (item) outcomes.push(item[1].trim());
      else if (line.trim() && !(outcomes.length && /^[ \t]+\S/.test(line))) break;
    }
  }
  const pre = /^\**Prerequisites:?\**:?\s*(.+)$/im.exec(src)?.[1];
  const prerequisites =
    pre === undefined ? undefined : /^\s*none\b/i.test(pre) ? [] : [...pre.matchAll(/\b(\d\d-[a-z0-9-]+)(?:\.ipynb)?/g)].map((m) => m[1]);
  const time = /^\**Time:?\**:?\s*(.+)$/im.exec(src)?.[1].trim();
  return { title, outcomes, prerequisites, time };
}

/** The exercises, in order, with the cells that follow each heading. */
export function findExercises(nb: Notebook): Exercise[] {
  const out: Exercise[] = [];
  nb.cells.forEach((c, i) => {
    const m = /^### Exercise (\d+\.\d+) \(([^)]*)\): *(.*)$/m.exec(md(c));
    if (!m) return;
    const ex: Exercise = { id: m[1], level: m[2].trim(), title: m[3].trim(), heading: i };
    const code = nb.cells
      .map((c, j) => [c, j] as const)
      .filter(([c, j]) => j > i && c.cell_type === "code")
      .map(([, j]) => j);
    ex.solution = code[0];
    ex.check = code[1];
    out.push(ex);
  });
  return out;
}

const exactly = (got: unknown, want: Record<string, unknown>) => Object.keys(want).every((k) => got && (got as any)[k] === want[k]);

/** Every way the notebook departs from the course's conventions (empty when it follows them). */
export function structureProblems(nb: Notebook, file: string, courseFiles: readonly string[] = []): string[] {
  const problems: string[] = [];
  const name = path.basename(file);
  const nn = notebookNumber(file);
  const NN = nn === undefined ? "NN" : String(nn).padStart(2, "0");

  // Opening.
  if (nb.cells[0]?.cell_type !== "markdown") problems.push(`${name}: the first cell is not a markdown opening`);
  const o = readOpening(nb);
  if (!o.title) problems.push(`${name}: the opening has no "# title"`);
  if (o.outcomes.length < 2)
    problems.push(
      `${name}: the opening has no "After this notebook you can" followed by a bullet list of outcomes (found ${o.outcomes.length})`,
    );
  for (const x of o.outcomes)
    if (VAGUE.test(x.replace(/^\*+/, "")))
      problems.push(
        `${name}: the outcome "${x.slice(0, 50)}" starts with a verb no one can check; say what the learner can do (compute, derive, explain, compare, …)`,
      );
  if (o.prerequisites === undefined) problems.push(`${name}: the opening has no "Prerequisites:" line (notebook file names, or "none")`);
  else {
    const known = new Set(courseFiles.map((f) => path.basename(f).replace(/\.ipynb$/, "")));
    for (const p of o.prerequisites)
      if (known.size && !known.has(p)) problems.push(`${name}: the prerequisite ${p} is not a notebook of the course`);
  }
  if (!o.time) problems.push(`${name}: the opening has no "Time:" line`);
  else {
    const durations = o.time.match(/\d+(\.\d+)?\s*(s|sec|seconds?|min|minutes?|h|hours?)\b/gi) ?? [];
    if (!/quick/i.test(o.time) || !/full/i.test(o.time) || durations.length < 2)
      problems.push(
        `${name}: the "Time:" line should give the time in quick mode and in full mode (e.g. "Time: 10 s in quick mode, 12 min in full mode, on 2 cores"); got "${o.time}"`,
      );
  }

  // Exercises.
  const exercises = findExercises(nb);
  if (exercises.length < MIN_EXERCISES)
    problems.push(`${name}: ${exercises.length} exercise(s); at least ${MIN_EXERCISES} ("### Exercise N.k (easy|medium|hard): title")`);
  let lastLevel = -1;
  exercises.forEach((ex, k) => {
    const at = `${name}: Exercise ${ex.id} (cell ${ex.heading + 1})`;
    const want = `${nn ?? "N"}.${k + 1}`;
    if (nn !== undefined && ex.id !== want) problems.push(`${at} should be numbered ${want} (notebook ${NN}, exercise ${k + 1})`);
    const level = LEVELS.indexOf(ex.level as Level);
    if (level < 0) problems.push(`${at}: the level "${ex.level}" is not one of ${LEVELS.join(", ")}`);
    else if (level < lastLevel) problems.push(`${at}: "${ex.level}" after a harder exercise; order them easy → hard`);
    lastLevel = Math.max(lastLevel, level);
    if (!ex.title) problems.push(`${at} has no title after the colon`);
    const id = `${NN}-ex-${k + 1}`;
    const sol = ex.solution === undefined ? undefined : nb.cells[ex.solution];
    if (!sol) problems.push(`${at} has no solution cell after it`);
    else {
      const meta = nbgrader(sol);
      if (!exactly(meta, { schema_version: 3, grade: false, locked: false, solution: true, task: false, grade_id: id }))
        problems.push(
          `${at}: the solution cell (cell ${ex.solution! + 1}) needs the nbgrader metadata {"schema_version": 3, "grade": false, "locked": false, "solution": true, "task": false, "grade_id": "${id}"}; has ${JSON.stringify(meta)}`,
        );
      const s = sourceText(sol);
      if (!/^\s*\/\/ ### BEGIN SOLUTION\s*$/m.test(s) || !/^\s*\/\/ ### END SOLUTION\s*$/m.test(s))
        problems.push(`${at}: the solution cell (cell ${ex.solution! + 1}) has no "// ### BEGIN SOLUTION" … "// ### END SOLUTION" lines`);
    }
    const chk = ex.check === undefined ? undefined : nb.cells[ex.check];
    const checkRe = new RegExp(`await check\\(\\s*"Exercise ${ex.id.replace(".", "\\.")}"`);
    if (!chk || !checkRe.test(sourceText(chk)))
      problems.push(`${at}: the code cell after its solution should be its self-check, await check("Exercise ${ex.id}", …)`);
    else {
      const meta = nbgrader(chk);
      if (
        !exactly(meta, { schema_version: 3, grade: true, locked: true, solution: false, task: false, points: 1, grade_id: `${id}-check` })
      )
        problems.push(
          `${at}: the self-check (cell ${ex.check! + 1}) needs the nbgrader metadata {"schema_version": 3, "grade": true, "locked": true, "solution": false, "task": false, "points": 1, "grade_id": "${id}-check"}; has ${JSON.stringify(meta)}`,
        );
      if (!/hint:\s*\{\s*en:[\s\S]*ko:/.test(sourceText(chk)))
        problems.push(`${at}: the self-check's hint should be bilingual, { hint: { en: "…", ko: "…" } }`);
    }
  });
  // The student edition can be made (regions well formed, each inside a function body).
  try {
    studentEdition(nb, name);
  } catch (e) {
    if (!(e instanceof AssignmentError)) throw e;
    problems.push(e.message);
  }

  // Ending.
  const summary = nb.cells.findIndex((c) => heading(md(c), 2, /Summary|요약/));
  const refs = nb.cells.findIndex((c) => heading(md(c), 2, /References|참고 문헌/));
  if (summary < 0) problems.push(`${name}: no "## Summary" markdown cell`);
  else {
    const text = md(nb.cells[summary]);
    if (/^\s*\|.*\|\s*$/m.test(text)) problems.push(`${name}: the summary (cell ${summary + 1}) is a table; write it as prose`);
    const prose = text.replace(/^#.*$/gm, "").replace(/\s+/g, " ").trim();
    if (prose.length < 200)
      problems.push(`${name}: the summary (cell ${summary + 1}) has ${prose.length} characters of prose; write a paragraph or more`);
  }
  if (refs < 0) problems.push(`${name}: no "## References" markdown cell`);
  else {
    if (summary >= 0 && refs < summary)
      problems.push(`${name}: "## References" (cell ${refs + 1}) comes before "## Summary" (cell ${summary + 1})`);
    const text = md(nb.cells[refs]);
    const cited = KNOWN_REFERENCES.filter((r) => r.pattern.test(text));
    if (!cited.length)
      problems.push(`${name}: the references cite none of the course's works (${KNOWN_REFERENCES.map((r) => r.name).join("; ")})`);
    // Each item (a bullet with its continuation lines, or a paragraph) that names d2l gives a section.
    for (const item of text.split(/\n(?=[ \t]*[-*] )|\n\s*\n/)) {
      if (/d2l/i.test(item) && !/\b\d+(\.\d+)+\b|chapter \d+|§\s*\d+/i.test(item))
        problems.push(`${name}: the d2l.ai reference "${item.trim().slice(0, 60)}" has no section number (e.g. §9.5)`);
    }
    const codeAfter = nb.cells.slice(refs + 1).some((c) => c.cell_type === "code");
    if (codeAfter) problems.push(`${name}: code cells after "## References"; the references end the notebook`);
  }

  // Cells.
  nb.cells.forEach((c, i) => {
    // nbgrader reads the markers in every cell: in prose they would start a region to clear.
    if (c.cell_type !== "code" && !nbgrader(c).solution && /(BEGIN|END) (SOLUTION|HIDDEN TESTS)/.test(sourceText(c)))
      problems.push(
        `${name}: cell ${i + 1} (${c.cell_type}) writes a solution or hidden-test marker; nbgrader would take it for a region (describe the markers without their words)`,
      );
    const unfinished = UNFINISHED.exec(sourceText(c));
    if (unfinished)
      problems.push(`${name}: cell ${i + 1} (${c.cell_type}) says ${unfinished[1]}: it is unfinished; write what it should say`);
    if (c.cell_type !== "code") return;
    const ls = sourceText(c).replace(/\n$/, "").split("\n");
    if (ls.length > MAX_CELL_LINES)
      problems.push(
        `${name}: cell ${i + 1} has ${ls.length} lines (at most ${MAX_CELL_LINES}); move plumbing into the library or split the cell`,
      );
    ls.forEach((l, n) => {
      const len = [...l].length;
      if (len > MAX_LINE) problems.push(`${name}: cell ${i + 1}, line ${n + 1} has ${len} characters (at most ${MAX_LINE})`);
    });
  });
  return problems;
}
