// Plotly figures: the bundle, plotly.js inlined once per process and wrapped against require.js,
// the plot script waiting for the library, and script-safe JSON.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as vm from "vm";
import { toBundle } from "../../src/display/display";
import { textWidth } from "../../src/plot/fonts";
import { embedding3d, plotly, plotlyLibrary, PLOTLY_MIME, resetPlotlyLibrary } from "../../src/plot/plotly";
import { inLanguage } from "../support/lang";

const scripts = (html: string) =>
  [...html.matchAll(/<script[^>]*data-seqlab-plotly="(\w+)"[^>]*>([\s\S]*?)<\/script>/g)].map((m) => ({ kind: m[1], code: m[2] }));

test("a plotly figure shows as plotly JSON, HTML and text; the library is inlined only in the first", () => {
  resetPlotlyLibrary();
  const lib = plotlyLibrary();
  const first = toBundle(plotly({ data: [{ type: "bar", x: ["가", "나"], y: [1, 2] }], layout: { title: "막대" } }));
  const second = toBundle(plotly({ data: [{ type: "scatter", x: [1, 2], y: [3, 4] }] }));
  for (const b of [first, second]) {
    assert.deepEqual(Object.keys(b.data).sort(), [PLOTLY_MIME, "text/html", "text/plain"]);
    assert.ok(Array.isArray((b.data[PLOTLY_MIME] as any).data));
  }
  assert.equal((first.data[PLOTLY_MIME] as any).data[0].x[1], "나");
  const h1 = first.data["text/html"] as string,
    h2 = second.data["text/html"] as string;
  assert.deepEqual(
    scripts(h1).map((s) => s.kind),
    ["library", "plot"],
  );
  assert.deepEqual(
    scripts(h2).map((s) => s.kind),
    ["plot"],
  );
  assert.ok(h1.includes(lib.slice(0, 2000)) && h1.length > lib.length);
  assert.ok(h2.length < 5000);
  assert.match(first.data["text/plain"] as string, /"막대": 1 trace\(s\) \(bar\)/);
  const forced = toBundle(plotly({ data: [] }, { includeLibrary: true }));
  assert.deepEqual(
    scripts(forced.data["text/html"] as string).map((s) => s.kind),
    ["library", "plot"],
  );
});

test("the library wrapper hides require.js's define, so the UMD bundle sets window.Plotly", () => {
  resetPlotlyLibrary();
  const lib = plotlyLibrary();
  // plotly.min.js opens with a UMD header that prefers define() when it sees require.js's define.amd:
  assert.match(lib.slice(0, 1500), /"function"==typeof define&&define\.amd\?define\(\[\],e\)/);
  const html = toBundle(plotly({ data: [{ type: "bar", x: [1], y: [2] }] })).data["text/html"] as string;
  const [libScript, plotScript] = scripts(html);
  // Swap the 4.8 MB library for a stub with the same UMD header (no DOM needed to run it).
  const stub = `!function(t,e){"object"==typeof exports&&"object"==typeof module?module.exports=e():"function"==typeof define&&define.amd?define([],e):"object"==typeof exports?exports.Plotly=e():t.Plotly=e()}(self,(function(){return {newPlot:function(el,d,l,c){window.plotted.push({el:el,data:d,layout:l,config:c});}};}));`;
  const code = libScript.code.replace(lib, stub);
  assert.notEqual(code, libScript.code);
  const defined: unknown[] = [];
  const fallback = { className: "seqlab-plotly-fallback" };
  const el: any = {
    id: "x",
    textContent: "",
    style: {},
    children: [fallback],
    querySelector: (sel: string) => (sel === ".seqlab-plotly-fallback" ? el.children[0] : null),
    removeChild: (c: unknown) => (el.children = el.children.filter((x: unknown) => x !== c)),
  };
  const win: any = { plotted: [], setTimeout, Date, document: { getElementById: () => el } };
  win.window = win;
  win.self = win;
  win.define = Object.assign((...a: unknown[]) => defined.push(a), { amd: {} }); // require.js is on the page
  win.module = { exports: {} };
  win.exports = win.module.exports;
  vm.runInNewContext(code, win);
  assert.equal(defined.length, 0, "define() was not called");
  assert.equal(typeof win.Plotly?.newPlot, "function");
  vm.runInNewContext(plotScript.code, win);
  assert.equal(win.plotted.length, 1);
  assert.equal(win.plotted[0].el, el);
  assert.deepEqual(el.children, [], "the fallback line is removed before the figure is drawn");
  assert.deepEqual(el.style, { width: "100%", height: "450px" }, "the drawn figure gets its size");
  assert.deepEqual(JSON.parse(JSON.stringify(win.plotted[0].data)), [{ type: "bar", x: [1], y: [2] }]); // (another realm)
  // running the library script again (a second output carrying it) leaves the loaded one alone
  const before = win.Plotly;
  vm.runInNewContext(code, win);
  assert.equal(win.Plotly, before);
});

