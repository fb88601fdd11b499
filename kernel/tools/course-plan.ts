// The plan of a course run, printed before the first cell: which notebooks run and which are
// reused from the execution cache (and why each runs), the mode and how to choose the other, and
// an estimate per notebook and in all for this machine.
import * as os from "os";
import * as path from "path";
import { CacheState, Entry, fileHash, KeyParts, keyParts, Mode, staleness } from "./course-cache";
import { duration, estimate, Estimate, Recorded } from "./course-estimate";
import { editionOf, Language, Notebook, readNotebook } from "./notebook";

export interface PlannedNotebook {
  file: string;
  /** Its place in the course, the cache's key: "NAME.ipynb" (English) or "ko/NAME.ipynb". */
  name: string;
  edition: Language;
  nb: Notebook;
  parts: KeyParts;
  /** Reused from the cache (undefined: executed, for `why`). */
  cached?: Entry;
  /** Cached, but the notebook's markdown changed: its outputs are merged into the new text. */
  markdownChanged: boolean;
  why?: string;
  estimate: Estimate;
}

export interface Plan {
  notebooks: PlannedNotebook[];
  mode: Mode;
  total: number;
  /** The estimate for the whole course in the other mode, nothing cached. */
  otherModeTotal: number;
}

export interface PlanInput {
  files: string[];
  reportsDir: string;
  mode: Mode;
  force: boolean;
  state: CacheState;
  recorded: Recorded;
  /** probeSeconds() measured now (speeds recorded times up or down); absent: not scaled. */
  probe?: number;
  common: Omit<KeyParts, "code" | "mode">;
}

/** A notebook's key in the course: its file name, under "ko/" for the Korean edition. */
export const courseKey = (file: string, edition: Language) => (edition === "en" ? "" : `${edition}/`) + path.basename(file);

export function makePlan(o: PlanInput): Plan {
  const other: Mode = o.mode === "quick" ? "full" : "quick";
  let otherModeTotal = 0;
  // The Korean edition runs the English edition's code: the times recorded for it hold for both.
  const guess = (name: string, base: string, mode: Mode) =>
    estimate(name in o.state.timings[mode] ? name : base, mode, o.state.timings[mode], o.recorded, undefined, o.probe);
  const notebooks = o.files.map((file): PlannedNotebook => {
    const nb = readNotebook(file);
    const edition = editionOf(file, nb);
    const name = courseKey(file, edition);
    const base = path.basename(file);
    const parts = keyParts(nb, { ...o.common, mode: o.mode });
    const entry = o.state.notebooks[name];
    const why = o.force ? "--force" : staleness(entry, parts, o.reportsDir, nb);
    otherModeTotal += guess(name, base, other).seconds;
    if (why) return { file, name, edition, nb, parts, why, markdownChanged: false, estimate: guess(name, base, o.mode) };
    return {
      file,
      name,
      edition,
      nb,
      parts,
      cached: entry,
      markdownChanged: entry!.source !== fileHash(file),
      estimate: { seconds: 0, from: "last run" },
    };
  });
  return { notebooks, mode: o.mode, total: notebooks.reduce((s, n) => s + n.estimate.seconds, 0), otherModeTotal };
}

export interface PlanText {
  reportsDir: string;
  /** How the mode was chosen: "--quick", "SEQLAB_QUICK=1", "the default". */
  modeFrom: string;
  /** The command to type for the other mode, and to run everything again. */
  otherModeCommand: string;
  forceCommand: string;
  recordedCores: number;
  /** speedScale(): this machine's probe against the recorded one. */
  speed?: number;
}

export function formatPlan(plan: Plan, t: PlanText): string {
  const lines: string[] = [];
  const n = plan.notebooks.length;
  const toRun = plan.notebooks.filter((p) => !p.cached);
  lines.push(`seqlab start: ${n} notebook${n === 1 ? "" : "s"} into ${t.reportsDir}`);
  if (plan.mode === "quick") {
    lines.push(`mode: quick (${t.modeFrom}): small models and few steps, seconds per notebook`);
    lines.push(
      `  full mode trains to the numbers in bench/reference/ (about ${duration(plan.otherModeTotal)} here): ${t.otherModeCommand}`,
    );
  } else {
    lines.push(`mode: full (${t.modeFrom}): trains to the numbers in bench/reference/`);
    lines.push(`  quick mode (about ${duration(plan.otherModeTotal)} here): ${t.otherModeCommand}`);
  }
  const width = Math.max(...plan.notebooks.map((p) => p.name.length), 8) + 2;
  for (const p of plan.notebooks) {
    const what = p.cached
      ? p.markdownChanged
        ? "cached (text changed: report rebuilt)"
        : "cached"
      : `${`~${duration(p.estimate.seconds)}`.padEnd(13)} ${p.why}`;
    lines.push(`  ${p.name.padEnd(width)}${what}`);
  }
  const cached = n - toRun.length;
  if (!toRun.length) {
    lines.push(`nothing to execute: every notebook is cached (${t.forceCommand} executes them again)`);
  } else {
    const from = (f: Estimate["from"]) => toRun.filter((p) => p.estimate.from === f).length;
    const sources = [
      from("last run") && `this machine's last run (${from("last run")})`,
      from("recorded") &&
        `times recorded on a ${t.recordedCores}-core machine, this one has ${os.availableParallelism()}${t.speed && t.speed !== 1 ? ` and runs the same work ${t.speed < 1 ? `${(1 / t.speed).toFixed(1)}x faster` : `${t.speed.toFixed(1)}x slower`} now` : ""} (${from("recorded")})`,
      from("guess") && `no recorded time, the median notebook (${from("guess")})`,
    ].filter(Boolean);
    lines.push(
      `estimate: ~${duration(plan.total)} for ${toRun.length} notebook${toRun.length === 1 ? "" : "s"}${cached ? `, ${cached} cached` : ""}; from ${sources.join(", ")}`,
    );
  }
  return lines.join("\n");
}
