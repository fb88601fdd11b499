// The chart API. Each factory builds a vega-lite spec synchronously (exported as *Spec for callers
// that only need the spec, such as live training updates) and renders its PNG asynchronously:
//
//   await lossChart({ train: losses, val: valLosses }, { smoothing: 0.6, logScale: true })
//   await lineChart({ sin: ys1, cos: ys2 })
//   await scatter({ x, y, labels })
//   await bar({ "학습": 0.9, "검증": 0.7 })
//   await histogram(weights)
//   await heatmap(attention, { rowLabels: tokens, colLabels: tokens })
//   await embeddingPlot(vectors, words)
//
// Data are decimated to a bounded number of points before they enter the spec.
import { ChartOptions, chartPromise, ChartPromise, finishSpec, VegaLiteSpec } from "./chart";
import { blockMean, ema, fmt, histogramBins, lttb, nonFinite, Series, strideIndices, toMatrix, toXY, XY } from "./data";
import { textWidth } from "./fonts";
import { pca } from "./pca";
import { tr } from "../lang";

const PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac", "#eeca3b"];

export type SpecAndText = { spec: VegaLiteSpec; text: string };

function isSeries(v: unknown): v is Series {
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return true;
  return !!v && typeof v === "object" && "x" in (v as any) && "y" in (v as any);
}

function range(d: XY): string {
  if (!d.y.length) return tr("no points", "점 없음");
  return tr(`${d.y.length} points`, `점 ${d.y.length}개`) + `, ${fmt(d.y[0])} → ${fmt(d.y[d.y.length - 1])}`;
}

// ---- loss ---------------------------------------------------------------------------------

export interface LossPoint {
  step: number;
  loss?: number;
  valLoss?: number;
}

/** Train (and validation) losses: `{train, val}` series, or a list of `{step, loss, valLoss}`. */
export type LossHistory = { train: Series; val?: Series } | ReadonlyArray<LossPoint>;

export interface LossChartOptions extends ChartOptions {
  /** Plot the loss, or the perplexity exp(loss) (default "loss"). */
  metric?: "loss" | "perplexity";
  logScale?: boolean;
  /** EMA weight in [0, 1) for the train curve (TensorBoard's slider); the raw curve stays, faint. */
  smoothing?: number;
  /** Points per curve in the spec (default 500). */
  maxPoints?: number;
}

/**
 * The loss chart's series names (its legend), in the learner's language when the chart is made:
 * "train" and "validation", or 학습 and 검증 with SEQLAB_LANG=ko. Functions, not constants, as
 * SEQLAB_LANG may change while a notebook runs.
 */
export const trainLabel = (): string => tr("train", "학습");
export const validationLabel = (): string => tr("validation", "검증");

function lossSeries(h: LossHistory): { train: XY; val: XY; bad: number } {
  if (Array.isArray(h)) {
    const train: XY = { x: [], y: [] },
      val: XY = { x: [], y: [] };
    let bad = 0;
    for (const p of h as ReadonlyArray<LossPoint>) {
      if (p.loss !== undefined) {
        if (Number.isFinite(p.loss) && Number.isFinite(p.step)) {
          train.x.push(p.step);
          train.y.push(p.loss);
        } else bad++;
      }
      if (p.valLoss !== undefined && Number.isFinite(p.valLoss) && Number.isFinite(p.step)) {
        val.x.push(p.step);
        val.y.push(p.valLoss);
      }
    }
    return { train, val, bad };
  }
  const o = h as { train: Series; val?: Series };
  if (!o || !isSeries(o.train)) throw new TypeError("lossChart: expected {train, val?} series or a list of {step, loss, valLoss?}");
  return { train: toXY(o.train), val: o.val ? toXY(o.val) : { x: [], y: [] }, bad: nonFinite(o.train) };
}

function minAt(d: XY): string {
  let m = 0;
  for (let i = 1; i < d.y.length; i++) if (d.y[i] < d.y[m]) m = i;
  return tr(`min ${fmt(d.y[m])} at step ${fmt(d.x[m])}`, `최솟값 ${fmt(d.y[m])}, 스텝 ${fmt(d.x[m])}`);
}