test("a figure's data cannot close its <script> element", () => {
  const html = toBundle(plotly({ data: [{ type: "scatter", x: [1], y: [1], text: ["</script><b>x</b>"] }] }, { includeLibrary: false }))
    .data["text/html"] as string;
  const plot = scripts(html)[0].code;
  assert.ok(!plot.includes("</script"));
  assert.ok(plot.includes("\\u003c/script\\u003e"));
});

test("embedding3d projects vectors to three PCA axes, one trace per group, with labels", () => {
  const vecs = Array.from({ length: 30 }, (_, i) =>
    Array.from({ length: 8 }, (_, j) => Math.sin(i * (j + 2)) + (i < 15 ? 2 : -2) * (j === 0 ? 1 : 0)),
  );
  const words = vecs.map((_, i) => `단어${i}`);
  const f = embedding3d(vecs, words, { groups: vecs.map((_, i) => (i < 15 ? "명사" : "동사")), includeLibrary: false });
  const fig = toBundle(f).data[PLOTLY_MIME] as any;
  assert.equal(fig.data.length, 2);
  assert.deepEqual(
    fig.data.map((t: any) => t.type),
    ["scatter3d", "scatter3d"],
  );
  assert.equal(fig.data[0].x.length + fig.data[1].x.length, 30);
  assert.ok(fig.data[0].text.includes("단어0"));
  assert.match(fig.layout.scene.xaxis.title.text, /^PC1 \(\d+\.\d%\)$/);
  // the groups differ along the first coordinate, so PC1 separates them
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(fig.data[0].x) - mean(fig.data[1].x)) > 3);
});

test("embedding3d's default title and trace name follow SEQLAB_LANG when the figure is made", () => {
  const vecs = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
    [1, 1, 1, 1],
  ];
  const figure = (l: string | undefined) =>
    inLanguage(l, () => toBundle(embedding3d(vecs, ["a", "b", "c", "d", "e"], { includeLibrary: false })).data[PLOTLY_MIME] as any);
  const en = figure(undefined),
    ko = figure("ko");
  assert.equal(en.layout.title.text, "3-D embedding");
  assert.equal(en.data[0].name, "points");
  assert.doesNotMatch(JSON.stringify(en), /[\uac00-\ud7a3]/);
  assert.equal(ko.layout.title.text, "3차원 임베딩");
  assert.equal(ko.data[0].name, "점");
  assert.equal(
    inLanguage(
      "ko",
      () => (toBundle(embedding3d(vecs, undefined, { title: "mine", includeLibrary: false })).data[PLOTLY_MIME] as any).layout.title.text,
    ),
    "mine",
  );
});

test("without its scripts (an untrusted notebook) a figure shows a line saying to trust the notebook, not an empty box", () => {
  const fig = plotly(
    { data: [{ type: "bar", x: ["가"], y: [1] }], layout: { title: "게이트 (gates)", width: 420, height: 260 } },
    { includeLibrary: false },
  );
  const html = toBundle(fig).data["text/html"] as string;
  // what a sanitizer leaves: the markup without its script elements
  const left = html.replace(/<script[\s\S]*?<\/script>/g, "").trim();
  const m = left.match(/^<div class="seqlab-plotly" id="([^"]+)">(<div class="seqlab-plotly-fallback"[^>]*>([\s\S]*)<\/div>)<\/div>$/);
  assert.ok(m, left);
  assert.equal(m[1], fig.id);
  assert.ok(!/height|width/.test(left.slice(0, left.indexOf(">"))), "no fixed size: no tall empty box around the line");
  const line = m[3].replace(/<[^>]+>/g, "").replace(/&quot;/g, '"');
  assert.equal(line, "Plotly figure “게이트 (gates)”: trust this notebook to draw it (JupyterLab: File › Trust Notebook).");
  assert.ok(textWidth(line, 13) < 700, "one line in a notebook's output area");
  // the figure's own text is escaped in it
  const evil = toBundle(plotly({ data: [], layout: { title: "<img src=x onerror=alert(1)>" } }, { includeLibrary: false })).data[
    "text/html"
  ] as string;
  assert.ok(!evil.replace(/<script[\s\S]*?<\/script>/g, "").includes("<img"));
});
