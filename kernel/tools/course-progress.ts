// Progress of a course run: per notebook, the time it has run and the time left, and the course's.
// On a terminal one line redraws in place (a bar over the course's estimated time, then the
// runner's latest cell); in a log (not a TTY) plain lines: one when a notebook starts and ends,
// the runner's line per cell with the times added, and a line a minute while a cell runs long.
// The time left scales the remaining estimates by this run's pace (actual / estimated time of
// the notebooks done so far), so a loaded machine is accounted for after the first notebook.
// Hand-written: one redrawn line does not earn a dependency (the runner draws its bar the same way).
import { Writable } from "stream";
import { clock, duration } from "./course-estimate";

export interface ProgressItem {
  name: string;
  /** Estimated seconds (0 for a cached notebook). */
  estimate: number;
  cached: boolean;
}

const HEARTBEAT_MS = 60_000;

export class CourseProgress {
  private readonly started = Date.now();
  private current = -1;
  private currentStart = 0;
  private lastLine = "";
  private lastPrinted = Date.now();
  private doneActual = 0;
  private doneEstimate = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly toRun: number[];
  private readonly finished = new Set<number>();

  constructor(
    private readonly items: ProgressItem[],
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly tty = out.isTTY === true,
  ) {
    this.toRun = items.map((it, i) => (it.cached ? -1 : i)).filter((i) => i >= 0);
    this.timer = setInterval(() => this.tick(), tty ? 1000 : HEARTBEAT_MS);
    this.timer.unref();
  }

  /**
   * Actual / estimated time over the notebooks done in this run, shrunk towards 1 by a minute of
   * "as estimated": a short notebook is mostly kernel start-up, and its ratio says little about
   * an hour of training.
   */
  private pace(): number {
    const prior = 60;
    return Math.min(3, Math.max(0.5, (this.doneActual + prior) / (this.doneEstimate + prior)));
  }

  private elapsed(): number {
    return (Date.now() - this.started) / 1000;
  }

  /** Seconds left in the current notebook (undefined when it has run past its estimate), and in the course. */
  private left(): { notebook: number | undefined; course: number } {
    const pace = this.pace();
    let notebook: number | undefined;
    let course = 0;
    for (const i of this.toRun) {
      if (this.finished.has(i)) continue;
      const est = this.items[i].estimate * pace;
      if (i === this.current) {
        const ran = (Date.now() - this.currentStart) / 1000;
        notebook = ran <= est ? est - ran : undefined;
        course += notebook ?? 0;
      } else course += est;
    }
    return { notebook, course };
  }

  private position(i: number): string {
    return `[${this.toRun.indexOf(i) + 1}/${this.toRun.length}]`;
  }

  private notebookTimes(): string {
    const ran = (Date.now() - this.currentStart) / 1000;
    const { notebook } = this.left();
    return `${clock(ran)} elapsed, ${notebook === undefined ? "past its estimate" : `~${clock(notebook)} left`}`;
  }

  private courseTimes(): string {
    return `course ${clock(this.elapsed())} elapsed, ~${clock(this.left().course)} left`;
  }

  private print(line: string) {
    if (this.tty) this.out.write(`\r\x1b[K${line}\n`);
    else this.out.write(`${line}\n`);
    this.lastPrinted = Date.now();
    if (this.tty) this.redraw();
  }

  private redraw() {
    if (!this.tty || this.current < 0) return;
    const total = this.toRun.reduce((s, i) => s + this.items[i].estimate, 0) * this.pace();
    const left = this.left().course;
    const frac = total > 0 ? Math.min(1, Math.max(0, 1 - left / Math.max(total, left))) : 0;
    const width = 20;
    const full = Math.round(frac * width);
    const bar = `${"█".repeat(full)}${"░".repeat(width - full)}`;
    const name = this.items[this.current].name;
    // Most important first: a narrow terminal cuts the end.
    const cell = this.lastLine ? ` ${this.lastLine}` : "";
    let line = `${bar} ${String(Math.round(frac * 100)).padStart(3)}% ${this.position(this.current)} ${name}${cell} · ${this.notebookTimes()} · ${this.courseTimes()}`;
    const cols = this.out.columns ?? 120;
    if ([...line].length > cols - 1) line = [...line].slice(0, cols - 2).join("") + "…";
    this.out.write(`\r\x1b[K${line}`);
  }

  private tick() {
    if (this.current < 0) return;
    if (this.tty) this.redraw();
    else if (Date.now() - this.lastPrinted >= HEARTBEAT_MS - 1000) {
      this.print(
        `${this.items[this.current].name}: still running${this.lastLine ? ` (${this.lastLine})` : ""}, ${this.notebookTimes()}; ${this.courseTimes()}`,
      );
    }
  }

  start(i: number) {
    this.current = i;
    this.currentStart = Date.now();
    this.lastLine = "";
    const it = this.items[i];
    this.print(`${this.position(i)} ${it.name}: started, estimate ${duration(it.estimate * this.pace())}; ${this.courseTimes()}`);
  }

  /** A stream for the runner's progress lines: shown in the redrawn line, or printed with the times. */
  runnerStream(): NodeJS.WritableStream {
    let pending = "";
    return new Writable({
      write: (chunk, _enc, cb) => {
        pending += chunk.toString();
        const lines = pending.split(/\r?\n|\r/);
        pending = lines.pop() ?? "";
        for (const raw of lines) this.runnerLine(raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").trim());
        cb();
      },
    });
  }

  private runnerLine(line: string) {
    if (!line || this.current < 0) return;
    const name = this.items[this.current].name;
    // The runner's per-cell lines ("NAME [3/20] cell 7") are status; anything else it says is kept.
    const status = line.startsWith(`${name} [`);
    if (status) this.lastLine = line.slice(name.length + 1);
    if (!this.tty) this.print(status ? `  ${line} (${this.notebookTimes()})` : `  ${line}`);
    else if (status) this.redraw();
    else this.print(`  ${line}`);
  }

  finish(i: number, seconds: number, outcome: "done" | "failed" | "stopped") {
    const it = this.items[i];
    if (outcome === "done") {
      this.doneActual += seconds;
      this.doneEstimate += it.estimate;
    }
    const tail =
      outcome === "done" ? `done in ${duration(seconds)} (estimate ${duration(it.estimate)})` : `${outcome} after ${duration(seconds)}`;
    this.finished.add(i);
    this.current = -1;
    this.lastLine = "";
    this.print(`${this.position(i)} ${it.name}: ${tail}; ${this.courseTimes()}`);
  }

  close() {
    clearInterval(this.timer);
    if (this.tty) this.out.write("\r\x1b[K");
  }
}