export function lossChartSpec(history: LossHistory, opts: LossChartOptions = {}): SpecAndText {
  const { train, val, bad } = lossSeries(history);
  const ppl = opts.metric === "perplexity";
  const f = (d: XY): XY => {
    const y = ppl ? d.y.map(Math.exp) : d.y;
    const keep = y.map((v) => Number.isFinite(v) && (!opts.logScale || v > 0));
    return { x: d.x.filter((_, i) => keep[i]), y: y.filter((_, i) => keep[i]) };
  };
  const trn = f(train),
    va = f(val);
  const max = opts.maxPoints ?? 500;
  const w = opts.smoothing ?? 0;
  const values: Record<string, unknown>[] = [];
  const [trainName, valName] = [trainLabel(), validationLabel()];
  const push = (d: XY, series: string, kind: string) => {
    for (let i = 0; i < d.x.length; i++) values.push({ step: d.x[i], value: d.y[i], series, kind });
  };
  if (w > 0) {
    push(lttb(trn, max), trainName, "raw");
    push(lttb({ x: trn.x, y: ema(trn.y, w) }, max), trainName, "smoothed");
  } else push(lttb(trn, max), trainName, "smoothed");
  push(lttb(va, max), valName, "smoothed");
  const metricTitle = ppl ? tr("perplexity", "퍼플렉서티") : tr("loss", "손실");
  const y = {
    field: "value",
    type: "quantitative",
    title: opts.yTitle ?? metricTitle,
    scale: opts.logScale ? { type: "log" } : { zero: false },
  };
  const x = { field: "step", type: "quantitative", title: opts.xTitle ?? tr("step", "스텝") };
  const color = {
    field: "series",
    type: "nominal",
    title: null,
    // The legend lists the domain, data or not: validation only when there is a validation line.
    scale: va.x.length ? { domain: [trainName, valName], range: [PALETTE[0], PALETTE[1]] } : { domain: [trainName], range: [PALETTE[0]] },
    legend: { orient: "top-right", symbolType: "stroke", symbolOpacity: 1, symbolStrokeWidth: 3 },
  };
  const layer: VegaLiteSpec[] = [];
  if (w > 0)
    layer.push({
      transform: [{ filter: "datum.kind === 'raw'" }],
      mark: { type: "line", opacity: 0.25, strokeWidth: 1 },
      encoding: { x, y, color },
    });
  layer.push({
    transform: [{ filter: `datum.kind === 'smoothed' && datum.series === '${trainName}'` }],
    mark: { type: "line", strokeWidth: 2 },
    encoding: { x, y, color, tooltip: [{ field: "step" }, { field: "value", format: ".4g" }] },
  });
  if (va.x.length) {
    layer.push({
      transform: [{ filter: `datum.series === '${valName}'` }],
      mark: { type: "line", strokeWidth: 2, point: va.x.length <= 60 },
      encoding: { x, y, color, tooltip: [{ field: "step" }, { field: "value", format: ".4g" }] },
    });
  }
  const spec = finishSpec(
    { data: { values }, layer },
    { ...opts, title: opts.title ?? (ppl ? tr("perplexity", "퍼플렉서티") : tr("learning curve", "학습 곡선")) },
  );
  const name = ppl ? tr("perplexity", "퍼플렉서티") : tr("loss", "손실");
  let text = `${name} ${tr("chart: train", "차트: 학습")} ${trn.y.length ? `${range(trn)} (${minAt(trn)})` : tr("no points", "점 없음")}`;
  if (va.x.length) text += `; ${tr("validation", "검증")} ${range(va)} (${minAt(va)})`;
  if (bad)
    text += tr(
      `; ${bad} train value(s) not finite (NaN or ±Infinity): training diverged?`,
      `; 학습 값 ${bad}개가 유한하지 않음 (NaN 또는 ±Infinity): 학습이 발산했나요?`,
    );
  return { spec, text };
}

/** Training curves: train loss (optionally smoothed) and validation loss by step, loss or perplexity. */
export function lossChart(history: LossHistory, opts: LossChartOptions = {}): ChartPromise {
  const { spec, text } = lossChartSpec(history, opts);
  return chartPromise("lossChart", spec, text);
}

