// Saved widget state: how `seqlab run` collects it from the kernel's comm messages, and how the
// HTML report draws a widget view from it (or, with no state, the bundle's fallback).
import { test } from "node:test";
import assert from "node:assert/strict";
import { notebookToHtml } from "../../kernel/tools/export/html";
import { WidgetStateCollector } from "../../kernel/tools/widgetstate";
import { Message } from "../../kernel/server/wire";

const msg = (msg_type: string, content: any, buffers: Buffer[] = []): Message =>
  ({ identities: [], header: { msg_type, msg_id: "x" } as any, parent_header: {}, metadata: {}, content, buffers }) as Message;

const S = "application/vnd.jupyter.widget-state+json";
const VIEW = "application/vnd.jupyter.widget-view+json";

test("the collector follows open, update, echo_update and close; binary values go under buffers", () => {
  const c = new WidgetStateCollector();
  c.add(
    msg(
      "comm_open",
      {
        comm_id: "a",
        target_name: "jupyter.widget",
        data: {
          state: { _model_name: "ImageModel", _model_module: "@jupyter-widgets/controls", _model_module_version: "2.0.0", format: "png" },
          buffer_paths: [["value"]],
        },
      },
      [Buffer.from([1, 2])],
    ),
  );
  c.add(
    msg("comm_open", {
      comm_id: "b",
      target_name: "jupyter.widget",
      data: {
        state: { _model_name: "IntSliderModel", _model_module: "@jupyter-widgets/controls", _model_module_version: "2.0.0", value: 1 },
        buffer_paths: [],
      },
    }),
  );
  c.add(
    msg("comm_open", { comm_id: "c", target_name: "jupyter.widget", data: { state: { _model_name: "ButtonModel" }, buffer_paths: [] } }),
  );
  c.add(msg("comm_open", { comm_id: "other", target_name: "something.else", data: { state: { x: 1 } } }));
  c.add(msg("comm_msg", { comm_id: "a", data: { method: "update", state: {}, buffer_paths: [["value"]] } }, [Buffer.from([3])]));
  c.add(msg("comm_msg", { comm_id: "b", data: { method: "update", state: { value: 5 }, buffer_paths: [] } }));
  c.add(msg("comm_msg", { comm_id: "b", data: { method: "echo_update", state: { value: 6 }, buffer_paths: [] } }));
  c.add(msg("comm_msg", { comm_id: "b", data: { method: "custom", content: { value: 99 } } }));
  c.add(msg("comm_close", { comm_id: "c", data: {} }));
  const saved = c.toMetadata()!;
  assert.deepEqual(Object.keys(saved.state).sort(), ["a", "b"]);
  assert.deepEqual(saved.state.a, {
    model_name: "ImageModel",
    model_module: "@jupyter-widgets/controls",
    model_module_version: "2.0.0",
    state: { _model_name: "ImageModel", _model_module: "@jupyter-widgets/controls", _model_module_version: "2.0.0", format: "png" },
    buffers: [{ path: ["value"], data: "Aw==", encoding: "base64" }],
  });
  assert.equal((saved.state.b as any).state.value, 6);
  const metadata: any = { widgets: { [S]: { state: {} } } };
  new WidgetStateCollector().save(metadata);
  assert.equal(metadata.widgets, undefined, "a run without widgets leaves no stale state");
});

function nb(outputs: any[], widgets?: any) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: widgets ? { widgets: { [S]: { version_major: 2, version_minor: 0, state: widgets } } } : {},
    cells: [{ cell_type: "code" as const, source: "w", metadata: {}, execution_count: 1, outputs }],
  };
}

test("the report draws a widget view from the saved state: controls in their last state, boxes, and the Output's outputs", () => {
  const model = (model_name: string, state: any, extra: any = {}) => ({
    model_name,
    model_module: "@jupyter-widgets/controls",
    model_module_version: "2.0.0",
    state,
    ...extra,
  });
  const html = notebookToHtml(
    nb(
      [
        {
          output_type: "display_data",
          data: { [VIEW]: { model_id: "box", version_major: 2, version_minor: 0 }, "text/plain": "VBox(...)" },
          metadata: {},
        },
      ],
      {
        box: model("VBoxModel", { children: ["IPY_MODEL_t", "IPY_MODEL_d", "IPY_MODEL_o", "IPY_MODEL_i", "IPY_MODEL_gone"] }),
        t: model("FloatSliderModel", { value: 0.7, min: 0, max: 2, step: 0.1, readout_format: ".1f", description: "temperature <T>" }),
        d: model("DropdownModel", { _options_labels: ["greedy", "sample"], index: 1, description: "mode" }),
        o: model("OutputModel", { outputs: [{ output_type: "stream", name: "stdout", text: "sampled <text>\n" }] }),
        i: model(
          "ImageModel",
          { format: "png", width: "20px" },
          { buffers: [{ path: ["value"], data: "iVBORw0KGgo=", encoding: "base64" }] },
        ),
      },
    ) as any,
  );
  assert.match(
    html,
    /<span class="w-label">temperature &lt;T&gt;<\/span><input type="range" min="0" max="2" step="0.1" value="0.7" disabled[^>]*><output class="w-readout">0.7<\/output>/,
  );
  assert.match(html, /<select disabled><option>greedy<\/option><option selected>sample<\/option><\/select>/);
  assert.match(html, /sampled &lt;text&gt;/);
  assert.match(html, /<img class="w-image" src="data:image\/png;base64,iVBORw0KGgo=" alt="" style="width:20px">/);
  assert.match(html, /\[widget gone: no saved state\]/);
  assert.match(html, /interaction needs a running kernel/);
  assert.doesNotMatch(html, /VBox\(\.\.\.\)/, "the drawn widget, not its text fallback");
});

test("without saved state, a widget view shows the rest of its bundle", () => {
  const html = notebookToHtml(
    nb([{ output_type: "display_data", data: { [VIEW]: { model_id: "x" }, "text/plain": "IntSlider(value=3)" }, metadata: {} }]) as any,
  );
  assert.match(html, /IntSlider\(value=3\)/);
  assert.doesNotMatch(html, /widget-static/);
});
