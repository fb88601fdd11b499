// How long a notebook will take here: this machine's last run of it in the same mode when there
// is one (kept in the execution cache), else the time recorded in notebooks/timings.json on the
// reference machine, scaled by the number of cores and by this machine's speed now (a short probe
// of single-threaded work, load included, against the probe recorded with the times).
import { readFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import type { Mode } from "./course-cache";

export interface Recorded {
  /** Cores of the machine the times were measured on. */
  cores: number;
  /** probeSeconds() on that machine when the times were measured (absent: no speed scaling). */
  probe?: number;
  notebooks: Record<string, { quick: number; full: number; source?: string }>;
}

export interface Estimate {
  seconds: number;
  from: "last run" | "recorded" | "guess";
}

const TIMINGS = path.resolve(__dirname, "..", "..", "..", "notebooks", "timings.json");

export function readRecorded(file = TIMINGS): Recorded {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`cannot read the recorded notebook timings ${file}: ${(e as Error).message}`);
  }
}

/**
 * Recorded times scale with cores only so far: a notebook's training runs in one thread (tfjs's
 * wasm backend has no threads in Node), so more cores help only with what runs beside it (the
 * TypeScript checker, charts, other load). Hence at most a factor of 2 either way.
 */
export function coreScale(recordedCores: number, cores = os.availableParallelism()): number {
  return Math.min(2, Math.max(0.5, recordedCores / cores));
}

/**
 * This machine's probe against the reference machine's: 2 when the same work takes twice as long
 * here now. Bounded to [1/3, 3]: a probe disturbed by a burst of other work must not promise an
 * hour for a minute.
 */
export function speedScale(rec: Recorded, probe: number | undefined): number {
  if (!rec.probe || !probe || !(probe > 0)) return 1;
  return Math.min(3, Math.max(1 / 3, probe / rec.probe));
}

/** A notebook with no recorded time: the median of the recorded ones in that mode. */
function fallback(rec: Recorded, mode: Mode): number {
  const xs = Object.values(rec.notebooks)
    .map((n) => n[mode])
    .sort((a, b) => a - b);
  return xs.length ? xs[Math.floor(xs.length / 2)] : 30;
}

export function estimate(
  name: string,
  mode: Mode,
  lastRun: Record<string, number>,
  rec: Recorded,
  cores = os.availableParallelism(),
  probe?: number,
): Estimate {
  const last = lastRun[name];
  if (typeof last === "number" && last > 0) return { seconds: last, from: "last run" };
  const r = rec.notebooks[name];
  const scale = coreScale(rec.cores, cores) * speedScale(rec, probe);
  if (r) return { seconds: r[mode] * scale, from: "recorded" };
  return { seconds: fallback(rec, mode) * scale, from: "guess" };
}

/** 8 s, 95 s -> "1 min 35 s", 1850 s -> "31 min", 7400 s -> "2 h 3 min". */
export function duration(s: number): string {
  s = Math.max(0, Math.round(s));
  if (s < 60) return `${s} s`;
  if (s < 600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

/** A clock for progress: 0:07, 12:30, 1:02:03. */
export function clock(s: number): string {
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}
