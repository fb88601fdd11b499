// HTML export, outputs: text from outputs is always escaped, ANSI colours become spans, a bundle
// shows its richest supported mimetype, charts carry their spec and a static fallback.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Page } from "../../kernel/tools/export/common";
import { chooseMimetype, renderBundle, renderOutput } from "../../kernel/tools/export/outputs";
import { PLOTLY_FIGURE, PNG, VEGALITE_SPEC, plotlyOutput, vegaLiteOutput } from "../browser/fixtures";

const stream = (text: string, name = "stdout") => ({ output_type: "stream", name, text });
/** What is left after removing the tags the exporter itself writes around output text. */
const withoutOwnTags = (html: string) => html.replace(/<\/?(div|pre|span)(\s+(class|style)="[^"<>]*")*>/g, "");

test("a <script> in a stream or a text/plain result stays text", () => {
  for (const out of [
    stream(["<script>alert(1)</script>\n"] as any),
    stream("<script>alert(2)</script>", "stderr"),
    { output_type: "execute_result", execution_count: 4, data: { "text/plain": ["'<script>alert(3)</script>'"] }, metadata: {} },
    { output_type: "display_data", data: { "application/json": { x: "</script><script>alert(4)</script>" } }, metadata: {} },
    { output_type: "error", ename: "Error", evalue: "<img src=x onerror=alert(5)>", traceback: [] },
  ]) {
    const html = renderOutput(out, new Page());
    assert.doesNotMatch(html, /<script|<img/i, html);
    assert.match(html, /&lt;(script|img)/);
  }
});

test("any stream text comes out escaped (property)", () => {
  const piece = fc.constantFrom(
    "<",
    ">",
    "&",
    '"',
    "'",
    "script",
    "</pre>",
    "\x1b[31m",
    "\x1b[1;4m",
    "\x1b[0m",
    "\r",
    "\n",
    "a",
    "한",
    " ",
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
      const html = renderOutput(stream(parts.join("")), new Page());
      assert.doesNotMatch(withoutOwnTags(html), /[<>]/);
    }),
    { numRuns: 300 },
  );
});

test("ANSI colours in errors and streams become styled spans, escape codes disappear", () => {
  const error = renderOutput(
    {
      output_type: "error",
      ename: "TypeError",
      evalue: "bad",
      traceback: ["\x1b[31mTypeError\x1b[0m: bad <b>shape</b>", "\x1b[1;32m----> 3\x1b[0m | f(x)"],
    },
    new Page(),
  );
  assert.match(
    error,
    /<pre class="error"><span style="color:rgb\(187,0,0\)">TypeError<\/span>: bad &lt;b&gt;shape&lt;\/b&gt;\n<span style="font-weight:bold;color:rgb\(0,187,0\)">----&gt; 3<\/span>/,
  );
  assert.doesNotMatch(error, /\x1b/);
  const warn = renderOutput(stream("\x1b[33mwarning\x1b[0m: slow\n", "stderr"), new Page());
  assert.match(warn, /<pre class="stream stderr"><span style="color:rgb\(187,187,0\)">warning<\/span>: slow/);
});

test("a carriage return rewrites its line, as in a terminal", () => {
  const html = renderOutput(stream("epoch 1\n10%\r50%\r100%\ndone\n"), new Page());
  assert.match(html, /epoch 1\n100%\ndone/);
  assert.doesNotMatch(html, /10%|50%/);
});

