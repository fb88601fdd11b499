// Tensors as rich values: shape and dtype with the values, an HTML table for small tensors and a
// heatmap picture for a large matrix. `installTensorDisplay(tf)` gives every tf.Tensor (and
// Variable) the display hook, so a cell that ends in a tensor shows it this way.
import { DISPLAY } from "../display/display";
import { fmt } from "../plot/data";
import { encodePng } from "../plot/png";
import { esc, Picture } from "../plot/render";
import { FONT_FAMILY, textWidth } from "../plot/fonts";
import { HtmlView } from "./html";
import { tr } from "../lang";

/** What seqlab needs of a tensor (tf.Tensor has it). */
export interface TensorLike {
  readonly shape: number[];
  readonly dtype: string;
  readonly size: number;
  readonly isDisposed?: boolean;
  dataSync(): ArrayLike<number | string | Uint8Array>;
}

export interface ShowTensorOptions {
  /** At most this many values get a table (default 400); larger matrices get a heatmap. */
  maxTableValues?: number;
}

function cell(v: unknown, dtype: string): string {
  if (dtype === "string") return typeof v === "string" ? v : v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : String(v);
  if (dtype === "bool") return v ? "true" : "false";
  if (dtype === "int32") return String(v);
  return fmt(Number(v));
}

/** Nested text like tf's print, with at most `edge` items at each end of every axis. */
function nested(values: ArrayLike<unknown>, shape: number[], dtype: string, edge = 3): string {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const rec = (dim: number, off: number, indent: string): string => {
    if (dim === shape.length) return dtype === "string" ? JSON.stringify(cell(values[off], dtype)) : cell(values[off], dtype);
    const n = shape[dim];
    const idx =
      n > 2 * edge + 1
        ? [...Array.from({ length: edge }, (_, i) => i), -1, ...Array.from({ length: edge }, (_, i) => n - edge + i)]
        : Array.from({ length: n }, (_, i) => i);
    const parts = idx.map((i) => (i < 0 ? "…" : rec(dim + 1, off + i * strides[dim], indent + " ")));
    return dim === shape.length - 1 ? `[${parts.join(", ")}]` : `[${parts.join(`,\n${indent} `)}]`;
  };
  return rec(0, 0, "");
}

interface Stats {
  min: number;
  max: number;
  mean: number;
  std: number;
  nonFinite: number;
}

function stats(v: ArrayLike<number>): Stats {
  let min = Infinity,
    max = -Infinity,
    s = 0,
    s2 = 0,
    n = 0,
    bad = 0;
  for (let i = 0; i < v.length; i++) {
    const x = Number(v[i]);
    if (!Number.isFinite(x)) {
      bad++;
      continue;
    }
    if (x < min) min = x;
    if (x > max) max = x;
    s += x;
    s2 += x * x;
    n++;
  }
  const mean = n ? s / n : NaN;
  return { min, max, mean, std: n ? Math.sqrt(Math.max(0, s2 / n - mean * mean)) : NaN, nonFinite: bad };
}

const VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"];
const DIVERGING = ["#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d", "#b2182b"];

function rgb(hex: string): [number, number, number] {
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
}

function colormap(stops: string[], t: number): [number, number, number] {
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x)),
    f = x - i;
  const a = rgb(stops[i]),
    b = rgb(stops[i + 1]);
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f].map(Math.round) as [number, number, number];
}

/**
 * A matrix as a heatmap picture, made synchronously (PNG encoded here, axes and colour bar drawn
 * in SVG around it, rendered by resvg): one pixel per cell, at most 512 per side (block means).
 */
