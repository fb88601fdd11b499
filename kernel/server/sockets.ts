// The socket thread: owns every zeromq socket, so the heartbeat, interrupts and output keep
// flowing while the main thread runs a cell that never yields (a synchronous loop).
// Runs as a worker_thread started by channels.ts; talks to it by postMessage.
import * as inspector from "inspector";
import { constants } from "os";
import { parentPort, workerData } from "worker_threads";
import { writeSync } from "fs";
import * as zmq from "zeromq";
import { ConnectionInfo, endpoint } from "./connection";
import { Slot } from "./shared-state";
import { child, decode, encode, Message, Replays, Signer } from "./wire";

export interface SocketThreadData {
  connection: ConnectionInfo;
  session: string;
  /** The state shared with the main thread (shared-state.ts). */
  state: SharedArrayBuffer;
}

/** Main thread → socket thread. */
export type ToSockets =
  { op: "send"; channel: "shell" | "control" | "iopub" | "stdin"; msg: Message } | { op: "flush"; id: number } | { op: "close" };

/** Socket thread → main thread. */
export type FromSockets =
  | { op: "ready"; watchesSigint: boolean }
  | { op: "request"; channel: "shell" | "control" | "stdin"; msg: Message }
  | { op: "interrupt"; cell: number; seq: number }
  | { op: "wake" }
  | { op: "ping"; seq: number }
  | { op: "flushed"; id: number }
  | { op: "closed" };

function log(text: string) {
  // Straight to fd 2: the main thread's process.stderr is captured into cell output.
  writeSync(2, `[seqlab kernel] ${text}\n`);
}