// ---- lines --------------------------------------------------------------------------------

export interface LineChartOptions extends ChartOptions {
  logY?: boolean;
  /** Log-scale x axis (points with x ≤ 0 are dropped), e.g. Zipf's law on log-log axes. */
  logX?: boolean;
  /** Points per series in the spec (default 500). */
  maxPoints?: number;
  /** Mark the points too (default when every series has ≤ 40 points). */
  points?: boolean;
}

export function lineChartSpec(series: Series | Record<string, Series>, opts: LineChartOptions = {}): SpecAndText {
  const named: [string, Series][] = isSeries(series) ? [["y", series]] : Object.entries(series);
  const max = opts.maxPoints ?? 500;
  const values: Record<string, unknown>[] = [];
  const parts: string[] = [];
  let most = 0;
  for (const [name, s] of named) {
    const d = toXY(s);
    const keep = (i: number) => (!opts.logY || d.y[i] > 0) && (!opts.logX || d.x[i] > 0);
    const dd = lttb(opts.logY || opts.logX ? { x: d.x.filter((_, i) => keep(i)), y: d.y.filter((_, i) => keep(i)) } : d, max);
    most = Math.max(most, dd.x.length);
    for (let i = 0; i < dd.x.length; i++) values.push({ x: dd.x[i], y: dd.y[i], series: name });
    parts.push(`${name}: ${range(d)}`);
  }
  const multi = named.length > 1;
  const spec = finishSpec(
    {
      data: { values },
      mark: { type: "line", strokeWidth: 2, point: opts.points ?? most <= 40 },
      encoding: {
        x: { field: "x", type: "quantitative", title: opts.xTitle ?? "x", ...(opts.logX ? { scale: { type: "log" } } : {}) },
        y: {
          field: "y",
          type: "quantitative",
          title: opts.yTitle ?? (multi ? "" : named[0][0]),
          scale: opts.logY ? { type: "log" } : { zero: false },
        },
        ...(multi
          ? { color: { field: "series", type: "nominal", title: null, sort: named.map(([n]) => n), scale: { range: PALETTE } } }
          : { color: { value: PALETTE[0] } }),
        tooltip: [{ field: "series" }, { field: "x" }, { field: "y", format: ".4g" }],
      },
    },
    opts,
  );
  return { spec, text: `${tr("line chart", "선 그래프")}${opts.title ? ` "${opts.title}"` : ""}: ${parts.join("; ")}` };
}

/** One or more curves: `lineChart(ys)`, `lineChart({name: ys, other: [[x, y], ...]})`. */
export function lineChart(series: Series | Record<string, Series>, opts: LineChartOptions = {}): ChartPromise {
  const { spec, text } = lineChartSpec(series, opts);
  return chartPromise("lineChart", spec, text);
}

// ---- scatter ------------------------------------------------------------------------------

export interface ScatterData {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Text drawn beside each point (at most `maxLabels` of them). */
  labels?: ArrayLike<string>;
  /** Colour by group. */
  groups?: ArrayLike<string>;
}

export interface ScatterOptions extends ChartOptions {
  /** Points in the spec (default 2000; more are thinned evenly). */
  maxPoints?: number;
  /** Labelled points (default 150). */
  maxLabels?: number;
  pointSize?: number;
  /** Join the points in their order with a line (a trajectory, e.g. hidden states over time). */
  line?: boolean;
  /** Log-scale axes (points with a coordinate ≤ 0 on a log axis are dropped). */
  logX?: boolean;
  logY?: boolean;
}

