// The main thread's side of the socket thread: send messages in order, with back-pressure,
// and receive requests.
import { Worker } from "worker_threads";
import * as path from "path";
import { ConnectionInfo } from "./connection";
import { sharedState, Slot } from "./shared-state";
import type { FromSockets, SocketThreadData, ToSockets } from "./sockets";
import { Message } from "./wire";

/** Above this many unsent messages a producer waits (even a synchronous loop) until the queue drains. */
const HIGH_WATER = 2000;
const LOW_WATER = 500;

export class Channels {
  private readonly worker: Worker;
  /** Shared with the socket thread (shared-state.ts). */
  readonly state = sharedState();
  private flushes = new Map<number, () => void>();
  private nextFlush = 0;
  private closing: (() => void) | undefined;
  onRequest: (channel: "shell" | "control" | "stdin", msg: Message) => void = () => {};
  /** An interrupt, tagged with the cell that was running when it arrived (0: none). */
  onInterrupt: (cell: number, seq: number) => void = () => {};
  /** Whether the socket thread sees SIGINT itself (else only the main thread's handler does). */
  watchesSigint = false;
  readonly ready: Promise<void>;

  constructor(
    connection: ConnectionInfo,
    readonly session: string,
  ) {
    const data: SocketThreadData = { connection, session, state: this.state.buffer as SharedArrayBuffer };
    this.worker = new Worker(path.join(__dirname, "sockets.js"), { workerData: data, stdout: false, stderr: false });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once("error", reject);
      this.worker.on("message", (m: FromSockets) => {
        if (m.op === "ready") {
          this.watchesSigint = m.watchesSigint;
          resolve();
        } else if (m.op === "request") this.onRequest(m.channel, revive(m.msg));
        else if (m.op === "interrupt") this.onInterrupt(m.cell, m.seq);
        else if (m.op === "ping")
          Atomics.store(this.state, Slot.Ack, m.seq); // this thread is not stuck
        else if (m.op === "closed") this.closing?.();
        else if (m.op === "flushed") {
          this.flushes.get(m.id)?.();
          this.flushes.delete(m.id);
        }
      });
    });
    this.worker.on("exit", (code) => {
      if (this.closing) return;
      process.stderr.write(`[seqlab kernel] socket thread exited (${code})\n`);
      process.exit(1);
    });
  }

  send(channel: "shell" | "control" | "iopub" | "stdin", msg: Message) {
    if (Atomics.load(this.state, Slot.Pending) >= HIGH_WATER) this.drain();
    Atomics.add(this.state, Slot.Pending, 1);
    this.worker.postMessage({ op: "send", channel, msg } satisfies ToSockets);
  }

  /** Block this thread until the socket thread has caught up (used when output outruns the network). */
  private drain() {
    for (;;) {
      const n = Atomics.load(this.state, Slot.Pending);
      if (n <= LOW_WATER) return;
      Atomics.wait(this.state, Slot.Pending, n, 50);
    }
  }

  /** Resolves once every message sent so far has been handed to zeromq. */
  flush(): Promise<void> {
    const id = this.nextFlush++;
    return new Promise((resolve) => {
      this.flushes.set(id, resolve);
      this.worker.postMessage({ op: "flush", id } satisfies ToSockets);
    });
  }

  /** Send what is queued, close the sockets and stop the socket thread. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.closing = resolve;
      this.worker.postMessage({ op: "close" } satisfies ToSockets);
    });
    await this.worker.terminate();
  }
}

function revive(msg: Message): Message {
  return {
    ...msg,
    identities: msg.identities.map((b) => Buffer.from(b)),
    buffers: msg.buffers.map((b) => Buffer.from(b)),
  };
}
