// Charts: one bundle each (vega-lite v5 spec that compiles, a 2x PNG with its 1x size, text), data
// bounded, Korean labels drawn as glyphs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { toBundle } from "../../src/display/display";
import {
  bar,
  embeddingPlot,
  embeddingPlotSpec,
  heatmap,
  heatmapSpec,
  histogram,
  histogramSpec,
  lineChart,
  lossChart,
  lossChartSpec,
  scatter,
} from "../../src/plot/charts";
import { Chart, specToSvg, VEGALITE_MIME, VEGALITE_SCHEMA } from "../../src/plot/chart";
import { loadVega } from "../../src/plot/load";
import { decodePng, inkPixels, pngSize } from "../../src/plot/png";
import { svgToPng } from "../../src/plot/render";
import { FONT_FILES, LATIN_ONLY_FONT_FILES, textWidth } from "../../src/plot/fonts";
import { inLanguage } from "../support/lang";

const losses = Array.from({ length: 300 }, (_, i) => 3 * Math.exp(-i / 80) + 0.4 + 0.05 * Math.sin(i));

async function checkChart(c: Chart, kind: string) {
  assert.ok(c instanceof Chart, `${kind} resolves to a Chart`);
  const { data, metadata } = toBundle(c);
  assert.deepEqual(Object.keys(data).sort(), ["application/vnd.vegalite.v5+json", "image/png", "text/plain"], kind);
  assert.ok(!("image/svg+xml" in data));
  const spec = data[VEGALITE_MIME] as any;
  assert.equal(spec.$schema, VEGALITE_SCHEMA);
  assert.match(spec.$schema, /vega-lite\/v5\.json$/);
  const { vega, vl } = await loadVega();
  const compiled = vl.compile(spec).spec; // throws on an invalid spec
  assert.doesNotThrow(() => vega.parse(compiled), `${kind}: the compiled vega spec parses`);
  const png = Buffer.from(data["image/png"] as string, "base64");
  const size = pngSize(png);
  const meta = (metadata as any)["image/png"];
  assert.ok(meta.width > 50 && meta.height > 50, `${kind}: 1x size ${meta.width}x${meta.height}`);
  assert.equal(size.width, 2 * meta.width, `${kind}: PNG width is twice the metadata width`);
  assert.equal(size.height, 2 * meta.height, `${kind}: PNG height is twice the metadata height`);
  const img = decodePng(png);
  const ink = inkPixels(img, { background: [255, 255, 255, 255] });
  assert.ok(ink > 0.02 * img.width * img.height, `${kind}: the picture is not blank (${ink} inked pixels)`);
  assert.equal(typeof data["text/plain"], "string");
  assert.ok((data["text/plain"] as string).length > 10);
  return { spec, img, text: data["text/plain"] as string };
}

test("every chart kind shows as one bundle: v5 spec that compiles, 2x PNG with 1x metadata, text", async () => {
  const val = Array.from({ length: 10 }, (_, i): [number, number] => [i * 30 + 29, 3 * Math.exp(-(i * 30 + 29) / 80) + 0.5]);
  const l = await checkChart(await lossChart({ train: losses, val }, { smoothing: 0.6, logScale: true }), "lossChart");
  assert.match(l.text, /train 300 points/);
  assert.match(l.text, /validation 10 points/);
  await checkChart(
    await lineChart({
      sin: Array.from({ length: 50 }, (_, i) => Math.sin(i / 5)),
      cos: Array.from({ length: 50 }, (_, i) => Math.cos(i / 5)),
    }),
    "lineChart",
  );
  await checkChart(
    await scatter({ x: [1, 2, 3, 4], y: [4, 1, 3, 2], labels: ["가", "나", "다", "라"], groups: ["a", "a", "b", "b"] }),
    "scatter",
  );
  const b = await checkChart(await bar({ 학습: 0.9, 검증: 0.7, test: 0.65 }), "bar");
  assert.match(b.text, /학습 0\.9/);
  const h = await checkChart(await histogram(Array.from({ length: 1000 }, (_, i) => Math.sin(i) * Math.cos(i / 3))), "histogram");
  assert.match(h.text, /1000 values/);
  await checkChart(
    await heatmap(
      [
        [0.1, 0.9],
        [0.5, 0.5],
      ],
      { rowLabels: ["펼침", "손실"], colLabels: ["a", "b"] },
    ),
    "heatmap",
  );
  const vecs = Array.from({ length: 12 }, (_, i) => Array.from({ length: 6 }, (_, j) => Math.sin(i * (j + 1))));
  await checkChart(
    await embeddingPlot(
      vecs,
      vecs.map((_, i) => `단어${i}`),
    ),
    "embeddingPlot",
  );
});

