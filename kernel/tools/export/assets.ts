// Everything a page inlines, read from node_modules once per process: the browser builds of
// vega, vega-lite, vega-embed and plotly.js, KaTeX's CSS with its woff2 fonts as data: URLs,
// the highlight.js theme, and the small script that draws charts. Every script a page carries is
// inline and listed by its sha256 in the page's Content-Security-Policy: nothing else runs.
import { packageDir } from "../../../src/plot/fonts";
import { createHash } from "crypto";
import { readFileSync } from "fs";
import * as path from "path";
import { Library } from "./common";
import { koreanFirstInCss } from "./fonts";

/** A package's folder; found by walking node_modules, since "exports" hides package.json. */
export { packageDir };

const cache = new Map<string, string>();
function cached(key: string, load: () => string): string {
  let v = cache.get(key);
  if (v === undefined) cache.set(key, (v = load()));
  return v;
}

/** An inline script body as the browser will hash it: the HTML parser turns CR and CRLF into LF
 * before the CSP hash is taken, so the text hashed here must already have done so. */
const scriptBody = (js: string) => js.replace(/\r\n?/g, "\n");

/** A browser bundle as an inline script body: no source-map comment (DevTools would fetch it). */
function bundle(pkg: string, file: string): string {
  return cached(`${pkg}/${file}`, () =>
    scriptBody(
      readFileSync(path.join(packageDir(pkg), file), "utf8")
        .replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n")
        .replace(/<\/script/gi, "<\\/script"),
    ),
  );
}

const hashes = new Map<string, string>();
/** The CSP source that admits exactly this inline script ('sha256-...'). */
export function scriptHash(body: string): string {
  let h = hashes.get(body);
  if (h === undefined) hashes.set(body, (h = `'sha256-${createHash("sha256").update(body, "utf8").digest("base64")}'`));
  return h;
}

/** One inline script of a page: its element and the CSP source that lets it run. */
export interface InlineScript {
  html: string;
  hash: string;
}

function inline(body: string, attrs = ""): InlineScript {
  if (/<\/script/i.test(body)) throw new Error("an inline script may not contain </script");
  return { html: `<script${attrs}>${body}</script>\n`, hash: scriptHash(body) };
}

/** The UMD browser builds, in load order; each defines a global (vega, vegaLite, vegaEmbed, Plotly). */
const scripts: Record<Exclude<Library, "katex">, [string, string][]> = {
  vega: [
    ["vega", "build/vega.min.js"],
    ["vega-lite", "build/vega-lite.min.js"],
    ["vega-embed", "build/vega-embed.min.js"],
  ],
  plotly: [["plotly.js-dist-min", "plotly.min.js"]],
};

/** <script> elements for a chart library, marked data-lib so a page can be checked. */
export function libraryScripts(lib: Exclude<Library, "katex">): InlineScript[] {
  return scripts[lib].map(([pkg, file]) => inline(bundle(pkg, file), ` data-lib="${lib}" data-package="${pkg}"`));
}

/** The script that draws the page's charts. */
export const chartScript = (): InlineScript => inline(scriptBody(CHART_SCRIPT));

/** KaTeX's stylesheet with only its woff2 fonts, inlined as data: URLs, so math renders offline,
 * and the embedded Korean font first in its font lists (Korean in \text{...}). */
export function katexCss(): string {
  return cached("katex.css", () => {
    const dist = path.join(packageDir("katex"), "dist");
    const css = readFileSync(path.join(dist, "katex.min.css"), "utf8").replace(
      /src:url\((fonts\/[^)]+\.woff2)\) format\("woff2"\)[^;}]*/g,
      (_, font: string) => `src:url(data:font/woff2;base64,${readFileSync(path.join(dist, font)).toString("base64")}) format("woff2")`,
    );
    if (/url\((?!data:)/.test(css)) throw new Error("katex.min.css refers to a file that was not inlined");
    return koreanFirstInCss(css);
  });
}

