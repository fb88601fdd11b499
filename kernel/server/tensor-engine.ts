// TensorFlow.js after a cell that stopped half way. An interrupt stops JavaScript where it is, so
// the `finally` blocks of tf.tidy and of the gradient tape never run: the engine keeps the cell's
// scopes open (every later tensor is tracked in a scope no one ends: a leak), its tape recording
// (a later training step then finds "no connection between any variable and the result of the
// loss function") and its kernel depth raised. The kernel marks the engine's state before each
// cell and, after a cell that was interrupted or failed, puts it back: the scopes the cell opened
// are ended (their tensors disposed, as tidy would have), the tape and its saved tensors dropped.
// Tensors the engine keeps for a tape (tf.keep of a clone) are on no scope's list, and between
// being kept and being put on the tape they are on the tape neither: the kernel counts them as
// they are kept (a small wrapper of the engine's `keep`, while a tape records), so that those an
// interrupted cell left anywhere are freed too.
// The engine is found where tfjs keeps it (a global), so this works for any notebook that uses
// tfjs, with or without seqlab, and costs nothing in one that does not.

interface Tensorish {
  dispose(): void;
  isDisposed?: boolean;
}
interface EngineState {
  scopeStack: unknown[];
  gradientDepth: number;
  kernelDepth: number;
  activeTape: { saved?: Tensorish[] }[] | null;
  numDataMovesStack: number[];
  numTensors: number;
}
interface Engine {
  state: EngineState;
  endScope(result?: unknown): void;
  keep<T>(t: T): T;
}

/** Tensors kept for a tape during the running cell (see the header). */
const keptForTape = new Set<Tensorish>();
const WATCHED = Symbol.for("seqlab.kernel.keptForTape");

/** Count the tensors the engine keeps while a tape records (once per engine). */
function watchKeeps(e: Engine) {
  if ((e as any)[WATCHED]) return;
  (e as any)[WATCHED] = true;
  const keep = e.keep;
  e.keep = function <T>(this: Engine, t: T): T {
    if (this.state.gradientDepth > 0 || this.state.activeTape) {
      keptForTape.add(t as Tensorish);
      // A long training cell keeps thousands; those its tapes already freed are let go.
      if (keptForTape.size > 10_000) for (const k of keptForTape) if (k.isDisposed) keptForTape.delete(k);
    }
    return keep.call(this, t) as T;
  };
}

/**
 * The engine's trackTensor, made atomic against termination. An interrupt terminates the cell at
 * V8's next stack check after the kernel found no critical code on the stack (interrupts.ts), and in
 * code the optimiser has inlined that can be inside a critical function entered since: in tfjs's
 * trackTensor, after it has counted the tensor (numTensors++) and before its call of track() has put
 * it on the scope's list (a getter and two calls in between), so that no scope frees it. One tensor
 * in 15 runs of the interrupt test was left so. This version does every call and getter first and
 * then the bookkeeping in one straight line of property stores and builtins, where no termination
 * lands. Only where the engine's own trackTensor is the one it replaces (tfjs 4's).
 */
const ATOMIC = Symbol.for("seqlab.kernel.atomicTrackTensor");
interface TrackedTensor {
  dtype: string;
  dataId: object;
  shape: number[];
  size: number;
  scopeId?: number;
  assign?: unknown;
}
interface EngineInternals {
  state: EngineState & {
    numStringTensors: number;
    numBytes: number;
    numDataBuffers: number;
    tensorInfo: WeakMap<object, unknown>;
    activeScope: { id: number; track: unknown[] } | null;
  };
  backend: unknown;
  trackTensor(a: TrackedTensor, backend: unknown): void;
}
const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

