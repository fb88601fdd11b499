// output(): OutputModel of @jupyter-widgets/output 1.0, an output area inside a widget.
//
// ipywidgets' Output widget captures by setting its `msg_id` state to the id of the request being
// answered; the front end then routes iopub messages with that parent into the widget. That works
// only while the front end still tracks that request: JupyterLab forgets it at the request's idle
// status, so output of a debounced or awaited callback (which comes later) would be lost. Here
// the kernel side captures instead (display(), clearOutput(), console output, errors: see
// display/capture.ts) and sets the widget's `outputs` state, which every ipywidgets 8 front end
// draws (JupyterLab, Notebook 7, VS Code, the HTML manager) and which saved widget state keeps.
import { DisplayMessage, ErrorOutput } from "../display/bridge";
import { capture, OutputSink } from "../display/capture";
import { display as show } from "../display/display";
import { BoxStyling, styling } from "./layout";
import { OUTPUT } from "./protocol";
import { errorOutput } from "./report";
import { Widget } from "./widget";

/** An nbformat output, as the `outputs` state holds it (stream text as one string). */
export type OutputItem =
  | { output_type: "stream"; name: "stdout" | "stderr"; text: string }
  | { output_type: "display_data"; data: Record<string, unknown>; metadata: Record<string, unknown> }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

/** How long outputs gather before the front ends are sent the new list (ms), at least... */
const SYNC_DELAY_MS = 40;
/** ...and at most, for a long list: every sync sends the whole list, so a big one is sent less often. */
const MAX_SYNC_DELAY_MS = 1000;

const plain = (v: unknown) => (Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "");

export class Output extends Widget {
  private items: OutputItem[] = [];
  /** Outputs shown under a display id, for display(..., { displayId, update: true }). */
  private byDisplayId = new Map<string, OutputItem[]>();
  private clearPending = false;
  private timer: NodeJS.Timeout | undefined;
  /** The run whose output is shown; output of older runs (superseded) is dropped. */
  private generation = 0;
  private readonly sink: OutputSink;
  private delay = SYNC_DELAY_MS;

  constructor(opts: BoxStyling = {}) {
    super(
      { model: { ...OUTPUT, name: "OutputModel" }, view: { ...OUTPUT, name: "OutputView" } },
      { msg_id: "", outputs: [], ...styling(opts) },
    );
    this.sink = {
      stream: (name, text) => this.stream(name, text),
      display: (msg, update) => this.displayed(msg, update),
      clear: (wait) => this.clear({ wait }),
      error: (content) => this.add({ output_type: "error", ...content }),
    };
  }

  /** The outputs shown now. */
  get outputs(): readonly OutputItem[] {
    return this.items;
  }

  /**
   * Run fn with its output going into this widget: display(), clearOutput(), console.log and
   * errors, also from the timers and promises fn starts. An error fn throws (or its promise
   * rejects with) is shown here and not thrown again; the result is then undefined.
   */
  capture<T>(fn: () => T): T extends PromiseLike<infer U> ? Promise<U | undefined> : T | undefined {
    return this.captureInto(this.sink, fn) as any;
  }

  private captureInto<T>(sink: OutputSink, fn: () => T): unknown {
    return capture(sink, () => {
      try {
        const r = fn();
        if (r && typeof (r as any).then === "function") {
          return Promise.resolve(r).then(undefined, (e) => {
            sink.error(errorOutput(e));
            return undefined;
          });
        }
        return r;
      } catch (e) {
        sink.error(errorOutput(e));
        return undefined;
      }
    });
  }

  /** Show a value here (as display() would in a cell). */
  append(value: unknown): void {
    capture(this.sink, () => show(value));
  }

  /** Add text as stdout (or stderr). */
  appendText(text: string, stream: "stdout" | "stderr" = "stdout"): void {
    this.stream(stream, text);
  }

  /** Remove every output; with `wait`, only when the next one arrives (no flicker). */
  clear(opts: { wait?: boolean } = {}): void {
    if (opts.wait) {
      this.clearPending = true;
      return;
    }
    this.clearPending = false;
    this.items = [];
    this.byDisplayId.clear();
    this.schedule();
  }

