// What the main thread and the socket thread (sockets.ts) share without messages: a few counters in
// one SharedArrayBuffer, read and written with Atomics, so that each side sees the other's state
// even while that side runs a loop that never yields.
export const enum Slot {
  /** Messages posted by the main thread and not yet handed to zeromq (back-pressure). */
  Pending = 0,
  /** The running cell's number (1, 2, ...), or 0 while no cell runs. Written by the main thread. */
  Cell = 1,
  /** What the main thread is doing: a Phase. Written by the main thread. */
  Phase = 2,
  /** The cell an interrupt was meant for (its number), written by the socket thread when the interrupt arrives. */
  Interrupted = 3,
  /** The sequence number of the last interrupt the main thread has taken in (the socket thread's counter). */
  Ack = 4,
  /** Library work of the running cell that stops by itself at its next step (train()): an interrupt waits for it. */
  Cooperating = 5,
  /** The execution count, for replies the socket thread gives itself. Written by the main thread. */
  ExecutionCount = 6,
}

export const SLOTS = 7;

export const enum Phase {
  /** No request is being handled: whatever JavaScript runs is a timer or callback of an earlier cell. */
  Idle = 0,
  /** The kernel's own work (a reply, a completion, bookkeeping): never stopped from outside. */
  Kernel = 1,
  /** A cell is being type-checked and compiled: stopped when compiling ends, before its code runs. */
  Compile = 2,
  /** A cell's code runs (or awaits): stopped wherever it is. */
  Run = 3,
}

export function sharedState(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
}
