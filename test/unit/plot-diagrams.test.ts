// Diagrams: every RNN shape and the LSTM cell as PNG pictures of the stated size, not blank.
import { test } from "node:test";
import assert from "node:assert/strict";
import { toBundle } from "../../src/display/display";
import { lstmDiagram, RNN_SHAPES, rnnDiagram } from "../../src/plot/diagrams";
import { decodePng, inkPixels, pngSize } from "../../src/plot/png";

function check(p: unknown) {
  const { data, metadata } = toBundle(p);
  assert.deepEqual(Object.keys(data).sort(), ["image/png", "text/plain"]);
  const png = Buffer.from(data["image/png"] as string, "base64");
  const meta = (metadata as any)["image/png"];
  assert.deepEqual(pngSize(png), { width: 2 * meta.width, height: 2 * meta.height });
  const img = decodePng(png);
  const ink = inkPixels(img, { background: [255, 255, 255, 255] });
  assert.ok(ink > 0.02 * img.width * img.height, `not blank (${ink} inked pixels)`);
  return { img, text: data["text/plain"] as string, meta };
}

test("rnnDiagram draws each input/output shape, wider with more steps", () => {
  const widths: Record<string, number> = {};
  for (const shape of RNN_SHAPES) {
    const { text, meta } = check(rnnDiagram(shape, { steps: 3 }));
    assert.match(text, new RegExp(shape));
    widths[shape] = meta.width;
  }
  assert.match(check(rnnDiagram("many-to-one", { steps: 3 })).text, /3 input\(s\), 1 output\(s\)/);
  assert.match(check(rnnDiagram("one-to-many", { steps: 3 })).text, /1 input\(s\), 3 output\(s\)/);
  assert.ok(check(rnnDiagram("many-to-many", { steps: 6 })).meta.width > widths["many-to-many"]);
  assert.ok(widths["encoder-decoder"] > widths["many-to-many"]);
  assert.throws(() => rnnDiagram("two-to-two" as any), /shape must be one of/);
});

test("rnnDiagram labels inputs with the given tokens (Korean), changing the picture", () => {
  const a = check(rnnDiagram("many-to-one", { steps: 3, inputs: ["나는", "학교에", "간다"] })).img;
  const b = check(rnnDiagram("many-to-one", { steps: 3 })).img;
  assert.ok(!Buffer.from(a.rgba).equals(Buffer.from(b.rgba)));
});

test("lstmDiagram draws the cell, and writes one step's numbers on it when given", () => {
  const plain = check(lstmDiagram());
  const vals = check(lstmDiagram({ values: { f: 0.82, i: 0.31, g: -0.45, o: 0.66, c: [0.43, 0.1], h: 0.27 } }));
  assert.match(vals.text, /f=0\.82/);
  assert.match(vals.text, /c=\[0\.43, 0\.10\]/);
  const blue = (img: { rgba: Uint8Array }) => {
    let n = 0; // the numbers are written in blue (#1f5fa8)
    for (let i = 0; i < img.rgba.length; i += 4) if (img.rgba[i + 2] > 140 && img.rgba[i] < 90 && img.rgba[i + 1] < 130) n++;
    return n;
  };
  assert.equal(blue(plain.img), 0);
  assert.ok(blue(vals.img) > 100);
});
