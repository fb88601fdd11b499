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
// shown: the progress bar (HTML + text) and the chart, both replaced in place by display id. A
// trailing timer shows the last state when updates pause. finish() sends the final chart with its
// PNG. Without a kernel (a terminal), a text progress bar goes to stderr instead.
//
// Every chart update is one bundle: the vega-lite spec (JupyterLab and VS Code draw it, live) and
// the latest PNG (the classic notebook and nbconvert have no vega renderer and show the picture;
// without one they would show only the text line until training ends). An update replaces the whole
// bundle, so each one carries the latest PNG, even when that picture is a few seconds older than
// the spec. PNGs are rendered at a low rate, in a worker thread (plot/offthread.ts): vega and
// resvg take 100-300 ms of CPU per picture, which on the training thread would slow training by
// several percent. At most one per `pictureInterval` (5 s, the first one too), and no more often
// than 30 times its own rendering time: where the worker has no core of its own (a busy machine)
// it takes at most ~3% of the training thread's. If the worker cannot run, pictures are drawn on
// this thread instead, at most 1/40 of the time.
import { kernel } from "../display/bridge";
import { display, newDisplayId } from "../display/display";
import { Chart, renderChart, specBundle, specToSvg, VegaLiteSpec } from "../plot/chart";
import { LossChartOptions, lossChartSpec } from "../plot/charts";
import { fmt } from "../plot/data";
import { tr } from "../lang";
import { renderOffThread } from "../plot/offthread";
import { esc, svgToPng } from "../plot/render";

const LIVE_SCALE = 1;

export interface LiveLossOptions extends LossChartOptions {
  /** Steps in the whole run (for the progress bar and the time left). */
  total: number;
  /** Least time between two renders, ms (default 500). */
  interval?: number;
  /** Least time between two PNG pictures of the live chart, ms (default 5000; 0: as often as the
   * rendering-time limit allows). Infinity: no picture until finish(). */
  pictureInterval?: number;
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
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    sec = s % 60;
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
  /** Renders sent so far (at most one per `interval`: a progress update, and a chart update unless
   * the chart's own cost holds it back), for inspection. */
  renders = 0;
  /** Live PNG pictures rendered so far: when each was started (clock), its wall time and the CPU
   * time that spaces the next one (`cost`, ms), and where it was drawn. */
  readonly pictures: { at: number; ms: number; cost: number; thread: "worker" | "main" }[] = [];
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
  private readonly pictureInterval: number;
  private png: { data: string; width: number; height: number } | undefined;
  private drawingNow: Promise<void> | undefined;
  private lastPictureAt = -Infinity;
  private pictureGap: number;
  private lastChartAt = -Infinity;
  private lastChart: { spec: VegaLiteSpec; text: string } | undefined;
  private chartGap = 0;
  private offThread = true;
  private canDraw = true;

  constructor(readonly opts: LiveLossOptions) {
    if (!(opts.total > 0)) throw new RangeError("liveLoss: `total` (the number of steps) must be positive");
    this.interval = opts.interval ?? 500;
    this.clock = opts.clock ?? (() => performance.now());
    this.started = this.last = this.clock();
    this.pictureInterval = opts.pictureInterval ?? 5000;
    this.pictureGap = this.pictureInterval;
    // the first picture after one interval too: a run that ends sooner shows its final chart instead
    this.lastPictureAt = this.started;
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
    if (Number.isFinite(u.loss)) {
      this.trainX.push(step);
      this.trainY.push(u.loss);
    }
    this.lastLoss = u.loss;
    if (u.valLoss !== undefined) {
      this.lastVal = u.valLoss;
      if (Number.isFinite(u.valLoss)) {
        this.valX.push(step);
        this.valY.push(u.valLoss);
      }
    }
    if (u.tokens) this.tokens += u.tokens;
    this.dirty = true;
    const now = this.clock();
    if (now - this.last >= this.interval) this.render(now);
    else this.trailing(this.interval - (now - this.last));
  }

