// Output capture: while `capture(sink, fn)` runs, and in every callback, timer and promise that fn
// starts, display(), clearOutput() and console output go to `sink` instead of the cell. The
// Output widget is built on it. The context follows async work (AsyncLocalStorage), so an
// `await` inside a widget callback does not lose it, and a cell running meanwhile keeps its own.
import { AsyncLocalStorage } from "async_hooks";
import { DisplayMessage, ErrorOutput } from "./bridge";

export interface OutputSink {
  stream(name: "stdout" | "stderr", text: string): void;
  display(msg: DisplayMessage, update: boolean): void;
  clear(wait: boolean): void;
  error(content: ErrorOutput): void;
}

// One store per process, even if two copies of this module are loaded (the kernel's and a
// notebook folder's own seqlab): both must see the same capture.
const STORE = Symbol.for("seqlab.output-capture");
const g = globalThis as any;
const store: AsyncLocalStorage<OutputSink | undefined> = (g[STORE] ??= new AsyncLocalStorage<OutputSink | undefined>());

/** The sink output goes to now, if a capture is active. */
export function currentSink(): OutputSink | undefined {
  return store.getStore();
}

/** Run fn with its output (and that of everything it starts) going to sink. */
export function capture<T>(sink: OutputSink, fn: () => T): T {
  installStreams();
  return store.run(sink, fn);
}

/** Run fn outside any capture (for work that must reach the cell even when started inside one). */
export function uncaptured<T>(fn: () => T): T {
  return store.run(undefined, fn);
}

const STREAMS = Symbol.for("seqlab.output-capture.streams");

// process.stdout.write and stderr.write are wrapped once, on top of whatever the kernel installed:
// inside a capture the text goes to the sink, otherwise on to the previous write.
function installStreams() {
  if (g[STREAMS]) return;
  g[STREAMS] = true;
  for (const name of ["stdout", "stderr"] as const) {
    const stream = process[name] as NodeJS.WriteStream;
    const previous = stream.write;
    stream.write = function (this: unknown, chunk: any, encoding?: any, cb?: any): boolean {
      const sink = store.getStore();
      if (!sink) return previous.call(stream, chunk, encoding, cb);
      if (typeof encoding === "function") [cb, encoding] = [encoding, undefined];
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString(encoding && encoding !== "buffer" ? encoding : "utf8");
      sink.stream(name, text);
      if (cb) process.nextTick(cb);
      return true;
    } as typeof stream.write;
  }
}
