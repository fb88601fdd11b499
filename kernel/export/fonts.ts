// Korean text in a report must not depend on the reader's fonts: a machine without a Korean font
// shows boxes. A page with Hangul carries Noto Sans KR's Korean subset (Google Fonts' cut of
// the common syllables, from an npm package: about 210 KB as woff2) as the family "seqlab-ko".
// It comes first in the page's font lists: its unicode-range limits it to Hangul, and a system
// font tried first can claim Hangul it draws as boxes (seen with lang="ko" and system-ui).
// The browser makes bold from it.
import { readFileSync } from "fs";
import * as path from "path";
import { packageDir } from "../../src/plot/fonts";

export const KOREAN_FAMILY = "seqlab-ko";
const HANGUL = /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]/;
const UNICODE_RANGE = "U+1100-11FF, U+3130-318F, U+AC00-D7A3";

let css: string | undefined;

/** The @font-face rule, when `text` has Hangul; else "". */
export function koreanFontCss(text: string): string {
  if (!HANGUL.test(text)) return "";
  if (css === undefined) {
    const file = path.join(packageDir("@openfonts/noto-sans-kr_korean"), "files", "noto-sans-kr-korean-400.woff2");
    css =
      `@font-face { font-family: "${KOREAN_FAMILY}"; font-display: swap; ` +
      `src: url(data:font/woff2;base64,${readFileSync(file).toString("base64")}) format("woff2"); unicode-range: ${UNICODE_RANGE}; }`;
  }
  return css;
}

/** Add the font to a finished page: the rule in <head>. */
export function withKoreanFont(html: string): string {
  const rule = koreanFontCss(html);
  return rule ? html.replace("</head>", `<style>${rule}</style>\n</head>`) : html;
}
