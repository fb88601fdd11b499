// A notebook as one self-contained HTML page: nothing is loaded from the network (a
// Content-Security-Policy says so to the browser too); chart libraries are inlined once, and
// only on pages that have a chart of their kind.
import { mkdirSync, writeFileSync } from "fs";
import * as path from "path";
import { Cell, Notebook, readNotebook, sourceText } from "../notebook";
import { CHART_SCRIPT, highlightCss, katexCss, libraryScripts } from "./assets";
import { Page, TocEntry, escapeHtml } from "./common";
import { highlight } from "./highlight";
import { renderMarkdown } from "./markdown";
import { withKoreanFont } from "./fonts";
import { renderOutput } from "./outputs";
import { PAGE_CSS } from "./style";
import { useWidgetState } from "./widgets";

export interface ExportOptions {
  /** Shown above the notebook: usually the notebook's file name. */
  source?: string;
  /** A run stopped at this cell (an index into cells) for this reason (the error, or a timeout);
   * later cells are left out. */
  failure?: { cell: number; message: string };
}

// Inline scripts and styles only; 'unsafe-eval' because vega compiles its expressions.
const CSP =
  "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; " +
  "img-src data: blob:; font-src data:; media-src data:";

export function notebookToHtml(nb: Notebook, opts: ExportOptions = {}): string {
  const page = new Page();
  useWidgetState(page, nb.metadata);
  const language = String(nb.metadata?.language_info?.name ?? nb.metadata?.kernelspec?.language ?? "typescript");
  const last = opts.failure ? Math.min(opts.failure.cell, nb.cells.length - 1) : nb.cells.length - 1;
  const cells = nb.cells.slice(0, last + 1).map((cell, i) => renderCell(cell, i, language, page, opts.failure?.cell === i));

  const notRun = nb.cells.slice(last + 1).filter((c) => c.cell_type === "code").length;
  const codeCell = nb.cells.slice(0, last + 1).filter((c) => c.cell_type === "code").length;
  const banner = opts.failure
    ? `<div class="run-failed" role="alert"><strong>This run stopped</strong> at <a href="#cell-${last + 1}">cell ${last + 1}</a> (code cell ${codeCell}): ` +
      `${escapeHtml(opts.failure.message)}${notRun ? `. ${notRun} later code cell${notRun === 1 ? " was" : "s were"} not run.` : ""}</div>\n`
    : "";
  const tail = opts.failure && last < nb.cells.length - 1 ? `<p class="not-run">The run stopped here; the notebook's ${nb.cells.length - last - 1} later cell(s) are not shown.</p>\n` : "";

  const title = page.toc.find((e) => e.level === 1)?.text ?? page.toc[0]?.text ?? opts.source ?? "notebook";
  const kernel = nb.metadata?.kernelspec?.display_name;
  const meta = [opts.source, kernel].filter(Boolean).map((s) => escapeHtml(String(s))).join(" · ");
  const hangul = /[\u3131-\u318e\uac00-\ud7a3]/.test(nb.cells.map(sourceText).join(""));

  const styles = [highlightCss(), page.needs.has("katex") ? katexCss() : "", PAGE_CSS].filter(Boolean);
  const scripts =
    (page.needs.has("vega") ? libraryScripts("vega") : "") +
    (page.needs.has("plotly") ? libraryScripts("plotly") : "") +
    (page.needs.has("vega") || page.needs.has("plotly") ? `<script>${CHART_SCRIPT}</script>\n` : "");

  return `<!DOCTYPE html>
<html lang="${hangul ? "ko" : "en"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="generator" content="seqlab export">
<title>${escapeHtml(title)}</title>
${styles.map((s) => `<style>${s}</style>`).join("\n")}
</head>
<body>
<div class="layout${page.toc.length ? "" : " no-toc"}">
${tocHtml(page.toc)}<main>
${meta ? `<div class="report-meta">${meta}</div>\n` : ""}${banner}${cells.join("")}${tail}</main>
</div>
${scripts}</body>
</html>
`;
}

function renderCell(cell: Cell, i: number, language: string, page: Page, failed: boolean): string {
  const id = `cell-${i + 1}`;
  const src = sourceText(cell);
  if (cell.cell_type === "markdown") {
    return `<section class="cell markdown" id="${id}">\n${renderMarkdown(src, page, { toc: true, attachments: (cell as any).attachments })}</section>\n`;
  }
  if (cell.cell_type === "raw") {
    const format = String(cell.metadata?.format ?? cell.metadata?.raw_mimetype ?? "");
    return format === "text/html" ? `<section class="cell raw" id="${id}">${src}</section>\n` : "";
  }
  const count = cell.execution_count != null ? String(Number(cell.execution_count)) : "&nbsp;";
  const outputs = (cell.outputs ?? []).map((o) => renderOutput(o, page)).join("");
  return (
    `<section class="cell code${failed ? " failed" : ""}" id="${id}">\n` +
    `<div class="input"><div class="prompt">In&nbsp;[${count}]:</div><pre class="source"><code class="hljs language-${escapeHtml(language)}">${highlight(src, language)}</code></pre></div>\n` +
    (outputs ? `<div class="outputs">\n${outputs}</div>\n` : "") +
    `</section>\n`
  );
}

function tocHtml(toc: TocEntry[]): string {
  if (!toc.length) return "";
  const items = toc.map((e) => `<li class="toc-h${e.level}"><a href="#${escapeHtml(e.id)}">${escapeHtml(e.text)}</a></li>`).join("\n");
  return `<nav class="toc" aria-label="Contents"><p class="toc-title">Contents</p><ul>\n${items}\n</ul></nav>\n`;
}

/** The default report path: beside the notebook, .html instead of .ipynb. */
export const htmlPathFor = (notebook: string) => notebook.replace(/\.ipynb$/i, "") + ".html";

/** Export a notebook file to an HTML file (with the Hangul it uses embedded); returns the HTML file's path. */
export function exportNotebook(file: string, out = htmlPathFor(file), opts: ExportOptions = {}): string {
  const html = withKoreanFont(notebookToHtml(readNotebook(file), { source: path.basename(file), ...opts }));
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeFileSync(out, html);
  return out;
}
