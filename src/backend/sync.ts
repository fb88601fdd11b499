// The few words that seqlab's compute threads share besides the wasm heap (threads.ts, thread-worker.ts):
// a control block on a SharedArrayBuffer, read and written with Atomics. A job is started by writing
// its fields and bumping SEQ (the workers sleep in Atomics.wait on it), threads meet at barriers
// (BAR_COUNT, BAR_GEN) or take chunks of work from counters (NEXT), and the main thread waits
// until every worker has written the job's number to its DONE slot.
//
// Why one DONE slot per worker rather than a count of busy workers: a job starts with a single
// atomic write (SEQ), so a main thread stopped by the kernel's interrupt at any point (V8's
// TerminateExecution, which runs no finally block) leaves either no job or a whole one, never a
// count that no worker will bring down. A worker that ends for good writes DEAD there.
//
// Waiting spins for a few microseconds before sleeping in Atomics.wait: the threads of a job
// usually arrive within that, and a futex wake-up costs tens of microseconds (50 µs for a round
// trip to three workers on a loaded 2-vCPU machine), which an LSTM's 64 steps a pass would pay at
// every step. Sleeps wake up now and then to notice ABORT, so nothing waits forever on a thread
// that will not come (a main thread stopped by the kernel's interrupt in the middle of a job).

/** Int32 slots of the control block. */
export const SEQ = 0; // bumped to start a job
export const KIND = 1; // the job (jobs.ts JOBS), or HEAP / QUIT
export const NT = 2; // threads taking part, the main thread included
export const BAR_COUNT = 4;
export const BAR_GEN = 5;
export const ABORT = 6; // 1: leave the job at the next barrier
export const ERROR = 7; // tid of a worker that failed (its message is on its port)
/** TOKEN + tid: the token of the worker that owns thread slot tid (a worker whose token is not there leaves). */
export const TOKEN = 64;
/** READY + tid: that worker's token once it has started. */
export const READY = 128;
/** NEXT + i (i = 0..3): the next chunk of counter i of the current job (jobs.ts, Sync.claim). */
export const NEXT = 9;
/** DONE + tid: the last job (its SEQ) that worker tid has finished, or DEAD. */
export const DONE = 192;
/** In a DONE slot: the worker has ended (its loop failed outside a job, or it was told to quit). */
export const DEAD = -1;

export const HEAP = 100; // each worker writes its V8 heap in use to STATS[tid]
export const QUIT = 101;

/** Bytes of the control block: 256 Int32 slots, then PARAMS (64 doubles), then STATS (64 doubles). */
export const CONTROL_BYTES = 1024 + 512 + 512;
export const CONTROL_SLOTS = 256;
export const PARAMS_OFFSET = 1024;
export const STATS_OFFSET = 1536;
export const MAX_THREADS = 64;

/** Thrown inside a job when it is abandoned (another thread failed, or the main thread gave up on it). */
export const ABORTED = new Error("seqlab: compute job abandoned");

/** Busy-wait iterations before sleeping (a few microseconds). */
const SPINS = 2000;
/** A sleeping waiter checks ABORT this often (ms). */
const NAP_MS = 50;

/** Milliseconds this thread has slept in waitChange, past its spins (threads.ts reads the main thread's). */
let slept = 0;

/** The milliseconds this thread has slept waiting for other threads so far. */
export function sleptMs(): number {
  return slept;
}

/** Wait until ctl[i] is no longer v; throws ABORTED when ABORT is set meanwhile (and checkAbort). */
export function waitChange(ctl: Int32Array, i: number, v: number, checkAbort: boolean): void {
  for (let s = 0; s < SPINS; s++) if (Atomics.load(ctl, i) !== v) return;
  const t0 = performance.now();
  try {
    while (Atomics.load(ctl, i) === v) {
      if (checkAbort && Atomics.load(ctl, ABORT)) throw ABORTED;
      Atomics.wait(ctl, i, v, NAP_MS);
    }
  } finally {
    slept += performance.now() - t0;
  }
}

/** Throws ABORTED when the current job has been abandoned. */
export function checkAbort(ctl: Int32Array): void {
  if (Atomics.load(ctl, ABORT)) throw ABORTED;
}

/** All nt threads of the current job meet here. */
export function barrier(ctl: Int32Array, nt: number): void {
  if (nt <= 1) return;
  const gen = Atomics.load(ctl, BAR_GEN);
  if (Atomics.add(ctl, BAR_COUNT, 1) === nt - 1) {
    Atomics.store(ctl, BAR_COUNT, 0); // before the new generation, so the next barrier counts from 0
    Atomics.add(ctl, BAR_GEN, 1);
    Atomics.notify(ctl, BAR_GEN);
  } else {
    waitChange(ctl, BAR_GEN, gen, true);
  }
  if (Atomics.load(ctl, ABORT)) throw ABORTED;
}

/** The barrier and chunk counters of the current job, for nt threads. */
export function sharedSync(ctl: Int32Array, nt: number): { barrier(): void; claim(counter: number): number; check(): void } {
  return {
    barrier: () => barrier(ctl, nt),
    // an abandoned job stops at its next chunk, not after all of them
    claim: (i) => (checkAbort(ctl), Atomics.add(ctl, NEXT + i, 1)),
    check: () => checkAbort(ctl),
  };
}
