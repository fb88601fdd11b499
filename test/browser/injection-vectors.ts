// A notebook of injection vectors for the report tests: every place a notebook can put text into
// a report (markdown, each output mimetype, attachments, raw cells, metadata, cell sources, error
// tracebacks, SVG, chart specs, URLs). Each vector that could run script calls pwned(n) with its
// own number n, so a test can say which ones ran; others try to load from the network or to
// navigate the page away (http://127.0.0.1:9/..., a closed port, and never reached: the tests
// abort every request and count it).
import { PNG, VEGALITE_SPEC, code, markdown, notebook } from "./fixtures";

export interface Vector {
  n: number;
  /** Where the vector sits and what it tries, for messages. */
  what: string;
}

const EVIL = "http://127.0.0.1:9";

/** The injection notebook and the list of its vectors (numbered from 1). */
export function injectionNotebook(): { nb: any; vectors: Vector[] } {
  const vectors: Vector[] = [];
  const cells: any[] = [];
  /** Register a vector; `make` gets its number and the JavaScript that reports it. */
  const v = (what: string, make: (n: number, js: string) => void) => {
    const n = vectors.length + 1;
    vectors.push({ n, what });
    make(n, `window.pwned(${n})`);
  };
  const md = (what: string, src: (n: number, js: string) => string) => v(`markdown: ${what}`, (n, js) => cells.push(markdown(src(n, js))));
  const out = (what: string, output: (n: number, js: string) => any) =>
    v(what, (n, js) => cells.push(code(`show(${n})`, [output(n, js)], n)));
  const display = (mime: string, what: string, value: (n: number, js: string) => unknown, extra: Record<string, unknown> = {}) =>
    out(`${mime}: ${what}`, (n, js) => ({
      output_type: "display_data",
      data: { [mime]: value(n, js), "text/plain": [`vector ${n}`], ...extra },
      metadata: {},
    }));

  // ---- markdown cells -------------------------------------------------------------------------
  md("a script element", (_n, js) => `# Injection vectors\n\n<script>${js}</script>`);
  md("a script element, mixed case, with a src", (_n, js) => `<ScRiPt src="data:text/javascript,${encodeURIComponent(js)}"></sCrIpT>`);
  md("img onerror", (_n, js) => `<img src="x" onerror="${js}">`);
  md("svg onload", (_n, js) => `<svg onload="${js}"><circle r="5"/></svg>`);
  md("svg animate onbegin (fires by itself)", (_n, js) => `<svg><animate onbegin="${js}" attributeName="x" dur="1s"/></svg>`);
  md("details ontoggle (fires by itself)", (_n, js) => `<details open ontoggle="${js}"><summary>s</summary>x</details>`);
  md("input autofocus onfocus", (_n, js) => `<input autofocus onfocus="${js}">`);
  md("a javascript: link (markdown)", (_n, js) => `[click](javascript:${js})`);
  md("a javascript: link (HTML, entity-encoded)", (n, js) => `<a id="jslink-${n}" href="&#106;avascript:${js}">click</a>`);
  md("a javascript: autolink", (_n, js) => `<javascript:${js}>`);
  md("a data: text/html link", (_n, js) => `[click](data:text/html,<script>${js}</script>)`);
  md("meta refresh", (n) => `<meta http-equiv="refresh" content="0;url=${EVIL}/refresh-${n}">`);
  md("base href, then a relative image", (n) => `<base href="${EVIL}/base-${n}/">\n\n![x](pic.png)`);
  md("iframe srcdoc with script", (_n, js) => `<iframe srcdoc="<script>parent.${js}</script>"></iframe>`);
  md("iframe javascript: src", (_n, js) => `<iframe src="javascript:parent.${js}"></iframe>`);
  md(
    "object and embed",
    (_n, js) =>
      `<object data="data:text/html,<script>parent.${js}</script>"></object><embed src="data:text/html,<script>parent.${js}</script>">`,
  );
  md(
    "form posting away, with a submit button",
    (n) =>
      `<form action="${EVIL}/form-${n}" method="post"><input name="q" value="v"><button type="submit" class="vector-submit">send</button></form>`,
  );
  md("a remote image (network)", (n) => `![remote](${EVIL}/img-${n}.png)`);
  md(
    "CSS url() in a style attribute (network)",
    (n) => `<div style="background-image:url(${EVIL}/css-${n}.png);width:10px;height:10px">x</div>`,
  );
  md(
    "a style element with @import and url()",
    (n) => `<style>@import url(${EVIL}/import-${n}.css); body { background: url(${EVIL}/bg-${n}.png) }</style>`,
  );
  md(
    "a link element (stylesheet, prefetch)",
    (n) => `<link rel="stylesheet" href="${EVIL}/link-${n}.css"><link rel="prefetch" href="${EVIL}/prefetch-${n}">`,
  );
  md("mXSS: noscript and a title", (_n, js) => `<noscript><p title="</noscript><img src=x onerror=${js}>">`);
  md(
    "mXSS: math, mglyph, style",
    (_n, js) => `<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1&Tab;onerror=${js}&gt;">`,
  );
  md("svg with a script element", (_n, js) => `<svg><script>${js}</script></svg>`);
  md(
    "video source onerror and audio onerror",
    (_n, js) => `<video><source src="x" onerror="${js}"></video><audio src="x" onerror="${js}"></audio>`,
  );
  md("body onload", (_n, js) => `<body onload="${js}">`);
  md(
    "KaTeX \\href, \\url and \\includegraphics",
    (n, js) => `$\\href{javascript:${js}}{x}$ and $\\url{javascript:${js}}$ and $\\includegraphics{${EVIL}/tex-${n}.png}$`,
  );
  md("a heading with an onerror image (the table of contents and title)", (n, js) => `## <img src=x onerror="${js}"> heading ${n}`);
  md(
    "meta refresh inside svg style (a <meta> to the browser, text to htmlparser2)",
    (n) => `<svg><style><meta http-equiv="refresh" content="0;url=${EVIL}/svgstyle-${n}"></style></svg>`,
  );
  md(
    "meta refresh inside math mglyph style",
    (n) =>
      `<math><mtext><table><mglyph><style><meta http-equiv="refresh" content="0;url=${EVIL}/mathstyle-${n}"></style></mglyph></table></mtext></math>`,
  );
  md("plaintext swallowing the rest of the page", () => `<plaintext>everything after this`);
  md("a comment that ends early", (_n, js) => `<!-- --!><script>${js}</script> -->`);
  v("markdown: attachment whose data is not base64", (n, js) =>
    cells.push({ ...markdown(`![a](attachment:a${n}.png)`), attachments: { [`a${n}.png`]: { "image/png": `x" onerror="${js}` } } }),
  );
  v("markdown: attachment whose mimetype breaks out", (n, js) =>
    cells.push({ ...markdown(`![a](attachment:b${n}.png)`), attachments: { [`b${n}.png`]: { [`image/png" onerror="${js}`]: PNG } } }),
  );
  v("markdown: SVG attachment with script", (n, js) =>
    cells.push({
      ...markdown(`![a](attachment:c${n}.svg)`),
      attachments: {
        [`c${n}.svg`]: { "image/svg+xml": `<svg xmlns="http://www.w3.org/2000/svg" onload="${js}"><script>${js}</script></svg>` },
      },
    }),
  );

  // ---- raw cells ------------------------------------------------------------------------------
  v("raw cell marked text/html, with a script", (_n, js) =>
    cells.push({ cell_type: "raw", metadata: { format: "text/html" }, source: `<script>${js}</script><img src=x onerror="${js}">` }),
  );
  v("raw cell marked text/html, with a meta refresh", (n) =>
    cells.push({
      cell_type: "raw",
      metadata: { raw_mimetype: "text/html" },
      source: `<meta http-equiv="refresh" content="0;url=${EVIL}/raw-${n}">`,
    }),
  );
  v("raw cell without a format", (_n, js) => cells.push({ cell_type: "raw", metadata: {}, source: `<script>${js}</script>` }));

  // ---- outputs --------------------------------------------------------------------------------
  display("text/html", "a script element", (_n, js) => `<b>html</b><script>${js}</script>`);
  display(
    "text/html",
    "a module script and a remote script",
    (n, js) => `<script type="module">${js}</script><script src="${EVIL}/s-${n}.js"></script>`,
  );
  display("text/html", "img onerror and srcset (network)", (n, js) => `<img src="x" srcset="${EVIL}/srcset-${n}.png 1x" onerror="${js}">`);
  display("text/html", "meta refresh", (n) => `<meta http-equiv="refresh" content="0;url=${EVIL}/html-refresh-${n}">`);
  display(
    "text/html",
    "meta refresh and base inside svg style",
    (n) => `<svg><style><base href="${EVIL}/b-${n}/"><meta http-equiv="refresh" content="0;url=${EVIL}/svg-html-${n}"></style></svg>`,
  );
  display(
    "text/html",
    "a javascript: link and an onclick",
    (n, js) => `<a id="jslink-${n}" href="javascript:${js}" onclick="${js}">click</a>`,
  );
  display(
    "text/html",
    "a fixed overlay with a style element (url)",
    (n) => `<div style="position:fixed;top:0;left:0;width:100%;height:100%;background:url(${EVIL}/overlay-${n}.png)">covered</div>`,
  );
  display("text/html", "an unclosed comment and unbalanced tags", (_n, js) => `</div></section></main><div><!-- <script>${js}</script>`);
  display("text/markdown", "img onerror", (_n, js) => `**md** <img src=x onerror="${js}">`);
  display("text/latex", "\\href javascript: and text with HTML", (_n, js) => `$\\href{javascript:${js}}{x}$ <img src=x onerror="${js}">`);
  display(
    "image/svg+xml",
    "script, onload and a remote image",
    (n, js) =>
      `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="20" height="20" onload="${js}"><script>${js}</script><image xlink:href="${EVIL}/svgimg-${n}.png" width="5" height="5"/></svg>`,
  );
  display("image/png", "data that breaks out of the attribute", (_n, js) => `x" onerror="${js}`);
  display("image/jpeg", "data that is not base64", (_n, js) => `"><script>${js}</script>`);
  display("image/gif", "data with a javascript: URL", (_n, js) => `javascript:${js}`);
  out("image/png: width metadata that breaks out", (_n, js) => ({
    output_type: "display_data",
    data: { "image/png": PNG },
    metadata: { "image/png": { width: `1" onload="${js}`, height: `"><script>${js}</script>` } },
  }));
  display("application/javascript", "a script as an output", (_n, js) => js);
  display("application/json", "HTML in JSON", (_n, js) => ({ html: `<script>${js}</script>` }));
  display("application/vnd.jupyter.widget-view+json", "a widget", (_n, js) => ({ model_id: `"><script>${js}</script>` }));
  out("execute_result text/plain with HTML", (n, js) => ({
    output_type: "execute_result",
    execution_count: n,
    data: { "text/plain": [`'<script>${js}</script>'`] },
    metadata: {},
  }));
  out("stream with HTML and ANSI", (_n, js) => ({
    output_type: "stream",
    name: "stdout",
    text: [`\u001b[31m<script>${js}</script>\u001b[0m\n`],
  }));
  out("error traceback with an OSC 8 javascript: link and HTML", (_n, js) => ({
    output_type: "error",
    ename: "Error",
    evalue: "x",
    traceback: [`\u001b]8;;javascript:${js}\u001b\\click\u001b]8;;\u001b\\`, `<img src=x onerror="${js}">`],
  }));
  out("error without traceback, HTML in ename and evalue", (_n, js) => ({
    output_type: "error",
    ename: `<script>${js}</script>`,
    evalue: `<img src=x onerror="${js}">`,
    traceback: [],
  }));
  out("execution_count that is not a number", (_n, js) => ({
    output_type: "execute_result",
    execution_count: `1</div><script>${js}</script>` as any,
    data: { "text/plain": ["x"] },
    metadata: {},
  }));

  // ---- chart specs ----------------------------------------------------------------------------
  display("application/vnd.vegalite.v5+json", "an expression reaching for window and constructor", (n, js) => ({
    ...VEGALITE_SPEC,
    title: `<img src=x onerror="${js}">`,
    transform: [
      { calculate: `constructor.constructor('${js}')()`, as: "a" },
      { calculate: `window.pwned(${n})`, as: "b" },
    ],
  }));
  display("application/vnd.vegalite.v5+json", "a javascript: href channel and embed options in usermeta", (n, js) => ({
    ...VEGALITE_SPEC,
    encoding: { ...VEGALITE_SPEC.encoding, href: { value: `javascript:${js}` } },
    usermeta: { embedOptions: { actions: true, ast: false, editorUrl: `${EVIL}/editor-${n}`, sourceHeader: `<script>${js}</script>` } },
  }));
  display("application/vnd.vegalite.v5+json", "data from a URL (network)", (n) => ({
    ...VEGALITE_SPEC,
    data: { url: `${EVIL}/data-${n}.json` },
  }));
  display("application/vnd.vega.v5+json", "a signal whose expression calls out", (_n, js) => ({
    $schema: "https://vega.github.io/schema/vega/v5.json",
    width: 50,
    height: 50,
    signals: [
      { name: "s", init: js },
      { name: "t", update: `constructor.constructor('${js}')()` },
    ],
    marks: [
      {
        type: "rect",
        encode: {
          enter: { x: { value: 0 }, y: { value: 0 }, width: { value: 10 }, height: { value: 10 }, href: { value: `javascript:${js}` } },
        },
      },
    ],
  }));
  display("application/vnd.plotly.v1+json", "HTML in titles and text, a remote layout image, config URLs", (n, js) => ({
    data: [
      {
        type: "bar",
        x: [`<img src=x onerror="${js}">`, "b"],
        y: [1, 2],
        text: [`<a href="javascript:${js}">t</a>`, "u"],
        textposition: "inside",
      },
    ],
    layout: {
      width: 300,
      height: 200,
      title: { text: `<a href="javascript:${js}">title</a><img src=x onerror="${js}"><script>${js}</script>` },
      images: [{ source: `${EVIL}/plotly-${n}.png`, x: 0, y: 1, sizex: 1, sizey: 1 }],
    },
    config: {
      showLink: true,
      plotlyServerURL: `${EVIL}/plotly-server-${n}`,
      topojsonURL: `${EVIL}/topo-${n}/`,
      linkText: `<script>${js}</script>`,
    },
  }));
  display("application/vnd.plotly.v1+json", "a map trace that would fetch topojson", (n) => ({
    data: [{ type: "scattergeo", lon: [0], lat: [0] }],
    layout: { width: 300, height: 200 },
    config: { topojsonURL: `${EVIL}/geo-${n}/` },
  }));

  // ---- metadata and cell sources ----------------------------------------------------------------
  v("code cell source that closes the code block", (_n, js) =>
    cells.push(code(`</code></pre><script>${js}</script><img src=x onerror="${js}">`)),
  );
  const nb = notebook(cells);
  v("notebook metadata: kernelspec display name", (_n, js) => (nb.metadata.kernelspec.display_name = `</div><script>${js}</script>`));
  v(
    "notebook metadata: language_info name (an attribute and a class)",
    (_n, js) => (nb.metadata.language_info.name = `x" onmouseover="${js}"><script>${js}</script>`),
  );
  v("cell metadata: a raw cell's format with quotes", (_n, js) =>
    cells.push({ cell_type: "raw", metadata: { format: `text/html" onload="${js}` }, source: `<script>${js}</script>` }),
  );
  return { nb, vectors };
}
