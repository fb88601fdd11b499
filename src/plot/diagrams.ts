// Diagrams drawn as SVG by hand and rendered to PNG with resvg (synchronous: no await needed):
//
//   rnnDiagram("many-to-one", { steps: 4 })   // the unrolled RNN (펼침) for each input/output shape
//   lstmDiagram({ values })                     // the LSTM cell, optionally with one step's numbers
import { FONT_FAMILY, textWidth } from "./fonts";
import { esc, Picture } from "./render";
import { inLang, tr } from "../lang";

export type RnnShape = "one-to-one" | "one-to-many" | "many-to-one" | "many-to-many" | "encoder-decoder";

export const RNN_SHAPES: readonly RnnShape[] = ["one-to-one", "one-to-many", "many-to-one", "many-to-many", "encoder-decoder"];

const KOREAN: Record<RnnShape, string> = {
  "one-to-one": "일대일",
  "one-to-many": "일대다",
  "many-to-one": "다대일",
  "many-to-many": "다대다",
  "encoder-decoder": "인코더-디코더",
};

const EXAMPLE: Record<RnnShape, { en: string; ko: string }> = {
  "one-to-one": { en: "an ordinary network, one step", ko: "보통의 신경망, 한 스텝" },
  "one-to-many": { en: "e.g. generating a sequence from one input", ko: "예: 입력 하나에서 시퀀스 생성" },
  "many-to-one": { en: "e.g. classifying a sentence", ko: "예: 문장 분류" },
  "many-to-many": { en: "e.g. tagging every token", ko: "예: 토큰마다 태그 달기" },
  "encoder-decoder": { en: "e.g. translation (seq2seq)", ko: "예: 번역 (시퀀스-투-시퀀스)" },
};

/** The words the diagrams write (drawn and in their text twins), by the learner's language. */
const W = {
  sameCell: { en: "; the same cell and weights at every step", ko: "; 모든 스텝에서 같은 셀과 가중치" },
  sameCellW: { en: "the same cell and weights (W_xh, W_hh, W_hy) at every step", ko: "모든 스텝에서 같은 셀과 가중치 (W_xh, W_hh, W_hy)" },
  unrolled: { en: "RNN unrolled", ko: "펼친 RNN" },
};

const COLORS = {
  x: { fill: "#dbe9f6", stroke: "#4c78a8" },
  h: { fill: "#fde3c8", stroke: "#e07b00" },
  s: { fill: "#f3d9ea", stroke: "#b0457e" },
  y: { fill: "#d9f0d3", stroke: "#3c8d2f" },
  c: { fill: "#eeeeee", stroke: "#555555" },
};

/** Text with an optional subscript, centred at (x, y) (the baseline of the main text). */
function label(
  x: number,
  y: number,
  base: string,
  sub = "",
  size = 15,
  opts: { anchor?: string; color?: string; weight?: string } = {},
): string {
  const s = sub ? `<tspan font-size="${(size * 0.72).toFixed(1)}" dy="${(size * 0.3).toFixed(1)}">${esc(sub)}</tspan>` : "";
  return `<text x="${x}" y="${y}" font-size="${size}" text-anchor="${opts.anchor ?? "middle"}" fill="${opts.color ?? "#222"}"${opts.weight ? ` font-weight="${opts.weight}"` : ""}>${esc(base)}${s}</text>`;
}

function box(cx: number, cy: number, w: number, h: number, c: { fill: string; stroke: string }, rx = 8): string {
  return `<rect x="${cx - w / 2}" y="${cy - h / 2}" width="${w}" height="${h}" rx="${rx}" fill="${c.fill}" stroke="${c.stroke}" stroke-width="1.6"/>`;
}

