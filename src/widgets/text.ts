// text(): TextModel of @jupyter-widgets/controls 2.0, a one-line text box.
import { bool, ControlOptions, controlState, named, text as str } from "./common";
import { CONTROLS } from "./protocol";
import { ValueWidget } from "./widget";

export interface TextOptions extends ControlOptions {
  value?: string;
  /** Grey text shown while the box is empty. */
  placeholder?: string;
  /** Send the text on every keystroke (default true), or only on Enter or leaving the box. */
  continuousUpdate?: boolean;
}

export class Text extends ValueWidget<string> {
  constructor(opts: TextOptions = {}) {
    const what = named("text", opts.description);
    super(
      { model: { ...CONTROLS, name: "TextModel" }, view: { ...CONTROLS, name: "TextView" } },
      {
        value: str(what, "value", opts.value ?? ""),
        placeholder: str(what, "placeholder", opts.placeholder ?? "\u200b"),
        continuous_update: opts.continuousUpdate === undefined ? true : bool(what, "continuousUpdate", opts.continuousUpdate),
        ...controlState(what, opts, "TextStyleModel"),
      },
    );
  }
  protected check(name: string, v: unknown): unknown {
    return name === "value" ? str(named("text", this.state.description as string), "value", v) : v;
  }
}

/** A text box: `text({ value: "The Time", description: "prompt" })`. */
export function text(opts: TextOptions = {}): Text {
  return new Text(opts);
}
