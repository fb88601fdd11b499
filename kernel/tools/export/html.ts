// A notebook as one self-contained HTML page: nothing is loaded from the network and only the
// page's own scripts run. Its Content-Security-Policy says so to the browser: no source for
// anything but inline styles and data: images, fonts and media; scripts only by the sha256 of
// each script seqlab put there (no 'unsafe-inline', no 'unsafe-eval', so neither an injected
// <script> nor an onerror= attribute nor a javascript: URL runs); no <base>, no form submission.
// Chart libraries are inlined once, and only on pages that have a chart of their kind.
import { existsSync, readFileSync, statSync } from "fs";
import * as path from "path";
import { writeFileAtomic } from "../../server/atomic-write";
import { Cell, Notebook, readNotebook, sourceText } from "../notebook";
import { InlineScript, chartScript, highlightCss, katexCss, libraryScripts } from "./assets";
import { Page, TocEntry, escapeHtml } from "./common";
import { highlight } from "./highlight";
import { renderMarkdown } from "./markdown";
import { withKoreanFont } from "./fonts";
import { renderOutput } from "./outputs";
import { sanitizeNotebookHtml } from "./sanitize";
import { PAGE_CSS } from "./style";
import { useWidgetState } from "./widgets";

export interface ExportOptions {
  /** Shown above the notebook: usually the notebook's file name. */
  source?: string;
  /** A run stopped at this cell (an index into cells) for this reason (the error, or a timeout);
   * later cells are left out. */
  failure?: { cell: number; message: string };
  /** Keep the notebook's HTML (markdown, HTML outputs, raw text/html cells) as written instead of
   * sanitizing it; its scripts still do not run (the CSP admits only seqlab's). */
  trusted?: boolean;
  /** Links of a course site: the index, the previous and next notebook, the other edition. */
  nav?: CourseNav;
}

/** A report's place in the course site (hrefs relative to the report). */
export interface CourseNav {
  lang: "en" | "ko";
  index: string;
  prev?: { href: string; title: string };
  next?: { href: string; title: string };
  /** The same notebook in the other edition. */
  other?: { href: string; lang: "en" | "ko" };
}

const NAV_WORDS = {
  en: { index: "Course index", prev: "Previous", next: "Next", nav: "Course", other: "English" },
  ko: { index: "강좌 목차", prev: "이전", next: "다음", nav: "강좌", other: "한국어" },
};

/** The course links above and below a report: plain links (no script), escaped. */
export function courseNavHtml(nav: CourseNav, where: "top" | "bottom"): string {
  const w = NAV_WORDS[nav.lang];
  const a = (href: string, text: string, rel: string, extra = "") => `<a href="${escapeHtml(href)}" rel="${rel}"${extra}>${text}</a>`;
  const parts = [
    a(nav.index, escapeHtml(w.index), "index", ' class="nav-index"'),
    nav.prev ? a(nav.prev.href, `← ${escapeHtml(w.prev)}: ${escapeHtml(nav.prev.title)}`, "prev", ' class="nav-prev"') : "",
    nav.next ? a(nav.next.href, `${escapeHtml(w.next)}: ${escapeHtml(nav.next.title)} →`, "next", ' class="nav-next"') : "",
    nav.other
      ? a(
          nav.other.href,
          escapeHtml(NAV_WORDS[nav.other.lang].other),
          "alternate",
          ` class="nav-lang" hreflang="${nav.other.lang}" lang="${nav.other.lang}"`,
        )
      : "",
  ].filter(Boolean);
  return `<nav class="course-nav course-nav-${where}" aria-label="${escapeHtml(w.nav)}">${parts.join("\n")}</nav>\n`;
}

/** The page's policy: `scripts` are the hashes of the only scripts that may run. Inline styles
 * stay allowed (KaTeX's layout, plotly and vega set them); they cannot run code or load anything. */
export function contentSecurityPolicy(scripts: string[]): string {
  return (
    `default-src 'none'; script-src ${scripts.length ? scripts.join(" ") : "'none'"}; style-src 'unsafe-inline'; ` +
    "img-src data: blob:; font-src data:; media-src data:; base-uri 'none'; form-action 'none'"
  );
}

