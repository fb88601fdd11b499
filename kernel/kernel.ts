// The kernel: Jupyter requests in, replies and outputs out. Shell requests run one at a time in
// arrival order; control requests are answered at once; interrupts come from the socket thread
// as SIGINT (see sockets.ts), so they stop synchronous and asynchronous cells alike.
import { randomUUID } from "crypto";
import { writeSync } from "fs";
import * as os from "os";
import * as path from "path";
import { Channels } from "./channels";
import { ConnectionInfo } from "./connection";
import { Executor, KeyboardInterrupt } from "./executor";
import { History } from "./history";
import { isComplete } from "./iscomplete";
import { StreamCapture } from "./output";
import { ErrorContent, formatError } from "./traceback";
import { child, Message } from "./wire";
import { BRIDGE, CommHandlers, DisplayMessage, KernelBridge } from "../src/display/bridge";
import { toBundle } from "../src/display/display";

const VERSION: string = require("../../package.json").version;

const SHELL_TYPES = new Set([
  "execute_request", "complete_request", "inspect_request", "is_complete_request", "history_request",
  "kernel_info_request", "comm_info_request", "comm_open", "comm_msg", "comm_close", "shutdown_request",
]);

function log(text: string) {
  writeSync(2, `[seqlab kernel] ${text}\n`);
}

export interface KernelOptions {
  historyFile?: string;
}

export class Kernel {
  private readonly session = randomUUID();
  private readonly channels: Channels;
  private readonly executor: Executor;
  private readonly history: History;
  private readonly streams: StreamCapture;
  private executionCount = 0;
  private queue: { msg: Message; seq: number }[] = [];
  private received = 0;
  private abortThrough = -1;
  private busy = false;
  /** The request whose outputs are being produced (the running cell, else the last one). */
  private parent: Message | undefined;
  private running: Message | undefined;
  private interruptRequested = false;
  /** Pager payloads of the running cell (page() in the library). */
  private payload: unknown[] = [];
  private pendingInput: { resolve: (s: string) => void; reject: (e: Error) => void } | undefined;
  private readonly comms = new Map<string, { target: string; handlers: CommHandlers }>();
  private readonly commTargets = new Map<string, (id: string, data: unknown, buffers: Uint8Array[]) => CommHandlers | void>();

  constructor(connection: ConnectionInfo, opts: KernelOptions = {}) {
    this.channels = new Channels(connection, this.session);
    this.executor = new Executor(process.cwd());
    this.history = new History(opts.historyFile ?? defaultHistoryFile());
    this.streams = new StreamCapture((name, text) => this.publish("stream", { name, text }, false));
  }

  async start() {
    await this.channels.ready;
    this.streams.install();
    (globalThis as any)[BRIDGE] = this.bridge();
    process.on("SIGINT", () => this.interrupt());
    process.on("uncaughtException", (e) => this.reportStray(e, "uncaught exception"));
    process.on("unhandledRejection", (e) => this.reportStray(e, "unhandled promise rejection"));
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
      // Answered now, even while a cell runs.
      this.handle(channel, msg).catch((e) => log(`control ${type} failed: ${e.stack}`));
      return;
    }
    this.queue.push({ msg, seq: this.received++ });
    if (!this.busy) this.pump();
  }

  private async pump() {
    this.busy = true;
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
        return this.execute(msg);
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
      this.history.add(this.executionCount, code);
    }
    const count = this.executionCount;
    this.parent = msg;
    this.running = msg;
    this.interruptRequested = false;
    this.payload = [];
    if (!silent) this.publish("execute_input", { code, execution_count: count });

    const label = store ? `Cell In[${count}]` : "Cell";
    const file = store ? `cell[${count}]` : `cell[${randomUUID().slice(0, 8)}]`;
    let error: ErrorContent | undefined;
    try {
      const outcome = await this.executor.execute(code, label, file);
      if (!outcome.ok) error = outcome.error;
      else if (outcome.hasValue && !silent) {
        const { data, metadata } = toBundle(outcome.value);
        this.publish("execute_result", { execution_count: count, data, metadata });
      }
    } catch (e) {
      error = formatError(e, this.executor.cells);
    }
    this.running = undefined;
    this.channels.interruptSeen();
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
    const userExpressions: Record<string, unknown> = {};
    for (const [name, expr] of Object.entries((c.user_expressions ?? {}) as Record<string, string>)) {
      const v = this.executor.evaluate(String(expr));
      userExpressions[name] = v.ok ? { status: "ok", ...toBundle(v.value) } : { status: "error", ...v.error };
    }
    this.reply("shell", msg, "execute_reply", { status: "ok", execution_count: count, user_expressions: userExpressions, payload: this.payload }, { status: "ok" });
  }

  private interrupt() {
    this.channels.interruptSeen();
    if (!this.running) return;
    this.interruptRequested = true;
    this.executor.interrupt();
    if (this.pendingInput) {
      this.pendingInput.reject(new KeyboardInterrupt());
      this.pendingInput = undefined;
    }
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
    const markdown = ["```typescript\n" + signature + "\n```", doc, tags.map((t: string) => `*${t}*`).join("  \n")].filter(Boolean).join("\n\n");
    return { status: "ok", found: true, data: { "text/plain": plain, "text/markdown": markdown }, metadata: {} };
  }

  private historyFor(c: any): [number, number, string | [string, null]][] {
    const type = c.hist_access_type;
    const n = Number(c.n ?? 10);
    const entries =
      type === "range" ? this.history.range(Number(c.session ?? 0), Number(c.start ?? 0), Number(c.stop ?? 0))
      : type === "search" ? this.history.search(String(c.pattern ?? "*"), n, !!c.unique)
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
        k.channels.send("iopub", child(k.parent, "comm_open", { comm_id: id, target_name: target, data }, k.session, { metadata, buffers: buffers.map((b) => Buffer.from(b)) }));
      },
      commSend(id, data, metadata, buffers, parent) {
        // A given parent: the front end's own comm_msg (widgets' echo_update must name it).
        const p = parent ? ({ header: parent } as unknown as Message) : k.parent;
        k.channels.send("iopub", child(p, "comm_msg", { comm_id: id, data }, k.session, { metadata, buffers: buffers.map((b) => Buffer.from(b)) }));
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
        return k.interruptRequested;
      },
    };
  }

  private async shutdown() {
    this.streams.flush();
    await this.channels.close();
    this.executor.close();
    process.exit(0);
  }
}

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