function atomicTrackTensor(e: Engine) {
  const en = e as unknown as EngineInternals & { [ATOMIC]?: boolean };
  if (en[ATOMIC] || typeof en.trackTensor !== "function") return;
  en[ATOMIC] = true;
  const src = String(en.trackTensor);
  if (!/numTensors\+\+/.test(src) || !/this\.track\(a\)/.test(src) || !/tensorInfo\.set/.test(src)) return; // another tfjs: left as it is
  en.trackTensor = function trackTensor(this: EngineInternals, a: TrackedTensor, backend: unknown): void {
    // every call and getter first: a termination may land in any of them, before anything changed
    const { dtype, dataId, shape } = a;
    const bytes = dtype !== "complex64" && dtype !== "string" ? a.size * (BYTES[dtype] ?? 4) : 0;
    const isVariable = typeof a.assign === "function";
    const s = this.state;
    const known = s.tensorInfo.has(dataId);
    const info = known ? undefined : { backend: backend || this.backend, dtype, shape, bytes };
    const scope = s.activeScope;
    // then the engine's bookkeeping in one straight line
    s.numTensors++;
    if (dtype === "string") s.numStringTensors++;
    s.numBytes += bytes;
    if (!known) {
      s.numDataBuffers++;
      s.tensorInfo.set(dataId, info);
    }
    if (!isVariable && scope != null) {
      a.scopeId = scope.id;
      scope.track.push(a);
    }
  };
}

/**
 * Interrupts at the boundaries of TensorFlow.js's ops. A cell that is stopped by V8's termination
 * stops at its next stack check, which can be anywhere: inside tfjs's bookkeeping (inlined, so the
 * kernel's check of the stack in interrupts.ts cannot see it), inside a wasm kernel's malloc or
 * free, inside a threaded job. Most code a cell runs calls ops, though, so an interrupted cell is
 * stopped at its next op instead, by a plain exception thrown before the op starts: tf.tidy and the
 * tape unwind as they do for any error, finally blocks run, nothing is half done. Only the op's
 * entry at the top level throws (one op inside another, a custom gradient's, runs to its end), and
 * termination (interrupts.ts) waits while an op runs, or has just ended, and the next is near.
 */
export interface OpGate {
  /** Whether the running cell has been interrupted and should stop at its next op. */
  stopping(): boolean;
  /** What it is stopped with (the kernel's KeyboardInterrupt). */
  error(): Error;
}
const OPS = Symbol.for("seqlab.kernel.opGate");
/** Ops running now (nested ones counted), when the last one ended (performance.now()), and the gate. */
const ops: { depth: number; lastEnd: number; gate?: OpGate } = { depth: 0, lastEnd: -Infinity };

/**
 * Wrap the engine's runKernelFunc, which every op and custom gradient goes through (once per engine).
 * Returns whether it is wrapped (not in another tfjs than 4, whose runKernelFunc takes one argument).
 */
function watchOps(e: Engine): boolean {
  const en = e as unknown as { runKernelFunc?: (params: unknown) => unknown; [OPS]?: boolean };
  if (en[OPS]) return true;
  if (typeof en.runKernelFunc !== "function" || en.runKernelFunc.length !== 1) return false;
  en[OPS] = true;
  const run = en.runKernelFunc;
  en.runKernelFunc = function runKernelFunc(this: unknown, params: unknown): unknown {
    if (ops.depth === 0 && ops.gate?.stopping()) throw ops.gate.error();
    ops.depth++;
    try {
      return run.call(this, params);
    } finally {
      ops.depth--;
      ops.lastEnd = performance.now();
    }
  };
  return true;
}

/** Whether the running cell is in a TensorFlow.js op, or ended one less than `gapMs` ago (and will stop at its next). */
export function inTensorOp(gapMs: number): boolean {
  return ops.gate !== undefined && (ops.depth > 0 || performance.now() - ops.lastEnd < gapMs);
}

/**
 * Repairs a library registers on the global object (a Set of functions under
 * Symbol.for("seqlab.kernel.repairs")), run after an interrupted or failed cell before the engine's:
 * each returns what it did, or undefined. seqlab's compute threads register one (src/backend/threads.ts).
 */
function libraryRepairs(): Array<() => string | undefined> {
  const set = (globalThis as any)[Symbol.for("seqlab.kernel.repairs")];
  return set instanceof Set ? [...set].filter((f): f is () => string | undefined => typeof f === "function") : [];
}

