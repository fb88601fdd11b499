// HTML that a notebook brings into a report (markdown cells, text/html and text/markdown outputs)
// goes through sanitize-html, the library JupyterLab's own sanitizer is built on.
//
// By default it is cleaned the way JupyterLab cleans an untrusted notebook: the same allow-list
// of tags and attributes (no script, style, iframe, object, embed, svg, math, meta, base or link
// elements; no event-handler attributes), inline styles limited to a list of properties, link
// schemes limited to http(s), ftp, mailto and tel. Where a report differs from JupyterLab it is
// stricter, because a report is a file handed to someone else: images and media may only carry
// data: URLs (the page loads nothing), no CSS value may call a function such as url(), and
// `name` is dropped from images and forms (they would shadow `document`'s own properties); it is
// more lenient only in allowing flex and grid layout properties in inline styles.
//
// `seqlab export --trusted` keeps the HTML as written (its scripts still cannot run: the page's
// Content-Security-Policy admits only seqlab's own scripts), minus what would leave the page
// without any script: <meta> (http-equiv refresh), <base> and <link> (prefetches are not covered
// by the CSP).
//
// In both modes a font-family in an inline style gets the report's embedded Korean font first
// (it covers Hangul only), so a table that asks for "monospace" does not draw its Korean tokens
// as boxes on a machine without a Korean font.
import * as parse5 from "parse5";
import type { DefaultTreeAdapterMap } from "parse5";
import sanitize from "sanitize-html";
import { escapeHtml } from "./common";
import { koreanFirstInStyle, withKoreanFirst } from "./fonts";

/** Pictures and media only from data: URLs: sanitize-html lets relative URLs (no scheme) through,
 * and a relative src would be fetched from beside the report (or from a <base>). */
function embeddedOnly(tagName: string, attribs: sanitize.Attributes): sanitize.Tag {
  for (const a of ["src", "poster"]) if (a in attribs && !/^\s*data:/i.test(attribs[a])) delete attribs[a];
  return { tagName, attribs };
}

function koreanFont(tagName: string, attribs: sanitize.Attributes): sanitize.Tag {
  if (typeof attribs.style === "string") attribs.style = koreanFirstInStyle(attribs.style);
  if (tagName === "font" && typeof attribs.face === "string") attribs.face = withKoreanFirst(attribs.face);
  return { tagName, attribs };
}

// ---- untrusted: JupyterLab's allow-list, with the differences named above ----------------------

const TAGS = [
  "a",
  "abbr",
  "acronym",
  "address",
  "area",
  "article",
  "aside",
  "audio",
  "b",
  "bdi",
  "bdo",
  "big",
  "blockquote",
  "br",
  "button",
  "canvas",
  "caption",
  "center",
  "cite",
  "code",
  "col",
  "colgroup",
  "command",
  "data",
  "datalist",
  "dd",
  "del",
  "details",
  "dfn",
  "dir",
  "div",
  "dl",
  "dt",
  "em",
  "fieldset",
  "figcaption",
  "figure",
  "font",
  "footer",
  "form",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hgroup",
  "hr",
  "i",
  "img",
  "input",
  "ins",
  "kbd",
  "label",
  "legend",
  "li",
  "map",
  "mark",
  "menu",
  "meter",
  "nav",
  "nobr",
  "ol",
  "optgroup",
  "option",
  "output",
  "p",
  "pre",
  "progress",
  "q",
  "s",
  "samp",
  "section",
  "select",
  "small",
  "source",
  "span",
  "strike",
  "strong",
  "sub",
  "summary",
  "sup",
  "table",
  "tbody",
  "td",
  "textarea",
  "tfoot",
  "th",
  "thead",
  "time",
  "tr",
  "track",
  "tt",
  "u",
  "ul",
  "var",
  "video",
  "wbr",
];

