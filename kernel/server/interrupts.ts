// Interrupts, on the main thread. The socket thread (sockets.ts) sees every interrupt first, an
// interrupt_request or a SIGINT (it watches the signal itself, so it sees one even while this
// thread is stuck), and tags it with the cell that was running when it arrived (0: none). Here:
//  - an interrupt for the running cell marks it interrupted: its awaits reject (the executor's
//    `guard`), its pending input() fails, library loops that poll `interrupted` stop; an interrupt
//    for a cell that has already ended, or for none, is answered and forgotten, so it never
//    reaches a later cell;
//  - code that calls TensorFlow.js stops at its next op, before the op starts, with a plain
//    KeyboardInterrupt (tensor-engine.ts, the op gate): tf.tidy, the tape and finally blocks unwind;
//  - when this thread does not take an interrupt in within a moment, it is stuck in JavaScript. The
//    socket thread then has the inspector run `stopNow` in the middle of whatever runs, and when
//    that is a cell's code (or a stray callback of an earlier cell's, between cells) it is stopped
//    by V8's TerminateExecution, which unwinds it to the event loop, as Node does with a worker
//    it terminates. Two things make that safe: the async-context stack that Node keeps in
//    JavaScript (pushed before a callback, popped after it) is cleared first, as Node clears it
//    after an uncaught exception; and nothing is stopped while one of Node's timer or immediate
//    loops is on the stack (cut short, they lose timers), or TensorFlow.js's bookkeeping of tensor
//    data (see CRITICAL). Cell code never runs inside Node's loops: the executor runs it in a
//    microtask, and cell timers run their callbacks from a port.
import * as inspector from "inspector";
import * as path from "path";
import { writeSync } from "fs";
import { Phase, Slot } from "./shared-state";
import { inTensorOp } from "./tensor-engine";
// Node's own timers: the globals are the cells' (cell-timers.ts), cleared when a cell is interrupted.
import { setTimeout } from "timers";

export class KeyboardInterrupt extends Error {
  constructor() {
    super("execution interrupted; variables defined before this cell are kept");
    this.name = "KeyboardInterrupt";
  }
}

/** How long an interrupted cell waits for library work that stops by itself at its next step. */
const COOPERATIVE_GRACE_MS = 1000;

/** One execution of a cell, from the kernel's point of view. */
export class Cell {
  interrupted = false;
  /** Its interrupt has been delivered (the awaits pending then rejected): later awaits never resume. */
  done = false;
  private rejectStop!: (e: Error) => void;
  /** Rejects with KeyboardInterrupt once the cell is interrupted (after cooperating work has stopped). */
  readonly stopped: Promise<never>;
  private readonly cooperating = new Set<Promise<unknown>>();

  constructor(
    readonly n: number,
    private readonly state: Int32Array,
  ) {
    this.stopped = new Promise<never>((_, reject) => (this.rejectStop = reject));
    this.stopped.catch(() => {});
  }

  /** Library work that checks `interrupted` between steps: an interrupt lets it stop by itself first. */
  track<T>(work: Promise<T>): Promise<T> {
    this.cooperating.add(work);
    Atomics.add(this.state, Slot.Cooperating, 1);
    const done = () => {
      if (this.cooperating.delete(work)) Atomics.sub(this.state, Slot.Cooperating, 1);
    };
    work.then(done, done);
    return work;
  }

  interrupt() {
    if (this.interrupted) return;
    this.interrupted = true;
    const work = [...this.cooperating];
    const deliver = () => {
      this.done = true;
      this.rejectStop(new KeyboardInterrupt());
    };
    if (work.length === 0) return deliver();
    // Give a training loop the moment it needs to finish its step, show its last chart and save
    // its checkpoint, so that the cell's last outputs are its own and the model is whole.
    const grace = new Promise((r) => setTimeout(r, COOPERATIVE_GRACE_MS).unref());
    Promise.race([Promise.allSettled(work), grace]).then(deliver);
  }