export interface EngineMark {
  scopes: number;
  gradientDepth: number;
  kernelDepth: number;
  dataMoves: number;
}

/** tfjs keeps its one engine on the global object (tfjs-core's global_util and engine). */
function engine(): Engine | undefined {
  const e = (globalThis as any)._tfengine;
  return e && e.state && Array.isArray(e.state.scopeStack) && typeof e.endScope === "function" ? e : undefined;
}

/**
 * The engine's state before a cell runs (undefined when tfjs is not loaded); `gate` stops the cell
 * at its next op once it is interrupted.
 */
export function markEngine(gate?: OpGate): EngineMark | undefined {
  // a cell stopped by termination in an op never left it (no finally block ran)
  ops.depth = 0;
  ops.lastEnd = -Infinity;
  ops.gate = undefined;
  const e = engine();
  if (!e) return undefined;
  watchKeeps(e);
  atomicTrackTensor(e);
  if (watchOps(e)) ops.gate = gate;
  keptForTape.clear();
  const s = e.state;
  return { scopes: s.scopeStack.length, gradientDepth: s.gradientDepth, kernelDepth: s.kernelDepth, dataMoves: s.numDataMovesStack.length };
}

/**
 * Put the engine back as `mark` found it. Returns what was repaired (for the kernel's log), or
 * undefined when nothing was wrong. Without a mark (tfjs was first loaded by this cell) the
 * engine is put back at the top level.
 */
export function restoreEngine(mark: EngineMark | undefined): string | undefined {
  const fixed: string[] = [];
  // First the libraries' own repairs: seqlab's threads leave the job the cell was stopped in and the
  // kernels it stopped in are freed, before the engine below frees tensors whose memory those
  // threads may still have been reading.
  for (const repair of libraryRepairs()) {
    try {
      const done = repair();
      if (done) fixed.push(done);
    } catch (err) {
      fixed.push(`a library's repair failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }
  const e = engine();
  if (!e) return fixed.length ? fixed.join(", ") : undefined;
  const m = mark ?? { scopes: 0, gradientDepth: 0, kernelDepth: 0, dataMoves: 0 };
  const s = e.state;
  if (s.gradientDepth > m.gradientDepth) {
    fixed.push(`gradient depth ${s.gradientDepth} → ${m.gradientDepth}`);
    s.gradientDepth = m.gradientDepth;
  }
  // The tape keeps (tf.keep) the tensors it saved for the backward pass, and is dropped only at
  // the end of that pass (after the depth above is back to 0): stopped in between, it is still
  // there with its saved tensors.
  if (m.gradientDepth === 0) {
    let saved = 0;
    for (const node of s.activeTape ?? [])
      for (const t of node.saved ?? []) {
        t.dispose();
        saved++;
      }
    // Kept for a tape but not on it yet (the cell stopped in between), or on a tape now gone.
    let orphans = 0;
    for (const t of keptForTape)
      if (!t.isDisposed) {
        t.dispose();
        orphans++;
      }
    keptForTape.clear();
    if (s.activeTape) fixed.push(`tape dropped with ${saved} saved tensors`);
    if (orphans) fixed.push(`${orphans} tensors kept for a tape freed`);
    s.activeTape = null;
  }
  if (s.kernelDepth !== m.kernelDepth) {
    fixed.push(`kernel depth ${s.kernelDepth} → ${m.kernelDepth}`);
    s.kernelDepth = m.kernelDepth;
  }
  if (s.scopeStack.length > m.scopes) {
    const before = s.numTensors;
    const open = s.scopeStack.length - m.scopes;
    // endScope disposes what the scope tracked and does not keep, as the end of tf.tidy would.
    while (s.scopeStack.length > m.scopes) e.endScope(undefined);
    fixed.push(`${open} scope(s) ended, ${before - s.numTensors} tensors freed`);
  }
  if (s.numDataMovesStack.length > m.dataMoves) s.numDataMovesStack.length = m.dataMoves;
  return fixed.length ? fixed.join(", ") : undefined;
}