  /**
   * Show the latest state after `delay` ms, as updates may stop. If nothing was rendered meanwhile
   * they did stop, and the chart is shown whatever its cost; otherwise it is an ordinary render.
   */
  private trailing(delay: number): void {
    if (this.timer) return;
    const renders = this.renders;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (this.dirty && !this.finished) this.render(this.clock(), this.renders === renders);
      },
      Math.max(0, delay),
    );
    this.timer.unref?.();
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
    parts.push(
      final ? tr(`done in ${elapsed}`, `${elapsed}에 끝남`) : tr(`${elapsed} elapsed, ${left} left`, `${elapsed} 지남, ${left} 남음`),
    );
    const l = this.lossText();
    if (l) parts.push(l);
    return parts.join(" · ");
  }

  private progressBundle(final: boolean, now = this.clock()): Record<string, string> {
    const p = this.progress(now);
    const frac = Math.min(1, p.done / p.total);
    const line = this.progressLine(final, now);
    const width = 30,
      filled = Math.round(frac * width);
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

  /** The live chart's bundle: spec, text and the latest picture (if one has been drawn yet). */
  private chartBundle(spec: VegaLiteSpec, text: string): { data: Record<string, unknown>; metadata: Record<string, unknown> } {
    const b = specBundle(spec, text);
    if (!this.png) return b;
    return {
      data: { ...b.data, "image/png": this.png.data },
      metadata: { "image/png": { width: this.png.width, height: this.png.height } },
    };
  }

  private sendChart(spec: VegaLiteSpec, text: string): void {
    this.lastChart = { spec, text };
    const b = this.chartBundle(spec, text);
    display(b.data, { displayId: this.chartId, update: true, metadata: b.metadata });
  }

  private render(now: number, stopped = false): void {
    this.last = now;
    this.dirty = false;
    this.renders++;
    if (this.notebook) {
      display(this.progressBundle(false, now), { displayId: this.progressId, update: true });
      if (!stopped && now - this.lastChartAt < this.chartGap) {
        // held back (see below): a later render shows it, or the trailing one if updates stop
        this.dirty = true;
        this.trailing(this.chartGap - (now - this.lastChartAt));
        return;
      }
      const c0 = this.clock();
      const { spec, text } = this.spec();
      this.sendChart(spec, text);
      // The spec is built from the whole history (decimated to a few hundred points, but in time
      // proportional to the steps so far: ~10-30 ms at 60,000 steps), so on a long run the chart
      // is updated less often than the progress bar, keeping it near 2% of the training thread.
      this.chartGap = Math.max(this.interval, 50 * (this.clock() - c0));
      this.lastChartAt = now;
      this.draw(now, spec);
    } else this.terminal(false, now);
  }

  /** The live picture being rendered, if any (resolves once it has been sent; never rejects). */
  get drawing(): Promise<void> | undefined {
    return this.drawingNow;
  }

  /** Start a PNG of `spec` if none is being drawn and the last one is old enough. */
  private draw(now: number, spec: VegaLiteSpec): void {
    if (this.drawingNow || this.finished || !this.canDraw || !this.trainY.length || !Number.isFinite(this.pictureInterval)) return;
    if (now - this.lastPictureAt < this.pictureGap) return;
    this.lastPictureAt = now;
    const thread = this.offThread ? "worker" : "main";
    const t0 = performance.now();
    // At 1x (the final chart is 2x): a preview that is replaced in seconds, for ~40% less rendering
    // and a third of the bytes in every update.
    const picture: Promise<{ png: Buffer; width: number; height: number; ms: number; cpuMs: number }> = this.offThread
      ? renderOffThread(spec, LIVE_SCALE)
      : specToSvg(spec).then((svg) => ({ ...svgToPng(svg, { scale: LIVE_SCALE }), ms: performance.now() - t0, cpuMs: NaN }));
    this.drawingNow = picture.then(
      (p) => {
        this.drawingNow = undefined;
        // What a picture costs others is the CPU it took (the worker runs at low priority, so on a
        // busy machine its wall time is mostly waiting); on this thread, its whole time.
        const cost = thread === "worker" && Number.isFinite(p.cpuMs) ? p.cpuMs : p.ms;
        this.pictures.push({ at: now, ms: p.ms, cost, thread });
        // Keep pictures near 3% of a core in the worker (on a small machine it may share the
        // training thread's), 2.5% of this thread. The first picture runs cold (JIT, font tables)
        // and says little about the next ones.
        if (this.pictures.length > 1) this.pictureGap = Math.max(this.pictureInterval, (thread === "worker" ? 30 : 40) * cost);
        if (this.finished) return;
        this.png = { data: p.png.toString("base64"), width: p.width, height: p.height };
        // with the spec last sent (building a new one costs time on a long run; the next update has it)
        this.sendChart(this.lastChart!.spec, this.lastChart!.text);
      },
      () => {
        this.drawingNow = undefined;
        // No worker here (or it died): draw on this thread, less often. If that fails too, stop
        // trying; finish() renders the final chart and reports its error.
        if (thread === "worker") {
          this.offThread = false;
          this.lastPictureAt = -Infinity;
        } else this.canDraw = false;
      },
    );
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
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
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
