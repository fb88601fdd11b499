// The shapes of named tensors as a small table: what notebooks print while they walk a batch
// through a model ("x [2, 5, 3] → h [2, 5, 4] → y [2, 5, 7]"), as HTML with a text twin.
import { lang } from "../lang";
import { HtmlView, table, textTable } from "./html";

/** Anything with a shape (a tf.Tensor, or a plain { shape }). */
export interface Shaped {
  shape: readonly number[];
}

/** "[2, 5, 3]" */
export const shapeText = (t: Shaped) => `[${t.shape.join(", ")}]`;

/**
 * A table of tensors by name and shape, in the order given: pairs [name, tensor] or an object.
 * Only the shapes are read, so the tensors may be disposed afterwards.
 */
export function showShapes(
  named: readonly (readonly [string, Shaped])[] | Record<string, Shaped>,
  opts: { caption?: string } = {},
): HtmlView {
  const rows = (Array.isArray(named) ? named : Object.entries(named)).map(([n, t]) => [n, shapeText(t)]);
  const header = lang() === "ko" ? ["텐서", "모양"] : ["tensor", "shape"]; // SEQLAB_LANG
  const caption = opts.caption ? `${opts.caption}\n` : "";
  return new HtmlView(table(header, rows, { caption: opts.caption }), caption + textTable(header, rows));
}
