// What every part of the HTML export shares: escaping and the state of one page being built.

/** Text as HTML text or attribute value: nothing in it can open a tag or end an attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** JSON to place inside <script type="application/json">: no "</script>" or "<!--" can appear. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** nbformat stores text either as a string or as a list of lines. */
export const joinText = (v: unknown): string => (Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "");

export interface TocEntry {
  level: number;
  id: string;
  text: string;
}

/** The libraries a page turns out to need; the page inlines exactly these. */
export type Library = "katex" | "vega" | "plotly";

/** State of one page while it is rendered. */
export class Page {
  readonly needs = new Set<Library>();
  readonly toc: TocEntry[] = [];
  /** KaTeX macros: a \newcommand in one cell holds in the cells after it, as in Jupyter. */
  readonly macros: Record<string, any> = {};
  private readonly used = new Set<string>();

  /** A unique, readable anchor for a heading (letters of any script are kept). */
  anchor(text: string): string {
    const base =
      text
        .normalize("NFC")
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .trim()
        .replace(/\s+/g, "-") || "section";
    let id = base;
    for (let n = 1; this.used.has(id); n++) id = `${base}-${n}`;
    this.used.add(id);
    return id;
  }
}
