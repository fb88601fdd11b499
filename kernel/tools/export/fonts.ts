// Korean text in a report must not depend on the reader's fonts: a machine without a Korean font
// shows boxes. A page with Hangul carries Noto Sans KR (the npm package @embedpdf/fonts-kr, the
// font seqlab's pictures are drawn with) cut down by subset-font (HarfBuzz's subsetter) to the
// Hangul characters the page holds, as a WOFF data: URL under the family "seqlab-ko". A fixed
// subset will not do: Google Fonts' Korean cut has 2,350 syllables and no conjoining jamo, and a
// course about jamo and a corpus of novels use others.
//
// The family comes first in the page's font lists (and in the inline styles and chart fonts that
// name their own; see sanitize.ts and the chart script): its unicode-range limits it to Hangul,
// and a system font tried first can claim Hangul it draws as boxes (seen with lang="ko" and
// system-ui). The browser makes bold from it.
import { readFileSync } from "fs";
import * as path from "path";
import postcss from "postcss";
import subsetFont from "subset-font";
import { packageDir } from "../../../src/plot/fonts";

export const KOREAN_FAMILY = "seqlab-ko";
/** Hangul: jamo, compatibility jamo, jamo extended A and B, syllables, halfwidth jamo. */
const HANGUL_RANGES: [number, number][] = [
  [0x1100, 0x11ff],
  [0x3130, 0x318f],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xd7b0, 0xd7ff],
  [0xffa0, 0xffdc],
];
const UNICODE_RANGE = HANGUL_RANGES.map(([a, b]) => `U+${a.toString(16).toUpperCase()}-${b.toString(16).toUpperCase()}`).join(", ");
const isHangul = (cp: number) => HANGUL_RANGES.some(([a, b]) => cp >= a && cp <= b);

/** The distinct Hangul characters of `text` (also those written as &#...; references), sorted. */
export function hangulIn(text: string): string {
  const found = new Set<number>();
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (isHangul(cp)) found.add(cp);
  }
  for (const m of text.matchAll(/&#(?:x([0-9a-f]+)|(\d+));/gi)) {
    const cp = m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2]);
    if (isHangul(cp)) found.add(cp);
  }
  return String.fromCodePoint(...[...found].sort((a, b) => a - b));
}

let otf: Buffer | undefined;
/** Noto Sans KR Regular (OpenType/CFF, every modern syllable and jamo). */
export function koreanFontFile(): string {
  return path.join(packageDir("@embedpdf/fonts-kr"), "fonts", "NotoSansKR-Regular.otf");
}

const subsets = new Map<string, Promise<Buffer>>();
/** Noto Sans KR with only these characters' glyphs (and what shaping them needs), as WOFF. */
export function koreanSubset(chars: string): Promise<Buffer> {
  let p = subsets.get(chars);
  if (!p) {
    otf ??= readFileSync(koreanFontFile());
    subsets.set(chars, (p = subsetFont(otf, chars, { targetFormat: "woff" })));
  }
  return p;
}

/** The @font-face rule carrying the Hangul of `text`, when it has any; else "". */
export async function koreanFontCss(text: string): Promise<string> {
  const chars = hangulIn(text);
  if (!chars) return "";
  const woff = await koreanSubset(chars);
  return (
    `@font-face { font-family: "${KOREAN_FAMILY}"; font-display: block; ` +
    `src: url(data:font/woff;base64,${woff.toString("base64")}) format("woff"); unicode-range: ${UNICODE_RANGE}; }`
  );
}

// ---- putting the family first in font lists that others wrote ----------------------------------

/** The family put in front of every font list: the report's embedded Noto Sans KR (Hangul only). */
const FRONT = `"${KOREAN_FAMILY}"`;

/** A font list with the embedded Korean font first (unchanged when it is there already). */
export function withKoreanFirst(families: string): string {
  const list = families.trim();
  if (!list || list.replace(/["']/g, "").split(",")[0].trim() === KOREAN_FAMILY) return list;
  return `${FRONT}, ${list}`;
}

/** The family list at the end of a `font` shorthand ("bold 12px/1.2 monospace"), after the size. */
const FONT_SHORTHAND =
  /^(.*?(?:\d(?:px|pt|pc|em|rem|ex|ch|%|in|cm|mm|q|vw|vh)|\b(?:xx-small|x-small|small|medium|large|x-large|xx-large|xxx-large|smaller|larger))(?:\s*\/\s*\S+)?\s+)(\S.*)$/i;

/** Put the Korean font first in every font-family and font declaration of a parsed stylesheet
 * (not in @font-face rules, where font-family names the face); true when something changed. */
function koreanFirstInRoot(root: postcss.Root): boolean {
  let changed = false;
  root.walkDecls((d) => {
    if (d.parent?.type === "atrule" && (d.parent as postcss.AtRule).name.toLowerCase() === "font-face") return;
    const prop = d.prop.toLowerCase();
    if (prop === "font-family") {
      d.value = withKoreanFirst(d.value);
      changed = true;
    } else if (prop === "font") {
      const m = FONT_SHORTHAND.exec(d.value);
      if (m) {
        d.value = m[1] + withKoreanFirst(m[2]);
        changed = true;
      }
    }
  });
  return changed;
}

/** An inline style with the embedded Korean font put first in its font-family (or font). */
export function koreanFirstInStyle(style: string): string {
  if (!/font/i.test(style)) return style;
  let root: postcss.Root;
  try {
    root = postcss.parse(`x{${style}}`);
  } catch {
    return style; // not CSS: the sanitizer drops it, or (trusted) the browser ignores it
  }
  if (!koreanFirstInRoot(root)) return style;
  let out = "";
  root.walkDecls((d) => {
    out += `${d.prop}:${d.value}${d.important ? " !important" : ""};`;
  });
  return out;
}

/** A stylesheet (KaTeX's) with the embedded Korean font first in its font lists: \text{망각} in a
 * formula is set in KaTeX_Main otherwise, which has no Hangul. */
export function koreanFirstInCss(css: string): string {
  const root = postcss.parse(css);
  return koreanFirstInRoot(root) ? root.toString() : css;
}

/** Add the font to a finished page: the rule in <head>. */
export async function withKoreanFont(html: string): Promise<string> {
  const rule = await koreanFontCss(html);
  return rule ? html.replace("</head>", `<style>${rule}</style>\n</head>`) : html;
}
