// Several cores for seqlab's wasm kernels. TensorFlow.js's wasm backend runs on one thread in Node
// (its threaded build cannot start its workers there), and its memory is not shared. seqlab makes
// it shared instead (shared-heap.ts: the same binary with its memory declared shared), so worker
// threads can instantiate seqlab's own kernels on the very heap the tensors live on: no operand is
// copied in or out, and a job's threads synchronise through a small control block (sync.ts).
//
// A pool of worker threads per shared memory is started the first time a job wants more than one
// thread, and kept: each sleeps in Atomics.wait between jobs (no CPU), is unref'd (it never keeps
// a process alive) and ends with the process, the kernel's included. The main thread takes part in
// every job as thread 0 and blocks until the others are done, so a kernel that uses threads is as
// synchronous as one that does not.
//
// How many threads: SEQLAB_THREADS, else the cores this process may use (cores.ts: the CPUs, less a
// container's CPU quota); setThreadCount(n) changes it at run time (the benchmarks compare 1 thread
// with all cores in one process). Jobs smaller than MIN_PARALLEL_WORK stay on one thread (waking the
// others costs a few microseconds), and larger ones take as many threads as have a share worth that
// (threadsForWork).
//
// A job on threads is as slow as its slowest thread, and on a busy machine (a class's kernels on one
// server, a CI machine, a laptop compiling) a worker may wait milliseconds for a core at every job,
// where the job itself takes microseconds. So where the count was not set (no SEQLAB_THREADS, no
// setThreadCount), a job whose main thread spent most of it asleep waiting for the others counts as
// held up, and jobs then stay on one thread for a while (BACKOFF_MS, longer while they keep being
// held up); a count that was set is used as given (tests and benchmarks set it).
//
// A main thread stopped by the kernel's interrupt in the middle of a job (TerminateExecution runs
// no finally block) leaves the workers either computing into that job's output and scratch (which
// nothing frees then: the kernel never returned them) or waiting at its next barrier. After the
// interrupted cell, the Jupyter kernel runs repairAfterStop (registered below, found on the global
// object as kernel/server/tensor-engine.ts's repairs): it sets ABORT, waits for the workers to leave the
// job (at their next chunk, step or barrier), and only then frees what the stopped kernel held
// (heap.ts, releaseStoppedKernels) and lets the engine free the cell's tensors. Any later job also
// abandons a job left running first (quiesce), outside the Jupyter kernel too.
import * as path from "path";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "worker_threads";
import { usableCores } from "./cores";
import { elementwiseModule, lstmWasm } from "./elementwise";
import { releaseOrphanOutputs, releaseStoppedKernels } from "./heap";
import { JOB_FIELDS, JOBS, runPart, soloSync, type JobName, type ThreadCtx } from "./jobs";
import { fmaEnabled, gemmExports, gemmModule, isShared } from "./simd-gemm";
import {
  ABORT,
  ABORTED,
  BAR_COUNT,
  BAR_GEN,
  CONTROL_BYTES,
  CONTROL_SLOTS,
  DEAD,
  DONE,
  ERROR,
  HEAP,
  KIND,
  MAX_THREADS,
  NT,
  PARAMS_OFFSET,
  QUIT,
  NEXT,
  READY,
  SEQ,
  STATS_OFFSET,
  TOKEN,
  sharedSync,
  sleptMs,
  waitChange,
} from "./sync";

/**
 * Multiply-adds below which a job stays on one thread; a larger job takes as many threads as give
 * each at least half this (so a middling job on a many-core machine does not wake every core).
 * Measured on a quiet 2-core machine (`npm run bench -- thread-threshold`; bench/README.md, "Tuning
 * the threshold"): products, LayerNorm, GELU and attention ran faster on 2 threads from 2^17 to 2^19
 * multiply-adds on and slower below, where waking a thread and waiting for it (a few microseconds)
 * outweighs its share. LSTM passes have their own, larger, threshold (lstm-kernels.ts, lstmPassPlan).
 */
export const MIN_PARALLEL_WORK = 1 << 18;

let minParallelWork = MIN_PARALLEL_WORK;

/** The multiply-adds below which a job stays on one thread now (MIN_PARALLEL_WORK unless set). */
export function parallelThreshold(): number {
  return minParallelWork;
}

/**
 * Keep jobs below `work` multiply-adds on one thread from now on (0: share every job out, as the
 * thread-threshold benchmark does to time small jobs on threads); undefined: MIN_PARALLEL_WORK again.
 */
