// A widget model on the kernel side: its state, kept in sync with every front end over one comm
// (`jupyter.widget`, protocol 2.1). Kernel → front ends: comm_open with the whole state, then
// `update` with what changed. Front end → kernel: `update` (answered with `echo_update`, whose
// parent is the front end's message so that it can tell its own echo), `request_state` and
// `custom`. Without a kernel (a script, a test) a widget keeps its state and calls its observers
// all the same; it just has no view.
import { randomUUID } from "crypto";
import { kernel, MessageHeader, MimeBundle } from "../display/bridge";
import { Comm, openComm } from "../display/comm";
import { DISPLAY } from "../display/display";
import { addWidget, ensureTargets, removeWidget, setFrontendFactory } from "./manager";
import { PROTOCOL_VERSION, putBuffers, REF_PREFIX, removeBuffers, WIDGET_TARGET, WIDGET_VIEW_MIME } from "./protocol";
import { guard, reportError } from "./report";

export type WireState = Record<string, unknown>;

export interface ModuleName {
  module: string;
  version: string;
  name: string;
}

export interface ModelSpec {
  model: ModuleName;
  /** The view front ends draw; null for models without one (Layout, links). */
  view: ModuleName | null;
}

export interface Change {
  /** The state key that changed. */
  name: string;
  old: unknown;
  new: unknown;
  owner: Widget;
  /** Who changed it: kernel code, or a person in a front end. */
  source: "kernel" | "frontend";
}

export type Listener = (change: Change) => unknown;

/** Remove what was added (an observer, a handler). */
export type Unsubscribe = () => void;

const isBinary = (v: unknown): v is ArrayBufferView => ArrayBuffer.isView(v);

/** Equal as the wire sees them: JSON values by content, binary values byte by byte. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isBinary(a) || isBinary(b)) {
    if (!isBinary(a) || !isBinary(b) || a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
      y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a),
      kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => sameValue((a as any)[k], (b as any)[k]));
  }
  return false;
}

/** A widget as it appears inside another's state. */
export const ref = (w: Widget) => REF_PREFIX + w.id;

export class Widget {
  readonly id: string;
  protected readonly state: WireState;
  private comm: Comm | undefined;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly customListeners = new Set<(content: unknown, buffers: Uint8Array[]) => unknown>();
  private closed = false;

  constructor(spec: ModelSpec, state: WireState, opts: { comm?: Comm } = {}) {
    this.state = {
      _model_module: spec.model.module,
      _model_module_version: spec.model.version,
      _model_name: spec.model.name,
      _view_module: spec.view?.module ?? spec.model.module,
      _view_module_version: spec.view?.version ?? spec.model.version,
      _view_name: spec.view?.name ?? null,
      ...state,
    };
    if (opts.comm) {
      this.id = opts.comm.id;
      this.attach(opts.comm);
    } else {
      this.id = randomUUID().replace(/-/g, "");
      if (kernel()) {
        ensureTargets();
        const { state: wire, paths, buffers } = removeBuffers(this.state);
        this.attach(openComm(WIDGET_TARGET, { state: wire, buffer_paths: paths }, {}, { version: PROTOCOL_VERSION }, buffers, this.id));
      }
    }
    addWidget(this);
  }

  get modelName(): string {
    return String(this.state._model_name);
  }
  get modelModule(): string {
    return String(this.state._model_module);
  }
  get modelModuleVersion(): string {
    return String(this.state._model_module_version);
  }
  /** True once closed by close() or by a front end. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** A copy of the state as it goes on the wire (references as "IPY_MODEL_…", bytes as Uint8Array). */
  wireState(): WireState {
    return { ...this.state };
  }

  /** One raw state value. */
  get(name: string): unknown {
    return this.state[name];
  }

  /** Change state keys: one `update` message to the front ends, then the observers of each changed key. */
  set(changes: WireState): void {
    const changed: Change[] = [];
    for (const [name, value] of Object.entries(changes)) {
      const v = this.check(name, value, "kernel");
      if (sameValue(this.state[name], v)) continue;
      changed.push({ name, old: this.state[name], new: v, owner: this, source: "kernel" });
      this.state[name] = v;
    }
    if (!changed.length) return;
    this.sendState(changed.map((c) => c.name));
    this.notify(changed);
  }

  /**
   * Validate (and normalise) a value for a key before it is stored; throw a clear error for a bad
   * one. Values from a front end that fail are reported and dropped; the front end is then told
   * the kernel's value.
   */
  protected check(_name: string, value: unknown, _source: "kernel" | "frontend"): unknown {
    return value;
  }

  /** Call fn whenever `name` changes (or any key, with "*"); returns a function that stops it. */
  observe(name: string, fn: Listener): Unsubscribe {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(fn);
    return () => void set!.delete(fn);
  }

  /** Send a custom message to the front end's model (`method: "custom"`). */
  send(content: unknown, buffers: Uint8Array[] = []): void {
    this.comm?.send({ method: "custom", content }, { buffers });
  }

  /** Handle custom messages from the front end (a button's click arrives as one). */
  onMsg(fn: (content: unknown, buffers: Uint8Array[]) => unknown): Unsubscribe {
    this.customListeners.add(fn);
    return () => void this.customListeners.delete(fn);
  }

  /** Close the comm: every view of the widget disappears. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    removeWidget(this);
    this.comm?.close();
  }

  /** What a front end without widgets shows (and a headless run keeps): text. */
  textFallback(): string {
    return this.toString();
  }

