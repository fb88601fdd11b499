// Markdown cells (and text/markdown, text/latex outputs) to HTML: markdown-it, with $...$ and
// $$...$$ parsed as math before emphasis can touch them and rendered by KaTeX at export time,
// headings given anchors for the table of contents, fenced code highlighted. The HTML that comes
// out is sanitized (sanitize.ts) with the formulas held aside, so KaTeX's markup (MathML, inline
// styles) is not subject to the notebook's allow-list; it is put back after.
import katex from "katex";
import MarkdownIt from "markdown-it";
import { Page, escapeHtml, imageDataUrl } from "./common";
import { highlight } from "./highlight";
import { sanitizeNotebookHtml } from "./sanitize";

/** Cell attachments, as nbformat stores them: name -> mimetype -> base64. */
export type Attachments = Record<string, Record<string, string | string[]>>;

interface Env {
  page: Page;
  /** Give headings anchors and list them in the page's table of contents. */
  toc?: boolean;
  attachments?: Attachments;
  /** KaTeX's HTML for each formula, by the number in its placeholder. */
  math: string[];
}

/** A formula's place in the markdown's HTML: a word that sanitizing leaves alone. */
function mathSlot(env: Env, html: string): string {
  env.math.push(html);
  return `${env.page.mathKey}x${env.math.length - 1}x`;
}

export function renderTex(tex: string, displayMode: boolean, page: Page): string {
  page.needs.add("katex");
  return katex.renderToString(tex, { displayMode, throwOnError: false, strict: "ignore", macros: page.macros, globalGroup: true });
}

const space = (c: string | undefined) => c === undefined || /\s/.test(c);

/** `$x$` and `$$x$$` inside a paragraph. Inline `$` follows pandoc: no space just inside the
 * dollars, no digit right after the closing one ("$5 and $10" stays text), no backtick inside. */
function mathInline(state: MarkdownIt.StateInline, silent: boolean): boolean {
  const src = state.src;
  const start = state.pos;
  if (src[start] !== "$") return false;
  const display = src[start + 1] === "$";
  const delim = display ? "$$" : "$";
  const from = start + delim.length;
  if (!display && space(src[from])) return false;
  let end = from;
  for (; ; end++) {
    end = src.indexOf(delim, end);
    if (end === -1) return false;
    if (src[end - 1] === "\\") continue;
    if (!display && (space(src[end - 1]) || /\d/.test(src[end + 1] ?? ""))) continue;
    break;
  }
  if (end === from) return false;
  if (!display && src.slice(from, end).includes("`")) return false; // code spans win over "$"
  if (!silent) {
    const token = state.push(display ? "math_display" : "math_inline", "math", 0);
    token.content = src.slice(from, end);
    token.markup = delim;
  }
  state.pos = end + delim.length;
  return true;
}

/** A block that starts with a line beginning `$$` and ends with a line ending `$$`. */
function mathBlock(state: MarkdownIt.StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  if (state.sCount[startLine] - state.blkIndent >= 4) return false; // an indented code block
  const lineText = (n: number) => state.src.slice(state.bMarks[n] + state.tShift[n], state.eMarks[n]).trimEnd();
  const first = lineText(startLine);
  if (!first.startsWith("$$")) return false;
  let last = startLine;
  let body: string;
  if (first.length > 4 && first.endsWith("$$")) {
    body = first.slice(2, -2);
    if (body.includes("$$")) return false; // "$$a$$ text $$b$$" is a paragraph
  } else {
    const parts = [first.slice(2)];
    for (last = startLine + 1; ; last++) {
      if (last >= endLine || state.isEmpty(last)) return false;
      const text = lineText(last);
      if (text.endsWith("$$")) {
        parts.push(text.slice(0, -2));
        break;
      }
      parts.push(text);
    }
    body = parts.join("\n");
  }
  if (silent) return true;
  const token = state.push("math_block", "math", 0);
  token.block = true;
  token.content = body;
  token.markup = "$$";
  token.map = [startLine, last + 1];
  state.line = last + 1;
  return true;
}

