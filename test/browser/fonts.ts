// What the browser tests share about fonts: a Chromium that has no Korean font of its own, and
// the check that every element showing Hangul draws it with the page's embedded Korean font.
import { mkdirSync, writeFileSync } from "fs";
import * as path from "path";
import { packageDir } from "../../kernel/tools/export/assets";

/** A fontconfig file with only DejaVu (from npm), so a report's Hangul can only come from the
 * font the report embeds. */
export function latinOnlyFontConfig(work: string): string {
  const dir = path.join(work, "fontconfig");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "fonts.conf");
  writeFileSync(
    file,
    `<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>` +
      `<dir>${path.join(packageDir("dejavu-fonts-ttf"), "ttf")}</dir><cachedir>${path.join(dir, "cache")}</cachedir></fontconfig>\n`,
  );
  return file;
}

export const HANGUL = /[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff\uffa0-\uffdc]/g;

/** Elements whose own text has Hangul that the browser did not draw with the report's embedded
 * Korean font, as Chromium reports the fonts it used for them (DevTools' CSS.getPlatformFontsForNode):
 * each needs at least as many glyphs from the embedded font as its text has Hangul syllables and
 * compatibility jamo (conjoining jamo may shape into fewer). Text that is not drawn (a hidden
 * fallback, a chart's JSON) has no fonts and is skipped. The browser has no Korean font of its own. */
export async function hangulNotInEmbeddedFont(page: import("playwright-core").Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("DOM.enable");
  await cdp.send("CSS.enable");
  const { root } = await cdp.send("DOM.getDocument", { depth: -1 });
  const elements: { nodeId: number; text: string }[] = [];
  const walk = (n: any) => {
    const own = (n.children ?? [])
      .filter((c: any) => c.nodeType === 3)
      .map((c: any) => c.nodeValue)
      .join("");
    if (n.nodeType === 1 && !["SCRIPT", "STYLE", "TITLE"].includes(n.nodeName) && HANGUL.test(own))
      elements.push({ nodeId: n.nodeId, text: own });
    HANGUL.lastIndex = 0;
    for (const c of n.children ?? []) walk(c);
    if (n.contentDocument) walk(n.contentDocument);
  };
  walk(root);
  const bad: string[] = [];
  for (const el of elements) {
    const { fonts } = await cdp.send("CSS.getPlatformFontsForNode", { nodeId: el.nodeId });
    if (!fonts.length) continue;
    const korean = fonts
      .filter((f: any) => f.isCustomFont && /Noto Sans (KR|CJK KR|Korean)/i.test(f.familyName))
      .reduce((s: number, f: any) => s + f.glyphCount, 0);
    const needed = (el.text.match(/[\u3130-\u318f\uac00-\ud7a3]/g) ?? []).length || 1;
    if (korean < needed)
      bad.push(
        `${JSON.stringify(el.text.trim().slice(0, 40))}: ${fonts.map((f: any) => `${f.familyName}${f.isCustomFont ? " (embedded)" : ""} ${f.glyphCount}`).join(", ")}`,
      );
  }
  await cdp.detach();
  return bad;
}
