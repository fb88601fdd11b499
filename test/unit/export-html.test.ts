// HTML export, the page: libraries inlined only when used and once, KaTeX's CSS with its fonts
// inlined, a table of contents, nothing loaded from the network, a failed run's report.
import { test } from "node:test";
import assert from "node:assert/strict";
import { notebookToHtml } from "../../kernel/tools/export/html";
import { chartNotebook, code, markdown, notebook, plotlyOutput, vegaLiteOutput } from "../browser/fixtures";

const count = (html: string, s: string) => html.split(s).length - 1;
const libs = (html: string) => [...html.matchAll(/<script data-lib="(\w+)" data-package="([\w.-]+)">/g)].map((m) => m[2]);

test("a page without charts or math inlines no library and no KaTeX", () => {
  const html = notebookToHtml(
    notebook([
      markdown("# Plain\n\nNo math, costs $5."),
      code("1 + 1", [{ output_type: "execute_result", execution_count: 1, data: { "text/plain": "2" }, metadata: {} }]),
    ]) as any,
  );
  assert.deepEqual(libs(html), []);
  assert.doesNotMatch(html, /@font-face|KaTeX_Main|vegaEmbed\(|Plotly\.newPlot/);
  assert.ok(html.length < 40_000, `a plain page is small (${html.length} bytes)`);
});

test("vega is inlined once for many vega-lite outputs, plotly once for many plotly outputs", () => {
  const both = notebookToHtml(chartNotebook() as any);
  assert.deepEqual(libs(both), ["vega", "vega-lite", "vega-embed", "plotly.js-dist-min"]);
  const many = notebookToHtml(notebook([code("a", [vegaLiteOutput(), vegaLiteOutput()]), code("b", [vegaLiteOutput()])]) as any);
  assert.deepEqual(libs(many), ["vega", "vega-lite", "vega-embed"]);
  assert.equal(count(many, 'data-chart="vega-lite"'), 3);
  assert.equal(count(many, "vegaEmbed(target"), 1, "one chart script for the page");
  const plotly = notebookToHtml(notebook([code("a", [plotlyOutput()]), code("b", [plotlyOutput()])]) as any);
  assert.deepEqual(libs(plotly), ["plotly.js-dist-min"]);
});

test("the libraries are the UMD browser builds, without source-map comments", () => {
  const html = notebookToHtml(chartNotebook() as any);
  assert.doesNotMatch(html, /sourceMappingURL=[\w.-]+\.map/);
  assert.doesNotMatch(html, /^\s*(import|export)\s/m, "no ES module syntax at the start of a line");
  assert.match(html, /\.vegaEmbed=/);
});

test("math brings KaTeX's CSS once, with only woff2 fonts, as data: URLs", () => {
  const html = notebookToHtml(chartNotebook() as any);
  assert.equal(count(html, "@font-face"), 20, "KaTeX's 20 faces, once");
  assert.equal(count(html, "src:url(data:font/woff2;base64,"), 20);
  const css = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]).join("\n");
  assert.doesNotMatch(css, /url\((?!data:)/, "every url() in the styles is inlined");
  assert.doesNotMatch(css, /\.woff\)|\.ttf\)/);
});

test("nothing on the page would load from the network", () => {
  const html = notebookToHtml(chartNotebook() as any);
  const page = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, "<script></script>"); // library code is not markup
  assert.doesNotMatch(page, /\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
});

test("the table of contents links to every markdown heading", () => {
  const html = notebookToHtml(chartNotebook() as any);
  const nav = /<nav class="toc"[\s\S]*?<\/nav>/.exec(html)![0];
  const links = [...nav.matchAll(/<li class="toc-h(\d)"><a href="#([^"]+)">([^<]*)<\/a>/g)].map((m) => [m[1], m[2], m[3]]);
  assert.deepEqual(links, [
    ["1", "차트와-수식-charts-and-math", "차트와 수식 (Charts and Math)"],
    ["2", "vega-lite", "Vega-Lite"],
    ["2", "plotly", "Plotly"],
    ["2", "text", "Text"],
  ]);
  for (const [, id] of links) assert.equal(count(html, ` id="${id}"`), 1, id);
  assert.match(html, /<title>차트와 수식 \(Charts and Math\)<\/title>/);
  assert.match(html, /<html lang="ko">/);
  assert.match(html, /@media print\s*\{[\s\S]*nav\.toc \{ display: none; \}[\s\S]*break-inside: avoid/);
});

test("code cells show their execution count and highlighted source", () => {
  const html = notebookToHtml(notebook([code("const x: number = 1;\nx", [], 12)]) as any);
  assert.match(
    html,
    /<div class="prompt">In&nbsp;\[12\]:<\/div><pre class="source"><code class="hljs language-typescript"><span class="hljs-keyword">const<\/span>/,
  );
  assert.match(notebookToHtml(notebook([code("x", [], null)]) as any), /In&nbsp;\[&nbsp;\]:/);
  assert.doesNotMatch(html, /class="layout"/, "no headings, no sidebar");
});

test("a failed run's report shows the notebook up to the failing cell, and says so", () => {
  const nb = notebook([
    markdown("# Run"),
    code("console.log('before')", [{ output_type: "stream", name: "stdout", text: ["before\n"] }], 1),
    code(
      "throw new TypeError('bad input shape')",
      [{ output_type: "error", ename: "TypeError", evalue: "bad input shape", traceback: ["\x1b[31mTypeError\x1b[0m: bad input shape"] }],
      2,
    ),
    markdown("## After the failure"),
    code("a + 1"),
  ]);
  const html = notebookToHtml(nb as any, { failure: { cell: 2, message: "TypeError: bad <input> shape" } });
  assert.match(
    html,
    /<div class="run-failed" role="alert">.*<a href="#cell-3">cell 3<\/a> \(code cell 2\): TypeError: bad &lt;input&gt; shape\. 1 later code cell was not run\./,
  );
  assert.match(html, /<section class="cell code failed" id="cell-3">/);
  assert.match(html, /<span style="color:rgb\(187,0,0\)">TypeError<\/span>: bad input shape/);
  assert.doesNotMatch(html, /After the failure|a \+ 1/);
  assert.match(html, /The run stopped here; the notebook's 2 later cell\(s\) are not shown/);
  const whole = notebookToHtml(nb as any);
  assert.match(whole, /After the failure/);
  assert.doesNotMatch(whole, /class="run-failed"/);
});