function arrow(x1: number, y1: number, x2: number, y2: number, opts: { color?: string; dashed?: boolean; width?: number } = {}): string {
  return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${opts.color ?? "#444"}" stroke-width="${opts.width ?? 1.6}"${opts.dashed ? ' stroke-dasharray="5 4"' : ""} marker-end="url(#arrow)"/>`;
}

function path(d: string, opts: { color?: string; arrow?: boolean; width?: number } = {}): string {
  return `<path d="${d}" fill="none" stroke="${opts.color ?? "#444"}" stroke-width="${opts.width ?? 1.6}"${opts.arrow === false ? "" : ' marker-end="url(#arrow)"'}/>`;
}

const BACKGROUND = `<rect width="100%" height="100%" fill="white"/>`;

function svgDoc(width: number, height: number, body: string[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5.5" markerHeight="5.5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>` +
    BACKGROUND +
    body.join("") +
    `</svg>`
  );
}

export interface RnnDiagramOptions {
  /** Time steps drawn (default: as many as `inputs` (one-to-many: `outputs`), else 4; encoder-decoder: encoder steps, default 3). */
  steps?: number;
  /** Decoder steps for encoder-decoder (default: as many as `outputs`, else 3). */
  outputSteps?: number;
  /** Labels under the inputs instead of x_1, x_2, … (e.g. tokens: ["나는", "학교에", "간다"]). */
  inputs?: readonly string[];
  /** Labels above the outputs instead of y_1, y_2, …. */
  outputs?: readonly string[];
  /** Title (default "unrolling (펼침): SHAPE (its Korean name)", with SEQLAB_LANG=ko "펼침 (unrolling): …"). */
  title?: string;
  /** Write the shared weight names (W_xh, W_hh, W_hy) on the first step (default true). */
  weights?: boolean;
  /** The line under the title (default: an example of the shape). */
  subtitle?: string;
}

/**
 * The recurrence h_t = f(h_{t-1}, x_t) unrolled over time for one of the five input/output shapes;
 * the same cell (the same weights) at every step.
 */
export function rnnDiagram(shape: RnnShape = "many-to-many", opts: RnnDiagramOptions = {}): Picture {
  const d = unrolledSvg(shape, opts);
  return Picture.fromSvg(d.svg, d.text);
}

/** The unrolled diagram as an SVG document, its size and its text (rnnDiagram's picture; exported for tests). */
export function unrolledSvg(shape: RnnShape, opts: RnnDiagramOptions): { svg: string; width: number; height: number; text: string } {
  if (!RNN_SHAPES.includes(shape))
    throw new RangeError(`rnnDiagram: shape must be one of ${RNN_SHAPES.join(", ")}; got ${JSON.stringify(shape)}`);
  const encdec = shape === "encoder-decoder";
  const given = shape === "one-to-many" ? opts.outputs?.length : opts.inputs?.length;
  const T = shape === "one-to-one" ? 1 : Math.max(1, Math.min(12, opts.steps ?? given ?? (encdec ? 3 : 4)));
  const D = encdec ? Math.max(1, Math.min(12, opts.outputSteps ?? opts.outputs?.length ?? 3)) : 0;
  const colW = 112,
    left = 92,
    top = 64;
  const yY = top + 40,
    yH = top + 140,
    yX = top + 240;
  const gap = encdec ? 70 : 0; // room for the context vector
  const cols = T + D;
  const title = opts.title ?? `${tr("unrolling (펼침)", "펼침 (unrolling)")}: ${shape} (${KOREAN[shape]})`;
  const subtitle = opts.subtitle ?? inLang(EXAMPLE[shape]) + (encdec ? "" : inLang(W.sameCell));
  const width = Math.ceil(Math.max(left + cols * colW + gap + 40, textWidth(title, 18) + 32, textWidth(subtitle, 12) + 32));
  const height = yX + 62;
  const cx = (i: number) => left + colW / 2 + i * colW + (encdec && i >= T ? gap : 0);
  const body: string[] = [];
  body.push(label(16, 30, title, "", 18, { anchor: "start" }));
  body.push(label(16, 50, subtitle, "", 12, { anchor: "start", color: "#666" }));
  const bw = 62,
    bh = 40;
  const xLabel = (i: number): [string, string] => {
    if (encdec && i >= T)
      return i === T ? ["<bos>", ""] : opts.outputs?.[i - T - 1] !== undefined ? [opts.outputs[i - T - 1], ""] : ["y", String(i - T)];
    return opts.inputs?.[i] !== undefined ? [opts.inputs[i], ""] : ["x", String(i + 1)];
  };
  const hasX = (i: number) => shape !== "one-to-many" || i === 0;
  const hasY = (i: number) => (shape === "many-to-one" ? i === T - 1 : encdec ? i >= T : true);
  const yLabel = (i: number): [string, string] => {
    let k = 0; // outputs are numbered in order of appearance; the subscript is the time step
    for (let j = 0; j < i; j++) if (hasY(j)) k++;
    return opts.outputs?.[k] !== undefined ? [opts.outputs[k], ""] : ["y", String(encdec ? i - T + 1 : i + 1)];
  };
  // initial state
  const h0x = left - 40;
  body.push(label(h0x - 4, yH + 5, "h", "0", 15));
  for (let i = 0; i < cols; i++) {
    const x = cx(i);
    const dec = encdec && i >= T;
    const c = dec ? COLORS.s : COLORS.h;
    // recurrence arrow from the previous state (or h0, or the context vector)
    if (i === 0) body.push(arrow(h0x + 10, yH, x - bw / 2 - 2, yH));
    else if (!(encdec && i === T)) body.push(arrow(cx(i - 1) + bw / 2, yH, x - bw / 2 - 2, yH));
    body.push(box(x, yH, bw, bh, c));
    body.push(label(x - 2, yH + 5, dec ? "s" : "h", String(dec ? i - T + 1 : i + 1), 16));
    const wide = (s: string) => Math.max(bw, textWidth(s, 14) + 16);
    if (hasX(i)) {
      const [b, s] = xLabel(i);
      const w = wide(b + s);
      body.push(box(x, yX, w, 34, dec ? COLORS.y : COLORS.x, 6));
      body.push(label(x, yX + 5, b, s, 14));
      body.push(arrow(x, yX - 17, x, yH + bh / 2 + 2, { dashed: dec }));
    }
    if (hasY(i)) {
      const [b, s] = yLabel(i);
      const w = wide(b + s);
      body.push(box(x, yY, w, 34, COLORS.y, 6));
      body.push(label(x, yY + 5, b, s, 14));
      body.push(arrow(x, yH - bh / 2, x, yY + 19));
      // the decoder feeds each output back as the next input
      if (dec && i < cols - 1)
        body.push(
          path(
            `M${x + w / 2},${yY} C${x + colW * 0.55},${yY} ${cx(i + 1) - 40},${yX} ${cx(i + 1) - Math.max(bw, wide(xLabel(i + 1).join(""))) / 2 - 2},${yX}`,
            { color: "#3c8d2f" },
          ),
        );
    }
  }
  if (encdec) {
    const ccx = (cx(T - 1) + cx(T)) / 2;
    body.push(box(ccx, yH, 40, 40, COLORS.c, 20));
    body.push(label(ccx, yH + 5, "c", "", 16));
    body.push(arrow(cx(T - 1) + bw / 2, yH, ccx - 22, yH));
    body.push(arrow(ccx + 20, yH, cx(T) - bw / 2 - 2, yH));
    body.push(label(ccx, yH - 28, tr("context", "문맥"), "", 11, { color: "#555" }));
    const encMid = (cx(0) + cx(T - 1)) / 2,
      decMid = (cx(T) + cx(cols - 1)) / 2;
    body.push(label(encMid, height - 8, tr("encoder", "인코더"), "", 13, { color: COLORS.h.stroke }));
    body.push(label(decMid, height - 8, tr("decoder", "디코더"), "", 13, { color: COLORS.s.stroke }));
  }
  if (opts.weights ?? true) {
    const x = cx(0);
    if (hasX(0)) body.push(label(x + 8, (yX + yH) / 2 + 8, "W", "xh", 12, { anchor: "start", color: "#666" }));
    if (hasY(0)) body.push(label(x + 8, (yY + yH) / 2 + 4, "W", "hy", 12, { anchor: "start", color: "#666" }));
    if (cols > 1 && !(encdec && T === 1)) body.push(label((cx(0) + cx(1)) / 2, yH - 8, "W", "hh", 12, { color: "#666" }));
  }
  const svg = svgDoc(width, height, body);
  const n = (f: (i: number) => boolean) => Array.from({ length: cols }, (_, i) => i).filter(f).length;
  const what = encdec
    ? inLang({ en: `${T} encoder steps → context c → ${D} decoder steps`, ko: `인코더 ${T}스텝 → 문맥 c → 디코더 ${D}스텝` })
    : inLang({ en: `${T} step(s), ${n(hasX)} input(s), ${n(hasY)} output(s)`, ko: `${T}스텝, 입력 ${n(hasX)}개, 출력 ${n(hasY)}개` });
  const text = `${inLang(W.unrolled)} (${shape}, ${KOREAN[shape]}): ${what}`;
  return { svg, width, height, text };
}

export interface RnnLoopDiagramOptions {
  /** Time steps of the unrolled part (default: as many as `inputs`, else 3). */
  steps?: number;
  /** Labels under the unrolled inputs (e.g. characters). */
  inputs?: readonly string[];
  /** Labels above the unrolled outputs. */
  outputs?: readonly string[];
  title?: string;
}

/**
 * The recurrence drawn twice, side by side: rolled up (one cell whose state feeds back into itself
 * through W_hh, the loop) and unrolled over time (펼침: the same cell once per step, many-to-many).
 */
export function rnnLoopDiagram(opts: RnnLoopDiagramOptions = {}): Picture {
  const d = rnnLoopSvg(opts);
  return Picture.fromSvg(d.svg, d.text);
}

/** rnnLoopDiagram's SVG document and its text (exported for tests). */
export function rnnLoopSvg(opts: RnnLoopDiagramOptions = {}): { svg: string; text: string } {
  const steps = opts.steps ?? opts.inputs?.length ?? 3;
  const unrolled = unrolledSvg("many-to-many", { steps, inputs: opts.inputs, outputs: opts.outputs, title: "", subtitle: "" });
  const title = opts.title ?? tr("the loop, and the same network unrolled (펼침)", "순환과 펼침 (the loop, and the same network unrolled)");
  const left = 290; // the rolled-up cell's part; the unrolled diagram is placed after it
  const cx = 96,
    yY = 104,
    yH = 204,
    yX = 304,
    bw = 62,
    bh = 40;
  const width = Math.ceil(Math.max(left + unrolled.width, textWidth(title, 18) + 32));
  const height = unrolled.height + 8;
  const b: string[] = [];
  b.push(label(16, 30, title, "", 18, { anchor: "start" }));
  b.push(label(16, 50, inLang(W.sameCellW), "", 12, { anchor: "start", color: "#666" }));
  // the rolled-up cell: x_t in, y_t out, h_t fed back into itself
  b.push(box(cx, yX, bw, 34, COLORS.x, 6), label(cx, yX + 5, "x", "t", 14));
  b.push(arrow(cx, yX - 17, cx, yH + bh / 2 + 2));
  b.push(box(cx, yH, bw, bh, COLORS.h), label(cx - 2, yH + 5, "h", "t", 16));
  b.push(box(cx, yY, bw, 34, COLORS.y, 6), label(cx, yY + 5, "y", "t", 14));
  b.push(arrow(cx, yH - bh / 2, cx, yY + 19));
  // the loop: out of the cell's right side and back in, one step later
  const r = cx + bw / 2;
  b.push(path(`M${r},${yH - 10} C${r + 70},${yH - 64} ${r + 70},${yH + 64} ${r + 2},${yH + 10}`, { color: COLORS.h.stroke, width: 2 }));
  b.push(label(r + 60, yH + 5, "W", "hh", 12, { anchor: "start", color: "#666" }));
  b.push(label(cx + 8, (yX + yH) / 2 + 8, "W", "xh", 12, { anchor: "start", color: "#666" }));
  b.push(label(cx + 8, (yY + yH) / 2 + 4, "W", "hy", 12, { anchor: "start", color: "#666" }));
  b.push(label(r + 44, yH + 62, "h", "t−1", 12, { color: COLORS.h.stroke }));
  // "unroll" arrow between the two pictures
  b.push(arrow(left - 66, yH, left - 10, yH, { width: 2.4 }));
  b.push(
    label(left - 38, yH - 12, tr("unroll", "펼침"), "", 13),
    label(left - 38, yH + 22, tr("(펼침)", "(unroll)"), "", 11, { color: "#666" }),
  );
  b.push(label(cx + 20, height - 14, tr("the loop", "순환"), "", 13, { color: COLORS.h.stroke }));
  b.push(
    label(
      left + unrolled.width / 2,
      height - 14,
      inLang({ en: `unrolled (펼침), ${steps} steps`, ko: `펼침 (unrolled, ${steps}스텝)` }),
      "",
      13,
      { color: COLORS.h.stroke },
    ),
  );
  // the unrolled diagram, as drawn by rnnDiagram, nested at the right
  // (without its white background, which would cover the title)
  b.push(unrolled.svg.replace("<svg ", `<svg x="${left}" y="0" `).replace(BACKGROUND, ""));
  const svg = svgDoc(width, height, b);
  const rolled = inLang({
    en: "RNN rolled up (one cell, its state fed back through W_hh) and unrolled (펼침)",
    ko: "감긴 RNN (셀 하나, 상태가 W_hh를 거쳐 되돌아옴)과 펼친 RNN (펼침)",
  });
  return { svg, text: `${rolled}: ${unrolled.text.replace(`${inLang(W.unrolled)} `, "")}` };
}

// ---- LSTM cell ----------------------------------------------------------------------------

type Num = number | ArrayLike<number>;

export interface LstmValues {
  x?: Num;
  hPrev?: Num;
  cPrev?: Num;
  /** forget, input and output gates, candidate c̃ (g), new cell and hidden state */
  f?: Num;
  i?: Num;
  g?: Num;
  o?: Num;
  c?: Num;
  h?: Num;
}

export interface LstmDiagramOptions {
  /** Numbers of one time step, written beside each part (scalars or short vectors). */
  values?: LstmValues;
  title?: string;
  /** Write the gate equations beside the cell (default true). */
  equations?: boolean;
}

function showNum(v: Num | undefined): string {
  if (v === undefined) return "";
  // three significant digits in exponent form past 10^5, so one number never needs more than ~9 characters
  const f = (x: number) =>
    !Number.isFinite(x) ? String(x) : Math.abs(x) >= 1e5 ? x.toPrecision(3) : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2);
  if (typeof v === "number") return f(v);
  const a = Array.from(v);
  return `[${a.slice(0, 3).map(f).join(", ")}${a.length > 3 ? ", …" : ""}]`;
}

/** `s` broken after its commas into lines no wider than `maxWidth` px at `size` px (a piece wider than that keeps a line to itself). */
function wrapAtCommas(s: string, maxWidth: number, size: number): string[] {
  const pieces = s.split(/(?<=,) /);
  const lines: string[] = [];
  for (const p of pieces) {
    const last = lines.length ? `${lines[lines.length - 1]} ${p}` : "";
    if (lines.length && textWidth(last, size) <= maxWidth) lines[lines.length - 1] = last;
    else lines.push(p);
  }
  return lines;
}

/**
 * The LSTM cell: forget, input and output gates (σ), the candidate c̃ (tanh), the cell state c
 * running along the top and the hidden state h; with `values`, one step's numbers on it.
 */
export function lstmDiagram(opts: LstmDiagramOptions = {}): Picture {
  const d = lstmSvg(opts);
  return Picture.fromSvg(d.svg, d.text);
}

/** lstmDiagram's SVG document and its text (exported for tests). */
export function lstmSvg(opts: LstmDiagramOptions = {}): { svg: string; text: string } {
  const v = opts.values ?? {};
  const eq = opts.equations ?? true;
  const yC = 110,
    yMul = 180,
    yGate = 240,
    yBus = 330,
    right = 680;
  const gx = { f: 200, i: 300, g: 400, o: 500 };
  const plusX = 350,
    xo = 580,
    xUp = 625;
  // One step's numbers go in fixed places that nothing else uses, wrapped at their commas to fit:
  // under each gate, between its input arrow and the next gate's; above the c_{t-1} and h_{t-1}
  // lines; under the c_t and h_t labels, left of the equations (which start past their widest line).
  const VALUE_SIZE = 12,
    VALUE_LINE = 14;
  const valueX = right + 6,
    valueWidth = 104;
  const ex = valueX + valueWidth + 16;
  const W = eq ? ex + 310 : ex,
    H = 480;
  const b: string[] = [];
  b.push(label(16, 30, opts.title ?? tr("LSTM cell", "LSTM 셀"), "", 18, { anchor: "start" }));
  // cell body
  b.push(`<rect x="90" y="70" width="${right - 30 - 90}" height="300" rx="18" fill="#f6f6f6" stroke="#999" stroke-width="1.5"/>`);
  // cell state line (c_{t-1} → × → + → c_t)
  b.push(label(52, yC + 5, "c", "t−1", 16));
  b.push(path(`M70,${yC} L${gx.f - 14},${yC}`, { arrow: false }));
  b.push(path(`M${gx.f + 14},${yC} L${plusX - 14},${yC}`, { arrow: false }));
  b.push(path(`M${plusX + 14},${yC} L${right},${yC}`));
  b.push(label(right + 24, yC + 5, "c", "t", 16));
  // inputs: h_{t-1} from the left and x_t from below, joined (concatenated) into one bus
  b.push(label(52, yBus + 5, "h", "t−1", 16));
  b.push(path(`M70,${yBus} L${gx.o},${yBus}`, { arrow: false }));
  b.push(label(140, 440, "x", "t", 16));
  b.push(path(`M140,418 L140,${yBus}`, { arrow: false }));
  b.push(`<circle cx="140" cy="${yBus}" r="3" fill="#444"/>`);
  for (const x of [gx.f, gx.i, gx.g, gx.o]) b.push(arrow(x, yBus, x, yGate + 18));
  // gates
  const gate = (x: number, fn: string, name: string, part: string) => {
    b.push(`<rect x="${x - 26}" y="${yGate - 16}" width="52" height="32" rx="5" fill="#fff3b0" stroke="#c9a400" stroke-width="1.5"/>`);
    b.push(label(x, yGate + 6, fn, "", fn.length > 1 ? 14 : 17));
    b.push(label(x - 32, yGate - 20, name, "t", 14, { anchor: "end", color: "#333" }));
    b.push(label(x, yBus + 24, part, "", 11, { color: "#777" }));
  };
  // Korean: the slides' figure, each part with its English name
  gate(gx.f, "σ", "f", tr("forget", "망각 (forget)"));
  gate(gx.i, "σ", "i", tr("input", "입력 (input)"));
  gate(gx.g, "tanh", "c̃", tr("candidate", "후보 (candidate)"));
  gate(gx.o, "σ", "o", tr("output", "출력 (output)"));
  const op = (x: number, y: number, s: string) => {
    b.push(`<circle cx="${x}" cy="${y}" r="14" fill="#fbd3d3" stroke="#c44" stroke-width="1.5"/>`);
    b.push(label(x, y + 5, s, "", 16));
  };
  // forget: f ⊙ c_{t-1}
  b.push(arrow(gx.f, yGate - 16, gx.f, yC + 16));
  op(gx.f, yC, "×");
  // input: i ⊙ c̃, added to the cell state
  b.push(path(`M${gx.i},${yGate - 16} L${gx.i},${yMul} L${plusX - 16},${yMul}`));
  b.push(path(`M${gx.g},${yGate - 16} L${gx.g},${yMul} L${plusX + 16},${yMul}`));
  op(plusX, yMul, "×");
  b.push(path(`M${plusX},${yMul - 14} L${plusX},${yC + 16}`));
  op(plusX, yC, "+");
  // output: o ⊙ tanh(c_t) = h_t
  const yT = (yC + yGate) / 2 + 4;
  b.push(`<circle cx="${xo}" cy="${yC}" r="3" fill="#444"/>`);
  b.push(path(`M${xo},${yC} L${xo},${yT - 16}`));
  b.push(`<rect x="${xo - 24}" y="${yT - 14}" width="48" height="28" rx="14" fill="#fbd3d3" stroke="#c44" stroke-width="1.5"/>`);
  b.push(label(xo, yT + 5, "tanh", "", 13));
  b.push(path(`M${xo},${yT + 14} L${xo},${yGate - 16}`));
  b.push(path(`M${gx.o + 26},${yGate} L${xo - 16},${yGate}`));
  op(xo, yGate, "×");
  // h_t leaves to the right (the next step) and upwards (this step's output)
  b.push(path(`M${xo},${yGate + 14} L${xo},${yBus} L${right},${yBus}`));
  b.push(label(right + 24, yBus + 5, "h", "t", 16));
  b.push(`<circle cx="${xUp}" cy="${yBus}" r="3" fill="#444"/>`);
  b.push(path(`M${xUp},${yBus} L${xUp},50`));
  b.push(label(xUp + 12, 56, "h", "t", 14, { anchor: "start" }));
  // one step's numbers, in blue: `y` is the first line's baseline, or with `up` the last one's
  const val = (x: number, y: number, n: Num | undefined, maxWidth: number, up = false) => {
    const s = showNum(n);
    if (!s) return;
    const lines = wrapAtCommas(s, maxWidth, VALUE_SIZE);
    const first = up ? y - (lines.length - 1) * VALUE_LINE : y;
    const spans = lines.map((l, k) => `<tspan x="${x}" y="${first + k * VALUE_LINE}">${esc(l)}</tspan>`).join("");
    b.push(`<text font-size="${VALUE_SIZE}" fill="#1f5fa8">${spans}</text>`);
  };
  for (const k of ["f", "i", "g", "o"] as const) val(gx[k] + 6, yGate + 34, v[k], 100 - 12);
  val(40, yC - 12, v.cPrev, gx.f - 20 - 40, true);
  val(40, yBus - 12, v.hPrev, gx.f - 8 - 40, true);
  val(160, 438, v.x, 240);
  val(valueX, yC + 30, v.c, valueWidth);
  val(valueX, yBus + 30, v.h, valueWidth);
  if (eq) {
    const lines: [string, string][] = [
      ["f_t = σ(W_f [h_{t−1}, x_t] + b_f)", tr("forget gate", "망각 게이트 (forget gate)")],
      ["i_t = σ(W_i [h_{t−1}, x_t] + b_i)", tr("input gate", "입력 게이트 (input gate)")],
      ["c̃_t = tanh(W_c [h_{t−1}, x_t] + b_c)", tr("candidate cell state", "후보 셀 상태 (candidate)")],
      ["o_t = σ(W_o [h_{t−1}, x_t] + b_o)", tr("output gate", "출력 게이트 (output gate)")],
      ["c_t = f_t ⊙ c_{t−1} + i_t ⊙ c̃_t", tr("cell state", "셀 상태 (cell state)")],
      ["h_t = o_t ⊙ tanh(c_t)", tr("hidden state", "은닉 상태 (hidden state)")],
    ];
    lines.forEach(([e, name], k) => {
      const y = 100 + k * 52;
      b.push(`<text x="${ex}" y="${y}" font-size="14" fill="#222">${subscripts(e, y)}</text>`);
      b.push(`<text x="${ex}" y="${y + 21}" font-size="11" fill="#777">${esc(name)}</text>`);
    });
  }
  const svg = svgDoc(W, H, b);
  const shown = Object.entries(v)
    .filter(([, x]) => x !== undefined)
    .map(([k, x]) => `${k}=${showNum(x as Num)}`);
  const what = inLang({
    en: "LSTM cell diagram (forget/input/output gates, candidate c̃, cell state c, hidden state h)",
    ko: "LSTM 셀 그림 (망각/입력/출력 게이트, 후보 셀 상태 c̃, 셀 상태 c, 은닉 상태 h)",
  });
  return { svg, text: `${what}${shown.length ? `: ${shown.join(", ")}` : ""}` };
}

/** "h_{t−1}" and "x_t" as SVG tspans with subscripts, on the baseline `y`. */
function subscripts(s: string, y: number): string {
  const out: string[] = [];
  const re = /_(\{[^}]*\}|[A-Za-z0-9])/g;
  let last = 0;
  for (let m; (m = re.exec(s));) {
    out.push(`<tspan y="${y}">${esc(s.slice(last, m.index))}</tspan>`);
    const sub = m[1].startsWith("{") ? m[1].slice(1, -1) : m[1];
    out.push(`<tspan font-size="10" y="${y + 4}">${esc(sub)}</tspan>`);
    last = m.index + m[0].length;
  }
  out.push(`<tspan y="${y}">${esc(s.slice(last))}</tspan>`);
  return out.join("");
}