export function scatterSpec(data: ScatterData | ReadonlyArray<readonly [number, number]>, opts: ScatterOptions = {}): SpecAndText {
  const d: ScatterData = Array.isArray(data) ? { x: data.map((p) => p[0]), y: data.map((p) => p[1]) } : (data as ScatterData);
  const n = Math.min(d.x.length, d.y.length);
  const idx = strideIndices(n, opts.maxPoints ?? 2000).filter(
    (i) => Number.isFinite(d.x[i]) && Number.isFinite(d.y[i]) && (!opts.logX || d.x[i] > 0) && (!opts.logY || d.y[i] > 0),
  );
  const labelled = new Set(d.labels ? strideIndices(idx.length, opts.maxLabels ?? 150).map((j) => idx[j]) : []);
  const values = idx.map((i) => ({
    x: d.x[i],
    y: d.y[i],
    ...(opts.line ? { order: i } : {}),
    ...(d.labels ? { label: String(d.labels[i] ?? ""), shown: labelled.has(i) } : {}),
    ...(d.groups ? { group: String(d.groups[i] ?? "") } : {}),
  }));
  // padding keeps labels of the outermost points inside the plot
  const axisScale = (log: boolean | undefined, padding: number) => (log ? { type: "log", padding } : { zero: false, padding });
  const x = { field: "x", type: "quantitative", title: opts.xTitle ?? "x", scale: axisScale(opts.logX, d.labels ? 40 : 10) };
  const y = { field: "y", type: "quantitative", title: opts.yTitle ?? "y", scale: axisScale(opts.logY, d.labels ? 16 : 10) };
  const color = d.groups
    ? { field: "group", type: "nominal", title: null, scale: { range: PALETTE }, legend: { orient: "bottom" } }
    : { value: PALETTE[0] };
  const tooltip = [
    ...(d.labels ? [{ field: "label" }] : []),
    ...(d.groups ? [{ field: "group" }] : []),
    { field: "x", format: ".4g" },
    { field: "y", format: ".4g" },
  ];
  const layer: VegaLiteSpec[] = [];
  if (opts.line)
    layer.push({
      mark: { type: "line", strokeWidth: 1, opacity: 0.5, color: "#888" },
      encoding: { x, y, order: { field: "order", type: "quantitative" }, ...(d.groups ? { detail: { field: "group" } } : {}) },
    });
  layer.push({
    mark: { type: "circle", size: opts.pointSize ?? (values.length > 500 ? 12 : 40), opacity: 0.8 },
    encoding: { x, y, color, tooltip },
  });
  if (d.labels) {
    layer.push({
      transform: [{ filter: "datum.shown" }],
      mark: { type: "text", align: "left", dx: 5, dy: -5, fontSize: 11 },
      encoding: { x, y, text: { field: "label" }, color: d.groups ? color : { value: "#333" } },
    });
  }
  const spec = finishSpec({ data: { values }, layer }, opts);
  const groups = d.groups ? new Set(Array.from(d.groups as ArrayLike<string>)).size : 0;
  const text = tr(
    `scatter${opts.title ? ` "${opts.title}"` : ""}: ${n} points${idx.length < n ? ` (${idx.length} drawn)` : ""}${d.groups ? `, ${groups} groups` : ""}`,
    `산점도${opts.title ? ` "${opts.title}"` : ""}: 점 ${n}개${idx.length < n ? ` (${idx.length}개 그림)` : ""}${d.groups ? `, 그룹 ${groups}개` : ""}`,
  );
  return { spec, text };
}

/** Points, optionally labelled and coloured by group: `scatter({x, y, labels, groups})` or `scatter([[x, y], ...])`. */
export function scatter(data: ScatterData | ReadonlyArray<readonly [number, number]>, opts: ScatterOptions = {}): ChartPromise {
  const { spec, text } = scatterSpec(data, opts);
  return chartPromise("scatter", spec, text);
}

// ---- bar ----------------------------------------------------------------------------------

export type BarData = Record<string, number> | ReadonlyArray<readonly [string, number]> | ReadonlyArray<{ label: string; value: number }>;

export interface BarOptions extends ChartOptions {
  /** Bars left to right (default when labels are short) or top to bottom. */
  horizontal?: boolean;
  /** Sort by value, largest first (default: the given order). */
  sort?: boolean;
  /** Bars kept (default 60; the rest are summarised in the text). */
  maxBars?: number;
  /**
   * One reference value per bar, in the order of the data (e.g. published numbers to compare
   * with), drawn as a black tick across the bar; NaN leaves a bar without one.
   */
  ticks?: ArrayLike<number>;
  /** Name of the ticks in the tooltip and the description (default "reference"). */
  tickTitle?: string;
  /** Write each bar's value above it, with this d3 format (true: ".2f"). */
  showValues?: boolean | string;
}

