// Jupyter widgets in the HTML report: an `application/vnd.jupyter.widget-view+json` output is
// drawn from the notebook's saved widget state (metadata.widgets, saved by JupyterLab, nbclient
// and `seqlab run`) as static HTML: each control in its last state (disabled), boxes and tabs
// with their children, an Output widget with its outputs rendered like a cell's. No script: the
// report stays self-contained, and moving a control needs a running kernel, which the report says.
// Without saved state for the widget, the rest of its bundle (text, PNG) is shown instead.
import { escapeHtml, Page } from "./common";
import { renderBundle, renderOutput } from "./outputs";

export const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";
export const WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json";

interface SavedModel {
  model_name?: string;
  state?: Record<string, any>;
  buffers?: { path: (string | number)[]; data: string; encoding: string }[];
}

const saved = new WeakMap<Page, Record<string, SavedModel>>();
const styled = new WeakSet<Page>();

/** Give the page the notebook's saved widget state (notebook.metadata). */
export function useWidgetState(page: Page, metadata: Record<string, any> | undefined): void {
  const state = metadata?.widgets?.[WIDGET_STATE_MIME]?.state;
  if (state && typeof state === "object") saved.set(page, state);
}

const REF = /^IPY_MODEL_(.+)$/;
const esc = (v: unknown) => escapeHtml(String(v ?? ""));

/** d3-format's "d" and ".Nf", which is what sliders use. */
function readout(value: unknown, format: unknown): string {
  const n = Number(value);
  const m = /^\.(\d+)f$/.exec(String(format ?? ""));
  return m ? n.toFixed(Number(m[1])) : String(Math.round(n) === n ? n : n);
}

function bufferOf(model: SavedModel, key: string): string | undefined {
  return model.buffers?.find((b) => b.path.length === 1 && b.path[0] === key && b.encoding === "base64")?.data;
}

const label = (s: Record<string, any>) => (s.description ? `<span class="w-label">${esc(s.description)}</span>` : "");

/** Static HTML of one model and its children; `seen` stops a reference cycle. */
function draw(id: string, models: Record<string, SavedModel>, page: Page, seen: Set<string>): string {
  const model = models[id];
  if (!model?.state) return `<div class="w-missing">[widget ${esc(id)}: no saved state]</div>`;
  if (seen.has(id)) return "";
  seen = new Set(seen).add(id);
  const s = model.state;
  const name = String(model.model_name ?? s._model_name ?? "");
  const child = (ref: unknown) => {
    const m = REF.exec(String(ref));
    return m ? draw(m[1], models, page, seen) : "";
  };
  const disabled = " disabled";
  switch (name) {
    case "IntSliderModel":
    case "FloatSliderModel":
      return `<div class="w-row">${label(s)}<input type="range" min="${esc(s.min)}" max="${esc(s.max)}" step="${esc(s.step)}" value="${esc(s.value)}"${disabled} aria-label="${esc(s.description)}"><output class="w-readout">${esc(readout(s.value, s.readout_format))}</output></div>`;
    case "PlayModel":
      return `<div class="w-row">${label(s)}<span class="w-play" aria-hidden="true">▶ ■</span><output class="w-readout">${esc(s.value)}</output></div>`;
    case "DropdownModel": {
      const options = (s._options_labels ?? []) as string[];
      return `<div class="w-row">${label(s)}<select${disabled}>${options.map((o, i) => `<option${i === s.index ? " selected" : ""}>${esc(o)}</option>`).join("")}</select></div>`;
    }
    case "ToggleButtonModel":
      return `<div class="w-row"><button class="w-button${s.value ? " w-on" : ""}" aria-pressed="${s.value ? "true" : "false"}"${disabled}>${esc(s.description)}</button></div>`;
    case "ButtonModel":
      return `<div class="w-row"><button class="w-button"${disabled}>${esc(s.description)}</button></div>`;
    case "CheckboxModel":
      return `<div class="w-row"><label><input type="checkbox"${s.value ? " checked" : ""}${disabled}> ${esc(s.description)}</label></div>`;
    case "TextModel":
    case "TextareaModel":
      return `<div class="w-row">${label(s)}<input type="text" value="${esc(s.value)}"${disabled}></div>`;
    case "IntProgressModel":
    case "FloatProgressModel":
      return `<div class="w-row">${label(s)}<progress value="${esc(Number(s.value) - Number(s.min ?? 0))}" max="${esc(Number(s.max) - Number(s.min ?? 0))}"></progress><output class="w-readout">${esc(s.value)}</output></div>`;
    case "LabelModel":
      return `<div class="w-row">${label(s)}<span>${esc(s.value)}</span></div>`;
    case "HTMLModel":
      return `<div class="w-row">${label(s)}<div>${String(s.value ?? "")}</div></div>`;
    case "ImageModel": {
      const data = bufferOf(model, "value");
      const size = ["width", "height"]
        .filter((k) => s[k])
        .map((k) => `${k}:${esc(s[k])}`)
        .join(";");
      return data
        ? `<img class="w-image" src="data:image/${esc(s.format ?? "png")};base64,${data}" alt=""${size ? ` style="${size}"` : ""}>`
        : "";
    }
    case "HBoxModel":
    case "VBoxModel":
    case "BoxModel":
      return `<div class="w-box ${name === "HBoxModel" ? "w-hbox" : "w-vbox"}">${(s.children ?? []).map(child).join("")}</div>`;
    case "TabModel":
    case "AccordionModel": {
      const titles = (s.titles ?? []) as string[];
      return (
        `<div class="w-tabs">` +
        (s.children ?? [])
          .map(
            (c: unknown, i: number) =>
              `<section class="w-tab${i === s.selected_index ? " w-selected" : ""}"><h4 class="w-tab-title">${esc(titles[i] ?? i + 1)}</h4>${child(c)}</section>`,
          )
          .join("") +
        `</div>`
      );
    }
    case "OutputModel":
      return `<div class="w-output">${(s.outputs ?? []).map((o: unknown) => renderOutput(o, page)).join("")}</div>`;
    case "LayoutModel":
    case "LinkModel":
    case "DirectionalLinkModel":
      return "";
    default:
      if (/StyleModel$/.test(name)) return "";
      return `<div class="w-unknown">[${esc(name || "widget")}${s.description ? `: ${esc(s.description)}` : ""}]</div>`;
  }
}