  /** Called when the cell has ended, however it ended. */
  ended() {
    Atomics.sub(this.state, Slot.Cooperating, this.cooperating.size);
    this.cooperating.clear();
  }
}

export class Interrupts {
  private count = 0;
  private current: Cell | undefined;
  /** Cells interrupted so far (their later awaits reject at once). */
  private readonly interruptedCells = new Set<number>();
  private session: inspector.Session | undefined;

  constructor(
    private readonly state: Int32Array,
    private readonly log: (text: string) => void = defaultLog,
  ) {
    // The inspector runs `stopNow` on this thread in the middle of whatever JavaScript runs.
    (globalThis as any).__seqlab_stopNow__ = (n: number, waitedMs?: number) => this.stopNow(n, waitedMs);
  }

  get running(): Cell | undefined {
    return this.current;
  }

  set phase(p: Phase) {
    Atomics.store(this.state, Slot.Phase, p);
  }
  get phase(): Phase {
    return Atomics.load(this.state, Slot.Phase);
  }

  /** A cell starts: it is compiled first. */
  start(): Cell {
    const cell = new Cell(++this.count, this.state);
    this.current = cell;
    this.phase = Phase.Compile;
    Atomics.store(this.state, Slot.Cell, cell.n);
    return cell;
  }

  /** The cell has ended: later interrupts are for no cell. */
  end(cell: Cell) {
    Atomics.store(this.state, Slot.Cell, 0);
    this.phase = Phase.Kernel;
    if (this.current === cell) this.current = undefined;
    cell.ended();
  }

  /** Whether cell n has been interrupted; readable in a loop that never yields (shared memory). */
  interrupted(n: number): boolean {
    if (this.interruptedCells.has(n)) return true;
    return n !== 0 && this.current?.n === n && Atomics.load(this.state, Slot.Interrupted) === n;
  }

  /**
   * Whether the running cell's code should stop at its next TensorFlow.js op (tensor-engine.ts): it
   * has been interrupted, and no library work of it is finishing its step by itself (or that work
   * has had its grace).
   */
  stopsAtOp(): boolean {
    const cell = this.current;
    if (!cell || this.phase !== Phase.Run || !this.interrupted(cell.n)) return false;
    return cell.done || Atomics.load(this.state, Slot.Cooperating) === 0;
  }

  /** The socket thread's message for interrupt number `seq`, meant for cell `n` (0: none). */
  received(n: number, seq: number) {
    Atomics.store(this.state, Slot.Ack, seq);
    const cell = this.current;
    if (n === 0 || !cell || cell.n !== n) {
      if (n !== 0 || cell) this.log(`interrupt for ${n ? `cell ${n}, which has ended` : "no cell"}: nothing to stop`);
      return;
    }
    this.stop(cell);
  }

  /** Mark a cell interrupted: its awaits reject (after cooperating work has stopped). */
  stop(cell: Cell) {
    this.interruptedCells.add(cell.n);
    cell.interrupt();
  }

  /**
   * Run by the inspector in the middle of whatever JavaScript runs on this thread, when the socket
   * thread found this thread unresponsive `waitedMs` after interrupt for cell n (0: no cell was running).
   */
  private stopNow(n: number, waitedMs = Infinity): string {
    const phase = this.phase;
    const cellCode = phase === Phase.Run && n !== 0 && this.current?.n === n;
    const strayCode = phase === Phase.Idle && n === 0;
    if (!cellCode && !strayCode) return "not stopped: no cell code runs";
    // Code that calls TensorFlow.js's ops stops at its next one (tensor-engine.ts), whole; it is
    // terminated in the middle of one only when that one (or a run of them) takes long.
    if (cellCode && waitedMs < OP_WAIT_MS && inTensorOp(OP_GAP_MS))
      return "not stopped now: a TensorFlow.js op runs, and the cell stops at its next one (tried again in a moment)";
    const stack = stackFiles();
    // Nothing below this function but the inspector's call: the thread is idle after all.
    if (stack.length === 0) return "not stopped: nothing runs";
    // The kernel's own code (finishing an interrupted cell, say) is never cut short, unless a
    // cell's code called it (display() from a loop): then the cell's code is what runs.
    const cellOnStack = stack.some((f) => CELL_FILE.test(f));
    if (!cellOnStack && stack.some((f) => f.startsWith(KERNEL_DIR))) return "not stopped: the kernel's own code runs";
    const busy = criticalOnStack();
    if (busy) return `not stopped now: inside ${busy}, which cannot be cut short (tried again in a moment)`;
    asyncWrap()?.clearAsyncIdStack();
    this.session ??= connect();
    let refused: string | undefined;
    this.session.post("Runtime.terminateExecution", (err) => (refused = err?.message));
    return refused ? `not stopped: ${refused}` : "terminated";
  }

