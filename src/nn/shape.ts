// Shape checks with errors that name the expected and the actual shape.

/** "[3, 4, 5]" */
export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Check `shape` against a pattern of sizes (numbers) and names (strings). A name binds to the size
 * first seen for it (in `bind`, shared between calls), so `["batch", "steps"]` then `["batch"]`
 * checks that two tensors agree on the batch. Throws e.g.
 * `manyToOne.apply: expected token ids of shape [batch, steps], got [3, 4, 5]`.
 */
export function checkShape(
  where: string,
  what: string,
  shape: readonly number[],
  pattern: readonly (number | string)[],
  bind: Record<string, number> = {},
): void {
  const expected = (): string =>
    `[${pattern.map((p) => (typeof p === "number" ? String(p) : bind[p] !== undefined ? `${p}=${bind[p]}` : p)).join(", ")}]`;
  const fail = (): never => {
    throw new ShapeError(`${where}: expected ${what} of shape ${expected()}, got ${shapeString(shape)}`, [...shape]);
  };
  if (shape.length !== pattern.length) fail();
  const fresh: Record<string, number> = {};
  pattern.forEach((p, i) => {
    if (typeof p === "number") {
      if (shape[i] !== p) fail();
    } else if (bind[p] !== undefined) {
      if (shape[i] !== bind[p]) fail();
    } else if (fresh[p] !== undefined) {
      if (shape[i] !== fresh[p]) fail();
    } else fresh[p] = shape[i];
  });
  Object.assign(bind, fresh);
}

/** A wrong shape passed to a model. */
export class ShapeError extends Error {
  constructor(
    message: string,
    readonly actual: number[],
  ) {
    super(message);
    this.name = "ShapeError";
  }
}