const CSS = `
.widget-static { border-left: 3px solid #d0d7de; padding: 0.25rem 0 0.25rem 0.75rem; }
.widget-static .w-row { display: flex; align-items: center; gap: 0.6rem; margin: 0.2rem 0; min-height: 1.8rem; }
.widget-static .w-label { min-width: 6rem; color: #1f2328; }
.widget-static .w-readout { font-variant-numeric: tabular-nums; color: #1f2328; }
.widget-static .w-hbox { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: flex-start; }
.widget-static .w-button { padding: 0.2rem 0.8rem; }
.widget-static .w-on { box-shadow: inset 0 2px 4px rgba(0,0,0,0.3); }
.widget-static .w-tab-title { margin: 0.6rem 0 0.2rem; font-size: 0.9rem; color: #656d76; }
.widget-static .w-selected > .w-tab-title { color: #0969da; }
.widget-static .w-output .output { display: block; }
.widget-static .w-output .output .prompt { display: none; }
.widget-static-note { color: #656d76; font-size: 0.75rem; margin-top: 0.2rem; }
`;

/**
 * Render a widget-view output from the page's saved state, or (no state for it) the rest of the
 * bundle. The renderer of `application/vnd.jupyter.widget-view+json` in outputs.ts.
 */
export function renderWidgetView(view: unknown, bundle: Record<string, unknown>, metadata: Record<string, any>, page: Page): string {
  const id = (view as any)?.model_id;
  const models = saved.get(page);
  if (typeof id !== "string" || !models?.[id]) {
    const { [WIDGET_VIEW_MIME]: _, ...rest } = bundle;
    return Object.keys(rest).length
      ? renderBundle(rest, metadata, page)
      : `<pre class="text">[a widget; its state was not saved with the notebook]</pre>`;
  }
  const style = styled.has(page) ? "" : `<style>${CSS}</style>`;
  styled.add(page);
  return (
    `${style}<div class="widget-static" data-model-id="${esc(id)}">${draw(id, models, page, new Set())}</div>` +
    `<div class="widget-static-note">Widget in its last saved state; interaction needs a running kernel.</div>`
  );
}
