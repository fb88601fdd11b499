// A code cell's outputs to HTML. Text from outputs (streams, text/plain, errors, JSON) is always
// escaped; ANSI colours become spans (ansi_up). A display bundle shows its richest mimetype we
// support; charts keep a static fallback (PNG, SVG or text) for when their script cannot draw.
// HTML outputs are sanitized unless the page is trusted (sanitize.ts); image data must be base64.
import { Page, escapeHtml, imageDataUrl, joinText, scriptJson } from "./common";
import { renderLatex, renderMarkdown } from "./markdown";
import { sanitizeNotebookHtml } from "./sanitize";
import { renderWidgetView } from "./widgets";

/** ANSI-coloured text to escaped HTML. ansi_up is ESM-only: Node's require(esm) loads it (Node >= 20.19). */
export function ansiToHtml(text: string): string {
  const { AnsiUp } = require("ansi_up") as typeof import("ansi_up");
  const converter = new AnsiUp();
  converter.escape_html = true;
  return converter.ansi_to_html(text);
}

/** What a terminal would show: a carriage return rewinds to the start of its line. */
function carriageReturns(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      const parts = line.split("\r");
      while (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
      return parts[parts.length - 1];
    })
    .join("\n");
}

type Bundle = Record<string, unknown>;
type Renderer = (value: unknown, bundle: Bundle, metadata: Record<string, any>, page: Page) => string;

const text = (v: unknown) => joinText(v);
const pre = (cls: string, html: string) => `<pre class="${cls}">${html}</pre>`;

function image(mime: string): Renderer {
  return (value, _b, metadata) => {
    const raw = text(value);
    // SVG is text in a notebook; as a data: URL in an <img> its scripts never run and it loads nothing.
    const url = imageDataUrl(mime, mime === "image/svg+xml" ? Buffer.from(raw).toString("base64") : raw);
    if (url instanceof Error) return pre("error image-error", escapeHtml(`[${mime} output not shown: ${url.message}]`));
    const m = metadata?.[mime] ?? {};
    const size = ["width", "height"]
      .filter((k) => Number(m[k]) > 0)
      .map((k) => ` ${k}="${Number(m[k])}"`)
      .join("");
    const cls = m.unconfined ? ` class="unconfined"` : "";
    return `<img src="${url}"${size}${cls} alt="">`;
  };
}

/** The best static form of a bundle, for a chart's fallback. */
function staticFallback(bundle: Bundle, metadata: Record<string, any>, page: Page): string {
  for (const mime of ["image/svg+xml", "image/png", "image/jpeg"])
    if (mime in bundle) return image(mime)(bundle[mime], bundle, metadata, page);
  return "text/plain" in bundle ? pre("text", ansiToHtml(text(bundle["text/plain"]))) : "";
}

function chart(kind: "vega-lite" | "vega" | "plotly"): Renderer {
  return (value, bundle, metadata, page) => {
    let spec = value;
    try {
      if (typeof value === "string") spec = JSON.parse(value);
    } catch {
      return staticFallback(bundle, metadata, page); // not a spec: show what else the bundle has
    }
    page.needs.add(kind === "plotly" ? "plotly" : "vega");
    return (
      `<div class="chart" data-chart="${kind}"><script type="application/json" class="chart-spec">${scriptJson(spec)}</script>` +
      `<div class="chart-target"></div><div class="chart-fallback">${staticFallback(bundle, metadata, page)}</div></div>`
    );
  };
}

/** Mimetypes we render, richest first. */
const renderers: [RegExp, Renderer][] = [
  // A lambda, not the function itself: widgets.ts imports this module back.
  [/^application\/vnd\.jupyter\.widget-view\+json$/, (v, b, m, page) => renderWidgetView(v, b, m, page)],
  [/^application\/vnd\.vegalite\.v[3-6]\+json$/, chart("vega-lite")],
  [/^application\/vnd\.vega\.v[4-6]\+json$/, chart("vega")],
  [/^application\/vnd\.plotly\.v1\+json$/, chart("plotly")],
  // the notebook author's HTML: as JupyterLab shows an untrusted notebook's, or as written when trusted
  [/^text\/html$/, (v, _b, _m, page) => sanitizeNotebookHtml(text(v), page.trusted)],
  [/^text\/markdown$/, (v, _b, _m, page) => renderMarkdown(text(v), page)],
  [/^text\/latex$/, (v, _b, _m, page) => renderLatex(text(v), page)],
  [/^image\/svg\+xml$/, image("image/svg+xml")],
  [/^image\/png$/, image("image/png")],
  [/^image\/jpeg$/, image("image/jpeg")],
  [/^image\/gif$/, image("image/gif")],
  [/^application\/(.+\+)?json$/, (v) => pre("json", escapeHtml(typeof v === "string" ? v : JSON.stringify(v, null, 2)))],
  [/^text\/plain$/, (v) => pre("text", ansiToHtml(text(v)))],
];

/** The mimetype a bundle is shown as, or undefined when we support none of its types. */
export function chooseMimetype(bundle: Bundle): string | undefined {
  const mimes = Object.keys(bundle);
  for (const [pattern] of renderers) {
    const found = mimes.find((m) => pattern.test(m));
    if (found) return found;
  }
  return undefined;
}

export function renderBundle(bundle: Bundle, metadata: Record<string, any>, page: Page): string {
  const mime = chooseMimetype(bundle);
  if (!mime) return pre("text unsupported", escapeHtml(`[no supported mimetype among ${Object.keys(bundle).join(", ") || "none"}]`));
  const render = renderers.find(([pattern]) => pattern.test(mime))![1];
  const cls = mime.replace(/[^a-z0-9]+/gi, "-");
  return `<div class="rendered mime-${cls}">${render(bundle[mime], bundle, metadata ?? {}, page)}</div>`;
}

/** One output, with its Out[n] prompt when it is a cell's result. */
export function renderOutput(output: any, page: Page): string {
  let prompt = "";
  let body: string;
  switch (output.output_type) {
    case "stream":
      body = pre(`stream ${output.name === "stderr" ? "stderr" : "stdout"}`, ansiToHtml(carriageReturns(text(output.text))));
      break;
    case "error": {
      const tb =
        Array.isArray(output.traceback) && output.traceback.length ? output.traceback.join("\n") : `${output.ename}: ${output.evalue}`;
      body = pre("error", ansiToHtml(tb));
      break;
    }
    case "execute_result":
      prompt = output.execution_count != null ? `Out[${Number(output.execution_count)}]:` : "Out:";
      body = renderBundle(output.data ?? {}, output.metadata, page);
      break;
    case "display_data":
      body = renderBundle(output.data ?? {}, output.metadata, page);
      break;
    default:
      return "";
  }
  return `<div class="output output-${escapeHtml(String(output.output_type))}"><div class="prompt">${prompt}</div><div class="output-body">${body}</div></div>\n`;
}