export function setParallelThreshold(work: number | undefined): void {
  if (work !== undefined && !(Number.isFinite(work) && work >= 0))
    throw new RangeError(`setParallelThreshold: expected a number of multiply-adds, 0 or more, got ${work}`);
  minParallelWork = work ?? MIN_PARALLEL_WORK;
}

/** The thread count from SEQLAB_THREADS (a positive integer), else the cores this process may use (cores.ts). */
export function defaultThreadCount(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.SEQLAB_THREADS?.trim();
  if (v) {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`SEQLAB_THREADS=${v}: expected a whole number of threads, 1 or more`);
    return Math.min(n, MAX_THREADS);
  }
  return coreThreads(env);
}

/** The threads for the cores this process may use (cores.ts), at most MAX_THREADS. */
function coreThreads(env: NodeJS.ProcessEnv = process.env): number {
  return Math.max(1, Math.min(usableCores({ env }), MAX_THREADS));
}

let wanted: number | undefined;
/** Whether the thread count was set (SEQLAB_THREADS or setThreadCount): then it is used as given, held-up jobs or not. */
let countSet = !!process.env.SEQLAB_THREADS?.trim();

/** Threads seqlab's kernels use (1: the main thread alone). */
export function threadCount(): number {
  return (wanted ??= defaultThreadCount());
}

/**
 * Use n threads from now on (1..64), as given even on a busy machine; undefined: the cores this
 * process may use again, fewer while jobs are held up. More than one needs the wasm backend's memory
 * shared, which useBackend() arranges unless SEQLAB_THREADS=1 was set when it started the backend.
 */
