// progress(): IntProgressModel or FloatProgressModel of @jupyter-widgets/controls 2.0.
import { ControlOptions, controlState, finite, named, oneOf, show } from "./common";
import { CONTROLS } from "./protocol";
import { ValueWidget } from "./widget";

const BAR_STYLES = ["success", "info", "warning", "danger", ""] as const;

export interface ProgressOptions extends Omit<ControlOptions, "disabled"> {
  value?: number;
  min?: number;
  max?: number;
  /** "int" or "float"; by default "int" when min, max and value are whole numbers. */
  kind?: "int" | "float";
  /** "success", "info", "warning", "danger" or "". */
  barStyle?: (typeof BAR_STYLES)[number];
  orientation?: "horizontal" | "vertical";
}

export class Progress extends ValueWidget<number> {
  readonly kind: "int" | "float";
  constructor(opts: ProgressOptions = {}) {
    const what = named("progress", opts.description);
    const min = finite(what, "min", opts.min ?? 0);
    const max = finite(what, "max", opts.max ?? 100);
    if (min > max) throw new RangeError(`${what}: min (${min}) must not be greater than max (${max})`);
    const value = finite(what, "value", opts.value ?? min);
    const kind = opts.kind ?? ([min, max, value].every(Number.isInteger) ? "int" : "float");
    const prefix = oneOf(what, "kind", kind, ["int", "float"] as const) === "int" ? "Int" : "Float";
    super(
      { model: { ...CONTROLS, name: `${prefix}ProgressModel` }, view: { ...CONTROLS, name: "ProgressView" } },
      {
        value: Math.min(max, Math.max(min, kind === "int" ? Math.round(value) : value)),
        min,
        max,
        bar_style: oneOf(what, "barStyle", opts.barStyle ?? "", BAR_STYLES),
        orientation: oneOf(what, "orientation", opts.orientation ?? "horizontal", ["horizontal", "vertical"] as const),
        ...controlState(what, opts, "ProgressStyleModel", { disabled: false }),
      },
    );
    this.kind = kind;
  }

  get max(): number {
    return this.state.max as number;
  }
  set max(v: number) {
    this.set({ max: v });
  }
  get barStyle(): (typeof BAR_STYLES)[number] {
    return this.state.bar_style as (typeof BAR_STYLES)[number];
  }
  set barStyle(v: (typeof BAR_STYLES)[number]) {
    this.set({ bar_style: oneOf(named("progress", this.state.description as string), "barStyle", v, BAR_STYLES) });
  }

  protected check(name: string, v: unknown): unknown {
    if (name === "value") {
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new TypeError(`${named("progress", this.state.description as string)}: value must be a number; got ${show(v)}`);
      const x = Math.min(this.state.max as number, Math.max(this.state.min as number, v));
      return this.kind === "int" ? Math.round(x) : x;
    }
    return v;
  }

  protected reprKeys(): string[] {
    return ["value", "min", "max", "description"];
  }
}

/** A progress bar: `const bar = progress({ max: steps, description: "training" }); bar.value = step;`. */
export function progress(opts: ProgressOptions = {}): Progress {
  return new Progress(opts);
}
