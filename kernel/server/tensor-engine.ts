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

/** The engine's state before a cell runs (undefined when tfjs is not loaded). */
export function markEngine(): EngineMark | undefined {
  const e = engine();
  if (!e) return undefined;
  watchKeeps(e);
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
