// Options every control shares, and the checks their values go through.
import { BoxStyling, styling } from "./layout";
import { WireState } from "./widget";

export interface ControlOptions extends BoxStyling {
  /** The label beside the control. */
  description?: string;
  /** Shown when the pointer rests on the control. */
  tooltip?: string;
  /** Shown but not changeable. */
  disabled?: boolean;
  /** The control's style model: e.g. { description_width: "initial" } (a long description in full). */
  style?: Record<string, string>;
}

/** State keys for the shared options. */
export function controlState(
  what: string,
  opts: ControlOptions,
  styleModel: string,
  keys: { disabled?: boolean } = { disabled: true },
): WireState {
  const out: WireState = {};
  if (opts.description !== undefined) out.description = text(what, "description", opts.description);
  out.description_allow_html = false;
  if (opts.tooltip !== undefined) out.tooltip = text(what, "tooltip", opts.tooltip);
  if (keys.disabled) out.disabled = opts.disabled === undefined ? false : bool(what, "disabled", opts.disabled);
  return { ...out, ...styling(opts, styleModel) };
}

export function text(what: string, key: string, v: unknown): string {
  if (typeof v !== "string") throw new TypeError(`${what}: ${key} must be a string; got ${show(v)}`);
  return v;
}

export function bool(what: string, key: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw new TypeError(`${what}: ${key} must be true or false; got ${show(v)}`);
  return v;
}

export function finite(what: string, key: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`${what}: ${key} must be a finite number; got ${show(v)}`);
  return v;
}

export function whole(what: string, key: string, v: unknown): number {
  const n = finite(what, key, v);
  if (!Number.isInteger(n)) throw new TypeError(`${what}: ${key} must be a whole number; got ${n}`);
  return n;
}

export function oneOf<T extends string>(what: string, key: string, v: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(v as T))
    throw new TypeError(`${what}: ${key} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}; got ${show(v)}`);
  return v as T;
}

export function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** How a control names itself in errors: its kind and description. */
export const named = (kind: string, description?: string) => (description ? `${kind} ${JSON.stringify(description)}` : kind);
