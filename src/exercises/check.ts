// Self-checks for the course's exercises. A check runs the learner's answer and compares it with
// the reference: it shows "✓ name" or "✗ name: not yet" with a hint, never the reference itself.
// The answer is passed as a function, so that an answer that throws (the stub of the student
// edition, `throw new Error("your code here")`) is "not yet" too and nothing else in the notebook
// fails. Messages follow the learner's language (SEQLAB_LANG=ko: Korean); a hint may be given in
// both languages, so that the two editions' code cells stay identical.
import { DISPLAY, display } from "../display/display";
import { type Bilingual, inLang, type Lang, lang } from "../lang";

export { type Bilingual, inLang, type Lang, lang };

export interface CheckOptions {
  /** What to try when the answer is not yet right: never the answer. */
  hint: Bilingual;
  /** Numbers (and tensors' values) equal within this absolute or relative difference. Default 1e-6. */
  tolerance?: number;
  /** false for a demonstration that is not an exercise: it never raises, even when grading. */
  graded?: boolean;
}

/** A reference value, or a test of the answer: true when right, false or a more precise hint when not. */
export type Expectation<T> = T | ((got: T) => boolean | Bilingual);

const WORDS = {
  en: { right: "correct", notYet: "not yet", hint: "Hint", threw: "the answer threw", stub: "not answered yet" },
  ko: { right: "맞았습니다", notYet: "아직입니다", hint: "힌트", threw: "답이 오류를 냈습니다", stub: "아직 답을 쓰지 않았습니다" },
};

/** The outcome of a check, also shown in the cell: `ok`, and the message shown. */
export interface CheckResult {
  ok: boolean;
  message: string;
}

/**
 * Check an exercise: `attempt` computes the learner's answer, `expected` is the reference value
 * or a test. Never throws (an answer that throws is "not yet"), except when grading
 * (SEQLAB_GRADING=1), where "not yet" raises; returns whether the answer is right.
 */
export async function check<T>(
  name: string,
  attempt: () => T | Promise<T>,
  test: (got: T) => boolean | Bilingual,
  opts: CheckOptions,
): Promise<CheckResult>;
/** The reference may be plain data for an answer that is a tensor (compared by its values). */
export async function check<T>(name: string, attempt: () => T | Promise<T>, expected: unknown, opts: CheckOptions): Promise<CheckResult>;
export async function check<T>(
  name: string,
  attempt: () => T | Promise<T>,
  expected: Expectation<T>,
  opts: CheckOptions,
): Promise<CheckResult> {
  const l = lang();
  const w = WORDS[l];
  let verdict: true | string;
  try {
    const got = await attempt();
    verdict = judge(got, expected, opts.tolerance ?? 1e-6, l);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    verdict = /your code here|여기에 코드/i.test(message) ? w.stub : `${w.threw}: ${message}`;
  }
  const ok = verdict === true;
  const message = ok
    ? `✓ ${name}: ${w.right}`
    : `✗ ${name}: ${w.notYet}${verdict ? ` (${verdict})` : ""}. ${w.hint}: ${inLang(opts.hint, l)}`;
  const color = ok ? "#1a7f37" : "#b35900";
  display({ "text/plain": message, "text/html": `<div style="color:${color};font-weight:600">${escapeHtml(message)}</div>` });
  // Autograding (nbgrader counts a grade cell as passed when it raises no error): opt in with
  // SEQLAB_GRADING=1 and a "not yet" raises, after the message is shown. Learners never set it.
  if (!ok && process.env.SEQLAB_GRADING === "1" && opts.graded !== false) throw new Error(message);
  const result = { ok, message };
  // Shown already: as a cell's last value (`await check(...)`) it adds no Out[n] (an empty bundle).
  Object.defineProperty(result, DISPLAY, { value: () => ({}), enumerable: false });
  return result;
}

/** true, or why not (empty when no more can be said without giving the answer away). */
function judge<T>(got: T, expected: Expectation<T>, tolerance: number, l: Lang): true | string {
  if (typeof expected === "function") {
    const r = (expected as (got: T) => boolean | Bilingual)(got);
    return r === true ? true : r === false ? "" : inLang(r, l);
  }
  return equal(plain(got), plain(expected), tolerance) ? true : "";
}

/** Tensors become nested arrays; everything else as it is. */
function plain(v: unknown): unknown {
  const t = v as { arraySync?: unknown; shape?: unknown } | null;
  if (t && typeof t === "object" && typeof t.arraySync === "function" && "shape" in t) return (t.arraySync as () => unknown)();
  return v;
}

function equal(a: unknown, b: unknown, tol: number): boolean {
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (ArrayBuffer.isView(a)) a = Array.from(a as unknown as ArrayLike<number>);
  if (ArrayBuffer.isView(b)) b = Array.from(b as unknown as ArrayLike<number>);
  if (Array.isArray(a) && Array.isArray(b)) {
    const bs = b;
    return a.length === bs.length && a.every((x, i) => equal(x, bs[i], tol));
  }
  if (a instanceof Map && b instanceof Map) {
    const bm = b;
    return a.size === bm.size && [...a].every(([k, v]) => bm.has(k) && equal(v, bm.get(k), tol));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return equal(ka, kb, 0) && ka.every((k) => equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol));
  }
  return Object.is(a, b);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
