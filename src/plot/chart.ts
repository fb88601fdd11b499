// A chart: a vega-lite spec (v5 $schema, inline data already bounded) with its PNG rendered in the
// kernel. Rendering is asynchronous (vega is ESM and async), so chart factories are async:
//
//   display(await lossChart(history))      // or end a cell with `await lossChart(history)`
//
// The chart object's display hook is synchronous and returns one bundle with
//   application/vnd.vegalite.v5+json  the spec (interactive in JupyterLab / VS Code),
//   image/png                         rendered at 2x, metadata {"image/png": {width, height}} at 1x,
//   text/plain                        a one-line description.
// A factory's promise also has a display hook (spec and text only), so a forgotten `await` still
// shows the chart where vega-lite renders.
import { writeFileSync } from "fs";
import { DISPLAY } from "../display/display";
import { tr } from "../lang";
import { FONT_FAMILY } from "./fonts";
import { loadVega } from "./load";
import { DisplayBundle, svgToPng } from "./render";

export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";
export const VEGALITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

export type VegaLiteSpec = Record<string, any>;

/** Options every chart takes. */
export interface ChartOptions {
  title?: string;
  /** Plot area size in pixels (default 400 × 250); axes, legend and title add to it. */
  width?: number;
  height?: number;
  xTitle?: string;
  yTitle?: string;
}

/** Fonts that draw Hangul as glyphs (resvg here, browsers with Noto Sans KR), a quiet look. */
export const CHART_CONFIG = {
  font: FONT_FAMILY,
  background: "white",
  view: { stroke: "#ddd" },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal", gridColor: "#eee" },
  legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: "normal", labelLimit: 240 },
  title: { fontSize: 14, fontWeight: "normal", anchor: "start", offset: 8 },
};

/** Complete a spec: v5 schema first, sizes, shared config (the caller's config merged over it). */
export function finishSpec(spec: VegaLiteSpec, opts: ChartOptions = {}): VegaLiteSpec {
  const out: VegaLiteSpec = { $schema: VEGALITE_SCHEMA };
  if (opts.title) out.title = opts.title;
  const layered = "layer" in spec || "mark" in spec;
  if (layered) {
    out.width = opts.width ?? 400;
    out.height = opts.height ?? 250;
  }
  Object.assign(out, spec);
  out.$schema = VEGALITE_SCHEMA;
  // the caller's config over the shared one, one level deep (axis, legend, title, view blocks merge)
  const config: Record<string, any> = { ...CHART_CONFIG };
  for (const [k, v] of Object.entries(spec.config ?? {})) {
    const base = (CHART_CONFIG as Record<string, any>)[k];
    config[k] = v && typeof v === "object" && !Array.isArray(v) && base && typeof base === "object" ? { ...base, ...v } : v;
  }
  out.config = config;
  return out;
}

/** vega-lite spec → SVG, in Node (no canvas: text measured from the font files). */
export async function specToSvg(spec: VegaLiteSpec): Promise<string> {
  const { vega, vl } = await loadVega();
  const compiled = vl.compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export class Chart {
  constructor(
    /** What made it: "lossChart", "heatmap", ... */
    readonly kind: string,
    readonly spec: VegaLiteSpec,
    readonly png: Buffer,
    /** 1x size of the PNG (the PNG has twice as many pixels each way). */
    readonly width: number,
    readonly height: number,
    readonly text: string,
  ) {}

  bundle(): DisplayBundle {
    return {
      data: { [VEGALITE_MIME]: this.spec, "image/png": this.png.toString("base64"), "text/plain": this.text },
      metadata: { "image/png": { width: this.width, height: this.height } },
    };
  }

  [DISPLAY](): DisplayBundle {
    return this.bundle();
  }

  /** Write the PNG (`.png`) or the vega-lite spec (`.json`, `.vl.json`). */
  save(file: string): void {
    if (/\.json$/i.test(file)) writeFileSync(file, JSON.stringify(this.spec, null, 1));
    else writeFileSync(file, this.png);
  }

  toString(): string {
    return this.text;
  }
}

/** Render a finished spec to a Chart (PNG at 2x). */
export async function renderChart(kind: string, spec: VegaLiteSpec, text: string): Promise<Chart> {
  const svg = await specToSvg(spec);
  const r = svgToPng(svg, { scale: 2 });
  return new Chart(kind, spec, r.png, r.width, r.height, text);
}

/** The bundle of a chart that has not been rendered: spec and text, no picture. */
export function specBundle(spec: VegaLiteSpec, text: string): DisplayBundle {
  return { data: { [VEGALITE_MIME]: spec, "text/plain": text }, metadata: {} };
}

/** What chart factories return: a promise of the Chart that can itself be displayed (spec only). */
export type ChartPromise = Promise<Chart> & { readonly spec: VegaLiteSpec; [DISPLAY](): DisplayBundle };

export function chartPromise(kind: string, spec: VegaLiteSpec, text: string): ChartPromise {
  const p = renderChart(kind, spec, text) as ChartPromise;
  Object.defineProperty(p, "spec", { value: spec });
  Object.defineProperty(p, DISPLAY, {
    value: () =>
      specBundle(
        spec,
        `${text} ${tr("(not yet rendered: `await` the chart for its picture)", "(아직 그리지 않음: 그림을 보려면 차트를 `await` 하세요)")}`,
      ),
  });
  return p;
}
