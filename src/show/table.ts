// A table of results for a notebook: HTML for front ends, aligned text for the plain-text twin
// (and for reports read as text), from one list of rows.
import { HtmlView, table, textTable } from "./html";

export interface ShowTableOptions {
  /** Right-aligned columns (default: those whose every cell is a number). */
  right?: number[];
  /** A line above the table. */
  caption?: string;
}

/** `showTable(["model", "PPL"], [["bigram", "9.68"], ...])`: a displayable table; cells are escaped. */
export function showTable(header: string[], rows: (string | number)[][], opts: ShowTableOptions = {}): HtmlView {
  const right = opts.right ?? header.map((_, j) => j).filter((j) => rows.length > 0 && rows.every((r) => typeof r[j] === "number"));
  const text = textTable(header, rows, right);
  return new HtmlView(table(header, rows, { right, caption: opts.caption }), opts.caption ? `${opts.caption}\n${text}` : text);
}
