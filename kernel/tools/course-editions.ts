// The course's two editions: notebooks/NAME.ipynb (English) and notebooks/ko/NAME.ipynb (Korean).
// One code, two languages: the Korean edition has the same cells in the same order, its code
// cells identical (source and metadata) to the English ones, and only its markdown translated; its
// kernelspec is seqlab-ko (the same kernel with SEQLAB_LANG=ko), so messages come out in Korean.
// Checked here, from the .ipynb files (nothing is run):
//  - editionProblems: cell count, cell kinds in order, each code cell's source and metadata;
//  - hangulShare: Hangul among the letters of the markdown, outside code, fenced code and math;
//  - the glossary (notebooks/ko/glossary.md): every term of the lecture slides is in it, tagged as
//    the slides', and appears in the Korean notebook the glossary says introduces it.
// scripts/ko-edition.ts uses copyCodeCells to carry a code change from English into Korean.
import * as path from "path";
import { Cell, KERNELSPEC_METADATA, Notebook, sourceText } from "./notebook";

export const KOREAN_DIR = "ko";
export const GLOSSARY = "glossary.md";
/** Hangul's share of the letters in a Korean notebook's markdown, at least. */
export const MIN_HANGUL = 0.6;

/** The lecture slides' terms, exactly as the slides write them. */
export const SLIDES_TERMS = [
  "순방향 언어 모델",
  "역방향 언어 모델",
  "CBOW 언어 모델",
  "완전 양방향 언어 모델",
  "펼침",
  "게이트 변수",
  "후보 셀 상태",
  "셀 상태와 은닉 상태",
  "사전학습",
  "미세조정",
];

/** The Korean edition of an English notebook's path. */
export const koreanPath = (englishFile: string) => path.join(path.dirname(englishFile), KOREAN_DIR, path.basename(englishFile));

/** Keys sorted at every level: metadata compared by content, not by the order a tool wrote it. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as any)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

const firstDifference = (a: string, b: string) => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const line = a.slice(0, i).split("\n").length;
  const at = (s: string) => JSON.stringify(s.split("\n")[line - 1] ?? "(no such line)");
  return `line ${line}: English ${at(a)}, Korean ${at(b)}`;
};

/** How a code cell of the Korean edition differs from the English one, or undefined. */
export function codeCellDifference(en: Cell, ko: Cell): string | undefined {
  const a = sourceText(en),
    b = sourceText(ko);
  if (a !== b) return `its source differs (${firstDifference(a, b)})`;
  const ma = canonical(en.metadata ?? {}),
    mb = canonical(ko.metadata ?? {});
  if (ma !== mb) return `its metadata differs (English ${ma}, Korean ${mb})`;
  return undefined;
}

/** Every way the Korean edition departs from the English one's cells (empty when it does not). */
export function editionProblems(en: Notebook, ko: Notebook, name: string): string[] {
  const problems: string[] = [];
  if (en.cells.length !== ko.cells.length)
    problems.push(
      `ko/${name}: ${ko.cells.length} cells, the English edition has ${en.cells.length} (translate cell by cell: none merged, split, added or dropped)`,
    );
  const n = Math.min(en.cells.length, ko.cells.length);
  for (let i = 0; i < n; i++) {
    const a = en.cells[i],
      b = ko.cells[i];
    if (a.cell_type !== b.cell_type) {
      problems.push(
        `ko/${name}: cell ${i + 1} is ${b.cell_type}, the English edition's is ${a.cell_type} (the cells are out of order from here)`,
      );
      break;
    }
    if (a.cell_type !== "code") continue;
    const why = codeCellDifference(a, b);
    if (why) problems.push(`ko/${name}: code cell ${i + 1} is not the English edition's: ${why}`);
  }
  return problems;
}

/** Markdown with what is not prose taken out: fenced and indented code, code spans, math, HTML
 * tags, link targets and bare addresses. */
export function proseOf(markdown: string): string {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, " ")
    .replace(/(`+)[\s\S]*?\1/g, " ")
    .replace(/\$\$[\s\S]*?\$\$/g, " ")
    .replace(/(^|[^\\$])\$(?!\s)(?:\\.|[^$\\\n])+?\$/g, "$1 ")
    .replace(/\\\([\s\S]*?\\\)|\\\[[\s\S]*?\\\]/g, " ")
    .replace(/<[^>\n]*>/g, " ")
    .replace(/\]\([^)\s]*(?:\s+"[^"]*")?\)/g, "] ")
    .replace(/\bhttps?:\/\/\S+/g, " ");
}

const HANGUL = /[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff]/u;

/** Letters (Unicode L) and Hangul among them, in the prose of the notebook's markdown cells. */
export function markdownLetters(nb: Notebook): { letters: number; hangul: number } {
  let letters = 0,
    hangul = 0;
  for (const c of nb.cells) {
    if (c.cell_type !== "markdown") continue;
    for (const ch of proseOf(sourceText(c))) {
      if (!/\p{L}/u.test(ch)) continue;
      letters++;
      if (HANGUL.test(ch)) hangul++;
    }
  }
  return { letters, hangul };
}

/** Hangul's share of the letters in the notebook's markdown prose (0 when it has none). */
export function hangulShare(nb: Notebook): number {
  const { letters, hangul } = markdownLetters(nb);
  return letters ? hangul / letters : 0;
}

// ---- the glossary ---------------------------------------------------------------------------

export interface GlossaryEntry {
  ko: string;
  en: string;
  /** The notebook that introduces the term: its file name. */
  notebook: string;
  source: string;
  /** The row's line in glossary.md (1-based). */
  line: number;
}

/** Where a term comes from: the lecture slides, d2l's Korean edition or common Korean ML usage. */
/** Tagged as the slides': the source starts with them ("the slides, d2l …" too; not a note that mentions them). */
export const isSlides = (e: GlossaryEntry) => /^(강의 슬라이드|the slides)/i.test(e.source);
const KNOWN_SOURCE = /slides|슬라이드|d2l|common|일반/i;

const cellsOf = (row: string) =>
  row
    .trim()
    .replace(/^\||\|$/g, "")
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, "|"));
const plain = (s: string) => s.replace(/\*\*|__|`/g, "").trim();

/** The glossary's table rows (header and separator rows skipped). */
export function readGlossary(text: string): GlossaryEntry[] {
  const out: GlossaryEntry[] = [];
  text.split("\n").forEach((l, i) => {
    if (!/^\s*\|/.test(l) || /^\s*\|[\s:|-]+\|\s*$/.test(l)) return;
    const cols = cellsOf(l);
    if (cols.length < 4 || /^한국어/.test(plain(cols[0]))) return;
    const nb = /(\d\d-[a-z0-9-]+)(?:\.ipynb)?/.exec(cols[2]);
    out.push({
      ko: plain(cols[0]),
      en: plain(cols[1]),
      notebook: nb ? `${nb[1]}.ipynb` : plain(cols[2]),
      source: plain(cols[3]),
      line: i + 1,
    });
  });
  return out;
}

const squash = (s: string) => s.replace(/\s+/g, " ");

/** The forms a glossary entry names: "a / b" is two, a parenthesised gloss is not part of a form. */
export const termForms = (ko: string) =>
  ko
    .split(/\s+\/\s+/)
    .map((f) => squash(f.replace(/\s*\([^)]*\)/g, "")).trim())
    .filter(Boolean);

