// Live training feedback: a loss chart and a progress bar, updated in place while a model trains.
//
//   const live = liveLoss({ total: steps, metric: "perplexity" });
//   for (let step = 0; step < steps; step++) {
//     const loss = await trainStep();
//     live.update({ step, loss, tokens: batch * seqLen });
//   }
//   await live.finish();            // the final picture (PNG), kept in the saved notebook
//
// update() only records the state. At most once per `interval` (500 ms) the latest state is
// shown: the progress bar (HTML + text) and the chart as a vega-lite spec (no PNG: rendering a
// picture costs ~100 ms), both replaced in place by display id. A trailing timer shows the last
// state when updates pause. finish() sends the final chart with its PNG. Without a kernel
// (a terminal), a text progress bar goes to stderr instead.
import { kernel } from "../display/bridge";
import { display, newDisplayId } from "../display/display";
import { Chart, renderChart, specBundle } from "../plot/chart";
import { LossChartOptions, lossChartSpec } from "../plot/charts";
import { fmt } from "../plot/data";
import { esc } from "../plot/render";
import { tr } from "../lang";

export interface LiveLossOptions extends LossChartOptions {
  /** Steps in the whole run (for the progress bar and the time left). */
  total: number;
  /** Least time between two renders, ms (default 500). */
  interval?: number;
  /** Where the text progress bar goes when no kernel is present (default process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Clock in ms (default performance.now), replaceable in tests. */
  clock?: () => number;
}

export interface LiveUpdate {
  /** The step just finished; steps may count from 0 or from 1 (the first update tells). */
  step: number;
  loss: number;
  valLoss?: number;
  /** Tokens processed in this step (for tokens per second). */
  tokens?: number;
}

