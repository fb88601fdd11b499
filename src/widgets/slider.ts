// slider(): IntSlider or FloatSlider of @jupyter-widgets/controls 2.0.
import { ControlOptions, controlState, finite, named, oneOf, bool, show } from "./common";
import { CONTROLS } from "./protocol";
import { ValueWidget } from "./widget";

export interface SliderOptions extends ControlOptions {
  min?: number;
  max?: number;
  /** Default 1 for whole-number sliders, else 0.1. */
  step?: number;
  /** Default min. Values outside [min, max] are clamped, as ipywidgets does. */
  value?: number;
  /** "int" or "float"; by default "int" when min, max, step and value are all whole numbers. */
  kind?: "int" | "float";
  /** Send values while the handle is dragged (default true), or only when it is let go. */
  continuousUpdate?: boolean;
  orientation?: "horizontal" | "vertical";
  /** Show the value beside the slider (default true). */
  readout?: boolean;
  /** d3-format of the readout: "d" for int, by default as many decimals as step has for float. */
  readoutFormat?: string;
}

/** Decimal places of a step such as 0.05 (2). */
function decimals(x: number): number {
  const s = String(x);
  const e = s.match(/e-(\d+)$/);
  if (e) return Number(e[1]);
  return s.includes(".") ? s.split(".")[1].length : 0;
}

export class Slider extends ValueWidget<number> {
  readonly kind: "int" | "float";

  constructor(opts: SliderOptions = {}) {
    const what = named("slider", opts.description);
    const min = finite(what, "min", opts.min ?? 0);
    const max = finite(what, "max", opts.max ?? 100);
    if (min > max) throw new RangeError(`${what}: min (${min}) must not be greater than max (${max})`);
    const whole = [min, max, opts.step ?? 1, opts.value ?? min].every(Number.isInteger);
    const kind = opts.kind === undefined ? (whole ? "int" : "float") : oneOf(what, "kind", opts.kind, ["int", "float"] as const);
    const step = finite(what, "step", opts.step ?? (kind === "int" ? 1 : 0.1));
    if (step <= 0) throw new RangeError(`${what}: step must be greater than 0; got ${step}`);
    if (kind === "int" && ![min, max, step].every(Number.isInteger)) {
      throw new TypeError(
        `${what}: an int slider needs whole-number min, max and step; got min ${min}, max ${max}, step ${step} (use kind: "float")`,
      );
    }
    const value = Slider.clamp(finite(what, "value", opts.value ?? min), min, max, kind);
    const prefix = kind === "int" ? "Int" : "Float";
    super(
      { model: { ...CONTROLS, name: `${prefix}SliderModel` }, view: { ...CONTROLS, name: `${prefix}SliderView` } },
      {
        value,
        min,
        max,
        step,
        behavior: "drag-tap",
        continuous_update: opts.continuousUpdate === undefined ? true : bool(what, "continuousUpdate", opts.continuousUpdate),
        orientation: oneOf(what, "orientation", opts.orientation ?? "horizontal", ["horizontal", "vertical"] as const),
        readout: opts.readout === undefined ? true : bool(what, "readout", opts.readout),
        readout_format: opts.readoutFormat ?? (kind === "int" ? "d" : `.${Math.min(6, Math.max(1, decimals(step)))}f`),
        ...controlState(what, opts, "SliderStyleModel"),
      },
    );
    this.kind = kind;
  }

  private static clamp(v: number, min: number, max: number, kind: "int" | "float"): number {
    const x = Math.min(max, Math.max(min, v));
    return kind === "int" ? Math.round(x) : x;
  }

  get min(): number {
    return this.state.min as number;
  }
  set min(v: number) {
    this.set({ min: v, value: Math.max(v, this.value) });
  }
  get max(): number {
    return this.state.max as number;
  }
  set max(v: number) {
    this.set({ max: v, value: Math.min(v, this.value) });
  }
  get step(): number {
    return this.state.step as number;
  }
  set step(v: number) {
    this.set({ step: v });
  }

  protected check(name: string, v: unknown, _source: "kernel" | "frontend"): unknown {
    const what = named("slider", this.state.description as string);
    if (name === "value") {
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new TypeError(`${what}: value must be a number between ${this.min} and ${this.max}; got ${show(v)}`);
      return Slider.clamp(v, this.min, this.max, this.kind);
    }
    if (name === "min" || name === "max" || name === "step") {
      const n = finite(what, name, v);
      if (this.kind === "int" && !Number.isInteger(n))
        throw new TypeError(`${what}: ${name} of an int slider must be a whole number; got ${n}`);
      if (name === "step" && n <= 0) throw new RangeError(`${what}: step must be greater than 0; got ${n}`);
      if (name === "min" && n > this.max) throw new RangeError(`${what}: min (${n}) must not be greater than max (${this.max})`);
      if (name === "max" && n < this.min) throw new RangeError(`${what}: max (${n}) must not be less than min (${this.min})`);
      return n;
    }
    return v;
  }

  protected reprKeys(): string[] {
    return ["value", "min", "max", "step", "description"];
  }
}

/** A slider: `slider({ min: 0, max: 2, step: 0.1, value: 1, description: "temperature" })`. */
export function slider(opts: SliderOptions = {}): Slider {
  return new Slider(opts);
}