export function barSpec(data: BarData, opts: BarOptions = {}): SpecAndText {
  let items: { label: string; value: number; tick?: number }[] = Array.isArray(data)
    ? (data as any[]).map((d) =>
        Array.isArray(d) ? { label: String(d[0]), value: Number(d[1]) } : { label: String(d.label), value: Number(d.value) },
      )
    : Object.entries(data as Record<string, number>).map(([label, value]) => ({ label, value: Number(value) }));
  const ticks = opts.ticks;
  if (ticks && ticks.length !== items.length) throw new RangeError(`bar: ${ticks.length} ticks for ${items.length} bars`);
  // A tick travels with its bar through the sort; NaN (no tick) is left out of the data.
  items = items.map((d, i) => ({ ...d, order: i, ...(ticks && Number.isFinite(ticks[i]) ? { tick: Number(ticks[i]) } : {}) }));
  if (opts.sort) items.sort((a, b) => b.value - a.value);
  const total = items.length;
  const max = opts.maxBars ?? 60;
  const kept = items.slice(0, max).map((d, i) => ({ ...d, order: i }));
  const longest = Math.max(0, ...kept.map((d) => textWidth(d.label, 11)));
  const horizontal = opts.horizontal ?? (longest > 90 || kept.length > 24);
  const band = (opts.width ?? 400) / Math.max(1, kept.length);
  // Layers union their domains, which vega-lite sorts only by min, max or count (not the default sum).
  const layered = !!(opts.ticks || opts.showValues);
  const cat = {
    field: "label",
    type: "nominal",
    sort: { field: "order", ...(layered ? { op: "min" } : {}) },
    title: opts.xTitle ?? null,
    axis: horizontal ? {} : { labelAngle: longest > band - 6 ? -45 : 0 },
  };
  const val = { field: "value", type: "quantitative", title: opts.yTitle ?? "" };
  const tickTitle = opts.tickTitle ?? tr("reference", "기준값");
  const tooltip = [
    { field: "label" },
    { field: "value", format: ".4g" },
    ...(ticks ? [{ field: "tick", title: tickTitle, format: ".4g" }] : []),
  ];
  const bars: VegaLiteSpec = {
    mark: { type: "bar", color: PALETTE[0] },
    encoding: { ...(horizontal ? { y: cat, x: val } : { x: cat, y: val }), tooltip },
  };
  const layer: VegaLiteSpec[] = [bars];
  if (ticks) {
    const at = { field: "tick", type: "quantitative" };
    layer.push({
      transform: [{ filter: "isValid(datum.tick)" }],
      mark: { type: "tick", color: "black", thickness: 2, size: Math.max(8, Math.min(60, band * 0.8)) },
      encoding: { ...(horizontal ? { y: cat, x: at } : { x: cat, y: at }), tooltip },
    });
  }
  if (opts.showValues) {
    const format = typeof opts.showValues === "string" ? opts.showValues : ".2f";
    const mark = horizontal ? { type: "text", align: "left", dx: 4, fontSize: 11 } : { type: "text", dy: -8, fontSize: 11 };
    layer.push({
      mark,
      encoding: { ...(horizontal ? { y: cat, x: val } : { x: cat, y: val }), text: { field: "value", type: "quantitative", format } },
    });
  }
  // One layer is the plain bar spec (mark and encoding at the top level); more are layered.
  const body: VegaLiteSpec = layer.length === 1 ? { data: { values: kept }, ...bars } : { data: { values: kept }, layer };
  const spec = finishSpec(body, {
    ...opts,
    height: opts.height ?? (horizontal ? Math.max(120, Math.min(600, kept.length * 18)) : undefined),
  });
  const keptTicks = kept.map((d) => d.tick).filter((t): t is number => t !== undefined);
  const tickText = ticks ? `; ${tickTitle} ${tr("ticks", "눈금")} ${keptTicks.map((t) => fmt(t)).join(", ")}` : "";
  const more =
    total > 8
      ? tr(`, … (${total} bars${total > max ? `, ${max} drawn` : ""})`, `, … (막대 ${total}개${total > max ? `, ${max}개 그림` : ""})`)
      : "";
  const text = `${tr("bar chart", "막대 그래프")}${opts.title ? ` "${opts.title}"` : ""}: ${kept
    .slice(0, 8)
    .map((d) => `${d.label} ${fmt(d.value)}`)
    .join(", ")}${more}${tickText}`;
  return { spec, text };
}