test("a factory's promise displays the spec before it resolves (a forgotten await still shows a chart)", async () => {
  const p = lossChart({ train: losses });
  const { data } = toBundle(p);
  assert.deepEqual(Object.keys(data).sort(), [VEGALITE_MIME, "text/plain"]);
  assert.match(data["text/plain"] as string, /await/);
  await p;
});

test("loss data are decimated to a bounded number of points, keeping a spike and both ends", () => {
  const n = 100_000;
  const y = Array.from({ length: n }, (_, i) => 2 + Math.sin(i / 1000));
  y[50_123] = 40; // a spike
  const { spec } = lossChartSpec({ train: y }, { maxPoints: 400 });
  const values = spec.data.values as { step: number; value: number }[];
  assert.ok(values.length <= 400, `${values.length} points`);
  assert.ok(
    values.some((v) => v.step === 50_123 && v.value === 40),
    "the spike survives",
  );
  assert.equal(values[0].step, 0);
  assert.equal(values[values.length - 1].step, n - 1);
  assert.ok(JSON.stringify(spec).length < 60_000);
});

test("perplexity plots exp(loss), and non-finite losses are dropped and reported", () => {
  const { spec, text } = inLanguage("en", () =>
    lossChartSpec(
      [
        { step: 1, loss: Math.log(10) },
        { step: 2, loss: NaN },
        { step: 3, loss: Math.log(5), valLoss: Math.log(6) },
      ],
      { metric: "perplexity" },
    ),
  );
  const train = (spec.data.values as any[]).filter((v) => v.series === "train");
  assert.deepEqual(
    train.map((v) => v.step),
    [1, 3],
  );
  assert.ok(Math.abs(train[0].value - 10) < 1e-9);
  const valPts = (spec.data.values as any[]).filter((v) => v.series === "validation");
  assert.ok(Math.abs(valPts[0].value - 6) < 1e-9);
  assert.match(text, /perplexity/);
  assert.match(text, /1 train value\(s\) not finite/);
});

test("heatmap: repeated token labels stay separate cells; large matrices become bounded block means", () => {
  const toks = ["나는", "나는", "간다"];
  const { spec } = heatmapSpec(
    [
      [1, 0, 0],
      [0.5, 0.5, 0],
      [0.2, 0.3, 0.5],
    ],
    { rowLabels: toks, colLabels: toks },
  );
  const values = spec.data.values as any[];
  assert.equal(values.length, 9);
  assert.equal(new Set(values.map((v) => `${v.row},${v.col}`)).size, 9);
  assert.deepEqual([...new Set(values.map((v) => v.rowLabel))], ["나는", "간다"]);
  const big = Array.from({ length: 300 }, (_, i) => Array.from({ length: 200 }, (_, j) => i + j));
  const b = heatmapSpec(big, { maxCells: 2000 });
  assert.ok(b.spec.data.values.length <= 2000, `${b.spec.data.values.length} cells`);
  assert.match(b.text, /300×200 \(shown as \d+×\d+ block means\)/);
});

