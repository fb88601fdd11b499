// `seqlab start` (what `npm start` runs): execute the course's notebooks into a reports folder,
// with a plan first, progress while it runs, the execution cache (course-cache.ts) so that
// unchanged notebooks are reused and a stopped run resumes, and at the end what to open next.
// One notebook's failure does not stop the others; the run ends non-zero naming each failed
// notebook, cell and error. Ctrl-C interrupts the running cell, keeps what is done and says how
// to resume; a second Ctrl-C stops at once.
import { existsSync, readdirSync, statSync } from "fs";
import { writeFileAtomic } from "../server/atomic-write";
import * as path from "path";
import { CacheState, expectedBackend, fileHash, libraryHash, Mode, readState, writeState } from "./course-cache";
import { duration, readRecorded, speedScale } from "./course-estimate";
import { probeSeconds } from "./machine-speed";
import { formatPlan, makePlan, PlannedNotebook } from "./course-plan";
import { CourseProgress } from "./course-progress";
import { KernelClient } from "./client";
import { readNotebook } from "./notebook";
import { runNotebook } from "./runner";
import { absoluteDataEnv, PACKAGE_ROOT, typedCwd, typedPath } from "./typed-paths";

export interface CourseOptions {
  /** Absolute paths of the notebooks, in order. */
  notebooks: string[];
  /** Absolute path of the reports folder (executed copies, HTML reports, the cache). */
  reportsDir: string;
  mode: Mode;
  /** How the mode was chosen, for the plan: "--quick", "SEQLAB_QUICK=1", "the default". */
  modeFrom: string;
  force: boolean;
  timeoutSec?: number;
  /** The folder the command was typed in: commands shown at the end are relative to it. */
  typedCwd: string;
  /** How the user runs the course: "npm start" (npm start -- FLAGS) or "seqlab start". */
  invokedAs: "npm start" | "seqlab start";
  out?: NodeJS.WritableStream;
  progressOut?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** The page to open after a run. One place to change: reports/index.html once the course site exists. */
export function courseHome(reportsDir: string): string {
  return reportsDir;
}

/** The notebooks of a folder, in name order. */
export function notebooksIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort()
    .map((f) => path.join(dir, f));
}

export function commandFor(invokedAs: CourseOptions["invokedAs"], flags: string): string {
  return invokedAs === "npm start" ? `npm start -- ${flags}` : `seqlab start ${flags}`;
}


/** A cached notebook whose markdown changed: its outputs put into the new text, the report rebuilt. */
async function refreshText(p: PlannedNotebook, reportsDir: string) {
  const executedFile = path.join(reportsDir, p.cached!.executed);
  const executed = readNotebook(executedFile);
  const outputs = executed.cells.filter((c) => c.cell_type === "code");
  let k = 0;
  const nb = structuredClone(p.nb);
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code") continue;
    cell.outputs = outputs[k]?.outputs ?? [];
    cell.execution_count = outputs[k]?.execution_count ?? null;
    k++;
  }
  nb.metadata.kernelspec = executed.metadata.kernelspec;
  nb.metadata.language_info = executed.metadata.language_info;
  writeFileAtomic(executedFile, JSON.stringify(nb, null, 1) + "\n", "notebook");
  const { exportNotebook } = require("./export/html") as typeof import("./export/html");
  await exportNotebook(executedFile, path.join(reportsDir, p.cached!.report), { source: p.name });
}

interface Failure {
  file: string;
  message: string;
}

