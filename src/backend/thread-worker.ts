// A compute thread of seqlab's wasm kernels (started by threads.ts). It instantiates gemm.wat and
// lstm.wat on the shared wasm memory it was given (tfjs-backend-wasm's heap), then sleeps until a
// job starts, runs its share (jobs.ts), and sleeps again. It allocates nothing per job but the small
// parameter object, loads no TensorFlow.js, and never prints (its console would need the main
// thread's event loop, which a job blocks).
import { getHeapStatistics } from "v8";
import { workerData, type MessagePort } from "worker_threads";
import { JOB_FIELDS, JOBS, runPart, type JobName, type ThreadCtx } from "./jobs";
import type { ElementwiseExports } from "./elementwise";
import type { GemmExports } from "./simd-gemm";
import {
  ABORT,
  ABORTED,
  BAR_GEN,
  CONTROL_SLOTS,
  DEAD,
  DONE,
  ERROR,
  HEAP,
  KIND,
  NT,
  PARAMS_OFFSET,
  QUIT,
  READY,
  SEQ,
  STATS_OFFSET,
  TOKEN,
  sharedSync,
  waitChange,
} from "./sync";

interface WorkerInit {
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  tid: number;
  /** This worker's claim on slot tid (see below), and the job count when it was made. */
  token: number;
  seq: number;
  gemm: WebAssembly.Module;
  elementwise: WebAssembly.Module;
  port: MessagePort;
}

const init = workerData as WorkerInit;
const ctl = new Int32Array(init.control, 0, CONTROL_SLOTS);
const params = new Float64Array(init.control, PARAMS_OFFSET, 64);
const stats = new Float64Array(init.control, STATS_OFFSET, 64);
const { tid, memory } = init;
const ctx: ThreadCtx = {
  memory,
  g: new WebAssembly.Instance(init.gemm, { env: { memory } }).exports as unknown as GemmExports,
  k: new WebAssembly.Instance(init.elementwise, { env: { memory } }).exports as unknown as ElementwiseExports,
};
const byKind = new Map<number, JobName>(Object.entries(JOBS).map(([name, kind]) => [kind, name as JobName]));

// A main thread stopped by an interrupt while it started workers may have made one that it never
// counted; it then gives the slot to a new worker with a new token, and this one leaves unseen.
const owner = () => Atomics.load(ctl, TOKEN + tid) === init.token;
let seen = init.seq; // no job starts before every counted worker is ready (threads.ts), so none is missed
if (owner()) {
  Atomics.store(ctl, READY + tid, init.token);
  Atomics.notify(ctl, READY + tid);
}
try {
  while (owner()) {
    waitChange(ctl, SEQ, seen, false);
    seen = Atomics.load(ctl, SEQ);
    const kind = Atomics.load(ctl, KIND);
    if (kind === QUIT || !owner()) break;
    const nt = Atomics.load(ctl, NT);
    if (kind === HEAP) {
      stats[tid] = getHeapStatistics().used_heap_size;
    } else if (tid < nt) {
      const job = byKind.get(kind);
      try {
        if (!job) throw new Error(`unknown job ${kind}`);
        const p: Record<string, number> = {};
        JOB_FIELDS[job].forEach((f, i) => (p[f] = params[i]));
        runPart(ctx, job, p, tid, nt, sharedSync(ctl, nt));
      } catch (e) {
        if (e !== ABORTED) {
          init.port.postMessage(`thread ${tid}: ${(e as Error)?.stack ?? String(e)}`);
          Atomics.store(ctl, ERROR, tid);
          Atomics.store(ctl, ABORT, 1); // the others leave at their next barrier or chunk
          Atomics.add(ctl, BAR_GEN, 1);
          Atomics.notify(ctl, BAR_GEN);
        }
      }
    }
    // Every worker answers every job (those not taking part at once), so that the main thread writes
    // the next job's fields only after all have read this one's.
    Atomics.store(ctl, DONE + tid, seen);
    Atomics.notify(ctl, DONE + tid);
  }
} finally {
  // However this loop ends (QUIT, a new owner of the slot, an error outside a job), a main thread
  // waiting for this worker stops waiting. (A worker that lost its slot leaves the slot alone.)
  if (owner()) {
    Atomics.store(ctl, DONE + tid, DEAD);
    Atomics.notify(ctl, DONE + tid);
    // and threads waiting for this one at a barrier of the current job (if any) leave it
    Atomics.store(ctl, ABORT, 1);
    Atomics.add(ctl, BAR_GEN, 1);
    Atomics.notify(ctl, BAR_GEN);
  }
}
