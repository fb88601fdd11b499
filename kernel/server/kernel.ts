// The kernel: Jupyter requests in, replies and outputs out. Shell requests run one at a time in
// arrival order; control requests are answered at once; interrupts come from the socket thread,
// which sees them first and stops a cell that does not yield (interrupts.ts, sockets.ts).
import { randomUUID } from "crypto";
import { writeSync } from "fs";
import * as os from "os";
import * as path from "path";
import { Channels } from "./channels";
import { ConnectionInfo } from "./connection";
import { Executor } from "./executor";
import { History } from "./history";
import { CellTimers } from "./cell-timers";
import { Interrupts, KeyboardInterrupt } from "./interrupts";
import { isComplete } from "./iscomplete";
import { StreamCapture } from "./output";
import { Phase, Slot } from "./shared-state";
import { markEngine, restoreEngine } from "./tensor-engine";
import { ErrorContent, formatError } from "./traceback";
import { child, Message } from "./wire";
import { BRIDGE, CommHandlers, DisplayMessage, KernelBridge } from "../../src/display/bridge";
import { toBundle } from "../../src/display/display";
// Node's own timers: the globals are the cells' (cell-timers.ts), cleared when a cell is interrupted.
import { setImmediate } from "timers";

const VERSION: string = require("../../../package.json").version;

const SHELL_TYPES = new Set([
  "execute_request",
  "complete_request",
  "inspect_request",
  "is_complete_request",
  "history_request",
  "kernel_info_request",
  "comm_info_request",
  "comm_open",
  "comm_msg",
  "comm_close",
  "shutdown_request",
]);

function log(text: string) {
  writeSync(2, `[seqlab kernel] ${text}\n`);
}

export interface KernelOptions {
  historyFile?: string;
}

/** A process event listener (uncaughtException and unhandledRejection take different ones). */
type Listener = (...args: any[]) => void;

export class Kernel {
  private readonly session = randomUUID();
  private readonly channels: Channels;
  private readonly interrupts: Interrupts;
  /**
   * An interrupted cell stops at its next TensorFlow.js op (tensor-engine.ts), unless
   * SEQLAB_INTERRUPT_AT_OPS=0 (then it is terminated wherever it is, as code that calls no op is).
   */
  private readonly opGate =
    process.env.SEQLAB_INTERRUPT_AT_OPS === "0" ? undefined : { stopping: () => this.interrupts.stopsAtOp(), error: deepInterrupt };
  private readonly executor: Executor;
  private readonly history: History;
  private readonly streams: StreamCapture;
  private readonly timers: CellTimers;
  /** The process's error handlers when the kernel started (its own among them). */
  private ownErrorHandlers = new Set<Listener>();
  private executionCount = 0;
  private queue: { msg: Message; seq: number }[] = [];
  private received = 0;
  private abortThrough = -1;
  private busy = false;
  /** The request whose outputs are being produced (the running cell, else the last one). */
  private parent: Message | undefined;
  /** The running cell's request. */
  private running: Message | undefined;
  /** Pager payloads of the running cell (page() in the library). */
  private payload: unknown[] = [];
  private pendingInput: { resolve: (s: string) => void; reject: (e: Error) => void } | undefined;
  private readonly comms = new Map<string, { target: string; handlers: CommHandlers }>();
  private readonly commTargets = new Map<string, (id: string, data: unknown, buffers: Uint8Array[]) => CommHandlers | void>();

  constructor(connection: ConnectionInfo, opts: KernelOptions = {}) {
    this.channels = new Channels(connection, this.session);
    this.interrupts = new Interrupts(this.channels.state, log);
    this.executor = new Executor(process.cwd(), this.interrupts);
    this.history = new History(opts.historyFile ?? defaultHistoryFile());
    this.streams = new StreamCapture((name, text) => this.publish("stream", { name, text }, false));
    this.timers = new CellTimers(
      () => this.interrupts.running?.n ?? 0,
      (e) => this.reportStray(e, "uncaught exception"),
    );
  }