/** Bars for labelled values: `bar({a: 1, b: 2})`, `bar([["a", 1], ...])` or `bar([{label, value}])`. */
export function bar(data: BarData, opts: BarOptions = {}): ChartPromise {
  const { spec, text } = barSpec(data, opts);
  return chartPromise("bar", spec, text);
}

// ---- histogram ----------------------------------------------------------------------------

export interface HistogramOptions extends ChartOptions {
  /** Number of bins (default √n, between 5 and 60). */
  bins?: number;
  logY?: boolean;
}

function flatValues(v: unknown): ArrayLike<number> {
  if (v && typeof (v as any).dataSync === "function") return (v as any).dataSync();
  if (Array.isArray(v) && v.some(Array.isArray)) return (v as unknown[]).flat(Infinity as 1) as number[];
  return v as ArrayLike<number>;
}

export function histogramSpec(values: ArrayLike<number> | unknown, opts: HistogramOptions = {}): SpecAndText {
  const v = flatValues(values);
  const bins = histogramBins(v, opts.bins);
  let n = 0,
    s = 0,
    s2 = 0;
  for (let i = 0; i < v.length; i++)
    if (Number.isFinite(v[i])) {
      n++;
      s += v[i];
      s2 += v[i] * v[i];
    }
  const mean = n ? s / n : NaN,
    sd = n ? Math.sqrt(Math.max(0, s2 / n - mean * mean)) : NaN;
  const spec = finishSpec(
    {
      data: { values: bins.map((b) => ({ start: b.start, end: b.end, count: b.count })) },
      mark: { type: "bar", color: PALETTE[0], binSpacing: 0, stroke: "white", strokeWidth: 0.5 },
      encoding: {
        x: { field: "start", type: "quantitative", bin: { binned: true }, title: opts.xTitle ?? tr("value", "값") },
        x2: { field: "end" },
        y: { field: "count", type: "quantitative", title: opts.yTitle ?? tr("count", "개수"), scale: opts.logY ? { type: "symlog" } : {} },
        tooltip: [{ field: "start", format: ".4g" }, { field: "end", format: ".4g" }, { field: "count" }],
      },
    },
    opts,
  );
  const span = bins.length ? `[${fmt(bins[0].start)}, ${fmt(bins[bins.length - 1].end)}]` : "";
  const text = tr(
    `histogram${opts.title ? ` "${opts.title}"` : ""}: ${n} values in ${bins.length} bins, mean ${fmt(mean)}, sd ${fmt(sd)}${span ? `, range ${span}` : ""}`,
    `히스토그램${opts.title ? ` "${opts.title}"` : ""}: 값 ${n}개, 구간 ${bins.length}개, 평균 ${fmt(mean)}, 표준편차 ${fmt(sd)}${span ? `, 범위 ${span}` : ""}`,
  );
  return { spec, text };
}

/** The distribution of values (numbers, nested arrays or a tensor), binned here (the spec holds only the bins). */
export function histogram(values: ArrayLike<number> | unknown, opts: HistogramOptions = {}): ChartPromise {
  const { spec, text } = histogramSpec(values, opts);
  return chartPromise("histogram", spec, text);
}

// ---- heatmap ------------------------------------------------------------------------------

export interface HeatmapOptions extends ChartOptions {
  /** Labels of the rows (top to bottom) and columns (left to right), e.g. tokens; may repeat. */
  rowLabels?: ArrayLike<string>;
  colLabels?: ArrayLike<string>;
  /** Colour scheme (vega's names); default "viridis", or "blueorange" centred at 0 for signed data. */
  scheme?: string;
  /** Value range of the colour scale, e.g. [0, 1] for attention or gates. */
  domain?: [number, number];
  /** Write each value in its cell (default when there are at most 150 cells). */
  showValues?: boolean;
  /** Cells kept (default 4096); larger matrices are averaged in blocks. */
  maxCells?: number;
  /** Size of one cell in pixels when the plot size is not given (default: fit 400 × 400, 12-40 px). */
  cellSize?: number;
  /** Title of the colour legend. */
  valueTitle?: string;
}

