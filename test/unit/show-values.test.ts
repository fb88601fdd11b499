// Rich values: tensors (table or heatmap, and the prototype hook), model summaries, vocabularies.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { toBundle } from "../../src/display/display";
import { installTensorDisplay, showTensor } from "../../src/show/tensor";
import { showModel } from "../../src/show/model";
import { showVocab, visibleToken } from "../../src/show/vocab";
import { decodePng, inkPixels, pngSize } from "../../src/plot/png";
import { inLanguage } from "../support/lang";

before(async () => {
  tf.enableProdMode(); // no "install tfjs-node" notice on stderr
  await tf.setBackend("cpu");
});

test("a small tensor shows shape, dtype and every value in an HTML table, and as text", () => {
  const t = tf.tensor2d([
    [1, 2.5, -3],
    [4, 5, 6],
  ]);
  const { data } = toBundle(showTensor(t));
  assert.deepEqual(Object.keys(data).sort(), ["text/html", "text/plain"]);
  const html = data["text/html"] as string;
  assert.match(html, /float32 \[2, 3\]/);
  for (const v of ["2.5", "-3", "6"]) assert.ok(html.includes(`>${v}</td>`), v);
  assert.equal((html.match(/<tr>/g) ?? []).length, 3); // header + 2 rows
  const text = data["text/plain"] as string;
  assert.match(text, /^Tensor float32 \[2, 3\] · min -3, max 6/);
  assert.match(text, /\[\[1, 2\.5, -3\],\n \[4, 5, 6\]\]/);
  const s = toBundle(showTensor(tf.tensor(["나는", "간다"]))).data["text/plain"] as string;
  assert.match(s, /Tensor string \[2\]\n\["나는", "간다"\]/);
  t.dispose();
});

test("a rank-3 tensor shows one table per leading index; long axes are elided in text", () => {
  const t = tf.range(0, 24).reshape([2, 3, 4]);
  const html = toBundle(showTensor(t)).data["text/html"] as string;
  assert.equal((html.match(/<table/g) ?? []).length, 2);
  assert.ok(html.includes("[1, :, :]"));
  const long = toBundle(showTensor(tf.range(0, 1000))).data["text/plain"] as string;
  assert.match(long, /\[0, 1, 2, …, 997, 998, 999\]/);
});

test("a large matrix shows as a heatmap picture of the stated size, its colours following the values", () => {
  const rows = 60,
    cols = 80;
  const t = tf.tidy(() => tf.linspace(0, 1, cols).reshape([1, cols]).tile([rows, 1])); // increases left to right
  const { data, metadata } = toBundle(showTensor(t));
  assert.deepEqual(Object.keys(data).sort(), ["image/png", "text/plain"]);
  const meta = (metadata as any)["image/png"];
  const png = Buffer.from(data["image/png"] as string, "base64");
  assert.deepEqual(pngSize(png), { width: 2 * meta.width, height: 2 * meta.height });
  const img = decodePng(png);
  assert.ok(inkPixels(img, { background: [255, 255, 255, 255] }) > 0.2 * img.width * img.height);
  // viridis: dark purple at the low end (left), yellow at the high end (right), along the middle row
  const y = Math.round(img.height / 2);
  const px = (x: number) => Array.from(img.rgba.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3));
  let left = -1,
    right = -1;
  for (let x = 0; x < img.width; x++) {
    const [r, g, b] = px(x);
    if (left < 0 && b > r + 20 && r < 100 && g < 60) left = x; // #440154-ish
    if (r > 200 && g > 200 && b < 100) right = x; // #fde725-ish
  }
  assert.ok(left >= 0 && right > left, `low values left of high values (${left}, ${right})`);
  assert.match(data["text/plain"] as string, /^Tensor float32 \[60, 80\]/);
  t.dispose();
});

test("installTensorDisplay hooks every tensor and variable, survives disposal, and can be removed", () => {
  const remove = installTensorDisplay(tf);
  try {
    const t = tf.tensor1d([1, 2, 3]);
    const v = tf.variable(tf.zeros([2, 2]));
    assert.match(toBundle(t).data["text/plain"] as string, /^Tensor float32 \[3\]/);
    assert.ok("text/html" in toBundle(v).data);
    assert.equal(Object.keys(t).includes(String(Symbol.for("Jupyter.display"))), false);
    t.dispose();
    assert.match(toBundle(t).data["text/plain"] as string, /\(disposed\)/);
    v.dispose();
  } finally {
    remove();
  }
  const t = tf.scalar(1);
  assert.doesNotMatch(toBundle(t).data["text/plain"] as string, /^Tensor float32/);
  t.dispose();
});

test("showModel lists layers with output shapes and parameter counts that sum to the model's", () => {
  const m = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: 50, outputDim: 8, inputLength: 10 }),
      tf.layers.simpleRNN({ units: 16 }),
      tf.layers.dense({ units: 50 }),
    ],
  });
  m.layers[2].trainable = false;
  const { data } = toBundle(showModel(m));
  const text = data["text/plain"] as string;
  assert.match(text, /\[null, 10, 8\]/);
  assert.match(text, /\[null, 16\]/);
  const total = m.countParams(); // 400 + (8*16+16*16+16) + (16*50+50) = 1650
  assert.equal(total, 400 + 400 + 850);
  assert.ok(text.includes(`${total.toLocaleString("en-US")} parameters (trainable 800, non-trainable 850)`));
  const html = data["text/html"] as string;
  assert.match(html, /SimpleRNN/);
  assert.ok(html.includes(">1,650</th>"));
  m.dispose();
});

