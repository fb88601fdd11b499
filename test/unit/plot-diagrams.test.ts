// Diagrams: every RNN shape and the LSTM cell as PNG pictures of the stated size, not blank.
import { test } from "node:test";
import assert from "node:assert/strict";
import { toBundle } from "../../src/display/display";
import { lstmDiagram, RNN_SHAPES, rnnDiagram, rnnLoopDiagram } from "../../src/plot/diagrams";
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

/** Pixels of about this colour inside a box given at 1x (the PNG is drawn at 2x). */
function colourIn(img: { width: number; rgba: Uint8Array }, rgb: [number, number, number], box: { x0: number; x1: number; y0: number; y1: number }, tol = 40): number {
  let n = 0;
  for (let y = 2 * box.y0; y < 2 * box.y1; y++)
    for (let x = 2 * box.x0; x < 2 * box.x1; x++) {
      const i = 4 * (y * img.width + x);
      if (Math.abs(img.rgba[i] - rgb[0]) + Math.abs(img.rgba[i + 1] - rgb[1]) + Math.abs(img.rgba[i + 2] - rgb[2]) < tol) n++;
    }
  return n;
}

test("rnnLoopDiagram draws the rolled-up cell with its loop beside the unrolled chain, title uncovered", () => {
  const loop = check(rnnLoopDiagram({ inputs: ["t", "i", "m", "e"], outputs: ["i", "m", "e", "␣"] }));
  const unrolled = check(rnnDiagram("many-to-many", { steps: 4 }));
  assert.match(loop.text, /rolled up .* and unrolled \(펼침\).*4 step\(s\), 4 input\(s\), 4 output\(s\)/);
  assert.ok(loop.meta.width >= unrolled.meta.width + 250, `room for the rolled-up cell (${loop.meta.width} vs ${unrolled.meta.width})`);
  // The loop is drawn in the hidden state's orange (#e07b00), right of the rolled cell's box.
  const orange: [number, number, number] = [0xe0, 0x7b, 0x00];
  assert.ok(colourIn(loop.img, orange, { x0: 130, x1: 190, y0: 150, y1: 260 }) > 100, "the loop W_hh");
  assert.equal(colourIn(unrolled.img, orange, { x0: 0, x1: 40, y0: 150, y1: 260 }), 0, "no orange where rnnDiagram has no cell");
  // The unrolled part's white background must not cover the title, which runs over it.
  const dark: [number, number, number] = [0x22, 0x22, 0x22];
  assert.ok(colourIn(loop.img, dark, { x0: 300, x1: 420, y0: 12, y1: 36 }, 120) > 50, "the title's end is drawn");
  assert.ok(check(rnnLoopDiagram({ steps: 6 })).meta.width > loop.meta.width, "more steps, wider");
});