export function heatmapSpec(matrix: unknown, opts: HeatmapOptions = {}): SpecAndText {
  const m = toMatrix(matrix);
  const rows = m.length,
    cols = rows ? m[0].length : 0;
  const maxCells = opts.maxCells ?? 4096;
  const side = Math.sqrt(maxCells);
  const shrink = rows * cols > maxCells;
  const mr = shrink ? Math.max(1, Math.round((side * rows) / Math.max(rows, cols))) : rows;
  const mc = shrink ? Math.max(1, Math.floor(maxCells / mr)) : cols;
  const { values: b, rowStep, colStep } = blockMean(m, mr, mc);
  let lo = Infinity,
    hi = -Infinity;
  for (const r of b)
    for (const v of r)
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
  const signed = lo < 0 && hi > 0;
  const scheme = opts.scheme ?? (signed ? "blueorange" : "viridis");
  const labelsOf = (given: ArrayLike<string> | undefined, n: number, step: number) =>
    Array.from({ length: n }, (_, i) => (given && step === 1 ? String(given[i] ?? i) : step === 1 ? String(i) : `${i * step}`));
  const R = b.length,
    C = R ? b[0].length : 0;
  const rowL = labelsOf(opts.rowLabels, R, rowStep),
    colL = labelsOf(opts.colLabels, C, colStep);
  const values: Record<string, unknown>[] = [];
  const named = !!(opts.rowLabels || opts.colLabels) && !shrink;
  for (let r = 0; r < R; r++)
    for (let c = 0; c < C; c++)
      if (Number.isFinite(b[r][c]))
        values.push(
          named
            ? { row: r, col: c, value: b[r][c], rowLabel: rowL[r], colLabel: colL[c] }
            : { row: r * rowStep, col: c * colStep, value: b[r][c] },
        );
  const cell = opts.cellSize ?? Math.max(6, Math.min(40, Math.floor(400 / Math.max(R, C, 1))));
  const width = opts.width ?? Math.max(60, C * cell),
    height = opts.height ?? Math.max(60, R * cell);
  const colW = Math.max(0, ...colL.map((l) => textWidth(l, 11)));
  const showValues = opts.showValues ?? R * C <= 150;
  const domain = opts.domain ?? (signed ? [-Math.max(-lo, hi), Math.max(-lo, hi)] : undefined);
  // Positions are indices (repeated tokens stay apart); the axes show the labels by index.
  const axisLabels = (labels: string[]) => (named ? { labelExpr: `${JSON.stringify(labels)}[datum.value]` } : {});
  // Labels longer than a column are turned 45°. Turned labels are parallel and do not collide when
  // columns are a line's height apart, but vega's overlap test compares their bounding boxes and
  // would drop every other one ("backward" beside "forward"): keep them all then.
  const colStepPx = width / Math.max(C, 1);
  const turned = colW > colStepPx - 2;
  const x = {
    field: "col",
    type: "ordinal",
    title: opts.xTitle ?? null,
    axis: { ...axisLabels(colL), labelAngle: turned ? -45 : 0, ticks: false, domain: false, labelOverlap: !(turned && colStepPx >= 16) },
  };
  const y = {
    field: "row",
    type: "ordinal",
    title: opts.yTitle ?? null,
    axis: { ...axisLabels(rowL), ticks: false, domain: false, labelOverlap: true },
  };
  const layer: VegaLiteSpec[] = [
    {
      mark: { type: "rect" },
      encoding: {
        x,
        y,
        color: {
          field: "value",
          type: "quantitative",
          title: opts.valueTitle ?? "",
          scale: { scheme, ...(domain ? { domain } : {}), ...(signed && !opts.domain ? { domainMid: 0 } : {}) },
        },
        tooltip: [
          { field: named ? "rowLabel" : "row", title: tr("row", "행") },
          { field: named ? "colLabel" : "col", title: tr("column", "열") },
          { field: "value", format: ".4g" },
        ],
      },
    },
  ];
  if (showValues) {
    const mid = domain ? (domain[0] + domain[1]) / 2 : (lo + hi) / 2;
    layer.push({
      mark: { type: "text", fontSize: Math.max(8, Math.min(11, cell / 3.2)) },
      encoding: {
        x,
        y,
        text: { field: "value", type: "quantitative", format: Math.max(Math.abs(lo), Math.abs(hi)) >= 100 ? ".0f" : ".2f" },
        color: signed ? { value: "black" } : { condition: { test: `datum.value < ${mid}`, value: "white" }, value: "black" },
      },
    });
  }
  const spec = finishSpec(
    { data: { values }, layer, config: { axis: { grid: false, labelFontSize: 11 }, view: { stroke: null } } },
    { ...opts, width, height },
  );
  const text = tr(
    `heatmap${opts.title ? ` "${opts.title}"` : ""}: ${rows}×${cols}${shrink ? ` (shown as ${R}×${C} block means)` : ""}, values ${fmt(lo)} to ${fmt(hi)}`,
    `히트맵${opts.title ? ` "${opts.title}"` : ""}: ${rows}×${cols}${shrink ? ` (${R}×${C} 블록 평균으로 표시)` : ""}, 값 ${fmt(lo)} ~ ${fmt(hi)}`,
  );
  return { spec, text };
}

