// Timers that cells set (directly, or through the library code they call). Two things differ from
// plain Node:
//  - The callback runs as a message on a port of our own, right after its timer fires, not
//    inside Node's timer loop: an interrupt must sometimes stop a callback that never returns by
//    terminating it (interrupts.ts), and a timer callback terminated inside Node's loop leaves
//    Node's timer lists broken (later timers never fire); a port's message handler can be cut
//    short (Node schedules the port's next message anyway). Order among timers is kept.
//  - The timers a cell sets are remembered until they fire, so that when the cell is interrupted
//    its pending timers go with it and nothing of it runs into a later cell.
// The kernel's own modules import their timers from "timers", which stay Node's own.
import * as timers from "timers";
import { promisify } from "util";
import { MessageChannel } from "worker_threads";

type Handle = NodeJS.Timeout | NodeJS.Immediate;
type Kind = "setTimeout" | "setInterval" | "setImmediate";

export class CellTimers {
  /** Per cell, its timers that have not fired yet, with their kind (each kind has its own clear). */
  private readonly pending = new Map<number, Map<Handle, Kind>>();
  /** Callbacks of timers that have fired, waiting for their turn on the port. */
  private readonly due = new Map<number, () => void>();
  private nextDue = 0;
  private readonly channel = new MessageChannel();

  /**
   * @param cell the running cell's number, 0 between cells
   * @param report where an exception thrown by a callback goes (it would be an uncaught exception)
   */
  constructor(
    private readonly cell: () => number,
    private readonly report: (e: unknown) => void,
  ) {}

  install() {
    this.channel.port1.on("message", (key: number) => {
      const run = this.due.get(key);
      this.due.delete(key);
      run?.();
    });
    this.channel.port1.unref();
    const g = globalThis as any;
    g.setTimeout = this.wrap("setTimeout", timers.setTimeout);
    g.setInterval = this.wrap("setInterval", timers.setInterval);
    g.setImmediate = this.wrap("setImmediate", timers.setImmediate);
  }

  private wrap(kind: Kind, original: (...a: any[]) => any) {
    const self = this;
    const wrapped = function (callback: unknown, ...rest: any[]) {
      if (typeof callback !== "function") return original(callback, ...rest); // Node's own error
      const n = self.cell();
      const args = kind === "setImmediate" ? rest : rest.slice(1);
      const fire = () => {
        if (kind !== "setInterval") self.forget(n, handle);
        const key = self.nextDue++;
        self.due.set(key, () => {
          try {
            callback.apply(handle, args);
          } catch (e) {
            self.report(e);
          }
        });
        self.channel.port2.postMessage(key);
      };
      const handle: Handle = kind === "setImmediate" ? original(fire) : original(fire, rest[0]);
      if (n !== 0) {
        let mine = self.pending.get(n);
        if (!mine) self.pending.set(n, (mine = new Map()));
        mine.set(handle, kind);
      }
      return handle;
    };
    // util.promisify(setTimeout) and friends keep working.
    const custom = (original as any)[promisify.custom];
    if (custom) Object.defineProperty(wrapped, promisify.custom, { value: custom });
    return wrapped;
  }

  private forget(n: number, handle: Handle) {
    const mine = this.pending.get(n);
    if (mine?.delete(handle) && mine.size === 0) this.pending.delete(n);
  }

  /**
   * Cell n has ended. Its pending timers are cleared when it was interrupted; otherwise they run
   * on (a cell may start work that outlives it on purpose) and are no longer its.
   */
  ended(n: number, interrupted: boolean): number {
    const mine = this.pending.get(n);
    this.pending.delete(n);
    if (!mine || !interrupted) return 0;
    for (const [h, kind] of mine) {
      if (kind === "setImmediate") timers.clearImmediate(h as NodeJS.Immediate);
      else timers.clearTimeout(h as NodeJS.Timeout);
    }
    return mine.size;
  }
}