async function main() {
  const data = workerData as SocketThreadData;
  const info = data.connection;
  const signer = new Signer(info.key, info.signature_scheme);
  const state = new Int32Array(data.state);
  const port = parentPort!;

  const shell = new zmq.Router();
  const control = new zmq.Router();
  const stdin = new zmq.Router();
  // No high-water mark on iopub: a PUB socket silently drops at the mark, and no output may be lost.
  const iopub = new zmq.Publisher({ sendHighWaterMark: 0 });
  const hb = new zmq.Router();
  const sockets = { shell, control, stdin, iopub, hb };
  await Promise.all(Object.entries(sockets).map(([name, s]) => s.bind(endpoint(info, name as any))));

  // One send at a time per socket (zeromq.js refuses concurrent sends); order is kept per socket.
  const tails: Record<string, Promise<void>> = {
    shell: Promise.resolve(),
    control: Promise.resolve(),
    stdin: Promise.resolve(),
    iopub: Promise.resolve(),
  };
  function send(channel: keyof typeof tails, msg: Message, counted: boolean) {
    const socket = sockets[channel as keyof typeof sockets];
    const frames = encode(revive(msg), signer);
    tails[channel] = tails[channel]
      .then(() => socket.send(frames))
      .catch((e) => log(`send on ${channel} failed: ${e.message}`))
      .finally(() => {
        if (counted) {
          Atomics.sub(state, Slot.Pending, 1);
          Atomics.notify(state, Slot.Pending);
        }
      });
  }

  port.on("message", (m: ToSockets) => {
    if (m.op === "send") send(m.channel, m.msg, true);
    else if (m.op === "flush") {
      Promise.all(Object.values(tails)).then(() => port.postMessage({ op: "flushed", id: m.id } satisfies FromSockets));
    } else if (m.op === "close") {
      // Close before the process exits: a zeromq context torn down by exit() aborts the process.
      Promise.all(Object.values(tails)).then(() => {
        interrupts.close();
        for (const s of Object.values(sockets)) {
          s.linger = 1000;
          s.close();
        }
        port.postMessage({ op: "closed" } satisfies FromSockets);
      });
    }
  });

  const interrupts = new InterruptSender(state, port);
  // Signed messages seen already: a replayed one is dropped, as jupyter_client's Session does.
  const replays = new Replays();
  const watchesSigint = watchSigint(() => interrupts.signal());

  const heartbeat = async () => {
    for await (const frames of hb) await hb.send(frames);
  };

  const serve = async (channel: "shell" | "control" | "stdin", socket: zmq.Router) => {
    for await (const frames of socket) {
      let msg: Message;
      try {
        msg = decode(frames, signer);
        replays.check(frames, signer);
      } catch (e) {
        log(`dropped a message on ${channel}: ${(e as Error).message}`);
        continue;
      }
      if (channel === "control" && msg.header.msg_type === "interrupt_request") {
        // Answered here, because the main thread may be stuck in a loop (InterruptSender stops it).
        const status = (s: string) => send("iopub", child(msg, "status", { execution_state: s }, data.session), false);
        status("busy");
        send("control", child(msg, "interrupt_reply", { status: "ok" }, data.session, { identities: msg.identities }), false);
        status("idle");
        interrupts.request();
        continue;
      }
      if (channel === "control" && msg.header.msg_type === "execute_request") {
        // Refused here, at once: a cell sent on control would run beside the shell's cell, its
        // outputs mixed into that cell's, and no interrupt could tell the two apart.
        const evalue = "execute_request is not accepted on the control channel; send cells on the shell channel";
        const error = { ename: "ProtocolError", evalue, traceback: [`ProtocolError: ${evalue}`] };
        const status = (s: string) => send("iopub", child(msg, "status", { execution_state: s }, data.session), false);
        status("busy");
        const count = Atomics.load(state, Slot.ExecutionCount);
        send(
          "control",
          child(msg, "execute_reply", { status: "error", execution_count: count, ...error }, data.session, {
            identities: msg.identities,
            metadata: { status: "error" },
          }),
          false,
        );
        status("idle");
        log("refused an execute_request on the control channel");
        continue;
      }
      // A SIGINT that came before this cell (its notice waiting in this loop's queue with the
      // request, or behind it) is taken in first, while the earlier state is still in place: so it
      // is not attributed to the cell it preceded.
      if (msg.header.msg_type === "execute_request") await new Promise((r) => setImmediate(r));
      try {
        port.postMessage({ op: "request", channel, msg } satisfies FromSockets);
      } catch (e) {
        // Structured cloning fails on what JSON.parse accepted, e.g. content nested thousands deep.
        log(`dropped a ${msg.header.msg_type} on ${channel}: it cannot be handed to the main thread (${(e as Error).message})`);
      }
    }
  };

  port.postMessage({ op: "ready", watchesSigint } satisfies FromSockets);
  await Promise.all([heartbeat(), serve("shell", shell), serve("control", control), serve("stdin", stdin)]);
}

/** How often, and how many times, the socket thread checks that an interrupted cell's thread is not stuck. */
const WATCH_MS = 250;
const WATCH_ROUNDS = 40;

/**
 * Interrupts, as the socket thread sees them. Each one is tagged with the cell running when it
 * arrived (Slot.Cell; 0: none) and written to shared memory at once, so that the main thread's
 * loops and its next check see it even before they take the message in. When the main thread has
 * not taken it in after a moment, it is stuck in JavaScript: the inspector then runs the main
 * thread's `stopNow` in the middle of that code (interrupts.ts decides how to stop it safely).
 */
class InterruptSender {
  private seq = 0;
  private session: inspector.Session | undefined;
  /** A stopNow request is on its way to the main thread, or running there. */
  private stopping = false;

  constructor(
    private readonly state: Int32Array,
    private readonly port: NonNullable<typeof parentPort>,
  ) {}

  /** An interrupt_request. */
  request() {
    this.send();
  }

  /** A SIGINT. */
  signal() {
    this.send();
  }

  private send() {
    const cell = Atomics.load(this.state, Slot.Cell);
    if (cell !== 0) Atomics.store(this.state, Slot.Interrupted, cell);
    const seq = ++this.seq;
    this.port.postMessage({ op: "interrupt", cell, seq } satisfies FromSockets);
    // Library work that stops by itself at its next step (a training loop) gets the time a step
    // takes; other code that has not let the main thread take the message in 100 ms is stuck.
    const wait = Atomics.load(this.state, Slot.Cooperating) > 0 ? 1000 : 100;
    const sent = Date.now();
    setTimeout(() => this.watch(cell, seq, 0, sent), wait).unref();
  }

