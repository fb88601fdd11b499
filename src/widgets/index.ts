// Jupyter widgets from TypeScript (the ipywidgets 8 protocol and models): controls, output areas,
// boxes and interact().
export { Widget, ValueWidget, sameValue, type Change, type Listener, type Unsubscribe, type ModelSpec, type WireState } from "./widget";
export { Slider, slider, type SliderOptions } from "./slider";
export { Dropdown, dropdown, type DropdownOptions, type DropdownChoices } from "./dropdown";
export {
  Button,
  button,
  Toggle,
  toggle,
  Checkbox,
  checkbox,
  type ButtonOptions,
  type ToggleOptions,
  type CheckboxOptions,
  type ButtonStyle,
} from "./buttons";
export { Text, text, type TextOptions } from "./text";
export { Play, play, type PlayOptions } from "./play";
export { Link, jslink } from "./link";
export { Progress, progress, type ProgressOptions } from "./progress";
export { Box, hbox, vbox, Tab, tab, type BoxOptions, type TabOptions } from "./boxes";
export { Output, output, type OutputItem } from "./output";
export { Image, image, type ImageOptions, type ImageSource } from "./image";
export { Layout, Style, type LayoutOptions } from "./layout";
export {
  interact,
  interactive,
  Interactive,
  SupersededError,
  controlFor,
  type Abbreviation,
  type Values,
  type Controls,
  type RunContext,
  type InteractOptions,
} from "./interact";
export { widgetState, allWidgets, getWidget, WIDGET_STATE_MIME, type SavedWidgetState } from "./manager";
export { WIDGET_VIEW_MIME, PROTOCOL_VERSION } from "./protocol";
