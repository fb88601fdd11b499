// showShapes: a table of named tensors' shapes, in the order given, as HTML and as aligned text.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { toBundle } from "../../src/display/display";
import { showShapes, shapeText } from "../../src/show/shapes";

test("showShapes lists each tensor's shape by name, in order, in HTML and text", () => {
  delete process.env.SEQLAB_LANG; // English
  const x = tf.zeros([2, 5, 3]);
  const h = tf.zeros([2, 4]);
  const view = showShapes(
    [
      ["x_1…x_T", x],
      ["h_T <last>", h],
    ],
    { caption: "many-to-one" },
  );
  x.dispose();
  h.dispose(); // only the shapes were read
  const { data } = toBundle(view);
  assert.equal(
    data["text/plain"],
    ["many-to-one", "tensor      shape", "----------  ---------", "x_1…x_T     [2, 5, 3]", "h_T <last>  [2, 4]"].join("\n"),
  );
  const html = String(data["text/html"]);
  assert.ok(html.indexOf("x_1…x_T") < html.indexOf("h_T &lt;last&gt;"), "order kept, names escaped");
  assert.match(html, /<td[^>]*>\[2, 5, 3\]<\/td>/);
  assert.match(html, /<caption[^>]*>many-to-one<\/caption>/);
  assert.equal(shapeText({ shape: [] }), "[]");
  assert.equal(toBundle(showShapes({ y: { shape: [7] } })).data["text/plain"], "tensor  shape\n------  -----\ny       [7]");
});

test("showShapes' header follows the language setting (SEQLAB_LANG=ko: Korean)", () => {
  const before = process.env.SEQLAB_LANG;
  process.env.SEQLAB_LANG = "ko";
  try {
    assert.match(String(toBundle(showShapes({ y: { shape: [7] } })).data["text/plain"]), /^텐서\s+모양\n/);
  } finally {
    if (before === undefined) delete process.env.SEQLAB_LANG;
    else process.env.SEQLAB_LANG = before;
  }
});
