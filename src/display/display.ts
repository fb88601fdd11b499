// display(), clearOutput() and the repr hook: any value with a [Symbol.for("Jupyter.display")]()
// method (the symbol Deno's kernel uses) renders itself, as a displayed value and as a cell's result.
import { inspect } from "util";
import { randomUUID } from "crypto";
import { DisplayMessage, kernel, MimeBundle } from "./bridge";
import { currentSink } from "./capture";

export const DISPLAY = Symbol.for("Jupyter.display");

export interface DisplayOptions {
  /** Give the output an id, to replace it later with `update: true`. */
  displayId?: string;
  /** Replace the output shown under `displayId` instead of adding one. */
  update?: boolean;
  metadata?: Record<string, unknown>;
}

const MIME = /^[a-z]+\/[-+.\w]+$/i;

export function isMimeBundle(v: unknown): v is MimeBundle {
  if (v === null || typeof v !== "object" || Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => MIME.test(k));
}

/** Readable text for any value, as Node's REPL shows it. */
export function plainText(value: unknown): string {
  return inspect(value, { depth: 4, maxArrayLength: 100, maxStringLength: 10_000, breakLength: 100 });
}

/** JSON mimetypes carry objects; binary images are base64 text; everything else is text. */
function normalise(data: MimeBundle): MimeBundle {
  const out: MimeBundle = {};
  for (const [mime, v] of Object.entries(data)) {
    if (v instanceof Uint8Array) out[mime] = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
    else if (mime === "application/json" || mime.endsWith("+json")) out[mime] = v;
    else out[mime] = typeof v === "string" ? v : String(v);
  }
  return out;
}

/**
 * The mime bundle and metadata a value displays as. A display hook that returns an empty object
 * means "nothing to show" (the value showed itself already, as a self-check's result does): the
 * bundle is empty, and the kernel publishes no result for it.
 */
export function toBundle(value: unknown): { data: MimeBundle; metadata: Record<string, unknown> } {
  const hook = value != null ? (value as any)[DISPLAY] : undefined;
  if (typeof hook === "function") {
    const r = hook.call(value);
    if (r && typeof r === "object" && Object.getPrototypeOf(r) === Object.prototype && Object.keys(r).length === 0)
      return { data: {}, metadata: {} };
    if (r && typeof r === "object" && "data" in r && isMimeBundle((r as any).data)) {
      return { data: normalise((r as any).data), metadata: (r as any).metadata ?? {} };
    }
    if (isMimeBundle(r)) return { data: normalise(r), metadata: {} };
    throw new TypeError(`[Symbol.for("Jupyter.display")]() must return a mime bundle such as {"text/plain": "..."}; got ${plainText(r)}`);
  }
  return { data: { "text/plain": plainText(value) }, metadata: {} };
}

/**
 * Show a value in the notebook: a mime bundle ({"text/html": ..., "text/plain": ...}) as it is,
 * a value with a display hook through the hook, anything else as text. One message, every mimetype.
 */
export function display(value: unknown, opts: DisplayOptions = {}): void {
  if (opts.update && !opts.displayId) throw new Error("display(..., {update: true}) needs the displayId of the output to replace");
  const bundle = isMimeBundle(value) ? { data: normalise(value), metadata: {} } : toBundle(value);
  if (!Object.keys(bundle.data).length) return; // nothing to show
  const msg: DisplayMessage = {
    data: bundle.data,
    metadata: { ...bundle.metadata, ...opts.metadata },
    transient: opts.displayId ? { display_id: opts.displayId } : {},
  };
  // Inside an Output widget's capture the output goes to the widget, not the cell.
  const sink = currentSink();
  if (sink) return sink.display(msg, !!opts.update);
  const k = kernel();
  if (k) k.display(msg, !!opts.update);
  else process.stdout.write(String(msg.data["text/plain"] ?? Object.keys(msg.data).join(", ")) + "\n");
}

/** A fresh display id. */
export function newDisplayId(): string {
  return randomUUID();
}

/** Clear the cell's output; with `wait`, only when the next output arrives (no flicker). */
export function clearOutput(opts: { wait?: boolean } = {}): void {
  const sink = currentSink();
  if (sink) return sink.clear(!!opts.wait);
  const k = kernel();
  if (k) k.clearOutput(!!opts.wait);
}

/** Open a value in the pager (the notebook's bottom panel, IPython's `page`): long help or text. */
export function page(value: unknown): void {
  const { data } = isMimeBundle(value) ? { data: normalise(value) } : toBundle(value);
  const k = kernel();
  if (k) k.page(data);
  else process.stdout.write(String(data["text/plain"] ?? "") + "\n");
}