/** Anchors for headings, collected into the page's table of contents. */
function headingAnchors(state: MarkdownIt.StateCore): void {
  const env = state.env as Env;
  if (!env.toc) return;
  const tokens = state.tokens;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].type !== "heading_open") continue;
    const text = (tokens[i + 1].children ?? [])
      .filter((t) => t.type === "text" || t.type === "code_inline" || t.type.startsWith("math"))
      .map((t) => t.content)
      .join("");
    const id = env.page.anchor(text);
    tokens[i].attrSet("id", id);
    env.page.toc.push({ level: Number(tokens[i].tag.slice(1)), id, text });
  }
}

const md = new MarkdownIt({ html: true, linkify: false, highlight: (code, lang) => highlight(code, lang) });
md.inline.ruler.after("escape", "math_inline", mathInline);
md.block.ruler.before("paragraph", "math_block", mathBlock, { alt: ["paragraph", "reference", "blockquote", "list"] });
md.core.ruler.push("heading_anchors", headingAnchors);
md.renderer.rules.math_inline = (tokens, i, _o, env: Env) => mathSlot(env, renderTex(tokens[i].content, false, env.page));
md.renderer.rules.math_display = (tokens, i, _o, env: Env) => mathSlot(env, renderTex(tokens[i].content, true, env.page));
md.renderer.rules.math_block = (tokens, i, _o, env: Env) =>
  `<div class="math-block">${mathSlot(env, renderTex(tokens[i].content, true, env.page))}</div>\n`;
const defaultImage = md.renderer.rules.image!;
md.renderer.rules.image = (tokens, i, options, env: Env, self) => {
  const src = tokens[i].attrGet("src") ?? "";
  if (src.startsWith("attachment:")) {
    const name = safeDecode(src.slice("attachment:".length));
    const bundle = env.attachments?.[name];
    const mime = bundle && typeof bundle === "object" ? Object.keys(bundle).find((m) => m.startsWith("image/")) : undefined;
    if (mime) {
      const data = ([] as unknown[]).concat(bundle![mime]).map(String).join("");
      const url = imageDataUrl(mime, mime === "image/svg+xml" ? Buffer.from(data).toString("base64") : data);
      if (url instanceof Error)
        return `<span class="image-error">[attachment ${escapeHtml(JSON.stringify(name))} not shown: ${escapeHtml(url.message)}]</span>`;
      tokens[i].attrSet("src", url);
    }
  }
  return defaultImage(tokens, i, options, env, self);
};

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Markdown to HTML, sanitized unless the page is trusted, with its formulas typeset by KaTeX. */
export function renderMarkdown(src: string, page: Page, opts: { toc?: boolean; attachments?: Attachments } = {}): string {
  const env: Env = { page, ...opts, math: [] };
  const html = sanitizeNotebookHtml(md.render(src, env), page.trusted);
  return env.math.length ? html.replace(new RegExp(`${page.mathKey}x(\\d+)x`, "g"), (_, n: string) => env.math[Number(n)] ?? "") : html;
}

/** text/latex output: a single $...$, $$...$$, \[...\] or \(...\) is rendered as math; text with
 * math inside goes through markdown; anything else (an align environment, say) as display math. */
export function renderLatex(src: string, page: Page): string {
  const s = src.trim();
  const whole = /^\$\$([\s\S]+)\$\$$/.exec(s) ?? /^\\\[([\s\S]+)\\\]$/.exec(s);
  if (whole && !whole[1].includes("$$")) return renderTex(whole[1], true, page);
  const inline = /^\$([^$]+)\$$/.exec(s) ?? /^\\\(([\s\S]+)\\\)$/.exec(s);
  if (inline) return renderTex(inline[1], false, page);
  if (s.includes("$")) return renderMarkdown(s, page);
  return renderTex(s, true, page);
}
