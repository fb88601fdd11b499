// The page's stylesheet: readable type for Latin and Korean text, a sidebar table of contents on
// wide screens, and print styles (no sidebar, cells not split across pages).
export const PAGE_CSS = `
:root {
  --text: #1f2328; --muted: #656d76; --border: #d0d7de; --code-bg: #f6f8fa; --accent: #0969da;
  --sans: "seqlab-ko", system-ui, -apple-system, "Segoe UI", "Noto Sans KR", "Noto Sans CJK KR", "Noto Sans Korean", "Apple SD Gothic Neo",
    "Malgun Gothic", "Nanum Gothic", Roboto, "Helvetica Neue", Arial, sans-serif;
  --mono: ui-monospace, "seqlab-ko", "SFMono-Regular", "D2Coding", "Noto Sans Mono CJK KR", "DejaVu Sans Mono", Menlo, Consolas, monospace;
}
* { box-sizing: border-box; }
/* Charts drawn in the page (vega) name fonts the reader may lack: fall back to the embedded Hangul. */
.chart svg text { font-family: "seqlab-ko", "DejaVu Sans", "Noto Sans KR", "Noto Sans Korean", sans-serif; }
/* KaTeX's MathML copy (for screen readers, clipped out of sight) and vega's tooltip name fonts too. */
.katex .katex-mathml math { font-family: "seqlab-ko", math; }
html #vg-tooltip-element { font-family: "seqlab-ko", sans-serif; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--text); background: #fff; font: 16px/1.7 var(--sans); }
:lang(ko) { word-break: keep-all; overflow-wrap: break-word; }
a { color: var(--accent); text-decoration: none; }
nav.course-nav { display: flex; flex-wrap: wrap; gap: 0.5rem 1.25rem; margin: 0.75rem 0 1rem; font-size: 0.9rem; }
nav.course-nav .nav-next { margin-left: auto; }
nav.course-nav-bottom { border-top: 1px solid var(--border); padding-top: 0.75rem; margin-top: 2rem; }
@media print { nav.course-nav { display: none; } }
a:hover { text-decoration: underline; }
.layout { display: grid; grid-template-columns: 17rem minmax(0, 1fr); }
.layout.no-toc { grid-template-columns: minmax(0, 1fr); }
nav.toc { position: sticky; top: 0; height: 100vh; overflow-y: auto; padding: 1.5rem 1rem 2rem 1.25rem;
  border-right: 1px solid var(--border); background: #fbfcfd; font-size: 0.875rem; line-height: 1.45; }
nav.toc .toc-title { font-weight: 600; margin: 0 0 0.75rem; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; font-size: 0.75rem; }
nav.toc ul { list-style: none; margin: 0; padding: 0; }
nav.toc li { margin: 0.3rem 0; }
nav.toc li.toc-h2 { padding-left: 0.75rem; }
nav.toc li.toc-h3 { padding-left: 1.5rem; font-size: 0.8125rem; }
nav.toc li.toc-h4, nav.toc li.toc-h5, nav.toc li.toc-h6 { padding-left: 2.25rem; font-size: 0.8125rem; }
nav.toc a { color: var(--text); }
main { max-width: 58rem; width: 100%; margin: 0 auto; padding: 1.5rem 2rem 4rem; }
.report-meta { color: var(--muted); font-size: 0.8125rem; margin-bottom: 1rem; }
h1, h2, h3, h4 { line-height: 1.3; margin: 1.6em 0 0.6em; scroll-margin-top: 1rem; }
h1 { font-size: 2rem; margin-top: 0.5em; }
h2 { font-size: 1.5rem; padding-bottom: 0.25em; border-bottom: 1px solid var(--border); }
h3 { font-size: 1.2rem; }
p, ul, ol, blockquote, table { margin: 0 0 1em; }
blockquote { margin-left: 0; padding: 0 1em; color: var(--muted); border-left: 0.25em solid var(--border); }
code, pre, kbd { font-family: var(--mono); font-size: 0.875em; }
:not(pre) > code { background: var(--code-bg); padding: 0.1em 0.35em; border-radius: 4px; }
pre { margin: 0; padding: 0.6rem 0.8rem; overflow-x: auto; line-height: 1.45; }
.markdown pre { background: var(--code-bg); border: 1px solid var(--border); border-radius: 6px; margin-bottom: 1em; }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--border); padding: 0.3em 0.7em; }
img, svg, video { max-width: 100%; height: auto; }
img.unconfined { max-width: none; }
hr { border: 0; border-top: 1px solid var(--border); }
.katex { font-size: 1.1em; }
.katex-display { overflow-x: auto; overflow-y: hidden; padding: 0.2em 0; }
.cell { margin: 0.75rem 0; }
.cell.code { margin: 1.25rem 0; }
.input, .output { display: grid; grid-template-columns: 5.5rem minmax(0, 1fr); gap: 0.5rem; }
.prompt { font-family: var(--mono); font-size: 0.75rem; color: var(--muted); text-align: right; padding-top: 0.7rem; white-space: nowrap; }
.output .prompt { color: #bc4c00; }
pre.source { background: var(--code-bg); border: 1px solid var(--border); border-radius: 6px; }
pre code.hljs { padding: 0; background: none; overflow: visible; }
.outputs { margin-top: 0.25rem; }
.output-body { min-width: 0; padding: 0.15rem 0; }
.output-body > pre { white-space: pre-wrap; overflow-wrap: anywhere; padding: 0.45rem 0.8rem; }
pre.stderr { background: #fff5f5; }
pre.error { background: #fff0f0; border-left: 3px solid #cf222e; }
.rendered { overflow-x: auto; padding: 0.3rem 0.8rem; }
.rendered > pre { padding: 0.15rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.chart { position: relative; }
.chart[data-state="drawn"] > .chart-fallback { display: none; }
.cell.failed pre.source { border-color: #cf222e; }
.run-failed { border: 1px solid #cf222e; background: #fff0f0; border-radius: 6px; padding: 0.75rem 1rem; margin: 0 0 1.5rem; }
.not-run { color: var(--muted); font-style: italic; border-top: 1px dashed var(--border); padding-top: 0.75rem; }
@media (max-width: 60rem) {
  .layout { grid-template-columns: minmax(0, 1fr); }
  nav.toc { position: static; height: auto; border-right: 0; border-bottom: 1px solid var(--border); }
  main { padding: 1rem; }
  .input, .output { grid-template-columns: minmax(0, 1fr); gap: 0; }
  .prompt { text-align: left; padding-top: 0.25rem; }
}
@media print {
  @page { margin: 1.5cm; }
  body { font-size: 10.5pt; }
  .layout { display: block; }
  nav.toc { display: none; }
  main { max-width: none; padding: 0; }
  .cell.code, .output, pre, img, svg, .katex-display, table { break-inside: avoid; page-break-inside: avoid; }
  h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  pre, .output-body > pre { white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible; }
  .rendered { overflow: visible; }
  a { color: inherit; }
}
`;
