// Widget state for a notebook run headlessly: `seqlab run` follows the kernel's widget comms
// (comm_open with the state, `update`/`echo_update` with changes, comm_close) as a front end
// would, and saves the last state of every open widget in the notebook's metadata, where
// JupyterLab, nbclient and nbconvert put and read it:
//   metadata.widgets["application/vnd.jupyter.widget-state+json"] = { version_major: 2, version_minor: 0, state: {...} }
// Binary values are saved base64-encoded under each model's `buffers` (widget-state schema v2).
import { Message } from "../server/wire";

export const WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json";

type Path = (string | number)[];
interface Model {
  state: Record<string, unknown>;
  /** Binary values by their path (JSON of the path), latest first wins. */
  buffers: Map<string, { path: Path; data: string; encoding: "base64" }>;
}

export class WidgetStateCollector {
  private readonly models = new Map<string, Model>();

  /** Feed every iopub message; anything but a jupyter.widget comm is ignored. */
  add(msg: Message): void {
    const type = msg.header.msg_type;
    const c = msg.content ?? {};
    if (type === "comm_open") {
      if (c.target_name !== "jupyter.widget" || !c.data?.state) return;
      this.models.set(c.comm_id, { state: {}, buffers: new Map() });
      this.merge(c.comm_id, c.data.state, c.data.buffer_paths, msg.buffers);
    } else if (type === "comm_msg") {
      const method = c.data?.method;
      if ((method === "update" || method === "echo_update") && c.data.state && this.models.has(c.comm_id))
        this.merge(c.comm_id, c.data.state, c.data.buffer_paths, msg.buffers);
    } else if (type === "comm_close") {
      this.models.delete(c.comm_id);
    }
  }

  private merge(id: string, state: Record<string, unknown>, paths: unknown, buffers: Buffer[]) {
    const m = this.models.get(id)!;
    const binary = (Array.isArray(paths) ? paths : [])
      .map((path, i) => ({ path: path as Path, data: buffers[i] }))
      .filter((b) => Array.isArray(b.path) && b.path.length > 0 && b.data);
    // An update replaces whole top-level keys: their old binary parts go, JSON or binary.
    const touched = new Set([...Object.keys(state), ...binary.map((b) => String(b.path[0]))]);
    for (const [key, b] of m.buffers) if (touched.has(String(b.path[0]))) m.buffers.delete(key);
    for (const b of binary) if (b.path.length === 1) delete m.state[b.path[0] as string];
    Object.assign(m.state, state);
    for (const b of binary) m.buffers.set(JSON.stringify(b.path), { path: b.path, data: b.data.toString("base64"), encoding: "base64" });
  }

  get size(): number {
    return this.models.size;
  }

  /** The saved-state object (widget-state schema v2), or undefined when no widget was made. */
  toMetadata(): { version_major: 2; version_minor: 0; state: Record<string, unknown> } | undefined {
    if (!this.models.size) return undefined;
    const state: Record<string, unknown> = {};
    for (const [id, m] of this.models) {
      const s = m.state as Record<string, string>;
      state[id] = {
        model_name: s._model_name,
        model_module: s._model_module,
        model_module_version: s._model_module_version,
        state: m.state,
        ...(m.buffers.size ? { buffers: [...m.buffers.values()] } : {}),
      };
    }
    return { version_major: 2, version_minor: 0, state };
  }

  /** Put the state into a notebook's metadata (and remove a stale one when the run made no widgets). */
  save(metadata: Record<string, any>): void {
    const saved = this.toMetadata();
    if (saved) metadata.widgets = { ...(metadata.widgets ?? {}), [WIDGET_STATE_MIME]: saved };
    else if (metadata.widgets?.[WIDGET_STATE_MIME]) {
      delete metadata.widgets[WIDGET_STATE_MIME];
      if (!Object.keys(metadata.widgets).length) delete metadata.widgets;
    }
  }
}