export function matrixPicture(values: ArrayLike<number>, rows: number, cols: number, title = ""): Picture {
  const st = stats(values);
  const rs = Math.max(1, Math.ceil(rows / 512)),
    cs = Math.max(1, Math.ceil(cols / 512));
  const R = Math.ceil(rows / rs),
    C = Math.ceil(cols / cs);
  const signed = st.min < 0 && st.max > 0;
  const lim = Math.max(Math.abs(st.min), Math.abs(st.max));
  const lo = signed ? -lim : st.min,
    hi = signed ? lim : st.max;
  const stops = signed ? DIVERGING : VIRIDIS;
  const px = new Uint8Array(R * C * 4);
  for (let r = 0; r < R; r++)
    for (let c = 0; c < C; c++) {
      let s = 0,
        k = 0;
      for (let i = r * rs; i < Math.min(rows, (r + 1) * rs); i++)
        for (let j = c * cs; j < Math.min(cols, (c + 1) * cs); j++) {
          const x = Number(values[i * cols + j]);
          if (Number.isFinite(x)) {
            s += x;
            k++;
          }
        }
      const o = (r * C + c) * 4;
      const [R8, G8, B8] = k ? colormap(stops, hi > lo ? (s / k - lo) / (hi - lo) : 0.5) : [255, 0, 255];
      px[o] = R8;
      px[o + 1] = G8;
      px[o + 2] = B8;
      px[o + 3] = 255;
    }
  const png = encodePng(px, C, R);
  // display size: up to 3 px per cell, the longer side 240-480 px
  const long = Math.max(rows, cols);
  const k = Math.max(240, Math.min(480, 3 * long)) / long;
  const dw = Math.max(8, Math.round(cols * k)),
    dh = Math.max(8, Math.round(rows * k));
  const L = 46,
    T = title ? 30 : 10,
    H = T + dh + 26;
  const W = Math.ceil(Math.max(L + dw + 80, title ? textWidth(title, 12) + 20 : 0));
  const grad = stops.map((c, i) => `<stop offset="${(i / (stops.length - 1)).toFixed(3)}" stop-color="${c}"/>`).join("");
  const t = (x: number, y: number, s: string, anchor = "middle", size = 11) =>
    `<text x="${x}" y="${y}" font-size="${size}" text-anchor="${anchor}" fill="#333">${esc(s)}</text>`;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${W}" height="${H}" font-family="${FONT_FAMILY}">` +
    `<defs><linearGradient id="cb" x1="0" y1="1" x2="0" y2="0">${grad}</linearGradient></defs>` +
    `<rect width="100%" height="100%" fill="white"/>` +
    (title ? t(10, 20, title, "start", 12) : "") +
    `<image x="${L}" y="${T}" width="${dw}" height="${dh}" preserveAspectRatio="none" image-rendering="optimizeSpeed" xlink:href="data:image/png;base64,${png.toString("base64")}"/>` +
    `<rect x="${L}" y="${T}" width="${dw}" height="${dh}" fill="none" stroke="#999" stroke-width="0.5"/>` +
    t(L - 4, T + 10, "0", "end") +
    t(L - 4, T + dh, String(rows - 1), "end") +
    t(L, T + dh + 14, "0", "start") +
    t(L + dw, T + dh + 14, String(cols - 1), "end") +
    `<rect x="${L + dw + 14}" y="${T}" width="12" height="${dh}" fill="url(#cb)" stroke="#999" stroke-width="0.5"/>` +
    t(L + dw + 30, T + 10, fmt(hi, 3), "start") +
    t(L + dw + 30, T + dh, fmt(lo, 3), "start") +
    `</svg>`;
  return Picture.fromSvg(
    svg,
    title || tr(`heatmap ${rows}×${cols}, ${fmt(st.min)} to ${fmt(st.max)}`, `히트맵 ${rows}×${cols}, ${fmt(st.min)} ~ ${fmt(st.max)}`),
  );
}

function header(t: TensorLike): string {
  return `${tr("Tensor", "텐서")} ${t.dtype} [${t.shape.join(", ")}]`;
}

