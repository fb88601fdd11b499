// The Jupyter widget message protocol, version 2.1 (ipywidgets 8): the names and versions front
// ends look models up by, and the binary-buffer split of a state (any Uint8Array or other
// ArrayBufferView inside it travels as a binary frame, its place named by a path).
// Spec: ipywidgets packages/schema/messages.md and jupyterwidgetmodels.latest.md.

export const PROTOCOL_VERSION = "2.1.0";
export const CONTROL_PROTOCOL_VERSION = "1.0.0";
export const WIDGET_TARGET = "jupyter.widget";
export const CONTROL_TARGET = "jupyter.widget.control";
export const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";
export const WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json";

/** Model module versions of the ipywidgets 8 front end (its npm packages base 6, controls 5, output 6). */
export const BASE = { module: "@jupyter-widgets/base", version: "2.0.0" } as const;
export const CONTROLS = { module: "@jupyter-widgets/controls", version: "2.0.0" } as const;
export const OUTPUT = { module: "@jupyter-widgets/output", version: "1.0.0" } as const;

/** A reference to another widget inside a state: "IPY_MODEL_" + its model id. */
export const REF_PREFIX = "IPY_MODEL_";

export type Path = (string | number)[];
export type Buffers = { state: Record<string, unknown>; paths: Path[]; buffers: Uint8Array[] };

const isBinary = (v: unknown): v is ArrayBufferView | ArrayBuffer => ArrayBuffer.isView(v) || v instanceof ArrayBuffer;
const bytes = (v: ArrayBufferView | ArrayBuffer): Uint8Array =>
  v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/**
 * Split binary values out of a state, as ipywidgets' _remove_buffers does: a binary object value
 * is removed from its object, a binary list item is replaced by null; the input is not changed
 * (only the containers on a path to a buffer are copied).
 */
export function removeBuffers(state: Record<string, unknown>): Buffers {
  const paths: Path[] = [];
  const buffers: Uint8Array[] = [];
  const walk = (value: unknown, path: Path): unknown => {
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      value.forEach((v, i) => {
        if (isBinary(v)) {
          copy ??= [...value];
          copy[i] = null;
          paths.push([...path, i]);
          buffers.push(bytes(v));
        } else if (v !== null && typeof v === "object") {
          const w = walk(v, [...path, i]);
          if (w !== v) (copy ??= [...value])[i] = w;
        }
      });
      return copy ?? value;
    }
    if (value !== null && typeof value === "object") {
      let copy: Record<string, unknown> | undefined;
      for (const [k, v] of Object.entries(value)) {
        if (isBinary(v)) {
          copy ??= { ...(value as Record<string, unknown>) };
          delete copy[k];
          paths.push([...path, k]);
          buffers.push(bytes(v));
        } else if (v !== null && typeof v === "object") {
          const w = walk(v, [...path, k]);
          if (w !== v) (copy ??= { ...(value as Record<string, unknown>) })[k] = w;
        }
      }
      return copy ?? value;
    }
    return value;
  };
  return { state: walk(state, []) as Record<string, unknown>, paths, buffers };
}

/** Put received buffers back at their paths (in place: the state came from the wire). */
export function putBuffers(state: Record<string, unknown>, paths: unknown, buffers: Uint8Array[]): void {
  if (paths === undefined || paths === null) return;
  if (!Array.isArray(paths)) throw new TypeError(`buffer_paths must be a list of paths; got ${JSON.stringify(paths)}`);
  if (paths.length > buffers.length)
    throw new TypeError(`buffer_paths names ${paths.length} buffers but the message has ${buffers.length}`);
  paths.forEach((path, i) => {
    if (!Array.isArray(path) || path.length === 0)
      throw new TypeError(`a buffer path must be a non-empty list of keys and indices; got ${JSON.stringify(path)}`);
    let obj: any = state;
    for (const key of path.slice(0, -1)) {
      obj = obj?.[key];
      if (obj === null || typeof obj !== "object") throw new TypeError(`buffer path ${JSON.stringify(path)} does not lead into the state`);
    }
    // A Buffer from the socket becomes a plain Uint8Array view of the same bytes.
    const b = buffers[i];
    obj[path[path.length - 1]] = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  });
}

/** A binary buffer as the saved widget state stores it. */
export function encodeBuffer(path: Path, data: Uint8Array) {
  return { path, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64"), encoding: "base64" as const };
}
