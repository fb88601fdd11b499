// Plotly figures, for what vega-lite does poorly (3-D views, rotating and zooming point clouds).
//
// Bundle: application/vnd.plotly.v1+json ({data, layout, config}), text/html and text/plain.
// The HTML works wherever output scripts run (JupyterLab, classic Notebook, nbconvert's HTML):
//
//   <div class="seqlab-plotly" id="seqlab-plotly-…">
//     <div class="seqlab-plotly-fallback">…: trust the notebook to draw it …</div>
//   </div>
//   <script data-seqlab-plotly="library">  — only in the first figure this kernel process shows:
//     if (!window.Plotly) { (function (define, module, exports) { …plotly.min.js… }).call(window); }
//   </script>
//   <script data-seqlab-plotly="plot">  — in every figure: waits until window.Plotly exists, then
//     Plotly.newPlot(div, data, layout, config)
//   </script>
//
// Where output scripts do not run (a notebook JupyterLab or the Notebook does not trust, as every
// notebook written by `seqlab run` or received from someone else is until trusted), their
// sanitizers remove the scripts and keep plain elements and text: the fallback line says why the
// figure is missing instead of an empty box. The plot script removes it and only then gives the
// figure its size.
//
// The library is wrapped in a function whose parameters `define`, `module` and `exports` are
// undefined, so its UMD header sets window.Plotly even under require.js (nbconvert's template
// loads it). Plotly is inlined once per process; later figures wait for it (up to 30 s) and
// otherwise say where it is missing.
import { randomUUID } from "crypto";
import { readFileSync } from "fs";
import * as path from "path";
import { tr } from "../lang";
import { DISPLAY } from "../display/display";
import { fmt, toMatrix } from "./data";
import { FONT_FAMILY } from "./fonts";
import { pca } from "./pca";
import { DisplayBundle, esc } from "./render";

export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

export interface PlotlyFigureSpec {
  data: Record<string, any>[];
  layout?: Record<string, any>;
  config?: Record<string, any>;
}

let librarySource: string | undefined;
let librarySent = false;

/** plotly.js (the minified dist bundle the package depends on), read once. */
export function plotlyLibrary(): string {
  if (librarySource === undefined) {
    const main = require.resolve("plotly.js-dist-min");
    librarySource = readFileSync(path.join(path.dirname(main), "plotly.min.js"), "utf8");
  }
  return librarySource;
}

/** Make the next figure carry plotly.js again (e.g. after its first carrier's output was cleared). */
export function resetPlotlyLibrary(): void {
  librarySent = false;
}

/** JSON safe inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export interface PlotlyOptions {
  /** Inline plotly.js in this figure's HTML: "auto" (default) = only the first figure of this process. */
  includeLibrary?: boolean | "auto";
  /** Text for text/plain. */
  text?: string;
}

export class PlotlyFigure {
  readonly id = `seqlab-plotly-${randomUUID()}`;
  readonly html: string;
  readonly carriesLibrary: boolean;

  constructor(
    readonly figure: PlotlyFigureSpec,
    readonly text: string,
    opts: PlotlyOptions = {},
  ) {
    const inc = opts.includeLibrary ?? "auto";
    this.carriesLibrary = inc === "auto" ? !librarySent : inc;
    if (this.carriesLibrary) librarySent = true;
    this.html = this.buildHtml();
  }

  private buildHtml(): string {
    const layout = this.figure.layout ?? {};
    const w = typeof layout.width === "number" ? `${layout.width}px` : "100%";
    const h = typeof layout.height === "number" ? `${layout.height}px` : "450px";
    const title = typeof layout.title === "string" ? layout.title : typeof layout.title?.text === "string" ? layout.title.text : "";
    const fallback =
      `<div class="seqlab-plotly-fallback" style="padding:6px 10px;border:1px dashed #bbb;border-radius:4px;color:#555;font-size:13px">` +
      `Plotly figure${title ? ` “${esc(title)}”` : ""}: trust this notebook to draw it (JupyterLab: File › Trust Notebook).</div>`;
    const parts = [`<div class="seqlab-plotly" id="${this.id}">${fallback}</div>`];
    if (this.carriesLibrary) {
      // String concatenation keeps "</script>" inside the library (if any) from ending the element.
      const lib = plotlyLibrary().replace(/<\/script/gi, "<\\/script");
      parts.push(
        `<script type="text/javascript" data-seqlab-plotly="library">if (!window.Plotly) { (function (define, module, exports) {\n${lib}\n}).call(window); }</script>`,
      );
    }
    parts.push(
      `<script type="text/javascript" data-seqlab-plotly="plot">(function () {` +
        `var id = ${JSON.stringify(this.id)}, fig = ${scriptJson({ data: this.figure.data, layout, config: { responsive: true, ...(this.figure.config ?? {}) } })}, t0 = Date.now();` +
        // The same saved output shown twice on a page (two views of a notebook) repeats the id:
        // look in this script's own output first (JupyterLab runs it in place), then the page.
        ` var scope = document.currentScript && document.currentScript.parentNode;` +
        ` function find() { var el = scope && scope.querySelector ? scope.querySelector('[id="' + id + '"]') : null; return el || document.getElementById(id); }` +
        ` function draw() { var el = find(); if (!el) return;` +
        ` var fb = el.querySelector(".seqlab-plotly-fallback"); if (fb) el.removeChild(fb);` +
        ` el.style.width = ${JSON.stringify(w)}; el.style.height = ${JSON.stringify(h)};` +
        ` if (window.Plotly) { window.Plotly.newPlot(el, fig.data, fig.layout, fig.config); return; }` +
        ` if (Date.now() - t0 < 30000) { setTimeout(draw, 50); return; }` +
        ` el.textContent = "plotly.js is not loaded on this page: re-run the first cell that shows a plotly figure, or call resetPlotlyLibrary()."; }` +
        ` draw(); })();</script>`,
    );
    return parts.join("\n");
  }

