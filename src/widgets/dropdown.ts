// dropdown(): DropdownModel of @jupyter-widgets/controls 2.0. The front end knows only the labels
// and the chosen index; the values stay in the kernel (as in ipywidgets), so they may be anything.
import { ControlOptions, controlState, named, show } from "./common";
import { CONTROLS } from "./protocol";
import { sameValue, ValueWidget } from "./widget";

export type DropdownChoices<T> = readonly T[] | readonly (readonly [string, T])[];

export interface DropdownOptions<T> extends ControlOptions {
  /** The choices: values shown as text (["greedy", "sample"]), or [label, value] pairs ([["two", 2], ["three", 3]]). */
  options: DropdownChoices<T>;
  /** The chosen value; default the first. */
  value?: T;
}

const isPair = (o: unknown): o is readonly [string, unknown] => Array.isArray(o) && o.length === 2 && typeof o[0] === "string";

export class Dropdown<T> extends ValueWidget<T> {
  protected valueKey = "index";
  readonly labels: readonly string[];
  readonly values: readonly T[];

  constructor(opts: DropdownOptions<T>) {
    const what = named("dropdown", opts?.description);
    const options = opts?.options as readonly unknown[];
    if (!Array.isArray(options) || options.length === 0) {
      throw new TypeError(`${what}: options must be a non-empty list of values or of [label, value] pairs; got ${show(options)}`);
    }
    const pairs = options.every(isPair);
    const labels = options.map((o) => (pairs ? (o as [string, T])[0] : String(o)));
    const values = options.map((o) => (pairs ? (o as [string, T])[1] : (o as T)));
    let index = 0;
    if (opts.value !== undefined) {
      index = values.findIndex((v) => sameValue(v, opts.value));
      if (index < 0)
        throw new RangeError(
          `${what}: value ${show(opts.value)} is not among the options (${labels.map((l) => JSON.stringify(l)).join(", ")})`,
        );
    }
    super(
      { model: { ...CONTROLS, name: "DropdownModel" }, view: { ...CONTROLS, name: "DropdownView" } },
      { _options_labels: labels, index, ...controlState(what, opts, "DescriptionStyleModel") },
    );
    this.labels = labels;
    this.values = values;
  }

  protected decode(index: unknown): T {
    return this.values[index as number];
  }
  protected encode(value: T): unknown {
    const i = this.values.findIndex((v) => sameValue(v, value));
    if (i < 0)
      throw new RangeError(
        `${named("dropdown", this.state.description as string)}: value ${show(value)} is not among the options (${this.labels.map((l) => JSON.stringify(l)).join(", ")})`,
      );
    return i;
  }

  /** The chosen option's position. */
  get index(): number {
    return this.state.index as number;
  }
  set index(i: number) {
    this.set({ index: i });
  }
  /** The chosen option's label. */
  get label(): string {
    return this.labels[this.index];
  }

  protected check(name: string, v: unknown): unknown {
    if (name === "index" && !(Number.isInteger(v) && (v as number) >= 0 && (v as number) < this.labels.length)) {
      throw new RangeError(
        `${named("dropdown", this.state.description as string)}: index must be a whole number from 0 to ${this.labels.length - 1}; got ${show(v)}`,
      );
    }
    return v;
  }

  toString(): string {
    return `Dropdown(value=${show(this.value)}, options=${JSON.stringify(this.labels)}${this.state.description ? `, description=${JSON.stringify(this.state.description)}` : ""})`;
  }
}

/** A dropdown: `dropdown({ options: ["greedy", "top-k", "sample"], value: "sample", description: "decoding" })`. */
export function dropdown<const T>(opts: ControlOptions & { options: readonly (readonly [string, T])[]; value?: T }): Dropdown<T>;
export function dropdown<const T>(opts: ControlOptions & { options: readonly T[]; value?: T }): Dropdown<T>;
export function dropdown<T>(opts: DropdownOptions<T>): Dropdown<T> {
  return new Dropdown<T>(opts);
}
