// A displayable of HTML with a plain-text twin (and optionally a picture), for rich values.
import { DISPLAY } from "../display/display";
import { DisplayBundle, esc, Picture } from "../plot/render";

export { esc };

export class HtmlView {
  constructor(
    readonly html: string,
    readonly text: string,
    /** A picture shown with the HTML (front ends pick HTML; PNG-only viewers the picture). */
    readonly picture?: Picture,
  ) {}

  bundle(): DisplayBundle {
    const data: Record<string, unknown> = { "text/html": this.html, "text/plain": this.text };
    const metadata: Record<string, unknown> = {};
    if (this.picture) {
      data["image/png"] = this.picture.png.toString("base64");
      metadata["image/png"] = { width: this.picture.width, height: this.picture.height };
    }
    return { data, metadata };
  }

  [DISPLAY](): DisplayBundle {
    return this.bundle();
  }

  toString(): string {
    return this.text;
  }
}

/** `1234567` → "1,234,567". */
export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : String(n);
}

/** A compact HTML table; cells are escaped, `right` columns are right-aligned numbers. */
export function table(
  header: string[],
  rows: (string | number)[][],
  opts: { right?: number[]; caption?: string; footer?: (string | number)[][] } = {},
): string {
  const right = new Set(opts.right ?? []);
  const td = (v: string | number, j: number, tag = "td") =>
    `<${tag} style="text-align:${right.has(j) ? "right" : "left"};padding:1px 8px">${esc(v)}</${tag}>`;
  return (
    `<table style="border-collapse:collapse;font-size:12px">` +
    (opts.caption ? `<caption style="text-align:left;padding:2px 0;caption-side:top">${esc(opts.caption)}</caption>` : "") +
    `<thead><tr>${header.map((h, j) => td(h, j, "th")).join("")}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((v, j) => td(v, j)).join("")}</tr>`).join("")}</tbody>` +
    (opts.footer
      ? `<tfoot>${opts.footer.map((r) => `<tr style="border-top:1px solid #999">${r.map((v, j) => td(v, j, "th")).join("")}</tr>`).join("")}</tfoot>`
      : "") +
    `</table>`
  );
}

/** Plain-text table with aligned columns. */
export function textTable(header: string[], rows: (string | number)[][], right: number[] = []): string {
  const all = [header, ...rows.map((r) => r.map(String))];
  const w = header.map((_, j) => Math.max(...all.map((r) => [...String(r[j] ?? "")].length)));
  const pad = (s: string, j: number) => (right.includes(j) ? s.padStart(w[j]) : s.padEnd(w[j]));
  const line = (r: (string | number)[]) =>
    r
      .map((v, j) => pad(String(v), j))
      .join("  ")
      .trimEnd();
  return [line(header), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}
