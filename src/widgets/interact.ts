// interact(): controls made from a short description, and a function re-run with their values
// whenever one changes. Re-runs are debounced (a dragged slider sends many values), and a newer
// run supersedes an older one: the older run's signal is aborted and whatever it still shows is
// dropped, so the output always belongs to the latest values. A run's errors are shown in the
// output, never thrown into the kernel.
//
//   await interact(({ temperature, topK }) => sampleText(model, { temperature, topK }),
//                  { temperature: [0.1, 2, 0.1], topK: [1, 40, 1] });     // the cell's last line: shown
import { display } from "../display/display";
import { Dropdown } from "./dropdown";
import { Box } from "./boxes";
import { Checkbox } from "./buttons";
import { show } from "./common";
import { Output } from "./output";
import { Slider } from "./slider";
import { Text } from "./text";
import { ValueWidget } from "./widget";

/**
 * How a control is described: [min, max] or [min, max, step] for a slider; a list of strings
 * (or [label, value] pairs) for a dropdown; true/false for a checkbox; a string for a text box; a
 * number for a slider around it; or a control made already (slider({...}), dropdown({...}), ...).
 */
export type Abbreviation =
  | readonly [number, number]
  | readonly [number, number, number]
  | readonly string[]
  | readonly (readonly [string, unknown])[]
  | boolean
  | string
  | number
  | ValueWidget<any>;

/** The value a described control gives. */
export type ValueOf<A> =
  A extends ValueWidget<infer T>
    ? T
    : A extends readonly [number, number] | readonly [number, number, number]
      ? number
      : A extends readonly (readonly [string, infer V])[]
        ? V
        : A extends readonly (infer S)[]
          ? S
          : A extends boolean
            ? boolean
            : A extends string
              ? string
              : A extends number
                ? number
                : never;

export type Values<S> = { -readonly [K in keyof S]: ValueOf<S[K]> };
export type Controls<S> = { readonly [K in keyof S]: ValueWidget<ValueOf<S[K]>> };

export interface RunContext {
  /** Aborted when a newer run supersedes this one: long work may stop early (its output is dropped anyway). */
  signal: AbortSignal;
  /** 1 for the first run, then counting up. */
  run: number;
}

export interface InteractOptions {
  /** Quiet time after a change before the function runs again, ms (default 50). */
  debounceMs?: number;
  /** Show the function's output in this Output widget instead of a new one below the controls. */
  output?: Output;
}

/** Why a superseded run's signal was aborted. */
export class SupersededError extends Error {
  constructor() {
    super("a newer run replaced this one");
    this.name = "SupersededError";
  }
}

const round = (x: number, step: number) => {
  const digits = Math.min(12, Math.max(0, -Math.floor(Math.log10(step)) + 1));
  return Number(x.toFixed(digits));
};

// Controls interact makes show their name in full (the default width cuts "temperature" short).
const style = { description_width: "initial" };

/** A control for one abbreviation. */
export function controlFor(name: string, a: unknown): ValueWidget<unknown> {
  if (a instanceof ValueWidget) return a;
  if (Array.isArray(a) && (a.length === 2 || a.length === 3) && a.every((x) => typeof x === "number")) {
    const [min, max, step] = a as number[];
    const whole = [min, max, step ?? 1].every(Number.isInteger);
    const s = step ?? (whole ? 1 : (max - min) / 100);
    const mid = min + Math.round((max - min) / 2 / s) * s;
    return new Slider({ min, max, step: s, value: whole ? Math.round(mid) : round(mid, s), description: name, style });
  }
  if (
    Array.isArray(a) &&
    a.length > 0 &&
    a.every((x) => typeof x === "string" || (Array.isArray(x) && x.length === 2 && typeof x[0] === "string"))
  ) {
    return new Dropdown({ options: a as any, description: name, style });
  }
  if (typeof a === "boolean") return new Checkbox({ value: a, description: name, style });
  if (typeof a === "string") return new Text({ value: a, description: name, style });
  if (typeof a === "number" && Number.isFinite(a)) {
    const [min, max] = a > 0 ? [-a, 3 * a] : a < 0 ? [3 * a, -a] : [0, 1];
    return new Slider({
      min,
      max,
      value: a,
      kind: Number.isInteger(a) ? "int" : "float",
      step: Number.isInteger(a) ? 1 : Math.abs(a) / 10 || 0.1,
      description: name,
      style,
    });
  }
  throw new TypeError(
    `interact: cannot make a control for ${JSON.stringify(name)} from ${show(a)}; expected [min, max] or [min, max, step], ` +
      `a list of strings or of [label, value] pairs, true/false, a string, a number, or a control such as slider({...})`,
  );
}