  bundle(): DisplayBundle {
    return {
      data: {
        [PLOTLY_MIME]: {
          data: this.figure.data,
          layout: this.figure.layout ?? {},
          ...(this.figure.config ? { config: this.figure.config } : {}),
        },
        "text/html": this.html,
        "text/plain": this.text,
      },
      metadata: {},
    };
  }

  [DISPLAY](): DisplayBundle {
    return this.bundle();
  }

  toString(): string {
    return this.text;
  }
}

/** Any plotly figure `{data, layout?, config?}`, shown with plotly.js. */
export function plotly(figure: PlotlyFigureSpec, opts: PlotlyOptions = {}): PlotlyFigure {
  if (!figure || !Array.isArray(figure.data)) throw new TypeError("plotly: expected a figure {data: [...traces], layout?, config?}");
  const layout: Record<string, any> = { font: { family: FONT_FAMILY }, ...(figure.layout ?? {}) };
  const traces = figure.data.map((t) => t.type ?? "scatter");
  const title = typeof layout.title === "string" ? layout.title : layout.title?.text;
  const kinds = [...new Set(traces)].join(", ");
  const text =
    opts.text ??
    tr(
      `plotly figure${title ? ` "${title}"` : ""}: ${figure.data.length} trace(s) (${kinds})`,
      `plotly 그림${title ? ` "${title}"` : ""}: 트레이스 ${figure.data.length}개 (${kinds})`,
    );
  return new PlotlyFigure({ ...figure, layout }, text, opts);
}

export interface Embedding3dOptions extends PlotlyOptions {
  title?: string;
  groups?: ArrayLike<string>;
  /** "pca" (default when vectors have more than 3 dimensions) or "none" (first three coordinates). */
  method?: "pca" | "none";
  /** Points drawn with their label as text (default 150; the rest show it on hover). */
  maxLabels?: number;
  width?: number;
  height?: number;
}

/** Vectors projected to 3-D (PCA) as a rotatable plotly scatter3d with labels. */
export function embedding3d(vectors: unknown, labels?: ArrayLike<string>, opts: Embedding3dOptions = {}): PlotlyFigure {
  const rows = toMatrix(vectors);
  const d = rows.length ? rows[0].length : 0;
  const usePca = (opts.method ?? (d > 3 ? "pca" : "none")) === "pca";
  let pts: number[][],
    axes = ["x", "y", "z"],
    how = tr("first three coordinates", "처음 세 좌표");
  if (usePca) {
    const p = pca(rows, 3);
    pts = p.points;
    axes = p.explained.map((e, i) => `PC${i + 1} (${(100 * e).toFixed(1)}%)`);
    const share = (100 * p.explained.reduce((a, b) => a + b, 0)).toFixed(1);
    how = tr(`PCA from ${d} dimensions, ${share}% of the variance`, `${d}차원에서 PCA, 분산의 ${share}%`);
  } else pts = rows.map((r) => [r[0] ?? 0, r[1] ?? 0, r[2] ?? 0]);
  const groups = opts.groups ? Array.from(opts.groups, String) : pts.map(() => "");
  const names = [...new Set(groups)];
  const maxLabels = opts.maxLabels ?? 150;
  const round = (v: number) => Number(v.toPrecision(5));
  const data = names.map((g) => {
    const idx = groups.map((x, i) => (x === g ? i : -1)).filter((i) => i >= 0);
    const lab = labels ? idx.map((i) => String(labels[i] ?? "")) : undefined;
    return {
      type: "scatter3d",
      mode: labels && pts.length <= maxLabels ? "markers+text" : "markers",
      name: g || tr("points", "점"),
      x: idx.map((i) => round(pts[i][0])),
      y: idx.map((i) => round(pts[i][1])),
      z: idx.map((i) => round(pts[i][2])),
      ...(lab ? { text: lab, hovertext: lab, hoverinfo: "text" } : {}),
      marker: { size: 4 },
    };
  });
  const layout = {
    title: { text: opts.title ?? tr("3-D embedding", "3차원 임베딩") },
    width: opts.width ?? 640,
    height: opts.height ?? 520,
    margin: { l: 0, r: 0, t: 40, b: 0 },
    showlegend: names.length > 1,
    scene: { xaxis: { title: { text: axes[0] } }, yaxis: { title: { text: axes[1] } }, zaxis: { title: { text: axes[2] } } },
  };
  return plotly(
    { data, layout },
    {
      ...opts,
      text: `${tr(`3-D embedding: ${rows.length} vectors, ${how}; first`, `3차원 임베딩: 벡터 ${rows.length}개, ${how}; 처음`)}: ${
        labels
          ? Array.from(labels).slice(0, 5).join(", ")
          : pts
              .slice(0, 2)
              .map((p) => p.map((v) => fmt(v)).join(","))
              .join("; ")
      }`,
    },
  );
}