export function notebookToHtml(nb: Notebook, opts: ExportOptions = {}): string {
  const page = new Page({ trusted: opts.trusted });
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
  const tail =
    opts.failure && last < nb.cells.length - 1
      ? `<p class="not-run">The run stopped here; the notebook's ${nb.cells.length - last - 1} later cell(s) are not shown.</p>\n`
      : "";

  const title = page.toc.find((e) => e.level === 1)?.text ?? page.toc[0]?.text ?? opts.source ?? "notebook";
  const kernel = nb.metadata?.kernelspec?.display_name;
  const meta = [opts.source, kernel]
    .filter(Boolean)
    .map((s) => escapeHtml(String(s)))
    .join(" · ");
  const hangul = /[\u3131-\u318e\uac00-\ud7a3]/.test(nb.cells.map(sourceText).join(""));

  const styles = [highlightCss(), page.needs.has("katex") ? katexCss() : "", PAGE_CSS].filter(Boolean);
  const scripts: InlineScript[] = [
    ...(page.needs.has("vega") ? libraryScripts("vega") : []),
    ...(page.needs.has("plotly") ? libraryScripts("plotly") : []),
    ...(page.needs.has("vega") || page.needs.has("plotly") ? [chartScript()] : []),
  ];

  return `<!DOCTYPE html>
<html lang="${opts.nav?.lang ?? (hangul ? "ko" : "en")}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(scripts.map((s) => s.hash))}">
<meta name="generator" content="seqlab export">
<title>${escapeHtml(title)}</title>
${styles.map((s) => `<style>${s}</style>`).join("\n")}
</head>
<body>
<div class="layout${page.toc.length ? "" : " no-toc"}">
${tocHtml(page.toc)}<main>
${opts.nav ? courseNavHtml(opts.nav, "top") : ""}${meta ? `<div class="report-meta">${meta}</div>\n` : ""}${banner}${cells.join("")}${tail}${opts.nav ? courseNavHtml(opts.nav, "bottom") : ""}</main>
</div>
${scripts.map((s) => s.html).join("")}</body>
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
    // Raw cells are for other converters; like nbconvert's HTML export, a report leaves them out.
    // A trusted export keeps those marked text/html (as written, under the page's CSP).
    const format = String(cell.metadata?.format ?? cell.metadata?.raw_mimetype ?? "").toLowerCase();
    return page.trusted && format === "text/html"
      ? `<section class="cell raw" id="${id}">${sanitizeNotebookHtml(src, true)}</section>\n`
      : "";
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

/** Why a report may not be written to `out` (from the notebook `file`), or undefined when it may:
 * never over the notebook itself (by any path to it) and never over any notebook. */
export function reportTargetProblem(file: string, out: string): string | undefined {
  if (/\.ipynb$/i.test(out)) return `the report ${out} would be written over a notebook (.ipynb); give the report an .html name`;
  const same = (a: string, b: string) => {
    try {
      const sa = statSync(a),
        sb = statSync(b);
      return sa.dev === sb.dev && sa.ino === sb.ino;
    } catch {
      return path.resolve(a) === path.resolve(b);
    }
  };
  if (same(file, out)) return `the report ${out} is the notebook ${file} itself; give the report another name`;
  if (existsSync(out) && statSync(out).isFile()) {
    // an existing notebook under another name is a notebook all the same
    try {
      const text = readFileSync(out, "utf8");
      if (text.trimStart().startsWith("{") && typeof JSON.parse(text)?.nbformat === "number")
        return `${out} holds a notebook (nbformat JSON); a report is not written over it`;
    } catch {
      // not JSON: an earlier report or another file, which a report may replace
    }
  }
  return undefined;
}

/** Export a notebook file to an HTML file (with the Hangul it uses embedded); resolves to the HTML
 * file's path. The file is replaced atomically: a failed or killed export leaves the old one. */
export async function exportNotebook(file: string, out = htmlPathFor(file), opts: ExportOptions = {}): Promise<string> {
  const problem = reportTargetProblem(file, out);
  if (problem) throw new Error(problem);
  if (existsSync(out) && statSync(out).isDirectory()) throw new Error(`the report ${out} is a folder; give a file name ending in .html`);
  const html = await withKoreanFont(notebookToHtml(readNotebook(file), { source: path.basename(file), ...opts }));
  writeFileAtomic(out, html, "report");
  return out;
}