/**
 * A matrix as coloured cells: gate activations over time steps, attention weights or masks. Row
 * and column labels (tokens, Korean too) label the axes; repeated labels stay separate rows.
 */
export function heatmap(matrix: unknown, opts: HeatmapOptions = {}): ChartPromise {
  const { spec, text } = heatmapSpec(matrix, opts);
  return chartPromise("heatmap", spec, text);
}

// ---- embeddings ---------------------------------------------------------------------------

export interface EmbeddingPlotOptions extends ScatterOptions {
  /** Colour points by group (e.g. part of speech). */
  groups?: ArrayLike<string>;
  /** "pca" (default when vectors have more than 2 dimensions) or "none" (use the first two coordinates). */
  method?: "pca" | "none";
}

export function embeddingPlotSpec(vectors: unknown, labels?: ArrayLike<string>, opts: EmbeddingPlotOptions = {}): SpecAndText {
  const rows = toMatrix(vectors);
  const d = rows.length ? rows[0].length : 0;
  const usePca = (opts.method ?? (d > 2 ? "pca" : "none")) === "pca";
  let xs: number[],
    ys: number[],
    xTitle = "x",
    yTitle = "y",
    how = tr("first two coordinates", "처음 두 좌표");
  if (usePca) {
    const p = pca(rows, 2);
    xs = p.points.map((q) => q[0]);
    ys = p.points.map((q) => q[1]);
    const pc = (k: number) => {
      const share = (100 * p.explained[k]).toFixed(1);
      return `PC${k + 1} (${tr(`${share}% of the variance`, `분산 ${share}%`)})`;
    };
    xTitle = pc(0);
    yTitle = pc(1);
    const share = (100 * (p.explained[0] + p.explained[1])).toFixed(1);
    how = tr(`PCA from ${d} dimensions, ${share}% of the variance`, `${d}차원에서 PCA, 분산의 ${share}%`);
  } else {
    xs = rows.map((r) => r[0]);
    ys = rows.map((r) => r[1] ?? 0);
  }
  const { spec } = scatterSpec(
    { x: xs, y: ys, labels, groups: opts.groups },
    { xTitle, yTitle, ...opts, title: opts.title ?? `${tr("embedding", "임베딩")}${usePca ? " — PCA" : ""}` },
  );
  return { spec, text: tr(`embedding plot: ${rows.length} vectors, ${how}`, `임베딩 그림: 벡터 ${rows.length}개, ${how}`) };
}

/** Vectors (rows, or a 2-D tensor) projected to 2-D by PCA, drawn as labelled points. */
export function embeddingPlot(vectors: unknown, labels?: ArrayLike<string>, opts: EmbeddingPlotOptions = {}): ChartPromise {
  const { spec, text } = embeddingPlotSpec(vectors, labels, opts);
  return chartPromise("embeddingPlot", spec, text);
}