  /**
   * Start a run whose output replaces this widget's (interact's re-runs): the old output stays
   * until the run's first output arrives, and a newer run supersedes this one, whose output
   * from then on is dropped. Returns the run's sink and a function that ends it.
   */
  beginRun(): { sink: OutputSink; run<T>(fn: () => T): unknown; end(): void; readonly current: boolean } {
    const gen = ++this.generation;
    let started = false;
    const live = () => gen === this.generation;
    const first = () => {
      if (!started) {
        started = true;
        this.clear();
      }
    };
    const sink: OutputSink = {
      stream: (name, text) => live() && (first(), this.stream(name, text)),
      display: (msg, update) => live() && (first(), this.displayed(msg, update)),
      clear: (wait) => live() && (first(), this.clear({ wait })),
      error: (content) => live() && (first(), this.add({ output_type: "error", ...content })),
    } as OutputSink;
    return {
      sink,
      run: (fn) => this.captureInto(sink, fn),
      end: () => {
        if (!live()) return;
        first(); // a run that showed nothing leaves nothing of the old output
        this.flush();
      },
      get current() {
        return live();
      },
    };
  }

  /** Send the outputs now rather than after the short gathering delay. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const outputs = this.items.map((o) => ({ ...o }));
    this.set({ outputs });
    // About 1 ms per kB: a list of 100 kB waits 100 ms, so a chatty loop does not send O(n²) bytes.
    this.delay = Math.min(MAX_SYNC_DELAY_MS, Math.max(SYNC_DELAY_MS, Math.round(JSON.stringify(outputs).length / 1000)));
  }

  textFallback(): string {
    return this.items
      .map((o) =>
        o.output_type === "stream"
          ? o.text.replace(/\n$/, "")
          : o.output_type === "error"
            ? `${o.ename}: ${o.evalue}`
            : plain(o.data["text/plain"]),
      )
      .filter(Boolean)
      .join("\n");
  }

  pngFallback(): string | undefined {
    for (const o of this.items)
      if (o.output_type === "display_data" && typeof o.data["image/png"] === "string") return o.data["image/png"] as string;
    return undefined;
  }

  toString(): string {
    return `Output(${this.items.length} output${this.items.length === 1 ? "" : "s"})`;
  }

  // ---- the sink --------------------------------------------------------------------------

  private takeClear() {
    if (this.clearPending) {
      this.clearPending = false;
      this.items = [];
      this.byDisplayId.clear();
    }
  }

  private add(item: OutputItem) {
    this.takeClear();
    this.items.push(item);
    this.schedule();
  }

  private stream(name: "stdout" | "stderr", text: string) {
    this.takeClear();
    const last = this.items[this.items.length - 1];
    if (last?.output_type === "stream" && last.name === name) {
      // A new object: the state's old list must not change under the comparison in set().
      this.items[this.items.length - 1] = { ...last, text: last.text + text };
      this.schedule();
    } else this.add({ output_type: "stream", name, text });
  }

  private displayed(msg: DisplayMessage, update: boolean) {
    const id = msg.transient?.display_id;
    if (update) {
      // Replace what this widget shows under the id; an id it never showed is not its to update.
      const olds = id ? this.byDisplayId.get(id) : undefined;
      if (!olds) return;
      const fresh = olds.map(() => ({ output_type: "display_data" as const, data: msg.data, metadata: msg.metadata }));
      this.items = this.items.map((o) => {
        const i = olds.indexOf(o);
        return i >= 0 ? fresh[i] : o;
      });
      this.byDisplayId.set(id!, fresh);
      this.schedule();
      return;
    }
    const item: OutputItem = { output_type: "display_data", data: msg.data, metadata: msg.metadata };
    this.add(item);
    if (id) this.byDisplayId.set(id, [...(this.byDisplayId.get(id) ?? []), item]);
  }

  private schedule() {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.delay);
  }
}

/** An output area: `const out = output(); out.capture(() => display(chart))`. */
export function output(opts: BoxStyling = {}): Output {
  return new Output(opts);
}

export type { ErrorOutput };