test("the richest supported mimetype is chosen", () => {
  const cases: [string[], string | undefined][] = [
    [["text/plain", "image/png", "application/vnd.vegalite.v5+json"], "application/vnd.vegalite.v5+json"],
    [["text/plain", "application/vnd.plotly.v1+json", "image/png"], "application/vnd.plotly.v1+json"],
    [["text/plain", "text/html", "image/png"], "text/html"],
    [["text/plain", "text/markdown"], "text/markdown"],
    [["text/plain", "text/latex"], "text/latex"],
    [["text/plain", "image/png", "image/svg+xml"], "image/svg+xml"],
    [["text/plain", "image/jpeg"], "image/jpeg"],
    [["text/plain", "application/json"], "application/json"],
    [["text/plain"], "text/plain"],
    [["application/x-unknown"], undefined],
  ];
  for (const [mimes, want] of cases) assert.equal(chooseMimetype(Object.fromEntries(mimes.map((m) => [m, ""]))), want, mimes.join(" "));
});

test("a vega-lite output carries its spec safely and the PNG (at its metadata size) as fallback", () => {
  const page = new Page();
  const spec = { ...VEGALITE_SPEC, description: "</script><script>alert(1)</script>" };
  const out = vegaLiteOutput();
  out.data["application/vnd.vegalite.v5+json"] = spec;
  const html = renderOutput(out, page);
  assert.ok(page.needs.has("vega") && !page.needs.has("plotly"));
  assert.doesNotMatch(html, /<\/script><script>alert/);
  const json = /<script type="application\/json" class="chart-spec">([\s\S]*?)<\/script>/.exec(html)![1];
  assert.deepEqual(JSON.parse(json), spec);
  assert.match(html, /<div class="chart" data-chart="vega-lite">/);
  assert.match(
    html,
    new RegExp(
      `<div class="chart-fallback"><img src="data:image/png;base64,${PNG.replace(/[+/]/g, "\\$&")}" width="320" height="160" alt=""></div>`,
    ),
  );
});

test("a plotly output falls back to its text when it has no image", () => {
  const page = new Page();
  const html = renderOutput({ ...plotlyOutput(), output_type: "execute_result", execution_count: 7 }, page);
  assert.ok(page.needs.has("plotly") && !page.needs.has("vega"));
  assert.match(html, /<div class="prompt">Out\[7\]:<\/div>/);
  assert.match(html, /data-chart="plotly"/);
  assert.match(html, /<div class="chart-fallback"><pre class="text">Figure\(bar\)<\/pre><\/div>/);
  assert.deepEqual(JSON.parse(/class="chart-spec">([\s\S]*?)<\/script>/.exec(html)![1]), PLOTLY_FIGURE);
});

test("a chart whose spec is not JSON shows its fallback and needs no library", () => {
  const page = new Page();
  const html = renderBundle({ "application/vnd.vegalite.v5+json": "{not json", "text/plain": "chart" }, {}, page);
  assert.equal(page.needs.size, 0);
  assert.match(html, /<pre class="text">chart<\/pre>/);
});

test("text/html is the author's own and kept as is; markdown, latex and images render", () => {
  const page = new Page();
  assert.match(
    renderBundle({ "text/html": ["<table><tr><td>", "1</td></tr></table>"], "text/plain": "t" }, {}, page),
    /<table><tr><td>1<\/td><\/tr><\/table>/,
  );
  assert.match(renderBundle({ "text/markdown": "**bold** $x$" }, {}, page), /<strong>bold<\/strong> <span class="katex">/);
  assert.match(renderBundle({ "text/latex": "$$\\alpha$$" }, {}, page), /katex-display/);
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>';
  assert.match(
    renderBundle({ "image/svg+xml": svg }, {}, page),
    new RegExp(`<img src="data:image/svg\\+xml;base64,${Buffer.from(svg).toString("base64")}" alt="">`),
  );
  assert.match(
    renderBundle({ "image/jpeg": "/9j/\n4AAQ" }, { "image/jpeg": { width: 10, height: 20 } }, page),
    /<img src="data:image\/jpeg;base64,\/9j\/4AAQ" width="10" height="20" alt="">/,
  );
  assert.match(
    renderBundle({ "image/png": PNG }, { "image/png": { width: "64; onload=x", unconfined: true } }, page),
    /<img src="[^"]+" class="unconfined" alt="">/,
  );
});