export async function runCourse(o: CourseOptions): Promise<number> {
  const out = o.out ?? process.stdout;
  const progressOut = o.progressOut ?? process.stderr;
  const say = (s = "") => out.write(s + "\n");
  for (const f of o.notebooks) {
    if (!existsSync(f) || !statSync(f).isFile()) throw new Error(`no such notebook: ${f}`);
    if (!f.endsWith(".ipynb")) throw new Error(`expected a .ipynb notebook, got ${f}`);
  }
  const names = new Map<string, string>();
  for (const f of o.notebooks) {
    const other = names.get(path.basename(f));
    if (other && other !== f) throw new Error(`two notebooks named ${path.basename(f)} (${other} and ${f}) would write the same report`);
    names.set(path.basename(f), f);
  }

  const state: CacheState = readState(o.reportsDir);
  const recorded = readRecorded();
  const probe = probeSeconds();
  const version: string = require("../../../package.json").version;
  const plan = makePlan({
    files: o.notebooks,
    reportsDir: o.reportsDir,
    mode: o.mode,
    force: o.force,
    state,
    recorded,
    probe,
    common: { backend: expectedBackend(), version, library: libraryHash() },
  });
  say(
    formatPlan(plan, {
      reportsDir: o.reportsDir,
      modeFrom: o.modeFrom,
      otherModeCommand: o.mode === "quick" ? commandFor(o.invokedAs, "--full") : `${commandFor(o.invokedAs, "--quick")}, or SEQLAB_QUICK=1 ${o.invokedAs}`,
      forceCommand: commandFor(o.invokedAs, "--force"),
      recordedCores: recorded.cores,
      speed: speedScale(recorded, probe),
    }),
  );
  say();

  // Kernels inherit the mode from the environment.
  if (o.mode === "quick") process.env.SEQLAB_QUICK = "1";
  else delete process.env.SEQLAB_QUICK;

  const progress = new CourseProgress(
    plan.notebooks.map((p) => ({ name: p.name, estimate: p.estimate.seconds, cached: !!p.cached })),
    progressOut,
  );

  let stopping: string | undefined;
  let stopTimer: NodeJS.Timeout | undefined;
  let interruptAgain: NodeJS.Timeout | undefined;
  let lastSigint = 0;
  const hardStop = (why: string, status = 130) => {
    progress.close();
    for (const k of KernelClient.started) k.proc?.kill("SIGKILL");
    process.stderr.write(`\nseqlab start: ${why}; the notebooks done so far are kept: ${o.invokedAs} resumes at the first one not done\n`);
    process.exit(status);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    // A Ctrl-C reaches npm and this process both, and npm forwards it: one press, two signals.
    if (signal === "SIGINT" && now - lastSigint < 1000) return;
    lastSigint = now;
    if (signal === "SIGTERM" || stopping) return hardStop(`stopped (${signal})`, signal === "SIGTERM" ? 143 : 130);
    stopping = signal;
    process.stderr.write(`\nseqlab start: stopping after the running cell (${signal}; press Ctrl-C again to stop at once)\n`);
    for (const k of KernelClient.started) {
      k.interrupt().catch(() => {});
      // A kernel killed by the signal itself (Ctrl-C while it was starting) answers nothing more.
      k.proc?.once("exit", (_code, sig) => sig && hardStop(`its kernel was ended by ${sig}`));
    }
    // A kernel forgets an interrupt that comes while no cell runs: one that came just before the
    // cell reached it (Ctrl-C as the cell was sent) did nothing. Repeat it until the run stops.
    interruptAgain = setInterval(() => {
      for (const k of KernelClient.started) k.interrupt().catch(() => {});
    }, 1000);
    interruptAgain.unref();
    // A kernel that does not answer the interrupt does not hold the run: stop at once after 20 s.
    stopTimer = setTimeout(() => hardStop("the running cell did not stop within 20 s"), 20_000);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const failures: Failure[] = [];
  const started = Date.now();
  let ran = 0;
  let stoppedAt: string | undefined;
  try {
    for (const [i, p] of plan.notebooks.entries()) {
      if (stopping) {
        stoppedAt ??= p.name;
        break;
      }
      if (p.cached) {
        if (p.markdownChanged) {
          await refreshText(p, o.reportsDir);
          state.notebooks[p.name] = { ...p.cached, source: fileHash(p.file) };
          writeState(o.reportsDir, state);
        }
        continue;
      }
      progress.start(i);
      const probeBefore = probeSeconds(3);
      const t0 = Date.now();
      try {
        const executed = await runNotebook(p.file, { outDir: o.reportsDir, htmlDir: o.reportsDir, timeoutSec: o.timeoutSec, progress: progress.runnerStream() });
        const seconds = (Date.now() - t0) / 1000;
        ran++;
        state.notebooks[p.name] = {
          parts: p.parts,
          source: fileHash(p.file),
          executed: path.relative(o.reportsDir, executed),
          report: p.name.replace(/\.ipynb$/i, "") + ".html",
          seconds,
          finished: new Date().toISOString(),
        };
        state.timings[o.mode][p.name] = seconds;
        // How fast the machine was around this run, so that its time can be recorded for others.
        state.probes = { ...state.probes, [o.mode]: { ...state.probes?.[o.mode], [p.name]: (probeBefore + probeSeconds(3)) / 2 } };
        writeState(o.reportsDir, state);
        progress.finish(i, seconds, "done");
      } catch (e) {
        const seconds = (Date.now() - t0) / 1000;
        delete state.notebooks[p.name];
        writeState(o.reportsDir, state);
        if (stopping) {
          stoppedAt = p.name;
          progress.finish(i, seconds, "stopped");
          break;
        }
        const message = (e as Error).message;
        failures.push({ file: p.file, message: message.startsWith(p.file) ? message : `${p.file}: ${message}` });
        progress.finish(i, seconds, "failed");
      }
    }
  } finally {
    clearTimeout(stopTimer);
    clearInterval(interruptAgain);
    progress.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }

  const reused = plan.notebooks.filter((p) => p.cached).length;
  if (ran || failures.length || stoppedAt) say();
  say(`seqlab start: ${ran} executed, ${reused} reused from the cache, ${failures.length} failed in ${duration((Date.now() - started) / 1000)}`);
  if (stoppedAt) say(`stopped in ${stoppedAt}: ${o.invokedAs} resumes there (the notebooks done are cached)`);
  if (failures.length) {
    say(`${failures.length} notebook${failures.length === 1 ? "" : "s"} failed (each report shows the run up to its failure):`);
    for (const f of failures) say(`  ${f.message}`);
  }
  // Relative to where the command was typed, unless that climbs out of it.
  const rel = (p: string) => {
    const r = path.relative(o.typedCwd, p);
    return r.startsWith("..") || path.isAbsolute(r) ? p : r || ".";
  };
  const notebookDirs = [...new Set(o.notebooks.map((f) => path.dirname(f)))];
  say();
  say(`Open the reports: ${courseHome(o.reportsDir)}`);
  say("Use the notebooks in JupyterLab with this kernel:");
  say("  npx seqlab install --user");
  say(`  jupyter lab ${notebookDirs.length === 1 ? rel(notebookDirs[0]) + path.sep : notebookDirs.map(rel).join(" ")}`);
  return stoppedAt ? 130 : failures.length ? 1 : 0;
}

export interface CourseFlags {
  out?: string;
  quick?: boolean;
  full?: boolean;
  force?: boolean;
  timeout?: number;
}

/** `seqlab start [notebooks...]`: paths as typed, the mode from the flags or SEQLAB_QUICK; the exit status. */
export async function courseCommand(args: string[], flags: CourseFlags): Promise<number> {
  absoluteDataEnv();
  const notebooks = (args.length ? args.map((a) => typedPath(a)) : [path.join(PACKAGE_ROOT, "notebooks")]).flatMap((p) => {
    if (!existsSync(p)) throw new Error(`no such notebook or folder: ${p}`);
    return statSync(p).isDirectory() ? notebooksIn(p) : [p];
  });
  if (!notebooks.length) throw new Error(`no notebooks in ${args.join(" ") || path.join(PACKAGE_ROOT, "notebooks")}`);
  const envQuick = process.env.SEQLAB_QUICK === "1";
  const mode: Mode = flags.quick ? "quick" : flags.full ? "full" : envQuick ? "quick" : "full";
  const modeFrom = flags.quick ? "--quick" : flags.full ? (envQuick ? "--full, over SEQLAB_QUICK=1" : "--full") : envQuick ? "SEQLAB_QUICK=1" : "the default";
  return runCourse({
    notebooks,
    reportsDir: flags.out ? typedPath(flags.out) : path.join(PACKAGE_ROOT, "reports"),
    mode,
    modeFrom,
    force: !!flags.force,
    timeoutSec: flags.timeout,
    typedCwd: typedCwd(),
    invokedAs: process.env.npm_lifecycle_event === "start" ? "npm start" : "seqlab start",
  });
}
