// Diagrams: every RNN shape and the LSTM cell as PNG pictures of the stated size, not blank.
import { test } from "node:test";
import assert from "node:assert/strict";
import { toBundle } from "../../src/display/display";
import { lstmDiagram, lstmSvg, RNN_SHAPES, rnnDiagram, rnnLoopDiagram, rnnLoopSvg, unrolledSvg } from "../../src/plot/diagrams";
import { decodePng, inkPixels, pngSize } from "../../src/plot/png";
import { inLanguage } from "../support/lang";

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

/** Bounding box of the pixels where `keep(i)` holds (i = byte offset of an RGBA pixel). */
function bbox(img: { width: number; height: number; rgba: Uint8Array }, keep: (i: number) => boolean) {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++)
      if (keep((y * img.width + x) * 4)) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
  return { x0, y0, x1, y1 };
}
type Box = ReturnType<typeof bbox>;
const overlap = (a: Box, b: Box) => a.x0 <= b.x1 && b.x0 <= a.x1 && a.y0 <= b.y1 && b.y0 <= a.y1;

test("lstmDiagram with vector values (notebook 04): the numbers never run into each other or into the equations", () => {
  // The widest values a step can have: negative numbers, vectors longer than the three shown, a huge one.
  const vec = (k: number) => Array.from({ length: 32 }, (_, j) => -0.88 + 0.01 * ((j * 7 + k) % 13));
  const values = {
    x: vec(1),
    hPrev: vec(2),
    cPrev: [-123456789, -12.5, -0.99, 4],
    f: vec(4),
    i: vec(5),
    g: vec(6),
    o: vec(7),
    c: [-1.98, -12345.6, -0.75, 1],
    h: vec(9),
  };
  const picture = (v: object, equations = true) => {
    const p = lstmDiagram({ values: v, equations });
    return { img: decodePng(p.png), text: p.text };
  };
  // each value alone, so its ink (blue, #1f5fa8) is told apart from its neighbours'
  const isBlue = (img: { rgba: Uint8Array }) => (i: number) => img.rgba[i + 2] > 140 && img.rgba[i] < 90 && img.rgba[i + 1] < 130;
  const boxes: Record<string, Box> = {};
  const full = picture({}).img;
  for (const [k, v] of Object.entries(values)) {
    const { img } = picture({ [k]: v });
    assert.deepEqual([img.width, img.height], [full.width, full.height], "the layout does not depend on which values are given");
    boxes[k] = bbox(img, isBlue(img));
    assert.ok(Number.isFinite(boxes[k].x0), `${k} is written`);
    assert.ok(boxes[k].x0 >= 0 && boxes[k].x1 < img.width - 1 && boxes[k].y1 < img.height - 1, `${k} stays inside the picture`);
  }
  const keys = Object.keys(boxes);
  for (let a = 0; a < keys.length; a++)
    for (let b = a + 1; b < keys.length; b++)
      assert.ok(
        !overlap(boxes[keys[a]], boxes[keys[b]]),
        `${keys[a]} ${JSON.stringify(boxes[keys[a]])} and ${keys[b]} ${JSON.stringify(boxes[keys[b]])} overlap`,
      );
  // The equation panel: the ink that turning the equations on adds (the picture without them is narrower).
  const plain = picture({}, false).img;
  const panel = bbox(full, (i) => {
    const p = i / 4,
      x = p % full.width,
      y = Math.floor(p / full.width);
    if (x >= plain.width) return full.rgba[i] < 200;
    const j = (y * plain.width + x) * 4;
    return Math.abs(full.rgba[i] - plain.rgba[j]) > 40;
  });
  assert.ok(panel.x1 - panel.x0 > 200 && panel.y1 - panel.y0 > 200, `the panel is found (${JSON.stringify(panel)})`);
  for (const k of keys)
    assert.ok(!overlap(boxes[k], panel), `${k} ${JSON.stringify(boxes[k])} runs into the equations ${JSON.stringify(panel)}`);
  // all of them at once still reads the same numbers
  const all = picture(values).text;
  assert.match(all, /c=\[-1\.98, -12346, -0\.75, …\]/);
  assert.match(all, /cPrev=\[-1\.23e\+8, -12\.50, -0\.99, …\]/);
});

/** Pixels of about this colour inside a box given at 1x (the PNG is drawn at 2x). */
function colourIn(
  img: { width: number; rgba: Uint8Array },
  rgb: [number, number, number],
  box: { x0: number; x1: number; y0: number; y1: number },
  tol = 40,
): number {
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

/** The words an SVG draws: the text of its <text> elements (their tspans joined). */
const words = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>(.*?)<\/text>/g)].map((m) =>
    m[1]
      .replace(/<[^>]+>/g, "")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&"),
  );

test("the diagrams' drawn labels follow SEQLAB_LANG when drawn: English (with the slides' Korean terms), or Korean", () => {
  const draw = () => ({
    encdec: words(unrolledSvg("encoder-decoder", {}).svg),
    loop: words(rnnLoopSvg({ steps: 3 }).svg),
    lstm: words(lstmSvg().svg),
  });
  const en = inLanguage(undefined, draw);
  const ko = inLanguage("ko", draw);
  assert.equal(en.encdec[0], "unrolling (펼침): encoder-decoder (인코더-디코더)");
  for (const w of ["context", "encoder", "decoder"]) assert.ok(en.encdec.includes(w), `${w} in ${en.encdec.join(" | ")}`);
  assert.equal(ko.encdec[0], "펼침 (unrolling): encoder-decoder (인코더-디코더)");
  for (const w of ["문맥", "인코더", "디코더"]) assert.ok(ko.encdec.includes(w), `${w} in ${ko.encdec.join(" | ")}`);
  assert.equal(en.loop[0], "the loop, and the same network unrolled (펼침)");
  for (const w of ["unroll", "(펼침)", "the loop", "unrolled (펼침), 3 steps"])
    assert.ok(en.loop.includes(w), `${w} in ${en.loop.join(" | ")}`);
  for (const w of ["펼침", "(unroll)", "순환", "펼침 (unrolled, 3스텝)"]) assert.ok(ko.loop.includes(w), `${w} in ${ko.loop.join(" | ")}`);
  assert.equal(en.lstm[0], "LSTM cell");
  for (const w of ["forget", "input", "candidate", "output", "forget gate", "candidate cell state", "cell state", "hidden state"])
    assert.ok(en.lstm.includes(w), `${w} in ${en.lstm.join(" | ")}`);
  assert.equal(ko.lstm[0], "LSTM 셀");
  for (const w of [
    "망각 (forget)",
    "후보 (candidate)",
    "망각 게이트 (forget gate)",
    "후보 셀 상태 (candidate)",
    "은닉 상태 (hidden state)",
  ])
    assert.ok(ko.lstm.includes(w), `${w} in ${ko.lstm.join(" | ")}`);
  // In English the only Korean is the slides' terms: 펼침 and the shapes' names.
  const slides = /펼침|일대일|일대다|다대일|다대다|인코더-디코더/g;
  for (const [k, ws] of Object.entries(en))
    for (const w of ws) assert.doesNotMatch(w.replace(slides, ""), /[\uac00-\ud7a3]/, `${k}: "${w}"`);
  assert.doesNotMatch(en.lstm.join(" "), /[\uac00-\ud7a3]/);
  // a title given wins in either language
  assert.equal(
    inLanguage("ko", () => words(lstmSvg({ title: "mine" }).svg)[0]),
    "mine",
  );
});
