import { test } from "node:test";
import assert from "node:assert/strict";
import { koreanFontCss, withKoreanFont } from "../../kernel/export/fonts";

test("a page with Hangul carries the Korean font as a data: URL limited to Hangul; one without does not", () => {
  const ko = withKoreanFont("<html><head></head><body>펼침 (unrolling)</body></html>");
  assert.match(ko, /<style>@font-face \{ font-family: "seqlab-ko";[^<]*src: url\(data:font\/woff2;base64,[A-Za-z0-9+/]{1000,}={0,2}\) format\("woff2"\); unicode-range: U\+1100-11FF, U\+3130-318F, U\+AC00-D7A3; \}<\/style>\n<\/head>/);
  const en = "<html><head></head><body>unrolling</body></html>";
  assert.equal(withKoreanFont(en), en);
  assert.equal(koreanFontCss("jamo ᄀ"), koreanFontCss("한"), "conjoining jamo count as Hangul too");
});
