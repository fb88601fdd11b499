// Comms: a two-way channel between library code in the kernel and code in the front end.
import { randomUUID } from "crypto";
import { CommHandlers, kernel, KernelBridge, MessageHeader } from "./bridge";

export class Comm {
  private closed = false;
  constructor(
    readonly id: string,
    readonly target: string,
    private readonly k: KernelBridge,
    readonly handlers: CommHandlers,
  ) {}
  get isClosed(): boolean {
    return this.closed;
  }
  /** `parent`: the front end's message this one answers (by default the running or last cell). */
  send(data: unknown, opts: { metadata?: Record<string, unknown>; buffers?: Uint8Array[]; parent?: MessageHeader } = {}) {
    if (this.closed) throw new Error(`comm ${this.id} (${this.target}) is closed`);
    this.k.commSend(this.id, data, opts.metadata ?? {}, opts.buffers ?? [], opts.parent);
  }
  close(data: unknown = {}) {
    if (this.closed) return;
    this.closed = true;
    this.k.commClose(this.id, data);
  }
}

function need(): KernelBridge {
  const k = kernel();
  if (!k) throw new Error("comms need a running seqlab kernel");
  return k;
}

/** Open a comm to the front end's `target`; `buffers` travel as binary frames of the comm_open. */
export function openComm(
  target: string,
  data: unknown = {},
  handlers: CommHandlers = {},
  metadata: Record<string, unknown> = {},
  buffers: Uint8Array[] = [],
  id: string = randomUUID(),
): Comm {
  const k = need();
  k.commOpen(id, target, data, metadata, handlers, buffers);
  return new Comm(id, target, k, handlers);
}

/** Accept comms the front end opens to `target`. */
export function registerCommTarget(target: string, onOpen: (comm: Comm, data: unknown, buffers: Uint8Array[]) => CommHandlers | void) {
  const k = need();
  k.registerCommTarget(target, (id, data, buffers) => {
    const handlers: CommHandlers = {};
    const comm = new Comm(id, target, k, handlers);
    return Object.assign(handlers, onOpen(comm, data, buffers) ?? {});
  });
}