const CELL_ATTRS = [
  "abbr",
  "align",
  "axis",
  "bgcolor",
  "char",
  "charoff",
  "colspan",
  "headers",
  "height",
  "nowrap",
  "rowspan",
  "scope",
  "valign",
  "width",
];
const ATTRIBUTES: Record<string, string[]> = {
  "*": [
    "class",
    "dir",
    "draggable",
    "hidden",
    "id",
    "inert",
    "itemprop",
    "itemref",
    "itemscope",
    "lang",
    "spellcheck",
    "style",
    "title",
    "translate",
  ],
  a: ["accesskey", "coords", "href", "hreflang", "name", "rel", "shape", "tabindex", "target", "type"],
  area: ["accesskey", "alt", "coords", "href", "nohref", "shape", "tabindex"],
  audio: ["controls", "loop", "muted", "preload", "src"],
  bdo: ["dir"],
  blockquote: ["cite"],
  br: ["clear"],
  button: ["accesskey", "disabled", "name", "tabindex", "type", "value"],
  canvas: ["height", "width"],
  caption: ["align"],
  col: ["align", "char", "charoff", "span", "valign", "width"],
  colgroup: ["align", "char", "charoff", "span", "valign", "width"],
  command: ["checked", "command", "disabled", "icon", "label", "radiogroup", "type"],
  data: ["value"],
  del: ["cite", "datetime"],
  details: ["open"],
  dir: ["compact"],
  div: ["align"],
  dl: ["compact"],
  fieldset: ["disabled"],
  font: ["color", "face", "size"],
  form: ["accept", "autocomplete", "enctype", "method", "novalidate"],
  h1: ["align"],
  h2: ["align"],
  h3: ["align"],
  h4: ["align"],
  h5: ["align"],
  h6: ["align"],
  hr: ["align", "noshade", "size", "width"],
  img: ["align", "alt", "border", "height", "hspace", "ismap", "src", "usemap", "vspace", "width"],
  input: [
    "accept",
    "accesskey",
    "align",
    "alt",
    "autocomplete",
    "checked",
    "disabled",
    "inputmode",
    "list",
    "max",
    "maxlength",
    "min",
    "multiple",
    "name",
    "placeholder",
    "readonly",
    "required",
    "size",
    "step",
    "tabindex",
    "type",
    "value",
  ],
  ins: ["cite", "datetime"],
  label: ["accesskey", "for"],
  legend: ["accesskey", "align"],
  li: ["type", "value"],
  map: ["name"],
  menu: ["compact", "label", "type"],
  meter: ["high", "low", "max", "min", "value"],
  ol: ["compact", "reversed", "start", "type"],
  optgroup: ["disabled", "label"],
  option: ["disabled", "label", "selected", "value"],
  output: ["for", "name"],
  p: ["align"],
  pre: ["width"],
  progress: ["max", "min", "value"],
  q: ["cite"],
  select: ["autocomplete", "disabled", "multiple", "name", "required", "size", "tabindex"],
  source: ["type"],
  table: ["align", "bgcolor", "border", "cellpadding", "cellspacing", "frame", "rules", "summary", "width"],
  tbody: ["align", "char", "charoff", "valign"],
  td: CELL_ATTRS,
  textarea: [
    "accesskey",
    "autocomplete",
    "cols",
    "disabled",
    "inputmode",
    "name",
    "placeholder",
    "readonly",
    "required",
    "rows",
    "tabindex",
    "wrap",
  ],
  tfoot: ["align", "char", "charoff", "valign"],
  th: CELL_ATTRS,
  thead: ["align", "char", "charoff", "valign"],
  tr: ["align", "bgcolor", "char", "charoff", "valign"],
  track: ["default", "kind", "label", "srclang"],
  ul: ["compact", "type"],
  video: ["controls", "height", "loop", "muted", "poster", "preload", "src", "width"],
};

/** CSS properties an inline style may set: JupyterLab's list, by name, and the flex and grid
 * layout properties (they only arrange boxes; seqlab's own HTML outputs use them). */
