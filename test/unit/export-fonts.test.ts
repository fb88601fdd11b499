import { test } from "node:test";
import assert from "node:assert/strict";
import { inflateSync } from "zlib";
import { hangulIn, koreanFirstInCss, koreanFirstInStyle, koreanFontCss, withKoreanFont } from "../../kernel/tools/export/fonts";
import { sanitizeNotebookHtml } from "../../kernel/tools/export/sanitize";

/** The code points a WOFF 1.0 font maps (its cmap: formats 4 and 12). */
function woffCodePoints(woff: Buffer): Set<number> {
  assert.equal(woff.toString("latin1", 0, 4), "wOFF");
  let cmap: Buffer | undefined;
  for (let i = 0; i < woff.readUInt16BE(12); i++) {
    const o = 44 + 20 * i;
    if (woff.toString("latin1", o, o + 4) !== "cmap") continue;
    const [off, comp, orig] = [woff.readUInt32BE(o + 4), woff.readUInt32BE(o + 8), woff.readUInt32BE(o + 12)];
    const data = woff.subarray(off, off + comp);
    cmap = comp < orig ? inflateSync(data) : data;
  }
  assert.ok(cmap, "the font has a cmap");
  const cps = new Set<number>();
  for (let i = 0; i < cmap.readUInt16BE(2); i++) {
    const off = cmap.readUInt32BE(8 + 8 * i);
    const format = cmap.readUInt16BE(off);
    if (format === 12) {
      for (let g = 0; g < cmap.readUInt32BE(off + 12); g++) {
        for (let c = cmap.readUInt32BE(off + 16 + 12 * g); c <= cmap.readUInt32BE(off + 20 + 12 * g); c++) cps.add(c);
      }
    } else if (format === 4) {
      const segs = cmap.readUInt16BE(off + 6) / 2;
      for (let k = 0; k < segs; k++) {
        const end = cmap.readUInt16BE(off + 14 + 2 * k);
        for (let c = cmap.readUInt16BE(off + 16 + 2 * segs + 2 * k); c <= end && c !== 0xffff; c++) cps.add(c);
      }
    }
  }
  return cps;
}

const fontOf = (css: string) => Buffer.from(/url\(data:font\/woff;base64,([A-Za-z0-9+/=]+)\)/.exec(css)![1], "base64");

test("a page with Hangul carries a Korean font as a data: URL limited to Hangul; one without does not", async () => {
  const ko = await withKoreanFont("<html><head></head><body>펼침 (unrolling)</body></html>");
  assert.match(
    ko,
    /<style>@font-face \{ font-family: "seqlab-ko";[^<]*src: url\(data:font\/woff;base64,[A-Za-z0-9+/]{200,}={0,2}\) format\("woff"\); unicode-range: U\+1100-11FF, U\+3130-318F, U\+A960-A97F, U\+AC00-D7A3, U\+D7B0-D7FF, U\+FFA0-FFDC; \}<\/style>\n<\/head>/,
  );
  const en = "<html><head></head><body>unrolling</body></html>";
  assert.equal(await withKoreanFont(en), en);
  assert.notEqual(await koreanFontCss("jamo ᄀ"), "", "conjoining jamo count as Hangul too");
});

test("the embedded font has a glyph for every Hangul character of the page, rare syllables and jamo included, and no others", async () => {
  // 뷁 and 똠 are not among the 2,350 common syllables; ᄀ ᅡ ᆨ are conjoining jamo; ㄱ a compatibility
  // jamo; &#xD7A3; (힣) is written as a character reference.
  const page = "<p>한국어 뷁 똠 ᄀ ᅡ ᆨ ㄱ &#xD7A3; and Latin</p>";
  assert.equal(hangulIn(page), [..."각ㄱ국똠뷁어한힣"].sort().join(""));
  const cps = woffCodePoints(fontOf(await koreanFontCss(page)));
  for (const ch of hangulIn(page)) assert.ok(cps.has(ch.codePointAt(0)!), `a glyph for ${ch} (U+${ch.codePointAt(0)!.toString(16)})`);
  assert.ok(!cps.has("가".codePointAt(0)!), "only the page's characters (가 is not on it)");
  assert.ok(![...cps].some((c) => c >= 0x41 && c <= 0x7a), "no Latin letters: the page's own fonts draw those");
});

test("inline font lists get the Korean font first, in sanitized and trusted HTML", () => {
  assert.equal(koreanFirstInStyle("padding:1px 8px;font-family:monospace"), 'padding:1px 8px;font-family:"seqlab-ko", monospace;');
  assert.equal(koreanFirstInStyle("font: bold 12px/1.5 'D2Coding', monospace"), "font:bold 12px/1.5 \"seqlab-ko\", 'D2Coding', monospace;");
  assert.equal(koreanFirstInStyle("color:red"), "color:red", "no font, no change");
  const vocab = '<td style="padding:1px 8px;font-family:monospace">토큰</td>';
  for (const trusted of [false, true]) {
    assert.match(sanitizeNotebookHtml(`<table><tr>${vocab}</tr></table>`, trusted), /font-family:(&quot;|")seqlab-ko(&quot;|"), monospace/);
  }
  assert.match(sanitizeNotebookHtml('<font face="Batang">글</font>'), /face="(&quot;|")seqlab-ko(&quot;|"), Batang"/);
});

test("a stylesheet's font lists get the Korean font first, but not the names its @font-face rules declare", () => {
  const css =
    "@font-face{font-family:KaTeX_Main;src:url(data:font/woff2;base64,AA==)}.katex{font:normal 1.21em KaTeX_Main,Times New Roman,serif}.katex .mathnormal{font-family:KaTeX_Math;font-style:italic}";
  const out = koreanFirstInCss(css);
  assert.match(out, /@font-face\{font-family:KaTeX_Main;/);
  assert.match(out, /\.katex\{font:normal 1\.21em "seqlab-ko", KaTeX_Main,Times New Roman,serif\}/);
  assert.match(out, /\.katex \.mathnormal\{font-family:"seqlab-ko", KaTeX_Math;/);
});
