// The socket thread: owns every zeromq socket, so the heartbeat, interrupts and output keep
// flowing while the main thread runs a cell that never yields (a synchronous loop).
// Runs as a worker_thread started by channels.ts; talks to it by postMessage.
import { parentPort, workerData } from "worker_threads";
import { writeSync } from "fs";
import * as zmq from "zeromq";
import { ConnectionInfo, endpoint } from "./connection";
import { child, decode, encode, Message, Signer } from "./wire";

export interface SocketThreadData {
  connection: ConnectionInfo;
  session: string;
  /** Int32Array[2]: [0] messages posted by the main thread and not yet handed to zeromq;
   * [1] 1 while an interrupt is requested and the main thread has not yet seen it. */
  pending: SharedArrayBuffer;
}

/** Main thread → socket thread. */
export type ToSockets =
  | { op: "send"; channel: "shell" | "control" | "iopub" | "stdin"; msg: Message }
  | { op: "flush"; id: number }
  | { op: "close" };

/** Socket thread → main thread. */
export type FromSockets =
  | { op: "ready" }
  | { op: "request"; channel: "shell" | "control" | "stdin"; msg: Message }
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
  const pending = new Int32Array(data.pending);
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
  const tails: Record<string, Promise<void>> = { shell: Promise.resolve(), control: Promise.resolve(), stdin: Promise.resolve(), iopub: Promise.resolve() };
  function send(channel: keyof typeof tails, msg: Message, counted: boolean) {
    const socket = sockets[channel as keyof typeof sockets];
    const frames = encode(revive(msg), signer);
    tails[channel] = tails[channel]
      .then(() => socket.send(frames))
      .catch((e) => log(`send on ${channel} failed: ${e.message}`))
      .finally(() => {
        if (counted) {
          Atomics.sub(pending, 0, 1);
          Atomics.notify(pending, 0);
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
        for (const s of Object.values(sockets)) {
          s.linger = 1000;
          s.close();
        }
        port.postMessage({ op: "closed" } satisfies FromSockets);
      });
    }
  });

  // A signal can be lost in a race with the start of a cell's code (see executor.ts); repeat it
  // until the main thread says it has seen it (Channels.interruptSeen), for a few seconds at most.
  let resend: NodeJS.Timeout | undefined;
  function interruptMain() {
    Atomics.store(pending, 1, 1);
    process.kill(process.pid, "SIGINT");
    clearInterval(resend);
    let tries = 0;
    resend = setInterval(() => {
      if (Atomics.load(pending, 1) === 0 || ++tries > 20) return clearInterval(resend);
      process.kill(process.pid, "SIGINT");
    }, 250);
  }

  const heartbeat = async () => {
    for await (const frames of hb) await hb.send(frames);
  };

  const serve = async (channel: "shell" | "control" | "stdin", socket: zmq.Router) => {
    for await (const frames of socket) {
      let msg: Message;
      try {
        msg = decode(frames, signer);
      } catch (e) {
        log(`dropped a message on ${channel}: ${(e as Error).message}`);
        continue;
      }
      if (channel === "control" && msg.header.msg_type === "interrupt_request") {
        // Answered here, because the main thread may be stuck in a loop that only a signal breaks.
        const status = (s: string) => send("iopub", child(msg, "status", { execution_state: s }, data.session), false);
        status("busy");
        send("control", child(msg, "interrupt_reply", { status: "ok" }, data.session, { identities: msg.identities }), false);
        status("idle");
        interruptMain();
        continue;
      }
      port.postMessage({ op: "request", channel, msg } satisfies FromSockets);
    }
  };

  port.postMessage({ op: "ready" } satisfies FromSockets);
  await Promise.all([heartbeat(), serve("shell", shell), serve("control", control), serve("stdin", stdin)]);
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