const STYLE_PROPERTIES = `backface-visibility background background-attachment background-clip background-color
background-image background-origin background-position background-repeat background-size border border-bottom
border-bottom-color border-bottom-left-radius border-bottom-right-radius border-bottom-style border-bottom-width
border-collapse border-color border-left border-left-color border-left-style border-left-width border-radius border-right
border-right-color border-right-style border-right-width border-spacing border-style border-top border-top-color
border-top-left-radius border-top-right-radius border-top-style border-top-width border-width bottom box box-shadow
box-sizing caption-side clear clip color cursor direction display elevation empty-cells float font font-family font-size
font-stretch font-style font-variant font-weight height left letter-spacing line-height list-style list-style-position
list-style-type margin margin-bottom margin-left margin-right margin-top max-height max-width min-height min-width opacity
outline outline-color outline-style outline-width overflow overflow-wrap overflow-x overflow-y padding padding-bottom
padding-left padding-right padding-top page-break-after page-break-before page-break-inside quotes resize right
table-layout text-align text-decoration text-indent text-overflow text-shadow text-transform text-wrap top unicode-bidi
vertical-align visibility white-space width word-break word-spacing word-wrap z-index zoom
align-items align-self align-content justify-content justify-items flex flex-basis flex-direction flex-flow flex-grow
flex-shrink flex-wrap gap row-gap column-gap order grid-template-columns grid-template-rows grid-column grid-row`.split(/\s+/);

/** A CSS value with no function that fetches or reads anything (url(), image(), var(), ...), no
 * escapes (which could spell one) and no comment. Colours (rgb()) and gradients stay allowed. */