  async start() {
    await this.channels.ready;
    this.streams.install();
    this.timers.install();
    (globalThis as any)[BRIDGE] = this.bridge();
    this.channels.onInterrupt = (cell, seq) => this.interrupted(cell, seq);
    // The socket thread sees SIGINT and says so (as an interrupt message); where it cannot watch
    // signals, this handler stands in for it (it runs only once this thread is free). Either way a
    // handler must exist: without one SIGINT would end the process.
    process.on("SIGINT", () => {
      if (!this.channels.watchesSigint) this.interrupted(this.interrupts.running?.n ?? 0, 0);
    });
    process.on("uncaughtException", (e) => this.reportStray(e, "uncaught exception"));
    process.on("unhandledRejection", (e) => this.reportStray(e, "unhandled promise rejection"));
    this.ownErrorHandlers = new Set([...process.listeners("uncaughtException"), ...process.listeners("unhandledRejection")]);
    this.channels.onRequest = (channel, msg) => this.receive(channel, msg);
    this.publish("status", { execution_state: "starting" }, false, undefined);
  }

  // ---- output ---------------------------------------------------------------------------

  /** Publish on iopub; other output first flushes buffered stdout/stderr, so order is kept. */
  private publish(type: string, content: unknown, flushStreams = true, parent = this.parent) {
    if (flushStreams) this.streams.flush();
    this.channels.send("iopub", child(parent, type, content, this.session));
  }

  private status(state: "busy" | "idle", parent: Message) {
    this.publish("status", { execution_state: state }, true, parent);
  }

  private reply(channel: "shell" | "control", parent: Message, type: string, content: unknown, metadata: Record<string, unknown> = {}) {
    this.streams.flush();
    this.channels.send(channel, child(parent, type, content, this.session, { identities: parent.identities, metadata }));
  }

  /** Errors thrown by timers or promises outside any await: shown under the running cell, never fatal. */
  private reportStray(e: unknown, what: string) {
    if (e instanceof KeyboardInterrupt) return;
    const content = formatError(e, this.executor.cells);
    if (this.running) {
      content.traceback.unshift(`(${what}, from a timer or promise)`);
      this.publish("error", content);
    } else {
      log(`${what}: ${content.ename}: ${content.evalue}`);
    }
  }

  // ---- dispatch ---------------------------------------------------------------------------

  private receive(channel: "shell" | "control" | "stdin", msg: Message) {
    const type = msg.header.msg_type;
    if (channel === "stdin") {
      if (type === "input_reply" && this.pendingInput) {
        const p = this.pendingInput;
        this.pendingInput = undefined;
        p.resolve(String(msg.content?.value ?? ""));
      } else log(`dropped ${type} on stdin: no input was requested`);
      return;
    }
    if (!SHELL_TYPES.has(type)) {
      log(`dropped a message of unknown type ${JSON.stringify(type)} on ${channel}`);
      return;
    }
    if (channel === "control") {
      if (type.startsWith("comm_")) return log(`dropped ${type} on the control channel: comms belong on shell`);
      // Answered now, even while a cell runs; never stopped by an interrupt (Phase.Kernel).
      const phase = this.interrupts.phase;
      this.interrupts.phase = Phase.Kernel;
      this.handle(channel, msg)
        .catch((e) => log(`control ${type} failed: ${e.stack}`))
        .finally(() => (this.interrupts.phase = phase));
      return;
    }
    this.queue.push({ msg, seq: this.received++ });
    if (!this.busy) this.pump();
  }

  private async pump() {
    this.busy = true;
    this.interrupts.phase = Phase.Kernel;
    while (this.queue.length) {
      const { msg, seq } = this.queue.shift()!;
      try {
        if (msg.header.msg_type === "execute_request" && seq <= this.abortThrough) this.abort(msg);
        else await this.handle("shell", msg);
      } catch (e) {
        log(`${msg.header.msg_type} failed: ${(e as Error).stack}`);
      }
    }
    this.busy = false;
    this.interrupts.phase = Phase.Idle;
  }

