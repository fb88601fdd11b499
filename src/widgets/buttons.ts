// button(), toggle() and checkbox(): ButtonModel, ToggleButtonModel and CheckboxModel of
// @jupyter-widgets/controls 2.0. A click reaches the kernel as a custom message {event: "click"}.
import { bool, ControlOptions, controlState, named, oneOf, text } from "./common";
import { CONTROLS } from "./protocol";
import { guard } from "./report";
import { Unsubscribe, ValueWidget, Widget } from "./widget";

const BUTTON_STYLES = ["primary", "success", "info", "warning", "danger", ""] as const;
export type ButtonStyle = (typeof BUTTON_STYLES)[number];

export interface ButtonOptions extends ControlOptions {
  /** "primary", "success", "info", "warning", "danger" or "" (plain). */
  buttonStyle?: ButtonStyle;
  /** A Font Awesome icon name, e.g. "play". */
  icon?: string;
}

function buttonState(what: string, opts: ButtonOptions, styleModel: string) {
  return {
    button_style: oneOf(what, "buttonStyle", opts.buttonStyle ?? "", BUTTON_STYLES),
    icon: text(what, "icon", opts.icon ?? ""),
    ...controlState(what, { ...opts, description: opts.description ?? "" }, styleModel),
  };
}

export class Button extends Widget {
  private readonly clicks = new Set<(b: Button) => unknown>();

  constructor(opts: ButtonOptions = {}) {
    super(
      { model: { ...CONTROLS, name: "ButtonModel" }, view: { ...CONTROLS, name: "ButtonView" } },
      buttonState(named("button", opts.description), opts, "ButtonStyleModel"),
    );
    this.onMsg((content) => {
      if ((content as any)?.event === "click") this.click();
    });
  }

  /** Call fn on every click; returns a function that stops it. */
  onClick(fn: (button: Button) => unknown): Unsubscribe {
    this.clicks.add(fn);
    return () => void this.clicks.delete(fn);
  }

  /** Click it from code: the click handlers run as for a person's click. */
  click(): void {
    for (const fn of [...this.clicks]) guard(() => fn(this), `${this} click handler`);
  }

  get description(): string {
    return this.state.description as string;
  }
  set description(v: string) {
    this.set({ description: v });
  }

  protected reprKeys(): string[] {
    return ["description"];
  }
}

/** A button: `button({ description: "sample again" }).onClick(() => ...)`. */
export function button(opts: ButtonOptions = {}): Button {
  return new Button(opts);
}

export interface ToggleOptions extends ButtonOptions {
  value?: boolean;
}

export class Toggle extends ValueWidget<boolean> {
  constructor(opts: ToggleOptions = {}) {
    const what = named("toggle", opts.description);
    super(
      { model: { ...CONTROLS, name: "ToggleButtonModel" }, view: { ...CONTROLS, name: "ToggleButtonView" } },
      { value: bool(what, "value", opts.value ?? false), ...buttonState(what, opts, "ToggleButtonStyleModel") },
    );
  }
  protected check(name: string, v: unknown): unknown {
    return name === "value" ? bool(named("toggle", this.state.description as string), "value", v) : v;
  }
}

/** A toggle button (on/off): `toggle({ description: "show gates", value: true })`. */
export function toggle(opts: ToggleOptions = {}): Toggle {
  return new Toggle(opts);
}

export interface CheckboxOptions extends ControlOptions {
  value?: boolean;
  /** Line the box up with other controls' values (default true). */
  indent?: boolean;
}

export class Checkbox extends ValueWidget<boolean> {
  constructor(opts: CheckboxOptions = {}) {
    const what = named("checkbox", opts.description);
    super(
      { model: { ...CONTROLS, name: "CheckboxModel" }, view: { ...CONTROLS, name: "CheckboxView" } },
      {
        value: bool(what, "value", opts.value ?? false),
        indent: bool(what, "indent", opts.indent ?? true),
        ...controlState(what, { ...opts, description: opts.description ?? "" }, "CheckboxStyleModel"),
      },
    );
  }
  protected check(name: string, v: unknown): unknown {
    return name === "value" ? bool(named("checkbox", this.state.description as string), "value", v) : v;
  }
}

/** A checkbox: `checkbox({ description: "causal mask", value: true })`. */
export function checkbox(opts: CheckboxOptions = {}): Checkbox {
  return new Checkbox(opts);
}