test("showVocab summarises any {size, entries} (a Map works), most frequent first, whitespace visible", () => {
  const counts = new Map<string, number>([
    ["가", 1],
    [" ", 7],
    ["나", 3],
    ["다", 1],
    ["\n", 2],
  ]);
  const { data } = toBundle(showVocab(counts, { top: 3 }));
  const text = data["text/plain"] as string;
  assert.match(text, /5 types, 14 tokens; 2 singletons \(40\.0% of types\)/);
  const lines = text.split("\n");
  assert.match(lines[3], /^1\s+␣\s+7\s+50\.0%\s+50\.0%$/);
  assert.match(lines[4], /^2\s+나\s+3/);
  assert.match(text, /… 2 more types/);
  const html = data["text/html"] as string;
  assert.ok(html.includes(">⏎<") || html.includes("⏎"));
  const arr = showVocab({
    size: 2,
    entries: [
      ["a", 1],
      ["b", 9],
    ],
  }).text;
  assert.match(arr, /2 types, 10 tokens/);
  assert.equal(visibleToken("a b\tc"), "a␣b⇥c");
  assert.throws(() => showVocab({ size: 1, entries: 5 as any }), /entries/);
});

/** The text of every <caption> and <th> of an HTML table, in order. */
const headings = (html: string) => [...html.matchAll(/<(caption|th)[^>]*>([^<]*)<\/\1>/g)].map((m) => m[2]);

test("showModel's and showVocab's headings follow SEQLAB_LANG when shown: plain English, or Korean with SEQLAB_LANG=ko", () => {
  const model = {
    name: "char_lstm",
    layers: [{ name: "emb", getClassName: () => "Embedding", outputShape: [null, 5, 8], countParams: () => 80 }],
  };
  const vocab = {
    size: 2,
    entries: [
      ["a", 2],
      ["b", 1],
    ] as [string, number][],
  };
  const show = () => ({ model: toBundle(showModel(model)).data, vocab: toBundle(showVocab(vocab)).data });
  const en = inLanguage(undefined, show);
  const ko = inLanguage("ko", show);
  assert.deepEqual(headings(en.model["text/html"] as string), [
    "model char_lstm",
    "layer",
    "output shape",
    "params",
    "total",
    "",
    "80",
    "trainable",
    "",
    "80",
    "non-trainable",
    "",
    "0",
  ]);
  assert.deepEqual(headings(ko.model["text/html"] as string), [
    "모델 char_lstm",
    "층",
    "출력 모양",
    "매개변수",
    "전체",
    "",
    "80",
    "학습 가능",
    "",
    "80",
    "학습 불가",
    "",
    "0",
  ]);
  assert.match(en.vocab["text/html"] as string, /<b>vocabulary<\/b>: 2 types/);
  assert.deepEqual(headings(en.vocab["text/html"] as string), ["#", "token", "count", "share", "cumulative", ""]);
  assert.match(ko.vocab["text/html"] as string, /<b>어휘<\/b>: 타입 2개/);
  assert.deepEqual(headings(ko.vocab["text/html"] as string), ["#", "토큰", "빈도", "비율", "누적", ""]);
  for (const [k, d] of Object.entries(en)) assert.doesNotMatch(JSON.stringify(d), /[\uac00-\ud7a3]/, `${k}: no Korean in English`);
  // the text twins' headers are the HTML's
  assert.match(en.model["text/plain"] as string, /\nlayer\s+output shape\s+params\n/);
  assert.match(ko.model["text/plain"] as string, /\n층\s+출력 모양\s+매개변수\n/);
  assert.match(ko.vocab["text/plain"] as string, /^어휘: .*\n#\s+토큰\s+빈도\s+비율\s+누적\n/);
  // a model without a name: no trailing space in the caption
  assert.deepEqual(headings(inLanguage("en", () => showModel({ layers: [] }).html)).slice(0, 1), ["model"]);
});

test("showTable: one table as HTML (escaped) and as aligned text; number columns right-aligned", async () => {
  const { showTable } = await import("../../src/show/table");
  const t = showTable(
    ["model", "PPL", "note"],
    [
      ["uniform", 28, "<unk> too"],
      ["trigram", 7.9478, "x"],
    ],
    { caption: "검증 (validation)" },
  );
  const { data } = toBundle(t);
  const html = data["text/html"] as string;
  assert.match(html, /&lt;unk&gt; too/);
  assert.ok(!html.includes("<unk>"));
  assert.match(html, /<caption[^>]*>검증 \(validation\)<\/caption>/);
  assert.match(html, /text-align:right;padding:1px 8px">7\.9478/, "the all-number column is right-aligned");
  assert.match(html, /text-align:left;padding:1px 8px">trigram/);
  assert.equal(
    data["text/plain"],
    ["검증 (validation)", "model       PPL  note", "-------  ------  ---------", "uniform      28  <unk> too", "trigram  7.9478  x"].join(
      "\n",
    ),
  );
});