  private abort(msg: Message) {
    this.status("busy", msg);
    this.reply("shell", msg, "execute_reply", { status: "aborted", execution_count: this.executionCount }, { status: "aborted" });
    this.status("idle", msg);
  }

  private async handle(channel: "shell" | "control", msg: Message): Promise<void> {
    this.status("busy", msg);
    try {
      await this.answer(channel, msg);
    } finally {
      this.status("idle", msg);
    }
  }

  private async answer(channel: "shell" | "control", msg: Message): Promise<void> {
    const c = msg.content ?? {};
    const r = (type: string, content: unknown) => this.reply(channel, msg, type, content);
    switch (msg.header.msg_type) {
      case "kernel_info_request":
        return r("kernel_info_reply", this.kernelInfo());
      case "execute_request":
        // Awaited, not returned: returning a promise from an async function queues a microtask
        // (its adoption) right behind the microtasks the cell's code has just queued; if the
        // cell's code is then stopped by terminating it, V8 drops the whole microtask queue, and
        // the kernel with it would wait for ever. An await of a pending promise queues nothing.
        await this.execute(msg);
        return;
      case "complete_request":
        return r("complete_reply", this.complete(String(c.code ?? ""), Number(c.cursor_pos ?? 0)));
      case "inspect_request":
        return r("inspect_reply", this.inspect(String(c.code ?? ""), Number(c.cursor_pos ?? 0)));
      case "is_complete_request":
        return r("is_complete_reply", isComplete(this.executor.ts, String(c.code ?? "")));
      case "history_request":
        return r("history_reply", { status: "ok", history: this.historyFor(c) });
      case "comm_info_request": {
        const comms: Record<string, { target_name: string }> = {};
        for (const [id, { target }] of this.comms) if (!c.target_name || c.target_name === target) comms[id] = { target_name: target };
        return r("comm_info_reply", { status: "ok", comms });
      }
      case "comm_open":
        return this.commOpened(msg);
      case "comm_msg": {
        const comm = this.comms.get(c.comm_id);
        if (!comm) return log(`comm_msg for unknown comm ${c.comm_id}`);
        // The header lets a handler name this message as the parent of its answer (widgets' echo_update).
        return this.guarded(() => comm.handlers.onMsg?.(c.data, msg.buffers, msg.header));
      }
      case "comm_close": {
        const comm = this.comms.get(c.comm_id);
        this.comms.delete(c.comm_id);
        return this.guarded(() => comm?.handlers.onClose?.(c.data));
      }
      case "shutdown_request":
        r("shutdown_reply", { status: "ok", restart: !!c.restart });
        // After the idle status that handle() sends on return.
        setImmediate(() => this.shutdown());
        return;
    }
  }

  /** Run a handler of library code; its errors show as outputs, not as a dead kernel. */
  private guarded(f: () => void) {
    try {
      f();
    } catch (e) {
      this.publish("error", formatError(e, this.executor.cells));
    }
  }

