// Fonts for every picture seqlab renders: DejaVu Sans for Latin, Greek and symbols, Noto Sans KR for
// Hangul, passed to resvg as files (system fonts are never consulted, so a picture looks the same
// on every machine). The same files give vega exact text widths for its layout (advance widths
// from the fonts' cmap and hmtx tables) instead of its 0.8-em-per-character estimate.
import { existsSync, readFileSync } from "fs";
import * as path from "path";

/** A package's folder, looked up along Node's module paths (some hide package.json behind "exports"). */
/** The folder of an installed npm package (found the way require would find it). */
export function packageDir(name: string): string {
  for (const dir of require.resolve.paths(name) ?? []) {
    if (existsSync(path.join(dir, name, "package.json"))) return path.join(dir, name);
  }
  throw new Error(`seqlab: the package ${name} is not installed`);
}

/** Font files resvg loads, regular and bold of both families. */
export const FONT_FILES: readonly string[] = (() => {
  const dejavu = path.join(packageDir("dejavu-fonts-ttf"), "ttf");
  const kr = path.join(packageDir("@embedpdf/fonts-kr"), "fonts");
  return [
    path.join(dejavu, "DejaVuSans.ttf"),
    path.join(dejavu, "DejaVuSans-Bold.ttf"),
    path.join(kr, "NotoSansKR-Regular.otf"),
    path.join(kr, "NotoSansKR-Bold.otf"),
  ];
})();

/** Only the Latin font: what a renderer without a Korean font would draw (tests compare against it). */
export const LATIN_ONLY_FONT_FILES: readonly string[] = [FONT_FILES[0], FONT_FILES[1]];

/**
 * The CSS font list used in vega configs and hand-made SVG. "Noto Sans KR" is the name the font has
 * in browsers (Google Fonts); the npm file calls its family "Noto Sans Korean"; resvg falls back per
 * character in any case.
 */
export const FONT_FAMILY = "DejaVu Sans, Noto Sans KR, Noto Sans Korean, sans-serif";
export const DEFAULT_FONT = "DejaVu Sans";

// ---- advance widths -----------------------------------------------------------------------

interface FontMetrics {
  unitsPerEm: number;
  advance: Map<number, number>; // code point → advance width in font units
  notdef: number;
}

function parseFont(file: string): FontMetrics {
  const b = readFileSync(file);
  const tables = new Map<string, number>();
  const n = b.readUInt16BE(4);
  for (let i = 0; i < n; i++) tables.set(b.toString("latin1", 12 + 16 * i, 16 + 16 * i), b.readUInt32BE(12 + 16 * i + 8));
  const need = (t: string) => {
    const o = tables.get(t);
    if (o === undefined) throw new Error(`${path.basename(file)}: no ${t} table`);
    return o;
  };
  const unitsPerEm = b.readUInt16BE(need("head") + 18);
  const nh = b.readUInt16BE(need("hhea") + 34);
  const hmtx = need("hmtx");
  const adv = (g: number) => b.readUInt16BE(hmtx + 4 * Math.min(g, nh - 1));
  const cmap = need("cmap");
  let best = -1,
    bestScore = 0;
  for (let i = 0, m = b.readUInt16BE(cmap + 2); i < m; i++) {
    const pid = b.readUInt16BE(cmap + 4 + 8 * i),
      eid = b.readUInt16BE(cmap + 6 + 8 * i);
    const off = cmap + b.readUInt32BE(cmap + 8 + 8 * i);
    const format = b.readUInt16BE(off);
    const score = format === 12 ? 3 : format === 4 && (pid === 3 || pid === 0) ? (eid === 1 || pid === 0 ? 2 : 1) : 0;
    if (score > bestScore) {
      best = off;
      bestScore = score;
    }
  }
  const advance = new Map<number, number>();
  if (best < 0) throw new Error(`${path.basename(file)}: no Unicode cmap`);
  if (b.readUInt16BE(best) === 12) {
    const groups = b.readUInt32BE(best + 12);
    for (let g = 0; g < groups; g++) {
      const o = best + 16 + 12 * g;
      const start = b.readUInt32BE(o),
        end = b.readUInt32BE(o + 4),
        glyph = b.readUInt32BE(o + 8);
      for (let c = start; c <= end && c - start < 0x30000; c++) advance.set(c, adv(glyph + c - start));
    }
  } else {
    const segX2 = b.readUInt16BE(best + 6);
    const ends = best + 14,
      starts = ends + segX2 + 2,
      deltas = starts + segX2,
      ranges = deltas + segX2;
    for (let s = 0; s < segX2 / 2; s++) {
      const end = b.readUInt16BE(ends + 2 * s),
        start = b.readUInt16BE(starts + 2 * s);
      const delta = b.readInt16BE(deltas + 2 * s),
        ro = b.readUInt16BE(ranges + 2 * s);
      for (let c = start; c <= end && c !== 0xffff; c++) {
        let g: number;
        if (ro === 0) g = (c + delta) & 0xffff;
        else {
          g = b.readUInt16BE(ranges + 2 * s + ro + 2 * (c - start));
          if (g !== 0) g = (g + delta) & 0xffff;
        }
        if (g !== 0) advance.set(c, adv(g));
      }
    }
  }
  return { unitsPerEm, advance, notdef: adv(0) };
}

let metrics: { regular: FontMetrics[]; bold: FontMetrics[] } | undefined;
function loaded() {
  metrics ??= {
    regular: [parseFont(FONT_FILES[0]), parseFont(FONT_FILES[2])],
    bold: [parseFont(FONT_FILES[1]), parseFont(FONT_FILES[3])],
  };
  return metrics;
}

/** Width in pixels of `text` set in FONT_FAMILY at `size` px (per-character fallback, as resvg draws it). */
export function textWidth(text: string, size: number, bold = false): number {
  const fonts = bold ? loaded().bold : loaded().regular;
  let w = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    let done = false;
    for (const f of fonts) {
      const a = f.advance.get(cp);
      if (a !== undefined) {
        w += (a / f.unitsPerEm) * size;
        done = true;
        break;
      }
    }
    if (!done) w += (fonts[0].notdef / fonts[0].unitsPerEm) * size;
  }
  return w;
}

/** Make vega measure text with the real fonts (vega's own hook for this, as vl-convert uses it). */
export function installTextMetrics(vega: any): void {
  const tm = vega.textMetrics;
  if (!tm || tm.__seqlab) return;
  tm.width = (item: any, text?: unknown) => {
    const raw = text ?? item.text;
    const s = (raw == null ? "" : Array.isArray(raw) ? raw.join(" ") : String(raw)).trim();
    const size = item.fontSize != null ? +item.fontSize : 11;
    const w = item.fontWeight;
    const bold = w === "bold" || w === "bolder" || (typeof w === "number" && w >= 600) || (typeof w === "string" && +w >= 600);
    const width = textWidth(s, size, bold);
    // vega truncates text longer than `limit` (with an ellipsis) when it draws it
    return item.limit > 0 ? Math.min(width, +item.limit) : width;
  };
  Object.defineProperty(tm, "__seqlab", { value: true });
}