/** The markdown of a notebook, its whitespace squashed (a term may be wrapped across lines). */
export const markdownText = (nb: Notebook) =>
  squash(
    nb.cells
      .filter((c) => c.cell_type === "markdown")
      .map(sourceText)
      .join("\n"),
  );

/**
 * Every way the glossary fails the course: a slides term missing or not tagged as the slides', a
 * row without a known source or notebook, a term or English term listed twice (one Korean term per
 * idea), and a slides term absent from the Korean notebook that introduces it. `korean` maps a
 * notebook's file name to its Korean edition (absent: not translated yet); `course` lists the
 * English notebooks' file names.
 */
export function glossaryProblems(entries: GlossaryEntry[], course: readonly string[], korean: ReadonlyMap<string, Notebook>): string[] {
  const problems: string[] = [];
  for (const t of SLIDES_TERMS) {
    const e = entries.find((x) => x.ko === t);
    if (!e) problems.push(`glossary: the slides' term "${t}" is not listed`);
    else if (!isSlides(e))
      problems.push(`glossary line ${e.line}: "${t}" is the slides' term; its source should say "the slides", not "${e.source}"`);
  }
  const seen = new Map<string, number>();
  for (const e of entries) {
    if (!KNOWN_SOURCE.test(e.source))
      problems.push(
        `glossary line ${e.line}: "${e.ko}" has the source "${e.source}"; say where it comes from: the slides, d2l 한국어판 or common usage`,
      );
    if (!course.includes(e.notebook))
      problems.push(`glossary line ${e.line}: "${e.ko}" is introduced in "${e.notebook}", which is not a notebook of the course`);
    for (const [kind, key] of [
      ["Korean term", e.ko],
      ["English term", e.en.toLowerCase()],
    ] as const) {
      const k = `${kind}\0${key}`;
      if (seen.has(k))
        problems.push(`glossary line ${e.line}: the ${kind} "${key}" is listed already (line ${seen.get(k)}); one term per idea`);
      else seen.set(k, e.line);
    }
  }
  for (const e of entries.filter(isSlides)) {
    const nb = korean.get(e.notebook);
    if (!nb) {
      problems.push(`glossary line ${e.line}: "${e.ko}" is introduced in ko/${e.notebook}, which does not exist yet`);
      continue;
    }
    // "접힌 모습 / 펼친 모습": each of the forms; "장단기 메모리 (LSTM)": without the gloss.
    const text = markdownText(nb);
    for (const form of termForms(e.ko))
      if (!text.includes(form))
        problems.push(
          `glossary line ${e.line}: the slides' term "${form}" does not appear in ko/${e.notebook}, which the glossary says introduces it`,
        );
  }
  return problems;
}

// ---- carrying code from English into Korean -------------------------------------------------

export interface CarryResult {
  nb: Notebook;
  /** 1-based numbers of the code cells copied from English. */
  copied: number[];
  kernelspecSet: boolean;
  /** Cells that cannot be matched one to one: nothing can be carried over. */
  problems: string[];
}

/** The Korean notebook with every code cell that differs replaced by the English one (source and
 * metadata; outputs cleared) and the Korean kernelspec; nothing changes when the cells do not
 * match one to one (count and kinds in order). */
export function copyCodeCells(en: Notebook, ko: Notebook, name: string): CarryResult {
  const nb = structuredClone(ko);
  const problems = editionProblems(en, ko, name).filter((p) => !/code cell \d+ is not the English/.test(p));
  if (problems.length) return { nb, copied: [], kernelspecSet: false, problems };
  const copied: number[] = [];
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== "code" || !codeCellDifference(en.cells[i], c)) return;
    const src = en.cells[i];
    c.source = structuredClone(src.source);
    c.metadata = structuredClone(src.metadata ?? {});
    c.outputs = [];
    c.execution_count = null;
    copied.push(i + 1);
  });
  const want = KERNELSPEC_METADATA.ko;
  const kernelspecSet = canonical(nb.metadata?.kernelspec) !== canonical(want);
  nb.metadata = { ...nb.metadata, kernelspec: { ...want } };
  return { nb, copied, kernelspecSet, problems: [] };
}