  private kernelInfo() {
    return {
      status: "ok",
      protocol_version: "5.3",
      implementation: "seqlab",
      implementation_version: VERSION,
      language_info: {
        name: "typescript",
        version: this.executor.ts.version,
        mimetype: "text/typescript",
        file_extension: ".ts",
        codemirror_mode: { name: "javascript", typescript: true },
        pygments_lexer: "typescript",
      },
      banner: `seqlab ${VERSION}: TypeScript ${this.executor.ts.version} on Node ${process.version}. Sequence models, from RNNs to GPT.`,
      help_links: [
        { text: "seqlab", url: "https://www.npmjs.com/package/seqlab" },
        { text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/intro.html" },
        { text: "TensorFlow.js API", url: "https://js.tensorflow.org/api/latest/" },
      ],
    };
  }

  // ---- execute ----------------------------------------------------------------------------

  private async execute(msg: Message): Promise<void> {
    const c = msg.content ?? {};
    const code = String(c.code ?? "");
    const silent = !!c.silent;
    const store = !silent && c.store_history !== false;
    const stopOnError = c.stop_on_error !== false;
    if (store) {
      this.executionCount++;
      Atomics.store(this.channels.state, Slot.ExecutionCount, this.executionCount);
      this.history.add(this.executionCount, code);
    }
    const count = this.executionCount;
    this.parent = msg;
    this.running = msg;
    this.payload = [];
    // The cell runs, for interrupts, from before its execute_input: a front end that has seen that
    // and then interrupts means this cell.
    const cell = this.interrupts.start();
    if (!silent) this.publish("execute_input", { code, execution_count: count });

    const label = store ? `Cell In[${count}]` : "Cell";
    const file = store ? `cell[${count}]` : `cell[${randomUUID().slice(0, 8)}]`;
    const engine = markEngine(this.opGate);
    let error: ErrorContent | undefined;
    let interrupted = false;
    try {
      const outcome = await this.executor.execute(code, label, file, cell);
      if (!outcome.ok) {
        error = outcome.error;
        interrupted = outcome.interrupted;
      } else if (outcome.hasValue && !silent) {
        const { data, metadata } = toBundle(outcome.value);
        // An empty bundle: the value has nothing (more) to show, e.g. a self-check's result.
        if (Object.keys(data).length) this.publish("execute_result", { execution_count: count, data, metadata });
      }
    } catch (e) {
      error = formatError(e, this.executor.cells);
    }
    const userExpressions: Record<string, unknown> = {};
    if (!error) {
      for (const [name, expr] of Object.entries((c.user_expressions ?? {}) as Record<string, string>)) {
        // After an interrupt, the expressions left are not run (one of them may be what hung).
        if (this.interrupts.interrupted(cell.n)) {
          userExpressions[name] = { status: "error", ...formatError(new KeyboardInterrupt(), this.executor.cells) };
          continue;
        }
        const v = await this.executor.evaluate(String(expr));
        if (!v.ok && v.error.ename === "KeyboardInterrupt") this.interrupts.stop(cell);
        userExpressions[name] = v.ok ? { status: "ok", ...toBundle(v.value) } : { status: "error", ...v.error };
      }
    }
    // From here on an interrupt is for no cell, and is forgotten.
    this.interrupts.end(cell);
    const cleared = this.timers.ended(cell.n, cell.interrupted);
    if (cleared) log(`cleared ${cleared} pending timer(s) of the interrupted cell ${count}`);
    this.running = undefined;
    if (this.pendingInput) this.failInput(new KeyboardInterrupt());
    this.keepErrorsHandled();
    if (error) {
      try {
        const repaired = restoreEngine(engine);
        if (repaired) log(`after ${interrupted ? "an interrupted" : "a failed"} cell, TensorFlow.js's engine was repaired: ${repaired}`);
      } catch (e) {
        log(
          `after ${interrupted ? "an interrupted" : "a failed"} cell, TensorFlow.js's engine could not be repaired: ${(e as Error).stack}`,
        );
      }
    }
    this.streams.flush();
    if (error) {
      if (stopOnError) {
        // Before the reply goes out (so nothing sent in answer to it can be caught): let the
        // requests the socket thread already holds arrive, then abort every one queued by now.
        await this.channels.flush();
        this.abortThrough = this.received - 1;
      }
      this.publish("error", error);
      this.reply("shell", msg, "execute_reply", { status: "error", execution_count: count, ...error }, { status: "error" });
      return;
    }
    this.reply(
      "shell",
      msg,
      "execute_reply",
      { status: "ok", execution_count: count, user_expressions: userExpressions, payload: this.payload },
      { status: "ok" },
    );
  }

  /**
   * Emscripten's Node glue (in tfjs-backend-wasm) adds process handlers that rethrow every uncaught
   * exception and unhandled rejection: with them, one stray error from a timer ends the kernel.
   * Such rethrowing handlers that a cell's imports added are removed (the kernel reports those
   * errors under the running cell instead); handlers a cell adds for its own use are left alone.
   */
  private keepErrorsHandled() {
    for (const event of ["uncaughtException", "unhandledRejection"] as const) {
      for (const f of process.listeners(event as "uncaughtException") as Listener[]) {
        if (this.ownErrorHandlers.has(f) || !RETHROWS.test(String(f))) continue;
        process.removeListener(event as "uncaughtException", f);
        log(
          `removed a process ${event} handler that rethrows (it would end the kernel on a stray error): ${String(f).replace(/\s+/g, " ").slice(0, 80)}`,
        );
      }
    }
  }

  /** An interrupt from the socket thread, for `cell` (0: no cell was running when it arrived). */
  private interrupted(cell: number, seq: number) {
    this.interrupts.received(cell, seq);
    if (this.interrupts.running?.interrupted && this.pendingInput) this.failInput(new KeyboardInterrupt());
  }

  private failInput(e: Error) {
    const p = this.pendingInput!;
    this.pendingInput = undefined;
    p.reject(e);
  }

  // ---- complete, inspect, history -----------------------------------------------------------

  private complete(code: string, cursor: number) {
    const pos = toUtf16(code, cursor);
    const info = this.executor.complete(code, pos);
    const entries: any[] = info.original?.entries ?? [];
    const kinds = new Map(entries.map((e) => [e.name, e.kind]));
    return {
      status: "ok",
      matches: info.candidates,
      cursor_start: toCodePoints(code, info.start),
      cursor_end: toCodePoints(code, info.end),
      metadata: {
        _jupyter_types_experimental: info.candidates.map((text) => ({
          text,
          type: kinds.get(text) ?? "",
          start: toCodePoints(code, info.start),
          end: toCodePoints(code, info.end),
        })),
      },
    };
  }

  private inspect(code: string, cursor: number) {
    const ts = this.executor.ts;
    const pos = toUtf16(code, cursor);
    const info = this.executor.inspect(code, pos) ?? (pos > 0 ? this.executor.inspect(code, pos - 1) : undefined);
    if (!info) return { status: "ok", found: false, data: {}, metadata: {} };
    const signature = ts.displayPartsToString(info.displayParts);
    const doc = ts.displayPartsToString(info.documentation);
    const tags = (info.tags ?? []).map((t: any) => `@${t.name} ${ts.displayPartsToString(t.text)}`.trim());
    const plain = [signature, doc, ...tags].filter(Boolean).join("\n\n");
    const markdown = ["```typescript\n" + signature + "\n```", doc, tags.map((t: string) => `*${t}*`).join("  \n")]
      .filter(Boolean)
      .join("\n\n");
    return { status: "ok", found: true, data: { "text/plain": plain, "text/markdown": markdown }, metadata: {} };
  }

  private historyFor(c: any): [number, number, string | [string, null]][] {
    const type = c.hist_access_type;
    const n = Number(c.n ?? 10);
    const entries =
      type === "range"
        ? this.history.range(Number(c.session ?? 0), Number(c.start ?? 0), Number(c.stop ?? 0))
        : type === "search"
          ? this.history.search(String(c.pattern ?? "*"), n, !!c.unique)
          : this.history.tail(n);
    return entries.map((e) => [e.session, e.line, c.output ? [e.input, null] : e.input]);
  }

  // ---- comms, input, display: the bridge library code uses ----------------------------------

  private commOpened(msg: Message) {
    const { comm_id, target_name, data } = msg.content ?? {};
    const onOpen = this.commTargets.get(target_name);
    if (!onOpen) {
      log(`no comm target ${JSON.stringify(target_name)}; closing comm ${comm_id}`);
      this.publish("comm_close", { comm_id, data: {} }, true, msg);
      return;
    }
    const handlers: CommHandlers = {};
    this.comms.set(comm_id, { target: target_name, handlers });
    this.guarded(() => Object.assign(handlers, onOpen(comm_id, data, msg.buffers) ?? {}));
  }

  private bridge(): KernelBridge {
    const k = this;
    return {
      display(m: DisplayMessage, update: boolean) {
        k.publish(update ? "update_display_data" : "display_data", m);
      },
      clearOutput(wait: boolean) {
        k.publish("clear_output", { wait });
      },
      page(data) {
        if (k.running) k.payload.push({ source: "page", data, start: 0 });
        else k.publish("display_data", { data, metadata: {}, transient: {} });
      },
      input(prompt: string, password: boolean) {
        const parent = k.running;
        if (!parent) return Promise.reject(new Error("input() can only be called while a cell is running"));
        if (parent.content?.allow_stdin === false) {
          return Promise.reject(new Error("input() is not available: this front end does not accept input (allow_stdin is false)"));
        }
        if (k.pendingInput) return Promise.reject(new Error("input() is already waiting for an answer"));
        k.streams.flush();
        k.channels.send("stdin", child(parent, "input_request", { prompt, password }, k.session, { identities: parent.identities }));
        return new Promise((resolve, reject) => (k.pendingInput = { resolve, reject }));
      },
      commOpen(id, target, data, metadata, handlers, buffers = []) {
        k.comms.set(id, { target, handlers });
        k.channels.send(
          "iopub",
          child(k.parent, "comm_open", { comm_id: id, target_name: target, data }, k.session, {
            metadata,
            buffers: buffers.map((b) => Buffer.from(b)),
          }),
        );
      },
      commSend(id, data, metadata, buffers, parent) {
        // A given parent: the front end's own comm_msg (widgets' echo_update must name it).
        const p = parent ? ({ header: parent } as unknown as Message) : k.parent;
        k.channels.send(
          "iopub",
          child(p, "comm_msg", { comm_id: id, data }, k.session, { metadata, buffers: buffers.map((b) => Buffer.from(b)) }),
        );
      },
      commClose(id, data) {
        k.comms.delete(id);
        k.publish("comm_close", { comm_id: id, data });
      },
      registerCommTarget(target, onOpen) {
        k.commTargets.set(target, onOpen);
      },
      // For widget callbacks that fail after their cell: an error shown like a cell's.
      formatError(e: unknown) {
        return formatError(e, k.executor.cells);
      },
      error(content) {
        k.publish("error", content);
      },
      get interrupted() {
        const cell = k.interrupts.running;
        return !!cell && k.interrupts.interrupted(cell.n);
      },
      cell() {
        const cell = k.interrupts.running;
        if (!cell) return undefined;
        const interrupts = k.interrupts;
        return {
          get interrupted() {
            return interrupts.interrupted(cell.n);
          },
          track: <T>(work: Promise<T>) => cell.track(work),
        };
      },
    };
  }

  private async shutdown() {
    this.streams.flush();
    this.interrupts.close();
    await this.channels.close();
    this.executor.close();
    process.exit(0);
  }
}

/** A handler whose whole body rethrows what it is given, as emscripten's do. */
const RETHROWS = /^function\s*\((\w+)\)\s*\{\s*(if\s*\([^{}]*\)\s*\{\s*)?throw \1;?\s*\}?\s*\}$/;

function defaultHistoryFile(): string {
  const base = process.env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share");
  return path.join(base, "seqlab", "history.jsonl");
}

/** Jupyter counts cursor positions in Unicode code points; JavaScript strings in UTF-16 units. */
export function toUtf16(s: string, codePoints: number): number {
  let i = 0;
  for (let n = 0; n < codePoints && i < s.length; n++) i += s.codePointAt(i)! > 0xffff ? 2 : 1;
  return i;
}

export function toCodePoints(s: string, utf16: number): number {
  return Array.from(s.slice(0, utf16)).length;
}

/** A KeyboardInterrupt whose stack reaches down to the cell's line, below the library's frames. */
function deepInterrupt(): KeyboardInterrupt {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 200;
  try {
    return new KeyboardInterrupt();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