const SAFE_VALUE = /^(?!.*(?:url|image|image-set|cross-fade|element|expression|var|env|attr|paint|src)\s*\()(?!.*\/\*)[^\\<>{};@]*$/i;
/** Family names, quoted or not, separated by commas. */
const FAMILIES = /^\s*(?:"[^"\\]*"|'[^'\\]*'|[-\w][-\w ]*)(?:\s*,\s*(?:"[^"\\]*"|'[^'\\]*'|[-\w][-\w ]*))*\s*$/;

const ALLOWED_STYLES: Record<string, RegExp[]> = Object.fromEntries(STYLE_PROPERTIES.map((p) => [p, [SAFE_VALUE]]));
// Not fixed or sticky: an output must not cover the page (JupyterLab allows the same three).
ALLOWED_STYLES.position = [/^(?:static|relative|absolute)$/i];
ALLOWED_STYLES["font-family"] = [FAMILIES];

const UNTRUSTED: sanitize.IOptions = {
  allowedTags: TAGS,
  allowedAttributes: ATTRIBUTES,
  allowedStyles: { "*": ALLOWED_STYLES },
  allowedSchemes: ["http", "https", "ftp", "mailto", "tel"],
  // A report loads nothing: pictures and media only as data: URLs (a cell attachment is one by now).
  allowedSchemesByTag: { img: ["data"], audio: ["data"], video: ["data"] },
  allowedSchemesAppliedToAttributes: ["href", "src", "cite", "poster"],
  allowProtocolRelative: false,
  transformTags: {
    a: sanitize.simpleTransform("a", { rel: "nofollow noopener noreferrer" }),
    input: sanitize.simpleTransform("input", { disabled: "disabled" }),
    img: embeddedOnly,
    audio: embeddedOnly,
    video: embeddedOnly,
    "*": koreanFont,
  },
};

// ---- trusted: as written, minus what navigates or fetches without script -----------------------
//
// Parsed with parse5 (the WHATWG parsing algorithm, as the browser will parse it in the report's
// <div>) rather than htmlparser2: the two disagree on foreign content, and <svg><style><meta
// http-equiv=refresh> is text to htmlparser2 but a real <meta> to a browser. The result is parsed
// again until it is stable (nothing removed, serialized the same), so that what the browser
// parses is what was checked.

const NAVIGATING = new Set(["meta", "base", "link"]);
type P5Node = DefaultTreeAdapterMap["node"];
type P5Element = DefaultTreeAdapterMap["element"];
type P5Parent = DefaultTreeAdapterMap["parentNode"];

/** The context a report puts notebook HTML in. */
const DIV = parse5.parseFragment("<div></div>").childNodes[0] as P5Element;

const isElement = (n: P5Node): n is P5Element => "tagName" in n;

/** Every element of a parsed fragment, template contents included. */
function* elements(parent: P5Parent): Generator<P5Element> {
  for (const n of [...parent.childNodes]) {
    if (!isElement(n)) continue;
    yield n;
    yield* elements(n);
    if (n.tagName === "template") yield* elements((n as DefaultTreeAdapterMap["template"]).content);
  }
}

function removeNode(n: P5Element): void {
  const siblings = n.parentNode?.childNodes;
  if (siblings) siblings.splice(siblings.indexOf(n), 1);
}

function trustedHtml(html: string): string {
  let text = html;
  for (let round = 0; round < 4; round++) {
    const fragment = parse5.parseFragment(DIV, text, { scriptingEnabled: true });
    let removed = 0;
    for (const el of elements(fragment)) {
      if (NAVIGATING.has(el.tagName)) {
        removeNode(el);
        removed++;
        continue;
      }
      // <plaintext> has no end tag: everything after it, the rest of the report, would be its text
      if (el.tagName === "plaintext") el.tagName = el.nodeName = "pre";
      for (const a of el.attrs) {
        if (a.name === "style") a.value = koreanFirstInStyle(a.value);
        else if (a.name === "face" && el.tagName === "font") a.value = withKoreanFirst(a.value);
      }
    }
    const out = parse5.serialize(fragment);
    // Done when a parse removes nothing and serializing gives the same text back: serializing
    // can change what a later parse sees (<math><mtext><table><mglyph><style>: the style's
    // content is text in the first parse and markup in the next).
    if (removed === 0 && out === text) return out;
    text = out;
  }
  return `<pre class="error">[HTML output not shown: it kept producing elements that would navigate the page]</pre>`;
}

// ---- what sanitized HTML must never contain, checked as a browser parses it ----------------------

const NEVER = new Set([
  "script",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "meta",
  "base",
  "link",
  "style",
  "svg",
  "math",
  "template",
  "noscript",
  "plaintext",
  "xmp",
  "noembed",
  "noframes",
]);
const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "poster", "xlink:href", "background", "srcset"]);

/** What in sanitized HTML would run, load or navigate once a browser parses it (undefined: none). */
export function activeContent(html: string): string | undefined {
  const fragment = parse5.parseFragment(DIV, html, { scriptingEnabled: true });
  for (const el of elements(fragment)) {
    if (NEVER.has(el.tagName)) return `a <${el.tagName}> element`;
    for (const a of el.attrs) {
      if (/^on/i.test(a.name)) return `an ${a.name} attribute`;
      if (URL_ATTRIBUTES.has(a.name) && /^\s*(javascript|vbscript|data:text)/i.test(a.value.replace(/[\u0000-\u0020]/g, "")))
        return `a ${a.name}="${a.value.slice(0, 30)}"`;
      if ((a.name === "src" || a.name === "poster") && !/^\s*data:/i.test(a.value)) return `a ${a.name} that is not embedded`;
    }
  }
  return undefined;
}

/** HTML from a notebook, made fit for a report (see the top of this file). Sanitized HTML is
 * parsed once more as a browser would; should anything active be left (a disagreement between
 * the sanitizer's parser and the browser's), the HTML is shown as text instead. */
export function sanitizeNotebookHtml(html: string, trusted = false): string {
  if (trusted) return trustedHtml(html);
  const clean = sanitize(html, UNTRUSTED);
  const active = activeContent(clean);
  if (!active) return clean;
  return `<pre class="error">[HTML not shown: after sanitizing it still had ${escapeHtml(active)}]\n${escapeHtml(html)}</pre>`;
}