  /** A PNG (base64) a front end without widgets may show instead of the text, if there is one. */
  pngFallback(): string | undefined {
    return undefined;
  }

  /** The keys toString() shows. */
  protected reprKeys(): string[] {
    return [];
  }

  toString(): string {
    const name = this.modelName.replace(/Model$/, "");
    const args = this.reprKeys()
      .filter((k) => this.state[k] !== undefined && this.state[k] !== "")
      .map((k) => `${k}=${JSON.stringify(this.state[k])}`);
    return `${name}(${args.join(", ")})`;
  }

  [DISPLAY](): { data: MimeBundle; metadata: Record<string, unknown> } {
    const data: MimeBundle = { "text/plain": this.textFallback() };
    const png = this.pngFallback();
    if (png) data["image/png"] = png;
    if (this.state._view_name) data[WIDGET_VIEW_MIME] = { model_id: this.id, version_major: 2, version_minor: 0 };
    return { data, metadata: {} };
  }

  // ---- the wire -------------------------------------------------------------------------

  private attach(comm: Comm) {
    this.comm = comm;
    Object.assign(comm.handlers, {
      onMsg: (data: unknown, buffers: Uint8Array[], header?: MessageHeader) =>
        guard(() => this.receive(data, buffers, header), `${this} message handler`),
      onClose: () => {
        this.closed = true;
        removeWidget(this);
      },
    });
  }

  /** Send keys (all by default) to the front ends. */
  protected sendState(
    keys: string[] = Object.keys(this.state),
    method: "update" | "echo_update" = "update",
    parent?: MessageHeader,
    values: WireState = this.state,
  ): void {
    if (!this.comm || this.comm.isClosed) return;
    const part: WireState = {};
    for (const k of keys) part[k] = values[k];
    const { state, paths, buffers } = removeBuffers(part);
    this.comm.send({ method, state, buffer_paths: paths }, { buffers, parent });
  }

  private receive(data: unknown, buffers: Uint8Array[], header?: MessageHeader) {
    const d = (data ?? {}) as { method?: string; state?: WireState; buffer_paths?: unknown; content?: unknown };
    switch (d.method) {
      case "update": {
        const incoming = d.state ?? {};
        putBuffers(incoming, d.buffer_paths, buffers);
        // Echo first, as ipywidgets does, so every front end (and this one, by the parent) learns the order.
        this.sendState(Object.keys(incoming), "echo_update", header, incoming);
        const changed: Change[] = [];
        const rejected: string[] = [];
        for (const [name, value] of Object.entries(incoming)) {
          let v: unknown;
          try {
            v = this.check(name, value, "frontend");
          } catch (e) {
            reportError(e, `${this}: a value from the front end`);
            rejected.push(name);
            continue;
          }
          if (sameValue(this.state[name], v)) continue;
          changed.push({ name, old: this.state[name], new: v, owner: this, source: "frontend" });
          this.state[name] = v;
        }
        // A rejected or normalised value: tell the front ends what the kernel holds.
        const differs = Object.keys(incoming).filter((k) => rejected.includes(k) || !sameValue(incoming[k], this.state[k]));
        if (differs.length) this.sendState(differs, "update", header);
        this.notify(changed);
        return;
      }
      case "request_state":
        return this.sendState(undefined, "update", header);
      case "custom":
        for (const fn of [...this.customListeners]) guard(() => fn(d.content, buffers), `${this} custom message handler`);
        return;
      default:
        throw new Error(
          `${this}: unknown widget message method ${JSON.stringify(d.method)}; expected "update", "request_state" or "custom"`,
        );
    }
  }

  private notify(changes: Change[]) {
    for (const c of changes) {
      for (const fn of [...(this.listeners.get(c.name) ?? []), ...(this.listeners.get("*") ?? [])])
        guard(() => fn(c), `an observer of ${this}.${c.name}`);
    }
  }
}

/** A widget with a typed `value`, two-way: set it in code, or read what a person chose. */
export abstract class ValueWidget<T> extends Widget {
  /** The state key that holds the value on the wire ("value"; a dropdown's is "index"). */
  protected valueKey = "value";
  protected decode(wire: unknown): T {
    return wire as T;
  }
  protected encode(value: T): unknown {
    return value;
  }

  get value(): T {
    return this.decode(this.state[this.valueKey]);
  }
  set value(v: T) {
    this.set({ [this.valueKey]: this.encode(v) });
  }

  /** Call fn with the new value whenever it changes (in code or in a front end); returns a function that stops it. */
  onChange(fn: (value: T, change: Change) => unknown): Unsubscribe {
    return this.observe(this.valueKey, (c) => fn(this.decode(c.new), c));
  }

  protected reprKeys(): string[] {
    return ["value", "description"];
  }
}

// Models a front end opens (not ipywidgets 8's habit, but allowed by the protocol) get a plain
// kernel-side Widget with their state, so their comm works and request_states includes them.
setFrontendFactory((comm, state) => {
  const s = state as Record<string, string>;
  const model = { module: s._model_module ?? "", version: s._model_module_version ?? "", name: s._model_name ?? "" };
  const view = s._view_name
    ? { module: s._view_module ?? model.module, version: s._view_module_version ?? model.version, name: s._view_name }
    : null;
  return new Widget({ model, view }, state, { comm });
});