/** A tensor as shape and dtype with its values: an HTML table when small, a heatmap picture when a large matrix. */
export function showTensor(t: TensorLike, opts: ShowTensorOptions = {}): HtmlView | Picture {
  if (!t || !Array.isArray(t.shape) || typeof t.dataSync !== "function")
    throw new TypeError("showTensor: expected a tensor (shape, dtype, dataSync())");
  const disposed = tr("(disposed)", "(해제됨)");
  if (t.isDisposed) return new HtmlView(`<code>${esc(header(t))}</code> <i>${disposed}</i>`, `${header(t)} ${disposed}`);
  const values = t.dataSync();
  const shape = t.shape;
  const numeric = t.dtype !== "string";
  const st = numeric && t.size ? stats(values as ArrayLike<number>) : undefined;
  const w = tr("min|max|mean|std", "최솟값|최댓값|평균|표준편차").split("|");
  const nonFinite = st?.nonFinite ? tr(`, ${st.nonFinite} NaN/Inf`, `, NaN/Inf ${st.nonFinite}개`) : "";
  const statText = st ? `${w[0]} ${fmt(st.min)}, ${w[1]} ${fmt(st.max)}, ${w[2]} ${fmt(st.mean)}, ${w[3]} ${fmt(st.std)}${nonFinite}` : "";
  const head = `${header(t)}${t.size > 1 && st ? ` · ${statText}` : ""}`;
  const text = `${head}\n${nested(values, shape, t.dtype)}`;
  const maxTable = opts.maxTableValues ?? 400;
  const headHtml = `<div style="font-family:monospace;font-size:12px;margin-bottom:3px"><b>${tr("Tensor", "텐서")}</b> ${esc(t.dtype)} [${shape.join(", ")}]${st && t.size > 1 ? ` <span style="color:#777">· ${esc(statText)}</span>` : ""}</div>`;
  if (t.size <= maxTable) {
    return new HtmlView(headHtml + tablesHtml(values, shape, t.dtype), text);
  }
  if (shape.length === 2 && numeric && shape[0] > 1 && shape[1] > 1) {
    // One picture (image/png + text/plain), its title the header: no HTML copy of the PNG.
    const pic = matrixPicture(values as ArrayLike<number>, shape[0], shape[1], head);
    return new Picture(pic.png, pic.width, pic.height, text);
  }
  return new HtmlView(headHtml + `<pre style="font-size:12px;margin:0">${esc(nested(values, shape, t.dtype))}</pre>`, text);
}

function tablesHtml(values: ArrayLike<unknown>, shape: number[], dtype: string): string {
  const td = (v: unknown, head = false) =>
    `<${head ? "th" : "td"} style="text-align:right;padding:1px 6px;font-family:monospace;${head ? "color:#888;font-weight:normal" : ""}">${esc(v)}</${head ? "th" : "td"}>`;
  const matrix = (off: number, rows: number, cols: number) => {
    let h = `<table style="border-collapse:collapse;font-size:12px;margin:2px 0"><tr>${td("", true)}${Array.from({ length: cols }, (_, j) => td(j, true)).join("")}</tr>`;
    for (let i = 0; i < rows; i++)
      h += `<tr>${td(i, true)}${Array.from({ length: cols }, (_, j) => td(cell(values[off + i * cols + j], dtype))).join("")}</tr>`;
    return h + "</table>";
  };
  if (shape.length === 0) return `<div style="font-family:monospace;font-size:13px">${esc(cell(values[0], dtype))}</div>`;
  if (shape.length === 1) return matrix(0, 1, shape[0]).replace(/<tr><th[^>]*>0<\/th>/, `<tr>${td("", true)}`);
  const rows = shape[shape.length - 2],
    cols = shape[shape.length - 1];
  if (shape.length === 2) return matrix(0, rows, cols);
  const lead = shape.slice(0, -2);
  const count = lead.reduce((a, b) => a * b, 1);
  let h = "";
  for (let k = 0; k < count; k++) {
    const idx: number[] = [];
    for (let r = k, d = lead.length - 1; d >= 0; d--) {
      idx.unshift(r % lead[d]);
      r = Math.floor(r / lead[d]);
    }
    h +=
      `<div style="font-family:monospace;font-size:11px;color:#888;margin-top:4px">[${idx.join(", ")}, :, :]</div>` +
      matrix(k * rows * cols, rows, cols);
  }
  return h;
}

/**
 * Give every tensor of this tf (tf.Tensor.prototype, so Variables too) the display hook: a cell
 * that ends in a tensor then shows it as showTensor does. Returns a function that removes it.
 */
export function installTensorDisplay(tf: { Tensor: { prototype: object } }): () => void {
  const proto = tf?.Tensor?.prototype;
  if (!proto) throw new TypeError('installTensorDisplay: pass the tf module (import * as tf from "@tensorflow/tfjs")');
  Object.defineProperty(proto, DISPLAY, {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function (this: TensorLike) {
      return showTensor(this)[DISPLAY]();
    },
  });
  return () => {
    delete (proto as Record<PropertyKey, unknown>)[DISPLAY];
  };
}