  close() {
    this.session?.disconnect();
    this.session = undefined;
  }
}

/**
 * How long termination waits, after an interrupt, for code that is in a TensorFlow.js op (or just
 * left one) to reach its next op and stop there. A single op that runs longer (or a loop of ops
 * inside one, a custom gradient's) is terminated where it is.
 */
const OP_WAIT_MS = 5000;
/**
 * Code that ended an op this recently calls the next one soon (ops are microseconds apart in a loop
 * of them; a thread of a busy machine may wait tens of milliseconds for a core in between).
 */
const OP_GAP_MS = 250;

/** Where the kernel's own modules are (this file's folder, built). */
const KERNEL_DIR = __dirname + path.sep;
/** The file names the executor gives cells and user expressions (vm's filename). */
const CELL_FILE = /^(cell\[[^\]]+\]|expression)$/;

/** The files of the functions on the stack below stopNow and the inspector's call of it. */
function stackFiles(): string[] {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Infinity;
  Error.prepareStackTrace = (_e, sites) => sites;
  try {
    const sites = new Error().stack as unknown as NodeJS.CallSite[];
    // [stackFiles, stopNow, the arrow in the constructor, the evaluated expression, ...below]
    return sites.slice(4).map((s) => s.getFileName() ?? "");
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/**
 * Code that must not be cut short, found by its frames on the stack: Node's timer and immediate
 * loops (they lose timers), and TensorFlow.js's bookkeeping of tensors and their data (a variable
 * cut off half way through `assign` points at freed data; the engine repair afterwards mends only
 * scopes and the tape). These take microseconds; a loop that runs in them now runs out of them in
 * a moment, when the socket thread asks again.
 */
const CRITICAL = new RegExp(
  [
    String.raw`(processTimers|listOnTimeout|processImmediate) \(node:internal\/timers`,
    String.raw`at (Variable\.assign|Engine\.(disposeTensor|disposeVariables|incRef|makeVariable|makeTensor|makeTensorFromDataId|makeTensorFromTensorInfo|moveData|trackTensor|endScope|keep)|BackendWasm\.(disposeData|write|move|makeOutput)|DataStorage\.(set|delete)) `,
  ].join("|"),
);

/** What critical code is on the stack, if any (in which case nothing may be terminated now). */
function criticalOnStack(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Infinity;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  const m = CRITICAL.exec(stack);
  return m ? (m[1] ? `Node's ${m[1]}` : `TensorFlow.js's ${m[2]}`) : undefined;
}

/**
 * Node's async_wrap binding: its clearAsyncIdStack() empties the async-context stack, which Node
 * checks when a callback returns (a callback cut short leaves its context on it, and Node aborts).
 * Reached through the deprecated process.binding: nothing public does this.
 */
let binding: { clearAsyncIdStack(): void } | null | undefined;
function asyncWrap() {
  if (binding === undefined) {
    const quiet = process.noDeprecation;
    try {
      process.noDeprecation = true;
      binding = (process as any).binding("async_wrap");
    } catch {
      binding = null;
    } finally {
      process.noDeprecation = quiet;
    }
  }
  return binding;
}

function connect(): inspector.Session {
  const s = new inspector.Session();
  s.connect();
  return s;
}

function defaultLog(text: string) {
  writeSync(2, `[seqlab kernel] ${text}\n`);
}
