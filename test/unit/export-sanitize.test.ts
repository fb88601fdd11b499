// The sanitizer's rules, one by one (the browser test, test/browser/injection.test.ts, opens the
// results in Chromium).
import { test } from "node:test";
import assert from "node:assert/strict";
import { activeContent, sanitizeNotebookHtml } from "../../kernel/tools/export/sanitize";

const clean = (html: string) => sanitizeNotebookHtml(html);
const trusted = (html: string) => sanitizeNotebookHtml(html, true);

test("untrusted HTML loses scripts, handlers, frames, javascript: links and navigation, as in JupyterLab", () => {
  assert.equal(clean("<b>x</b><script>alert(1)</script>"), "<b>x</b>");
  assert.equal(clean('<img src="data:image/png;base64,AAAA" onerror="alert(1)">'), '<img src="data:image/png;base64,AAAA" />');
  assert.equal(clean('<a href="javascript:alert(1)">x</a>'), '<a rel="nofollow noopener noreferrer">x</a>');
  assert.equal(clean('<a href="https://example.org/">x</a>'), '<a href="https://example.org/" rel="nofollow noopener noreferrer">x</a>');
  assert.equal(clean('<iframe src="https://example.org"></iframe><object data="x"></object><embed src="x">'), "");
  assert.equal(
    clean(
      '<meta http-equiv="refresh" content="0;url=https://example.org"><base href="https://example.org/"><link rel="stylesheet" href="x.css">',
    ),
    "",
  );
  assert.equal(clean("<svg onload=alert(1)><circle r=5 /></svg>"), "");
  assert.equal(clean('<input autofocus onfocus="alert(1)" value="v">'), '<input value="v" disabled="disabled" />');
  assert.equal(
    clean('<form action="https://example.org/post" method="post"><button type="submit">go</button></form>'),
    '<form method="post"><button type="submit">go</button></form>',
  );
});

test("untrusted pictures and media only from data: URLs; relative and remote sources are dropped", () => {
  assert.equal(clean('<img src="pic.png" alt="a">'), '<img alt="a" />');
  assert.equal(clean('<img src="https://example.org/p.png">'), "<img />");
  assert.equal(clean('<video src="v.mp4" poster="https://example.org/p.png"></video>'), "<video></video>");
  assert.equal(
    clean('<img name="querySelectorAll" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'),
    '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" />',
    "no name: it would shadow document.querySelectorAll",
  );
});

test("untrusted inline styles: listed properties, no url() or other fetching functions, nothing fixed over the page", () => {
  assert.equal(
    clean('<div style="color:red;background-image:url(https://example.org/x.png);position:fixed;top:0">x</div>'),
    '<div style="color:red;top:0">x</div>',
  );
  assert.equal(
    clean('<div style="display:flex;gap:8px;align-items:center;behavior:url(x.htc)">x</div>'),
    '<div style="display:flex;gap:8px;align-items:center">x</div>',
  );
  assert.equal(clean('<div style="width:expression(alert(1));color:var(--x)">x</div>'), "<div>x</div>");
  assert.equal(
    clean('<div style="background:linear-gradient(red, blue)">x</div>'),
    '<div style="background:linear-gradient(red, blue)">x</div>',
  );
});

test("trusted HTML is kept as written, scripts and handlers included, minus <meta>, <base> and <link>", () => {
  assert.equal(trusted('<b onclick="f()">x</b><script>f()</script>'), '<b onclick="f()">x</b><script>f()</script>');
  assert.equal(
    trusted(
      '<p>a</p><meta http-equiv="refresh" content="0;url=https://example.org"><base href="https://example.org/"><link rel="prefetch" href="https://example.org/">b',
    ),
    "<p>a</p>b",
  );
  // Foreign content: a browser takes this <meta> out of the SVG and obeys it; htmlparser2 sees text.
  assert.equal(
    trusted('<svg><style><meta http-equiv="refresh" content="0;url=https://example.org"></style></svg>'),
    "<svg><style></style></svg>",
  );
  // Serializing changes this tree: the <style> holds text in the first parse, markup in the next.
  assert.doesNotMatch(
    trusted('<math><mtext><table><mglyph><style><meta http-equiv="refresh" content="0;url=https://example.org"></style>'),
    /<meta/,
  );
  assert.equal(trusted("<plaintext>rest"), "<pre>rest</pre>", "a <plaintext> would swallow the rest of the report");
  assert.equal(trusted("</div></section></main><i>x"), "<i>x</i>", "stray end tags cannot close the report's own elements");
});

test("sanitized HTML is parsed once more as a browser would, and anything active left is caught", () => {
  assert.equal(
    activeContent('<p title="<script>">x</p><textarea><script>x</script></textarea>'),
    undefined,
    "text that looks like markup is not markup",
  );
  assert.equal(activeContent("<svg><style><meta http-equiv=refresh content=0></style></svg>"), "a <svg> element");
  assert.equal(activeContent('<a href=" java\tscript:alert(1)">x</a>'), 'a href=" java\tscript:alert(1)"');
  assert.equal(activeContent('<img src="x.png">'), "a src that is not embedded");
  assert.equal(activeContent('<div onmouseover="x()">'), "an onmouseover attribute");
});
