// Everything a page inlines, read from node_modules once per process: the browser builds of
// vega, vega-lite, vega-embed and plotly.js, KaTeX's CSS with its woff2 fonts as data: URLs,
// the highlight.js theme, and the small script that draws charts.
import { packageDir } from "../../src/plot/fonts";
import { existsSync, readFileSync } from "fs";
import * as path from "path";
import { Library } from "./common";

/** A package's folder; found by walking node_modules, since "exports" hides package.json. */
export { packageDir };

const cache = new Map<string, string>();
function cached(key: string, load: () => string): string {
  let v = cache.get(key);
  if (v === undefined) cache.set(key, (v = load()));
  return v;
}

/** A browser bundle as an inline script body: no source-map comment (DevTools would fetch it). */
function bundle(pkg: string, file: string): string {
  return cached(`${pkg}/${file}`, () =>
    readFileSync(path.join(packageDir(pkg), file), "utf8")
      .replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n")
      .replace(/<\/script/gi, "<\\/script"),
  );
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
export function libraryScripts(lib: Exclude<Library, "katex">): string {
  return scripts[lib].map(([pkg, file]) => `<script data-lib="${lib}" data-package="${pkg}">${bundle(pkg, file)}</script>\n`).join("");
}

/** KaTeX's stylesheet with only its woff2 fonts, inlined as data: URLs, so math renders offline. */
export function katexCss(): string {
  return cached("katex.css", () => {
    const dist = path.join(packageDir("katex"), "dist");
    const css = readFileSync(path.join(dist, "katex.min.css"), "utf8").replace(
      /src:url\((fonts\/[^)]+\.woff2)\) format\("woff2"\)[^;}]*/g,
      (_, font: string) => `src:url(data:font/woff2;base64,${readFileSync(path.join(dist, font)).toString("base64")}) format("woff2")`,
    );
    if (/url\((?!data:)/.test(css)) throw new Error("katex.min.css refers to a file that was not inlined");
    return css;
  });
}

export function highlightCss(): string {
  return cached("hljs.css", () => readFileSync(path.join(packageDir("highlight.js"), "styles", "github.min.css"), "utf8").replace(/\/\*[\s\S]*?\*\//g, ""));
}

/** Runs in the page after the libraries: draws every chart, keeping its static fallback when
 * the library is missing or drawing fails. data-state says which happened. */
export const CHART_SCRIPT = `(function () {
  function fail(el, err) {
    el.querySelector(".chart-target").textContent = "";
    el.dataset.state = "failed";
    console.warn("seqlab: a chart could not be drawn; showing its static fallback.", err);
  }
  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var target = el.querySelector(".chart-target");
    var drawn;
    try {
      var spec = JSON.parse(el.querySelector("script.chart-spec").textContent);
      if (el.dataset.chart === "plotly") {
        drawn = Plotly.newPlot(target, spec.data || [], spec.layout || {},
          Object.assign({ displaylogo: false, responsive: true }, spec.config));
      } else {
        // logLevel: not the warning that a v5 spec meets vega-lite v6 (it draws them)
        drawn = vegaEmbed(target, spec, { mode: el.dataset.chart, actions: false, renderer: "svg", logLevel: vega.Error });
      }
    } catch (err) {
      return fail(el, err);
    }
    Promise.resolve(drawn).then(function () { el.dataset.state = "drawn"; }, function (err) { fail(el, err); });
  });
})();`;
