// The kernel side's registry of live widgets, the two comm targets front ends open, and the
// whole state as a notebook saves it (metadata.widgets["application/vnd.jupyter.widget-state+json"]).
import { kernel } from "../display/bridge";
import { Comm, registerCommTarget } from "../display/comm";
import type { Widget } from "./widget";
import { CONTROL_TARGET, encodeBuffer, putBuffers, removeBuffers, WIDGET_STATE_MIME, WIDGET_TARGET } from "./protocol";

// Shared by every copy of this module in the process (see capture.ts).
const REGISTRY = Symbol.for("seqlab.widgets");
interface Registry {
  widgets: Map<string, Widget>;
  /** The kernel bridge the comm targets were registered with (a restarted kernel has a new one). */
  targetsFor?: object;
  /** Builds a kernel-side model for a comm the front end opened (set by widget.ts). */
  fromFrontend?: (comm: Comm, state: Record<string, unknown>) => Widget;
}
const registry: Registry = ((globalThis as any)[REGISTRY] ??= { widgets: new Map() });

export function setFrontendFactory(f: (comm: Comm, state: Record<string, unknown>) => Widget) {
  registry.fromFrontend = f;
}

export function addWidget(w: Widget) {
  registry.widgets.set(w.id, w);
}

export function removeWidget(w: Widget) {
  if (registry.widgets.get(w.id) === w) registry.widgets.delete(w.id);
}

export function getWidget(id: string): Widget | undefined {
  return registry.widgets.get(id);
}

/** Every open widget. */
export function allWidgets(): Widget[] {
  return [...registry.widgets.values()];
}

/**
 * Register `jupyter.widget` (models a front end creates) and `jupyter.widget.control` (front ends
 * that reconnect ask for every state at once with `request_states`). Once per kernel.
 */
export function ensureTargets(): void {
  const k = kernel();
  if (!k || registry.targetsFor === k) return;
  registry.targetsFor = k;
  registerCommTarget(WIDGET_TARGET, (comm, data, buffers) => {
    const d = (data ?? {}) as { state?: Record<string, unknown>; buffer_paths?: unknown };
    const state = d.state ?? {};
    putBuffers(state, d.buffer_paths, buffers);
    if (!registry.fromFrontend) throw new Error("widgets are not loaded");
    registry.fromFrontend(comm, state);
    // The widget installs its own handlers on the comm (see Widget.attach).
  });
  registerCommTarget(CONTROL_TARGET, (comm) => ({
    onMsg(data, _buffers, header) {
      const method = (data as any)?.method;
      if (method !== "request_states")
        throw new Error(`jupyter.widget.control: unknown method ${JSON.stringify(method)}; expected "request_states"`);
      const states: Record<string, unknown> = {};
      for (const w of allWidgets())
        states[w.id] = {
          model_name: w.modelName,
          model_module: w.modelModule,
          model_module_version: w.modelModuleVersion,
          state: w.wireState(),
        };
      const split = removeBuffers(states);
      comm.send({ method: "update_states", states: split.state, buffer_paths: split.paths }, { buffers: split.buffers, parent: header });
    },
  }));
}

export interface SavedWidgetState {
  version_major: 2;
  version_minor: 0;
  state: Record<
    string,
    {
      model_name: string;
      model_module: string;
      model_module_version: string;
      state: Record<string, unknown>;
      buffers?: ReturnType<typeof encodeBuffer>[];
    }
  >;
}

/** Every open widget's state in the format notebooks save (widget-state schema v2). */
export function widgetState(): SavedWidgetState {
  const state: SavedWidgetState["state"] = {};
  for (const w of allWidgets()) {
    const split = removeBuffers(w.wireState());
    state[w.id] = {
      model_name: w.modelName,
      model_module: w.modelModule,
      model_module_version: w.modelModuleVersion,
      state: split.state,
      ...(split.buffers.length ? { buffers: split.buffers.map((b, i) => encodeBuffer(split.paths[i], b)) } : {}),
    };
  }
  return { version_major: 2, version_minor: 0, state };
}

export { WIDGET_STATE_MIME };