test("Korean text is drawn as glyphs, not missing-glyph boxes", async () => {
  const svg = (s: string) =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><text x="8" y="28" font-family="DejaVu Sans, Noto Sans KR" font-size="22">${s}</text></svg>`;
  const px = (s: string, fonts: readonly string[]) => Buffer.from(decodePng(svgToPng(svg(s), { fonts }).png).rgba);
  // Without a Korean font every syllable is the same box: two different words look identical...
  assert.ok(px("펼침", LATIN_ONLY_FONT_FILES).equals(px("손실", LATIN_ONLY_FONT_FILES)), "boxes are indistinguishable (the check works)");
  // ...with seqlab's fonts they differ, and differ from the boxes.
  assert.ok(!px("펼침", FONT_FILES).equals(px("손실", FONT_FILES)));
  assert.ok(!px("펼침", FONT_FILES).equals(px("펼침", LATIN_ONLY_FONT_FILES)));
  // The same inside a chart: swapping two Korean row labels changes the picture only if glyphs are drawn.
  const a = await heatmap(
    [
      [1, 2],
      [3, 4],
    ],
    { rowLabels: ["펼침", "손실"], colLabels: ["x", "y"] },
  );
  const b = await heatmap(
    [
      [1, 2],
      [3, 4],
    ],
    { rowLabels: ["손실", "펼침"], colLabels: ["x", "y"] },
  );
  assert.ok(!Buffer.from(decodePng(a.png).rgba).equals(Buffer.from(decodePng(b.png).rgba)));
  const boxes = async (c: Chart) => Buffer.from(decodePng(svgToPng(await specToSvg(c.spec), { fonts: LATIN_ONLY_FONT_FILES }).png).rgba);
  assert.ok((await boxes(a)).equals(await boxes(b)), "with boxes the two charts would look the same");
  // Layout uses the fonts' real widths: a Hangul syllable is wider than a Latin letter.
  assert.ok(textWidth("펼", 10) > 1.3 * textWidth("a", 10));
});

test("log axes: lineChart and scatter put log scales where asked and drop points a log axis cannot show", async () => {
  const { lineChartSpec, scatterSpec } = await import("../../src/plot/charts");
  const line = lineChartSpec({ x: [0, 1, 10, 100], y: [5, 4, 3, 2] }, { logX: true, logY: true }).spec as any;
  assert.equal(line.encoding.x.scale.type, "log");
  assert.equal(line.encoding.y.scale.type, "log");
  assert.deepEqual(
    line.data.values.map((v: any) => v.x),
    [1, 10, 100],
  );
  const plain = lineChartSpec({ x: [0, 1], y: [1, 2] }).spec as any;
  assert.equal(plain.encoding.x.scale, undefined);
  const sc = scatterSpec({ x: [1, 2, -3], y: [0, 5, 6] }, { logX: true, logY: true }).spec as any;
  const values = (sc.layer ?? [sc]).flatMap((l: any) => l.data?.values ?? []).concat(sc.data?.values ?? []);
  assert.deepEqual([...new Set(values.map((v: any) => v.x))], [2]);
});

test("the loss chart's legend lists validation only when there is a validation line", async () => {
  // The legend is drawn from the colour scale's domain, data or not: read it from the drawn SVG.
  const legendLabels = async (spec: any) => {
    const svg = await specToSvg(spec);
    return [...svg.matchAll(/<g class="mark-text role-legend-label"[^>]*>((?:<text[^>]*>[^<]*<\/text>)*)<\/g>/g)].flatMap((g) =>
      [...g[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]),
    );
  };
  // The series are named in the learner's language (SEQLAB_LANG), when the chart is made.
  for (const [l, train, validation] of [
    ["en", "train", "validation"],
    ["ko", "학습", "검증"],
  ] as const) {
    const spec = (f: () => { spec: unknown }) => inLanguage(l, f).spec;
    assert.deepEqual(await legendLabels(spec(() => lossChartSpec({ train: losses }))), [train], l);
    // the live chart's history has an empty validation series until the first evaluation
    const empty = spec(() => lossChartSpec({ train: { x: [0, 1, 2], y: [3, 2, 1] }, val: { x: [], y: [] } }));
    assert.deepEqual(await legendLabels(empty), [train], l);
    assert.deepEqual(await legendLabels(spec(() => lossChartSpec(losses.map((loss, step) => ({ step, loss }))))), [train], l);
    const both = spec(() =>
      lossChartSpec({
        train: losses,
        val: losses.filter((_, i) => i % 50 === 49).map((v, i) => [50 * i + 49, v + 0.1] as [number, number]),
      }),
    );
    assert.deepEqual(await legendLabels(both), [train, validation], l);
    // with smoothing (a faint raw layer too) still one entry per series
    assert.deepEqual(await legendLabels(spec(() => lossChartSpec({ train: losses }, { smoothing: 0.6 }))), [train], l);
  }
});

/** Every title in a vega-lite spec (the chart's and its axes'), in order. */
function titles(spec: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object")
      for (const [k, x] of Object.entries(v)) {
        if (k === "title" && typeof x === "string") out.push(x);
        else if (k === "title" && x && typeof x === "object" && typeof (x as any).text === "string") out.push((x as any).text);
        else if (k !== "data") walk(x);
      }
  };
  walk(spec);
  return [...new Set(out)];
}

const HANGUL = /[\uac00-\ud7a3]/;

test("default chart labels follow SEQLAB_LANG when the chart is made: plain English, or Korean with SEQLAB_LANG=ko", async () => {
  const vectors = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
    [1, 1, 1],
  ];
  const specs = () => ({
    loss: lossChartSpec({ train: [3, 2, 1], val: [2.5, 2] }).spec,
    perplexity: lossChartSpec({ train: [3, 2, 1] }, { metric: "perplexity" }).spec,
    histogram: histogramSpec([1, 2, 3, 4]).spec,
    embedding: embeddingPlotSpec(vectors, ["a", "b", "c", "d"]).spec,
    embedding2d: embeddingPlotSpec(
      vectors.map((v) => v.slice(0, 2)),
      ["a", "b", "c", "d"],
    ).spec,
  });
  const en = inLanguage(undefined, specs);
  const ko = inLanguage("ko", specs);
  const pc = (l: string) => new RegExp(`^PC${l} \\(\\d+\\.\\d% of the variance\\)$`);
  assert.deepEqual(titles(en.loss), ["learning curve", "step", "loss"]);
  assert.deepEqual(titles(en.perplexity), ["perplexity", "step"]);
  assert.deepEqual(titles(en.histogram), ["value", "count"]);
  const [emb, x, y] = titles(en.embedding);
  assert.equal(emb, "embedding — PCA");
  assert.match(x, pc("1"));
  assert.match(y, pc("2"));
  assert.deepEqual(titles(en.embedding2d), ["embedding", "x", "y"]);
  for (const [k, s] of Object.entries(en)) assert.doesNotMatch(JSON.stringify(s), HANGUL, `${k}: no Korean in the English chart`);

  assert.deepEqual(titles(ko.loss), ["학습 곡선", "스텝", "손실"]);
  assert.deepEqual(titles(ko.perplexity), ["퍼플렉서티", "스텝"]);
  assert.deepEqual(titles(ko.histogram), ["값", "개수"]);
  const [kEmb, kx, ky] = titles(ko.embedding);
  assert.equal(kEmb, "임베딩 — PCA");
  assert.match(kx, /^PC1 \(분산 \d+\.\d%\)$/);
  assert.match(ky, /^PC2 \(분산 \d+\.\d%\)$/);
  assert.deepEqual(titles(ko.embedding2d), ["임베딩", "x", "y"]);
  // the series names in the data and in the layers' filters agree, in either language
  for (const [l, s, train, validation] of [
    ["en", en.loss, "train", "validation"],
    ["ko", ko.loss, "학습", "검증"],
  ] as const) {
    const series = [...new Set((s as any).data.values.map((v: any) => v.series))];
    assert.deepEqual(series, [train, validation], l);
    const filters = (s as any).layer.map((x: any) => x.transform?.[0]?.filter ?? "");
    assert.ok(filters[0].includes(`'${train}'`) && filters[1].includes(`'${validation}'`), `${l}: ${filters.join(" | ")}`);
    const svg = await inLanguage(l, () => specToSvg(s as any));
    const lines = [...svg.matchAll(/<g class="mark-line role-mark[^"]*"[^>]*>(.*?)<\/g>/g)].filter((m) => /<path[^>]* d="M/.test(m[1]));
    assert.equal(lines.length, 2, `${l}: the train and the validation lines are drawn`);
  }
  // an option still wins over the default
  const own = inLanguage("ko", () => lossChartSpec({ train: [1, 2] }, { title: "mine", xTitle: "epoch", yTitle: "nats" }).spec);
  assert.deepEqual(titles(own), ["mine", "epoch", "nats"]);
});

test("bar: reference ticks travel with their bars (sorted too), NaN leaves a bar without one, values are written", async () => {
  const { barSpec } = await import("../../src/plot/charts");
  const plainBar = barSpec({ a: 1, b: 2 }).spec as any;
  assert.equal(plainBar.mark.type, "bar", "without ticks or values the spec stays one bar mark");
  assert.equal(plainBar.layer, undefined);
  const { spec, text } = barSpec(
    [
      ["uniform", 28],
      ["unigram", 16.67],
      ["bigram", 9.68],
    ],
    { ticks: [28, NaN, 9.7], sort: true, showValues: ".1f", tickTitle: "ours" },
  );
  const s = spec as any;
  assert.deepEqual(
    s.layer.map((l: any) => l.mark.type),
    ["bar", "tick", "text"],
  );
  assert.deepEqual(
    s.data.values.map((v: any) => [v.label, v.tick]),
    [
      ["uniform", 28],
      ["unigram", undefined],
      ["bigram", 9.7],
    ],
  );
  assert.equal(s.layer[2].encoding.text.format, ".1f");
  // Layers union their domains: a sort op other than min, max or count makes vega-lite warn and drop it.
  for (const l of s.layer) assert.deepEqual(l.encoding.x.sort, { field: "order", op: "min" });
  assert.match(text, /ours ticks 28, 9\.7/);
  assert.throws(() => barSpec({ a: 1, b: 2 }, { ticks: [1] }), /1 ticks for 2 bars/);
  const c = await checkChart(
    await bar({ x: 3, y: 1, z: 2 }, { ticks: [2.5, 1.5, NaN], showValues: true, horizontal: true }),
    "bar with ticks",
  );
  assert.match(c.text, /reference ticks 2\.5, 1\.5/);
});