export function highlightCss(): string {
  return cached("hljs.css", () =>
    readFileSync(path.join(packageDir("highlight.js"), "styles", "github.min.css"), "utf8").replace(/\/\*[\s\S]*?\*\//g, ""),
  );
}

/** Runs in the page after the libraries: draws every chart, keeping its static fallback when
 * the library is missing or drawing fails. data-state says which happened.
 * - Under the page's CSP nothing may compile code from strings: vega evaluates its expressions
 *   with vega-embed's bundled interpreter (ast: true) instead of generating functions.
 * - A spec is data from the notebook: it loads nothing (vega's loader refuses every URL, plotly's
 *   config is limited to options that show or hide controls) and cannot change these options
 *   (vega-embed would take usermeta.embedOptions from the spec).
 * - Text in a chart asks for the embedded Korean font first, and drawing waits until that font
 *   is loaded, so labels are measured with the glyphs they are drawn with. */
export const CHART_SCRIPT = `(function () {
  var KOREAN = '"seqlab-ko"';
  var PLOTLY_FONT = '"Open Sans", verdana, arial, sans-serif';
  var PLOTLY_CONFIG = ["displayModeBar", "scrollZoom", "staticPlot", "doubleClick", "showTips", "showAxisDragHandles",
    "showAxisRangeEntryBoxes", "modeBarButtonsToRemove", "toImageButtonOptions", "responsive", "editable", "locale"];
  function koreanFirst(family) {
    return typeof family === "string" && family.indexOf("seqlab-ko") < 0 ? KOREAN + ", " + family : family;
  }
  // Every "...font" object of a plotly figure (layout.font, title.font, tickfont, textfont, ...).
  function plotlyFonts(o, depth) {
    if (!o || typeof o !== "object" || depth > 8) return;
    Object.keys(o).forEach(function (k) {
      var v = o[k];
      if (/font$/i.test(k) && v && typeof v === "object" && !Array.isArray(v) && v.family) {
        v.family = Array.isArray(v.family) ? v.family.map(koreanFirst) : koreanFirst(v.family);
      }
      if (v && typeof v === "object") plotlyFonts(v, depth + 1);
    });
  }
  function fail(el, err) {
    el.querySelector(".chart-target").textContent = "";
    el.dataset.state = "failed";
    console.warn("seqlab: a chart could not be drawn; showing its static fallback.", err);
  }
  function noLoads() {
    var loader = vega.loader();
    loader.sanitize = function (uri) {
      return Promise.reject(new Error("a seqlab report loads nothing (" + String(uri).slice(0, 80) + ")"));
    };
    return loader;
  }
  function draw(el) {
    var target = el.querySelector(".chart-target");
    var drawn;
    try {
      var spec = JSON.parse(el.querySelector("script.chart-spec").textContent);
      if (el.dataset.chart === "plotly") {
        var layout = spec.layout && typeof spec.layout === "object" ? spec.layout : {};
        layout.font = layout.font && typeof layout.font === "object" ? layout.font : {};
        layout.font.family = layout.font.family || PLOTLY_FONT;
        plotlyFonts({ layout: layout, data: spec.data }, 0);
        // pictures in a figure only from data: URLs (others would be fetched)
        if (Array.isArray(layout.images)) layout.images = layout.images.filter(function (im) { return im && /^data:/i.test(String(im.source)); });
        var config = { displaylogo: false, responsive: true, showLink: false, sendData: false, showEditInChartStudio: false, showSendToCloud: false };
        var given = spec.config && typeof spec.config === "object" ? spec.config : {};
        PLOTLY_CONFIG.forEach(function (k) { if (k in given) config[k] = given[k]; });
        drawn = Plotly.newPlot(target, Array.isArray(spec.data) ? spec.data : [], layout, config);
      } else {
        if (spec.usermeta && typeof spec.usermeta === "object") delete spec.usermeta.embedOptions;
        if (spec.config && typeof spec.config === "object" && typeof spec.config.font === "string") spec.config.font = koreanFirst(spec.config.font);
        // logLevel: not the warning that a v5 spec meets vega-lite v6 (it draws them)
        drawn = vegaEmbed(target, spec, { mode: el.dataset.chart, actions: false, renderer: "svg", logLevel: vega.Error, ast: true, loader: noLoads() });
      }
    } catch (err) {
      return fail(el, err);
    }
    Promise.resolve(drawn).then(function () { el.dataset.state = "drawn"; }, function (err) { fail(el, err); });
  }
  function drawAll() {
    document.querySelectorAll(".chart[data-chart]").forEach(draw);
  }
  var fonts = document.fonts && document.fonts.load ? document.fonts.load("16px " + KOREAN, "\\uD55C") : Promise.resolve();
  fonts.then(drawAll, drawAll);
})();`;