export function setThreadCount(n: number | undefined): void {
  if (n === undefined) {
    wanted = coreThreads();
    countSet = false;
    return;
  }
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreadCount: expected a whole number of threads, 1 or more, got ${n}`);
  wanted = Math.min(n, MAX_THREADS);
  countSet = true;
}

/**
 * How long jobs keep to one thread after a held-up job (ms): BACKOFF_MS the first time, twice as long
 * each time after, and at least BACKOFF_PER_LOST times what the held-up job lost (so that jobs held
 * up on a very busy machine cost it at most about 1 %), up to BACKOFF_MAX_MS. Each job on threads
 * that was not held up halves it again (under BACKOFF_MS: none).
 */
export const BACKOFF_MS = 250;
export const BACKOFF_PER_LOST = 100;
export const BACKOFF_MAX_MS = 16_000;
/**
 * A job on threads was held up when its main thread slept at least this long (ms) waiting for the
 * others, and for more than half the job. Why half: with two threads sharing a job evenly, a main
 * thread that slept longer than it worked would have done the whole job alone sooner. Why 2 ms: a
 * worker on a core that is free wakes in tens of microseconds, but a core of a virtual machine that
 * has gone idle can take milliseconds to wake (on this 2-vCPU machine, quiet, 16 of 2,000 products
 * of 128x256x256 waited 2-7 ms for their worker), and on a busy host or a busy server far longer.
 */
export const HELD_UP_MS = 2;

const backoff = { until: -Infinity, ms: 0, heldUp: 0 };
/** Until when jobs keep to one thread because workers could not be started. */
let noWorkersUntil = -Infinity;

/** Whether a job that took `ms` in all, `sleptMs` of them with the main thread asleep waiting for the others, was held up. */
export function heldUp(ms: number, sleptMs: number): boolean {
  return sleptMs >= HELD_UP_MS && sleptMs > ms / 2;
}

/**
 * After a job on threads that took `ms`, `slept` of them with the main thread asleep waiting for the
 * others: keep jobs on one thread for a while if it was held up (and the count was not set).
 */
export function recordThreadedJob(ms: number, slept: number): void {
  if (countSet) return;
  if (!heldUp(ms, slept)) {
    backoff.ms = backoff.ms / 2 >= BACKOFF_MS ? backoff.ms / 2 : 0;
    return;
  }
  backoff.heldUp++;
  backoff.ms = Math.min(BACKOFF_MAX_MS, Math.max(backoff.ms ? 2 * backoff.ms : BACKOFF_MS, BACKOFF_PER_LOST * slept));
  backoff.until = performance.now() + backoff.ms;
}

/** Whether jobs keep to one thread now because recent ones were held up; and how many have been, in this process. */
export function threadBackoff(): { now: boolean; ms: number; heldUp: number } {
  return { now: !countSet && performance.now() < backoff.until, ms: backoff.ms, heldUp: backoff.heldUp };
}

const WORKER_FILE = path.join(__dirname, "thread-worker.js");
/** How long a new worker may take to start before threads are given up on (a loaded machine: seconds). */
const START_TIMEOUT_MS = 30_000;

class Pool {
  private readonly control = new SharedArrayBuffer(CONTROL_BYTES);
  private readonly ctl = new Int32Array(this.control, 0, CONTROL_SLOTS);
  private readonly params = new Float64Array(this.control, PARAMS_OFFSET, 64);
  private readonly stats = new Float64Array(this.control, STATS_OFFSET, 64);
  private readonly workers: { worker: Worker; port: MessagePort; token: number }[] = [];
  private tokens = 0;
  private readonly ctx: ThreadCtx;
  /** The variant of gemm.wat every thread of this pool runs (a pool is replaced when setFma changes it). */
  readonly fma: boolean;
  closed = false;

  constructor(readonly memory: WebAssembly.Memory) {
    this.fma = fmaEnabled();
    const g = gemmExports(memory, { fma: this.fma });
    const k = lstmWasm(memory);
    if (!g || !k) throw new Error("seqlab threads: the kernels cannot be instantiated on this memory");
    this.ctx = { memory, g, k };
  }

  /** Threads available: the workers and the main thread. */
  get size(): number {
    return this.workers.length + 1;
  }

  /**
   * Start workers until there are n threads (a few tens of milliseconds each), and make sure every
   * one has started before a job may count on it (a main thread stopped by an interrupt while it
   * waited for them comes back here with some still starting).
   */
  grow(n: number): void {
    const target = Math.min(n, MAX_THREADS);
    if (this.size < target) {
      this.quiesce(); // no job may be running while workers join
      const gemm = gemmModule(true, this.fma);
      const elementwise = elementwiseModule(true);
      while (this.size < target) {
        const tid = this.workers.length + 1;
        const token = ++this.tokens;
        Atomics.store(this.ctl, TOKEN + tid, token); // a worker made for this slot before, and never counted, leaves
        Atomics.store(this.ctl, DONE + tid, Atomics.load(this.ctl, SEQ)); // idle until the next job
        const { port1, port2 } = new MessageChannel();
        const worker = new Worker(WORKER_FILE, {
          workerData: {
            memory: this.memory,
            control: this.control,
            tid,
            token,
            seq: Atomics.load(this.ctl, SEQ),
            gemm,
            elementwise,
            port: port2,
          },
          transferList: [port2],
        });
        worker.unref(); // never keeps the process (or the kernel) alive
        worker.on("error", () => (this.closed = true)); // a worker that died: no more jobs for this pool
        worker.on("exit", () => (this.closed = true));
        this.workers.push({ worker, port: port1, token });
      }
    }
    // Wait for them here (they start on their own threads; this one may block meanwhile).
    const deadline = Date.now() + START_TIMEOUT_MS;
    this.workers.forEach(({ token }, i) => {
      const slot = READY + i + 1;
      for (let v = Atomics.load(this.ctl, slot); v !== token; v = Atomics.load(this.ctl, slot)) {
        if (Date.now() > deadline) {
          this.close();
          throw new Error(`seqlab threads: worker ${i + 1} did not start within ${START_TIMEOUT_MS / 1000} s`);
        }
        Atomics.wait(this.ctl, slot, v, 100);
      }
    });
  }

  /** Run a job on nt threads (this one as thread 0); returns when all are done. */
  run(job: JobName, p: Record<string, number>, nt: number): void {
    const n = Math.min(nt, this.size);
    if (n <= 1) return runPart(this.ctx, job, p, 0, 1, soloSync());
    const t0 = performance.now();
    const slept0 = sleptMs();
    this.start(JOBS[job], n, () => JOB_FIELDS[job].forEach((f, i) => (this.params[i] = p[f])));
    let failure: unknown;
    try {
      runPart(this.ctx, job, p, 0, n, sharedSync(this.ctl, n));
    } catch (e) {
      failure = e;
      this.abort();
    }
    this.finish();
    if (failure !== undefined && failure !== ABORTED) throw failure;
    recordThreadedJob(performance.now() - t0, sleptMs() - slept0);
  }

  /** Workers that have not finished the last job (more than 0 only between a job's start and end, or after a main thread was stopped in one). */
  get busy(): number {
    const seq = Atomics.load(this.ctl, SEQ);
    let n = 0;
    for (let tid = 1; tid < this.size; tid++) {
      const done = Atomics.load(this.ctl, DONE + tid);
      if (done !== seq && done !== DEAD) n++;
    }
    return n;
  }

  /** Each worker's V8 heap in use, bytes (for leak tests). */
  workerHeaps(): number[] {
    if (this.workers.length === 0) return [];
    this.start(HEAP, this.size, () => {});
    this.finish();
    return Array.from(this.stats.subarray(1, this.size));
  }

  private quitting = false;

  close(): void {
    if (this.closed && this.workers.length === 0) return;
    this.closed = true;
    this.quitting = true;
    if (this.workers.length) {
      try {
        this.quiesce();
        Atomics.store(this.ctl, KIND, QUIT);
        Atomics.add(this.ctl, SEQ, 1);
        Atomics.notify(this.ctl, SEQ);
      } catch {
        // terminate below regardless
      }
    }
    for (const { worker, port } of this.workers.splice(0)) {
      port.close();
      void worker.terminate();
    }
  }

  /** Write a job and wake the workers (every worker answers every job, writing its DONE slot). */
  private start(kind: number, nt: number, write: () => void): void {
    if (this.closed) throw new Error("seqlab threads: the pool was closed");
    this.quiesce();
    write();
    Atomics.store(this.ctl, KIND, kind);
    Atomics.store(this.ctl, NT, nt);
    Atomics.store(this.ctl, BAR_COUNT, 0);
    for (let i = 0; i < 4; i++) Atomics.store(this.ctl, NEXT + i, 0);
    // The job starts here, in one write: stopped before it, there is no job; after it, a whole one.
    Atomics.add(this.ctl, SEQ, 1);
    Atomics.notify(this.ctl, SEQ);
  }

  /** Wait for the workers to finish the current job; a worker's failure is thrown here. */
  private finish(): void {
    this.waitIdle();
    const failed = Atomics.load(this.ctl, ERROR);
    if (failed) {
      Atomics.store(this.ctl, ERROR, 0);
      const message = receiveMessageOnPort(this.workers[failed - 1].port)?.message;
      throw new Error(`seqlab threads: ${message ?? `thread ${failed} failed`}`);
    }
  }

  /** Wait until every worker has finished the current job; a worker that has ended closes the pool (with an error). */
  private waitIdle(): void {
    const seq = Atomics.load(this.ctl, SEQ);
    let dead = 0;
    for (let tid = 1; tid < this.size; tid++) {
      for (let done = Atomics.load(this.ctl, DONE + tid); done !== seq; done = Atomics.load(this.ctl, DONE + tid)) {
        if (done === DEAD) {
          dead = tid;
          break;
        }
        waitChange(this.ctl, DONE + tid, done, false);
      }
    }
    if (dead && !this.quitting) {
      this.closed = true;
      throw new Error(`seqlab threads: worker ${dead} has ended; the threads are closed (later jobs run on one thread)`);
    }
  }

  /** Tell the threads of a job to leave it at their next barrier. */
  private abort(): void {
    Atomics.store(this.ctl, ABORT, 1);
    Atomics.add(this.ctl, BAR_GEN, 1);
    Atomics.notify(this.ctl, BAR_GEN);
  }

  /** Make sure no job is running: one left behind by a main thread stopped half way is abandoned. */
  quiesce(): void {
    if (this.busy !== 0) {
      this.abort();
      this.waitIdle();
    }
    Atomics.store(this.ctl, ABORT, 0);
    Atomics.store(this.ctl, ERROR, 0);
  }
}

const pools = new WeakMap<WebAssembly.Memory, Pool>();
const open = new Set<Pool>();

/**
 * How many of `want` threads a job of `work` multiply-adds takes: one below the threshold, else as
 * many as get at least half the threshold each (all of them when the threshold is 0).
 */
export function threadsForWork(work: number, want: number): number {
  const min = minParallelWork;
  if (want <= 1 || work < min) return 1;
  return min > 0 ? Math.min(want, Math.floor((2 * work) / min)) : want;
}

/**
 * The threads for a job of `work` multiply-adds on `memory`: how many take part (1 when the memory is
 * not shared, one thread is wanted, the job is small, or workers cannot be had) and the pool to run
 * it on (undefined with 1).
 */
export function threadsFor(memory: WebAssembly.Memory, work: number): { nt: number; pool?: Pool } {
  const want = threadCount();
  const n = threadsForWork(work, want);
  if (n <= 1 || !isShared(memory) || threadBackoff().now || performance.now() < noWorkersUntil) return { nt: 1 };
  let pool = pools.get(memory);
  if (pool && pool.fma !== fmaEnabled()) pool.close();
  if (pool?.closed) {
    open.delete(pool);
    pool = undefined;
  }
  try {
    if (!pool) {
      pool = new Pool(memory);
      pools.set(memory, pool);
      open.add(pool);
    }
    pool.grow(want);
  } catch {
    // Workers could not be had (a thread limit, memory): one thread for the longest while before
    // trying again, not a new pool (and a wait for its workers) at every job.
    pool?.close();
    pools.delete(memory);
    noWorkersUntil = performance.now() + BACKOFF_MAX_MS;
    return { nt: 1 };
  }
  return { nt: Math.min(n, pool.size), pool };
}

/** Run `job` on the threads threadsFor(memory, work) gives (this thread alone when it gives one). */
export function runJob(memory: WebAssembly.Memory, job: JobName, p: Record<string, number>, nt: number, pool?: Pool): void {
  if (pool && nt > 1) return pool.run(job, p, nt);
  const g = gemmExports(memory);
  const k = lstmWasm(memory);
  if (!g || !k) throw new Error("seqlab: the wasm kernels cannot run on this memory (no WebAssembly SIMD?)");
  runPart({ memory, g, k }, job, p, 0, 1, soloSync());
}

/** The worker threads running now (all pools), and each one's V8 heap in use (bytes). */
export function workerStats(): { workers: number; heapBytes: number[] } {
  const heapBytes: number[] = [];
  for (const p of open) if (!p.closed) heapBytes.push(...p.workerHeaps());
  return { workers: heapBytes.length, heapBytes };
}

/** The pool on `memory`, for tests: its threads (workers and main) and the workers still in a job. */
export function poolState(memory: WebAssembly.Memory): { threads: number; busy: number } | undefined {
  const pool = pools.get(memory);
  return pool && !pool.closed ? { threads: pool.size, busy: pool.busy } : undefined;
}

/** The worker threads of every pool, and how many of them are still in a job (0 between jobs), without running one. */
export function threadState(): { workers: number; busy: number } {
  let workers = 0;
  let busy = 0;
  for (const p of open) {
    if (p.closed) continue;
    workers += p.size - 1;
    busy += p.busy;
  }
  return { workers, busy };
}

/** Stop every worker thread (they stop with the process anyway; this is for tests and tidy exits). */
export function shutdownThreads(): void {
  for (const p of open) p.close();
  open.clear();
}

/**
 * After a cell stopped half way (the Jupyter kernel's interrupt): abandon the job it left running on
 * the threads, wait for them to leave it, then free the scratch and outputs of the kernels it
 * stopped in, and any kernel's outputs that never became tensors. Returns what was done, for the kernel's log (undefined: nothing to do).
 */
export function repairAfterStop(): string | undefined {
  let abandoned = 0;
  for (const p of open) {
    if (p.closed || p.busy === 0) continue;
    abandoned++;
    try {
      p.quiesce();
    } catch {
      p.close(); // a worker had ended: the pool is given up (a new one is started when needed)
    }
  }
  const r = releaseStoppedKernels();
  const orphans = releaseOrphanOutputs();
  const done: string[] = [];
  if (abandoned) done.push(`${abandoned} threaded job(s) abandoned`);
  if (r.kernels) done.push(`${r.kernels} stopped kernel(s): ${r.scratch} scratch buffer(s) and ${r.outputs} output(s) freed`);
  if (orphans) done.push(`${orphans} kernel output(s) that no tensor holds freed`);
  return done.length ? done.join(", ") : undefined;
}

/** Where the Jupyter kernel finds the repairs to run after an interrupted or failed cell (kernel/server/tensor-engine.ts). */
const REPAIRS = Symbol.for("seqlab.kernel.repairs");
const repairs = globalThis as unknown as Record<symbol, Set<() => string | undefined> | undefined>;
(repairs[REPAIRS] ??= new Set()).add(repairAfterStop);
