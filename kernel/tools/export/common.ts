// What every part of the HTML export shares: escaping, checked data: URLs and the state of one
// page being built.
import { randomBytes } from "crypto";

/** Text as HTML text or attribute value: nothing in it can open a tag or end an attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** JSON to place inside <script type="application/json">: no "</script>" or "<!--" can appear. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** nbformat stores text either as a string or as a list of lines. */
export const joinText = (v: unknown): string => (Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "");

export interface TocEntry {
  level: number;
  id: string;
  text: string;
}

/** Image mimetypes a report shows from base64 data (as <img src="data:...">). */
const IMAGE_TYPES = /^image\/(?:png|jpeg|gif|webp|bmp|svg\+xml)$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A data: URL for an image, or an Error saying what is wrong with the mimetype or the data.
 * The data must be base64 (whitespace aside): anything else could end the attribute it goes in. */
export function imageDataUrl(mime: string, data: string): string | Error {
  if (!IMAGE_TYPES.test(mime))
    return new Error(`${JSON.stringify(mime.slice(0, 60))} is not an image type a report shows (png, jpeg, gif, webp, bmp, svg+xml)`);
  const base64 = data.replace(/\s+/g, "");
  if (!BASE64.test(base64)) return new Error(`the ${mime} data is not base64 (${base64.length} characters)`);
  return `data:${mime};base64,${base64}`;
}

/** The libraries a page turns out to need; the page inlines exactly these. */
export type Library = "katex" | "vega" | "plotly";

/** State of one page while it is rendered. */
export class Page {
  /** Keep the notebook's HTML as written (seqlab export --trusted) instead of sanitizing it. */
  readonly trusted: boolean;
  /** Marks where KaTeX's HTML goes back in after sanitizing; unguessable, so a notebook cannot
   * write one into an attribute. */
  readonly mathKey = `seqlabmath${randomBytes(8).toString("hex")}`;
  readonly needs = new Set<Library>();
  readonly toc: TocEntry[] = [];
  /** KaTeX macros: a \newcommand in one cell holds in the cells after it, as in Jupyter. */
  readonly macros: Record<string, any> = {};
  private readonly used = new Set<string>();

  constructor(opts: { trusted?: boolean } = {}) {
    this.trusted = opts.trusted === true;
  }

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