function clockTime(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}` : `${m}:${String(sec).padStart(2, "0")}`;
}

function rate(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e4 ? `${(x / 1e3).toFixed(1)}k` : x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

export class LiveLoss {
  readonly trainX: number[] = [];
  readonly trainY: number[] = [];
  readonly valX: number[] = [];
  readonly valY: number[] = [];
  /** Renders sent so far (progress and chart updates), for inspection. */
  renders = 0;
  private readonly interval: number;
  private readonly clock: () => number;
  private readonly started: number;
  private last: number;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private done = 0;
  private zeroBased: boolean | undefined;
  private tokens = 0;
  private lastLoss = NaN;
  private lastVal = NaN;
  private finished: Promise<Chart> | undefined;
  private readonly notebook: boolean;
  private readonly chartId = newDisplayId();
  private readonly progressId = newDisplayId();
  private lastTextDecile = -1;

  constructor(readonly opts: LiveLossOptions) {
    if (!(opts.total > 0)) throw new RangeError("liveLoss: `total` (the number of steps) must be positive");
    this.interval = opts.interval ?? 500;
    this.clock = opts.clock ?? (() => performance.now());
    this.started = this.last = this.clock();
    this.notebook = !!kernel();
    if (this.notebook) {
      display(this.progressBundle(false), { displayId: this.progressId });
      const { spec, text } = this.spec();
      display(specBundle(spec, text).data, { displayId: this.chartId });
    }
  }

  /** Record one step. Cheap: it renders only when `interval` has passed since the last render. */
  update(u: LiveUpdate): void {
    if (this.finished) return;
    const step = Number(u.step);
    if (this.zeroBased === undefined) this.zeroBased = step === 0;
    this.done = Math.max(this.done, step + (this.zeroBased ? 1 : 0));
    if (Number.isFinite(u.loss)) { this.trainX.push(step); this.trainY.push(u.loss); }
    this.lastLoss = u.loss;
    if (u.valLoss !== undefined) {
      this.lastVal = u.valLoss;
      if (Number.isFinite(u.valLoss)) { this.valX.push(step); this.valY.push(u.valLoss); }
    }
    if (u.tokens) this.tokens += u.tokens;
    this.dirty = true;
    const now = this.clock();
    if (now - this.last >= this.interval) this.render(now);
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.dirty && !this.finished) this.render(this.clock());
      }, Math.max(0, this.interval - (now - this.last)));
      this.timer.unref?.();
    }
  }

  /** Steps done, elapsed ms, tokens per second and ms left. */
  progress(now = this.clock()): { done: number; total: number; elapsed: number; tokensPerSecond: number; remaining: number } {
    const elapsed = now - this.started;
    const done = Math.min(this.done, this.opts.total);
    return {
      done,
      total: this.opts.total,
      elapsed,
      tokensPerSecond: elapsed > 0 ? (this.tokens * 1000) / elapsed : 0,
      remaining: done > 0 ? ((this.opts.total - done) * elapsed) / done : NaN,
    };
  }

  private lossText(): string {
    const ppl = this.opts.metric === "perplexity";
    const show = (v: number) => (ppl ? `${fmt(v)} (${tr("ppl", "퍼플렉서티")} ${fmt(Math.exp(v))})` : fmt(v));
    let s = Number.isNaN(this.lastLoss) && !this.trainY.length ? "" : `${tr("loss", "손실")} ${show(this.lastLoss)}`;
    if (!Number.isNaN(this.lastVal)) s += ` · ${tr("val", "검증")} ${show(this.lastVal)}`;
    return s;
  }

  private progressLine(final: boolean, now = this.clock()): string {
    const p = this.progress(now);
    const pct = Math.floor((100 * p.done) / p.total);
    const parts = [`${p.done}/${p.total} (${pct}%)`];
    if (this.tokens) parts.push(tr(`${rate(p.tokensPerSecond)} tok/s`, `초당 토큰 ${rate(p.tokensPerSecond)}개`));
    const [elapsed, left] = [clockTime(p.elapsed), clockTime(p.remaining)];
    parts.push(final ? tr(`done in ${elapsed}`, `${elapsed}에 끝남`) : tr(`${elapsed} elapsed, ${left} left`, `${elapsed} 지남, ${left} 남음`));
    const l = this.lossText();
    if (l) parts.push(l);
    return parts.join(" · ");
  }

  private progressBundle(final: boolean, now = this.clock()): Record<string, string> {
    const p = this.progress(now);
    const frac = Math.min(1, p.done / p.total);
    const line = this.progressLine(final, now);
    const width = 30, filled = Math.round(frac * width);
    const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
    const html =
      `<div style="display:flex;align-items:center;gap:8px;font-family:monospace;font-size:12px">` +
      `<div style="width:240px;height:12px;background:#e6e6e6;border-radius:3px;overflow:hidden;flex:none">` +
      `<div style="width:${(100 * frac).toFixed(1)}%;height:100%;background:${final ? "#54a24b" : "#4c78a8"}"></div></div>` +
      `<span>${esc(line)}</span></div>`;
    return { "text/html": html, "text/plain": `${bar} ${line}` };
  }

  private spec() {
    return lossChartSpec({ train: { x: this.trainX, y: this.trainY }, val: { x: this.valX, y: this.valY } }, this.opts);
  }

  private render(now: number): void {
    this.last = now;
    this.dirty = false;
    this.renders++;
    if (this.notebook) {
      display(this.progressBundle(false, now), { displayId: this.progressId, update: true });
      const { spec, text } = this.spec();
      display(specBundle(spec, text).data, { displayId: this.chartId, update: true });
    } else this.terminal(false, now);
  }

  private terminal(final: boolean, now = this.clock()): void {
    const out = this.opts.stream ?? process.stderr;
    const { "text/plain": line } = this.progressBundle(final, now);
    if (out.isTTY) {
      out.write(`\r${line}\x1b[K${final ? "\n" : ""}`);
      return;
    }
    // Not a terminal (a log file, CI): a line per tenth of the run, and the last one.
    const decile = Math.floor((10 * this.progress(now).done) / this.opts.total);
    if (final || decile !== this.lastTextDecile) {
      this.lastTextDecile = decile;
      out.write(`${line}\n`);
    }
  }

  /**
   * Stop: the last progress line, and in a notebook the final chart with its PNG (so the saved
   * notebook keeps a picture). Resolves to the chart. Calling it again returns the same promise.
   */
  finish(): Promise<Chart> {
    if (this.finished) return this.finished;
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    const now = this.clock();
    const { spec, text } = this.spec();
    if (this.notebook) display(this.progressBundle(true, now), { displayId: this.progressId, update: true });
    else this.terminal(true, now);
    this.finished = renderChart("lossChart", spec, text).then((chart) => {
      if (this.notebook) display(chart, { displayId: this.chartId, update: true });
      return chart;
    });
    return this.finished;
  }
}

/** Live loss chart and progress bar for a training loop; see LiveLoss. */
export function liveLoss(opts: LiveLossOptions): LiveLoss {
  return new LiveLoss(opts);
}
