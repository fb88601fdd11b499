// HTML export, markdown: math by KaTeX at export time (safe from emphasis), heading anchors for
// the table of contents, highlighted fences, attachments.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Page } from "../../kernel/tools/export/common";
import { renderLatex, renderMarkdown } from "../../kernel/tools/export/markdown";

const count = (html: string, re: RegExp) => (html.match(re) ?? []).length;
/** The TeX sources KaTeX rendered (its MathML annotation keeps them). */
const texOf = (html: string) =>
  [...html.matchAll(/<annotation encoding="application\/x-tex">([^<]*)<\/annotation>/g)].map((m) => m[1].replace(/&amp;/g, "&"));

test("inline and display math become KaTeX markup, not dollar text", () => {
  const page = new Page();
  const html = renderMarkdown("The state $h_t$ follows\n\n$$h_t = f(h_{t-1}, x_t; \\Theta)$$\n\nand $$x^2$$ inline.", page);
  assert.equal(count(html, /class="katex"/g), 3);
  assert.equal(count(html, /class="katex-display"/g), 2);
  assert.deepEqual(texOf(html), ["h_t", "h_t = f(h_{t-1}, x_t; \\Theta)", "x^2"]);
  assert.doesNotMatch(html, /\$/);
  assert.ok(page.needs.has("katex"));
});

test("markdown's emphasis and escapes do not touch math", () => {
  const html = renderMarkdown("Both $a_1 * b_2 * c_3$ and $x_i$, $y_i$ and $\\{a\\}$ stay math.", new Page());
  assert.doesNotMatch(html, /<em>/);
  assert.deepEqual(texOf(html), ["a_1 * b_2 * c_3", "x_i", "y_i", "\\{a\\}"]);
});

test("a $$ block over several lines is one display, even with lines markdown would read as a list", () => {
  const html = renderMarkdown("Then\n$$\n\\begin{aligned}\na &= b \\\\\n- c &= d\n\\end{aligned}\n$$\nafter.", new Page());
  assert.equal(count(html, /class="katex-display"/g), 1);
  assert.doesNotMatch(html, /<ul>|<li>/);
  assert.match(html, /<p>after\.<\/p>/);
});

test("dollars that are not math stay text; code keeps its dollars", () => {
  const page = new Page();
  const html = renderMarkdown("It costs $5 and $10, or \\$x\\$. In code: `$h_t$`.", page);
  assert.doesNotMatch(html, /katex/);
  assert.match(html, /\$5 and \$10, or \$x\$/);
  assert.match(html, /<code>\$h_t\$<\/code>/);
  assert.ok(!page.needs.has("katex"), "no KaTeX needed");
});

test("bad TeX is shown as an error in place, not thrown", () => {
  const html = renderMarkdown("broken $\\frac{1}{$ here", new Page());
  assert.match(html, /katex-error/);
});

test("\\newcommand in one cell holds in later cells, as in Jupyter", () => {
  const page = new Page();
  renderMarkdown("$\\newcommand{\\R}{\\mathbb{R}}$", page);
  const html = renderMarkdown("$x \\in \\R^n$", page);
  assert.doesNotMatch(html, /katex-error/);
  assert.match(html, /mathbb/);
});

test("headings get unique anchors (Korean kept) collected for the table of contents", () => {
  const page = new Page();
  const a = renderMarkdown("# 순환 신경망 (RNN)\n\n## Setup\n\ntext", page, { toc: true });
  const b = renderMarkdown("## Setup\n\n### The state $h_t$", page, { toc: true });
  assert.match(a, /<h1 id="순환-신경망-rnn">/);
  assert.match(a, /<h2 id="setup">/);
  assert.match(b, /<h2 id="setup-1">/);
  assert.match(b, /<h3 id="the-state-h_t">The state <span class="katex">/);
  assert.deepEqual(
    page.toc.map((e) => [e.level, e.id, e.text]),
    [
      [1, "순환-신경망-rnn", "순환 신경망 (RNN)"],
      [2, "setup", "Setup"],
      [2, "setup-1", "Setup"],
      [3, "the-state-h_t", "The state h_t"],
    ],
  );
  const output = renderMarkdown("## Not listed", page); // text/markdown outputs are not in the TOC
  assert.doesNotMatch(output, /id=/);
  assert.equal(page.toc.length, 4);
});

test("fenced code is highlighted; unknown languages are escaped", () => {
  const html = renderMarkdown("```ts\nconst n: number = 1;\n```\n\n```nosuch\n<b>x</b>\n```", new Page());
  assert.match(html, /<span class="hljs-keyword">const<\/span>/);
  assert.match(html, /&lt;b&gt;x&lt;\/b&gt;/);
});

test("images attached to the cell become data: URLs", () => {
  const html = renderMarkdown("![unrolled](attachment:graph.png)", new Page(), {
    attachments: { "graph.png": { "image/png": "iVBORw0K\nGgo=" } },
  });
  assert.match(html, /<img src="data:image\/png;base64,iVBORw0KGgo=" alt="unrolled"\s*\/?>/);
});

test("text/latex: a delimited formula, an environment, or text with math", () => {
  const page = new Page();
  assert.deepEqual(texOf(renderLatex("$$\\sigma(z)$$", page)), ["\\sigma(z)"]);
  assert.match(renderLatex("$$\\sigma(z)$$", page), /katex-display/);
  assert.match(renderLatex("\\begin{aligned}a&=b\\end{aligned}", page), /katex-display/);
  const mixed = renderLatex("The loss is $L$ here.", page);
  assert.deepEqual(texOf(mixed), ["L"]);
  assert.match(mixed, /The loss is/);
});
