// hbox(), vbox() and tab(): HBoxModel, VBoxModel and TabModel of @jupyter-widgets/controls 2.0,
// widgets laid out side by side, one above another, or as tabs.
import { named, oneOf, show } from "./common";
import { BoxStyling, styling } from "./layout";
import { CONTROLS } from "./protocol";
import { ref, Widget } from "./widget";

const BOX_STYLES = ["success", "info", "warning", "danger", ""] as const;

export interface BoxOptions extends BoxStyling {
  /** A border colour: "success", "info", "warning", "danger" or "". */
  boxStyle?: (typeof BOX_STYLES)[number];
}

function checkChildren(what: string, children: unknown): Widget[] {
  if (!Array.isArray(children) || !children.every((c) => c instanceof Widget)) {
    throw new TypeError(
      `${what}: children must be a list of widgets (slider(), output(), ...); got ${show(Array.isArray(children) ? children.map((c) => (c instanceof Widget ? String(c) : c)) : children)}`,
    );
  }
  return children;
}

export class Box extends Widget {
  private kids: Widget[];
  constructor(kind: "HBox" | "VBox" | "Tab", children: Widget[], opts: BoxOptions, extra: Record<string, unknown> = {}) {
    const what = named(kind.toLowerCase());
    const kids = checkChildren(what, children);
    super(
      { model: { ...CONTROLS, name: `${kind}Model` }, view: { ...CONTROLS, name: `${kind}View` } },
      { children: kids.map(ref), box_style: oneOf(what, "boxStyle", opts.boxStyle ?? "", BOX_STYLES), ...extra, ...styling(opts) },
    );
    this.kids = kids;
  }

  get children(): readonly Widget[] {
    return this.kids;
  }
  set children(v: readonly Widget[]) {
    const kids = checkChildren(named(this.modelName.replace(/Model$/, "").toLowerCase()), v);
    this.kids = [...kids];
    this.set({ children: kids.map(ref) });
  }

  textFallback(): string {
    return this.kids
      .map((c) => c.textFallback())
      .filter(Boolean)
      .join("\n");
  }
  pngFallback(): string | undefined {
    for (const c of this.kids) {
      const png = c.pngFallback();
      if (png) return png;
    }
    return undefined;
  }
}

/** Widgets side by side: `hbox([play, step])`. */
export function hbox(children: Widget[], opts: BoxOptions = {}): Box {
  return new Box("HBox", children, opts);
}

/** Widgets one above another: `vbox([temperature, out])`. */
export function vbox(children: Widget[], opts: BoxOptions = {}): Box {
  return new Box("VBox", children, opts);
}

export interface TabOptions extends BoxOptions {
  /** One title per child. */
  titles?: string[];
  /** The tab shown first (default 0). */
  selected?: number;
}

export class Tab extends Box {
  constructor(children: Widget[], opts: TabOptions = {}) {
    const titles = opts.titles ?? children.map((_, i) => `${i + 1}`);
    if (!Array.isArray(titles) || !titles.every((t) => typeof t === "string") || titles.length !== children.length) {
      throw new TypeError(
        `tab: titles must be a list of ${Array.isArray(children) ? children.length : "?"} strings, one per child; got ${show(titles)}`,
      );
    }
    const selected = opts.selected ?? (children.length ? 0 : null);
    if (selected !== null && !(Number.isInteger(selected) && selected >= 0 && selected < children.length)) {
      throw new RangeError(`tab: selected must be a child's position, 0 to ${children.length - 1}; got ${show(selected)}`);
    }
    super("Tab", children, opts, { titles, selected_index: selected });
  }
  /** The position of the tab shown (a person may choose another). */
  get selected(): number | null {
    return this.state.selected_index as number | null;
  }
  set selected(i: number | null) {
    this.set({ selected_index: i });
  }
  get titles(): readonly string[] {
    return this.state.titles as string[];
  }

  textFallback(): string {
    return this.children.map((c, i) => `[${this.titles[i]}]\n${c.textFallback()}`).join("\n");
  }
}

/** Tabs, one per child: `tab([gates, cell], { titles: ["gates", "cell state"] })`. */
export function tab(children: Widget[], opts: TabOptions = {}): Tab {
  return new Tab(children, opts);
}
