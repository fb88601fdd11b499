// Layout (CSS box properties) and style (a control's colours and description width): each is a
// model of its own that a widget references. Created only when asked for: the ipywidgets 8 views
// draw a widget without them, and every model is one more comm.
import { BASE, CONTROLS } from "./protocol";
import { ref, Widget, WireState } from "./widget";

/** CSS properties of a widget's box, by their CSS names or ipywidgets' (width, max_width, flex_flow, ...). */
export type LayoutOptions = Partial<
  Record<
    | "width"
    | "height"
    | "min_width"
    | "max_width"
    | "min_height"
    | "max_height"
    | "margin"
    | "padding"
    | "border"
    | "display"
    | "flex"
    | "flex_flow"
    | "align_items"
    | "align_content"
    | "align_self"
    | "justify_content"
    | "justify_items"
    | "overflow"
    | "visibility"
    | "order"
    | "grid_area"
    | "grid_gap"
    | "grid_template_columns"
    | "grid_template_rows"
    | "object_fit"
    | "object_position",
    string
  >
>;

const LAYOUT_KEYS = new Set([
  "width",
  "height",
  "min_width",
  "max_width",
  "min_height",
  "max_height",
  "margin",
  "padding",
  "border",
  "display",
  "flex",
  "flex_flow",
  "align_items",
  "align_content",
  "align_self",
  "justify_content",
  "justify_items",
  "overflow",
  "visibility",
  "order",
  "grid_area",
  "grid_gap",
  "grid_template_columns",
  "grid_template_rows",
  "object_fit",
  "object_position",
]);

export class Layout extends Widget {
  constructor(opts: LayoutOptions) {
    const state: WireState = {};
    for (const [k, v] of Object.entries(opts)) {
      const key = k.replace(/-/g, "_");
      if (!LAYOUT_KEYS.has(key))
        throw new TypeError(`layout: unknown property ${JSON.stringify(k)}; expected one of ${[...LAYOUT_KEYS].join(", ")}`);
      if (typeof v !== "string") throw new TypeError(`layout.${k} must be a CSS string such as "300px"; got ${JSON.stringify(v)}`);
      // ipywidgets 8 has border_top/right/bottom/left instead of border.
      if (key === "border") for (const side of ["top", "right", "bottom", "left"]) state[`border_${side}`] = v;
      else state[key] = v;
    }
    super({ model: { ...BASE, name: "LayoutModel" }, view: { ...BASE, name: "LayoutView" } }, state);
  }
}

/** A style model of @jupyter-widgets/controls (SliderStyleModel, DescriptionStyleModel, ...). */
export class Style extends Widget {
  constructor(modelName: string, opts: Record<string, string>) {
    for (const [k, v] of Object.entries(opts)) {
      if (typeof v !== "string")
        throw new TypeError(`style.${k} must be a CSS string such as "initial" or "#d33"; got ${JSON.stringify(v)}`);
    }
    super({ model: { ...CONTROLS, name: modelName }, view: { ...BASE, name: "StyleView" } }, { ...opts });
  }
}

export interface BoxStyling {
  /** CSS of the widget's box, e.g. { width: "400px" }. */
  layout?: LayoutOptions;
}

/** The `layout` and `style` state keys for a widget's options (absent when not asked for). */
export function styling(opts: { layout?: LayoutOptions; style?: Record<string, string> }, styleModel?: string): WireState {
  const out: WireState = {};
  if (opts.layout) out.layout = ref(new Layout(opts.layout));
  if (opts.style && styleModel) out.style = ref(new Style(styleModel, opts.style));
  return out;
}