  /**
   * Until the interrupted cell has ended, make sure the main thread keeps taking messages in: when
   * it has not taken in message `seq` it is stuck, and the code it is stuck in is stopped; when it
   * has, it is pinged again (it may be stuck later, in code that caught the interrupt).
   */
  private watch(cell: number, seq: number, round: number, sent: number) {
    if (round > WATCH_ROUNDS) return;
    const ended = cell !== 0 && Atomics.load(this.state, Slot.Cell) !== cell;
    if (ended) return;
    if (Atomics.load(this.state, Slot.Ack) >= seq) {
      if (cell === 0) return;
      const ping = ++this.seq;
      this.port.postMessage({ op: "ping", seq: ping } satisfies FromSockets);
      setTimeout(() => this.watch(cell, ping, round + 1, sent), WATCH_MS).unref();
      return;
    }
    this.stopMain(cell, seq, round, Date.now() - sent);
    setTimeout(() => this.watch(cell, seq, round + 1, sent), WATCH_MS).unref();
  }

  /** Have the main thread stop the code it is stuck in, `waited` ms after the interrupt (interrupts.ts, stopNow). */
  private stopMain(cell: number, seq: number, round: number, waited: number) {
    // One at a time: a second request that reaches the main thread while V8 is still unwinding the
    // first ends the first one's termination early (the inspector cancels it when that nested call
    // returns), and the code runs on.
    if (this.stopping) return;
    try {
      if (!this.session) {
        this.session = new inspector.Session();
        this.session.connectToMainThread();
      }
      this.stopping = true;
      this.session.post("Runtime.evaluate", { expression: `__seqlab_stopNow__(${cell}, ${waited})` }, (err, res: any) => {
        this.stopping = false;
        const how = err ? err.message : String(res?.result?.value ?? res?.exceptionDetails?.text ?? "");
        // Stopped inside a message event of the main thread's port, the port stops reading its
        // queue (the interrupt message waits there) until a new message arrives: send one.
        if (how === "terminated") this.port.postMessage({ op: "wake" } satisfies FromSockets);
        if (round === 0 || how === "terminated") log(`interrupt ${seq} (cell ${cell || "none"}), main thread unresponsive: ${how}`);
      });
    } catch (e) {
      log(`cannot reach the main thread through the inspector: ${(e as Error).message}`);
    }
  }

  close() {
    this.session?.disconnect();
  }
}

/**
 * Watch SIGINT from this thread. Node delivers signals to the main thread's JavaScript only, which
 * cannot run while a cell loops; libuv, though, tells every event loop that watches a signal, and
 * the deprecated `signal_wrap` binding is the one way to watch one from a worker. Returns false
 * where it is unavailable (the main thread's own handler then serves, when it can run).
 */
function watchSigint(onSignal: () => void): boolean {
  const quiet = process.noDeprecation;
  try {
    process.noDeprecation = true; // "process.binding is deprecated": known, and nothing replaces it
    const { Signal } = (process as any).binding("signal_wrap");
    const handle = new Signal();
    handle.onsignal = onSignal;
    return handle.start(constants.signals.SIGINT) === 0;
  } catch (e) {
    log(
      `cannot watch SIGINT from the socket thread (${(e as Error).message}): a cell stuck in a loop after an await stops only by interrupt_request`,
    );
    return false;
  } finally {
    process.noDeprecation = quiet;
  }
}

/** postMessage turns Buffers into Uint8Arrays; turn them back. */
function revive(msg: Message): Message {
  return {
    ...msg,
    identities: (msg.identities ?? []).map((b) => Buffer.from(b)),
    buffers: (msg.buffers ?? []).map((b) => Buffer.from(b)),
  };
}

main().catch((e) => {
  log(`socket thread failed: ${e.stack ?? e}`);
  process.exit(1);
});
