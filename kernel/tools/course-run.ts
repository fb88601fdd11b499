// `seqlab start` (what `npm start` runs): execute the course's notebooks into a reports folder,
// with a plan first, progress while it runs, the execution cache (course-cache.ts) so that
// unchanged notebooks are reused and a stopped run resumes, and at the end what to open next.
// One notebook's failure does not stop the others; the run ends non-zero naming each failed
// notebook, cell and error. Ctrl-C interrupts the running cell, keeps what is done and says how
// to resume; a second Ctrl-C stops at once.
import { existsSync, mkdirSync, readdirSync, statSync } from "fs";
import { writeFileAtomic } from "../server/atomic-write";
import * as path from "path";
import { CacheState, expectedBackend, fileHash, libraryHash, Mode, readState, writeState } from "./course-cache";
import { duration, readRecorded, speedScale } from "./course-estimate";
import { probeSeconds } from "./machine-speed";
import { formatPlan, makePlan, PlannedNotebook } from "./course-plan";
import { KOREAN_DIR } from "./course-editions";
import { readOpening } from "./course-structure";
import { SITE_INDEX, writeSite } from "./course-site";
import type { CourseNav } from "./export/html";
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

/** The page to open after a run: the course site's front page (course-site.ts). */
export function courseHome(reportsDir: string): string {
  return path.join(reportsDir, SITE_INDEX);
}

/** The notebooks of a folder, in name order. */
export function notebooksIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort()
    .map((f) => path.join(dir, f));
}

/** A course folder's notebooks: its own (the English edition), then those of its ko/ folder (the Korean edition) when it has one. */
export function courseIn(dir: string): string[] {
  const ko = path.join(dir, KOREAN_DIR);
  return [...notebooksIn(dir), ...(existsSync(ko) && statSync(ko).isDirectory() ? notebooksIn(ko) : [])];
}

/** Where a notebook's executed copy and report go: the reports folder's en/ or ko/. */
const editionDir = (reportsDir: string, p: PlannedNotebook) => path.join(reportsDir, p.edition);
const reportName = (p: PlannedNotebook) => path.basename(p.file).replace(/\.ipynb$/i, "") + ".html";

/** Each notebook's links in the site: the index, its neighbours in its edition, itself in the other edition. */
export function courseNavs(plan: PlannedNotebook[]): Map<string, CourseNav> {
  const navs = new Map<string, CourseNav>();
  const title = (p: PlannedNotebook) => readOpening(p.nb).title ?? path.basename(p.file, ".ipynb");
  for (const edition of ["en", "ko"] as const) {
    const list = plan.filter((p) => p.edition === edition);
    list.forEach((p, i) => {
      const other = plan.find((q) => q.edition !== edition && path.basename(q.file) === path.basename(p.file));
      navs.set(p.name, {
        lang: edition,
        index: `../${SITE_INDEX}#${edition}`,
        prev: i > 0 ? { href: reportName(list[i - 1]), title: title(list[i - 1]) } : undefined,
        next: i < list.length - 1 ? { href: reportName(list[i + 1]), title: title(list[i + 1]) } : undefined,
        other: other ? { href: `../${other.edition}/${reportName(other)}`, lang: other.edition } : undefined,
      });
    });
  }
  return navs;
}

export function commandFor(invokedAs: CourseOptions["invokedAs"], flags: string): string {
  return invokedAs === "npm start" ? `npm start -- ${flags}` : `seqlab start ${flags}`;
}

/** A cached notebook whose markdown or course links changed: its outputs put into the current
 * text, the report written again (no kernel). */
async function refreshText(p: PlannedNotebook, reportsDir: string, nav: CourseNav | undefined) {
  const executedFile = path.join(reportsDir, p.cached!.executed);
  if (p.markdownChanged) {
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
  }
  const { exportNotebook } = require("./export/html") as typeof import("./export/html");
  await exportNotebook(executedFile, path.join(reportsDir, p.cached!.report), { source: path.basename(p.file), nav });
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
  const names = new Map<string, string>();
  for (const p of plan.notebooks) {
    const other = names.get(p.name);
    if (other && other !== p.file)
      throw new Error(
        `two notebooks of the ${p.edition === "ko" ? "Korean" : "English"} edition named ${path.basename(p.file)} (${other} and ${p.file}) would write the same report`,
      );
    names.set(p.name, p.file);
  }
  const navs = courseNavs(plan.notebooks);
  const navKey = (p: PlannedNotebook) => JSON.stringify(navs.get(p.name) ?? null);
  say(
    formatPlan(plan, {
      reportsDir: o.reportsDir,
      modeFrom: o.modeFrom,
      otherModeCommand:
        o.mode === "quick" ? commandFor(o.invokedAs, "--full") : `${commandFor(o.invokedAs, "--quick")}, or SEQLAB_QUICK=1 ${o.invokedAs}`,
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
        if (p.markdownChanged || p.cached.nav !== navKey(p)) {
          await refreshText(p, o.reportsDir, navs.get(p.name));
          state.notebooks[p.name] = { ...p.cached, source: fileHash(p.file), nav: navKey(p) };
          writeState(o.reportsDir, state);
        }
        continue;
      }
      progress.start(i);
      const probeBefore = probeSeconds(3);
      const t0 = Date.now();
      try {
        const dir = editionDir(o.reportsDir, p);
        mkdirSync(dir, { recursive: true });
        const executed = await runNotebook(p.file, {
          outDir: dir,
          htmlDir: dir,
          timeoutSec: o.timeoutSec,
          progress: progress.runnerStream(),
          lang: p.edition,
          nav: navs.get(p.name),
        });
        const seconds = (Date.now() - t0) / 1000;
        ran++;
        state.notebooks[p.name] = {
          parts: p.parts,
          source: fileHash(p.file),
          executed: path.relative(o.reportsDir, executed),
          report: path.join(p.edition, reportName(p)),
          seconds,
          finished: new Date().toISOString(),
          nav: navKey(p),
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

  // The front page: every notebook of both editions, linking each report written.
  await writeSite(o.reportsDir, plan.notebooks, { mode: o.mode, recorded });

  const reused = plan.notebooks.filter((p) => p.cached).length;
  if (ran || failures.length || stoppedAt) say();
  say(
    `seqlab start: ${ran} executed, ${reused} reused from the cache, ${failures.length} failed in ${duration((Date.now() - started) / 1000)}`,
  );
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
  // A folder inside another one listed (notebooks/ko inside notebooks/) is opened with it.
  const allDirs = [...new Set(o.notebooks.map((f) => path.dirname(f)))];
  const notebookDirs = allDirs.filter((d) => !allDirs.some((e) => e !== d && !path.relative(e, d).startsWith("..")));
  say();
  say(`Open the course: ${courseHome(o.reportsDir)}`);
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
    return statSync(p).isDirectory() ? courseIn(p) : [p];
  });
  if (!notebooks.length) throw new Error(`no notebooks in ${args.join(" ") || path.join(PACKAGE_ROOT, "notebooks")}`);
  const envQuick = process.env.SEQLAB_QUICK === "1";
  const mode: Mode = flags.quick ? "quick" : flags.full ? "full" : envQuick ? "quick" : "full";
  const modeFrom = flags.quick
    ? "--quick"
    : flags.full
      ? envQuick
        ? "--full, over SEQLAB_QUICK=1"
        : "--full"
      : envQuick
        ? "SEQLAB_QUICK=1"
        : "the default";
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