export class Interactive<S = Record<string, Abbreviation>> extends Box {
  readonly controls: Controls<S>;
  readonly output: Output;
  /** What the latest finished run returned. */
  result: unknown;
  /** Runs started so far. */
  runs = 0;
  private readonly debounceMs: number;
  private timer: NodeJS.Timeout | undefined;
  private controller: AbortController | undefined;
  private latestFinished = true;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly fn: (values: Values<S>, run: RunContext) => unknown,
    spec: S,
    opts: InteractOptions = {},
  ) {
    if (typeof fn !== "function") throw new TypeError(`interact: the first argument must be the function to run; got ${show(fn)}`);
    if (!spec || typeof spec !== "object" || Array.isArray(spec)) {
      throw new TypeError(`interact: the second argument must describe the controls, e.g. { temperature: [0, 2, 0.1] }; got ${show(spec)}`);
    }
    const controls = Object.fromEntries(Object.entries(spec).map(([k, a]) => [k, controlFor(k, a)])) as unknown as Controls<S>;
    const out = opts.output ?? new Output();
    if (!(out instanceof Output)) throw new TypeError(`interact: output must be an Output widget (output()); got ${show(out)}`);
    super("VBox", [...(Object.values(controls) as ValueWidget<unknown>[]), ...(opts.output ? [] : [out])], {});
    const debounce = opts.debounceMs ?? 50;
    if (!(typeof debounce === "number" && debounce >= 0))
      throw new RangeError(`interact: debounceMs must be a number of milliseconds, 0 or more; got ${show(debounce)}`);
    this.debounceMs = debounce;
    this.controls = controls;
    this.output = out;
    for (const c of Object.values(controls) as ValueWidget<unknown>[]) c.onChange(() => this.schedule());
    this.start();
  }

  /** The controls' values now. */
  get values(): Values<S> {
    const v: Record<string, unknown> = {};
    for (const [k, c] of Object.entries(this.controls)) v[k] = (c as ValueWidget<unknown>).value;
    return v as Values<S>;
  }

  /** Resolves when no run is waiting or running (the output shows the latest values). */
  get done(): Promise<void> {
    if (!this.timer && this.latestFinished) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Run now, without waiting for the debounce; resolves when that run has finished. */
  update(): Promise<void> {
    this.start();
    return this.done;
  }

  private schedule() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.start(), this.debounceMs);
  }

  private start() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.controller?.abort(new SupersededError());
    const controller = (this.controller = new AbortController());
    const run = this.output.beginRun();
    const context: RunContext = { signal: controller.signal, run: ++this.runs };
    const values = this.values;
    this.latestFinished = false;
    const finish = (result: unknown) => {
      if (!run.current) return; // superseded: a newer run owns the output and the waiters
      this.result = result;
      run.end();
      this.latestFinished = true;
      this.settle();
    };
    const r = run.run(() => {
      const x = this.fn(values, context);
      // A returned value is shown, as ipywidgets' interact does (a chart promise is awaited
      // first); a string as its text, not quoted (sampled text reads better so).
      const show = (v: unknown) => v !== undefined && display(typeof v === "string" ? { "text/plain": v } : v);
      if (x && typeof (x as any).then === "function") {
        return Promise.resolve(x).then((v) => {
          if (run.current) show(v);
          return v;
        });
      }
      show(x);
      return x;
    });
    if (r && typeof (r as any).then === "function") (r as Promise<unknown>).then(finish);
    else finish(r);
  }

  private settle() {
    if (this.timer || !this.latestFinished) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  textFallback(): string {
    const values = Object.entries(this.controls)
      .map(([k, c]) => `${k}=${show((c as ValueWidget<unknown>).value)}`)
      .join(", ");
    const out = this.output.textFallback();
    return `interact(${values})${out ? "\n" + out : ""}`;
  }
}

/**
 * Controls for `spec` and `fn` re-run with their values. End a cell with `await interact(...)`
 * (as with charts): it resolves after the first run, so the widget is shown with that run's
 * output, which a notebook run without a widget front end keeps as text too. It does not show
 * itself (Python's interact does): a cell's awaited result would then show it twice.
 */
export async function interact<const S extends Record<string, Abbreviation>>(
  fn: (values: Values<S>, run: RunContext) => unknown,
  spec: S,
  opts: InteractOptions = {},
): Promise<Interactive<S>> {
  const w = new Interactive<S>(fn, spec, opts);
  await w.done;
  return w;
}

/** interact() without waiting for the first run: place it yourself (in a box, a tab) or end a cell with it. */
export function interactive<const S extends Record<string, Abbreviation>>(
  fn: (values: Values<S>, run: RunContext) => unknown,
  spec: S,
  opts: InteractOptions = {},
): Interactive<S> {
  return new Interactive<S>(fn, spec, opts);
}
