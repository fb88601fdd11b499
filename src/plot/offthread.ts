// Chart pictures rendered in a worker thread, for callers that must not stall: a live training
// chart renders a PNG every few seconds while the model trains, and vega's layout plus resvg take
// 100-300 ms of CPU per picture, which on the training thread would be a visible pause each time.
//
//   const { png, width, height, ms } = await renderOffThread(spec);
//
// One worker per process, started on first use (vega loads in it, not here) and ended once it has
// been idle for IDLE_MS, so an idle kernel does not keep a second copy of vega in memory. The
// worker keeps the process alive only while a picture is being rendered (someone awaits it). If a worker cannot start or dies, the promise rejects
// and the caller decides (LiveLoss falls back to rendering on its own thread, less often).
import * as path from "path";
import { Worker } from "worker_threads";
import type { ChartJob, ChartJobResult } from "./chart-worker";
import type { VegaLiteSpec } from "./chart";

export interface OffThreadPicture {
  png: Buffer;
  /** 1x size (the PNG is `scale` times larger). */
  width: number;
  height: number;
  /** Time the worker spent on it, ms (wall clock; at low priority on a busy machine mostly waiting). */
  ms: number;
  /** CPU time the worker's thread spent on it, ms (NaN where the system does not say). */
  cpuMs: number;
}

const IDLE_MS = 20_000;

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, { resolve(p: OffThreadPicture): void; reject(e: Error): void }>();
let idleTimer: NodeJS.Timeout | undefined;

function failAll(e: Error): void {
  for (const p of pending.values()) p.reject(e);
  pending.clear();
}

function start(): Worker {
  const w = new Worker(path.join(__dirname, "chart-worker.js"), { stdout: false, stderr: false });
  w.unref();
  w.on("message", (r: ChartJobResult) => {
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    if (r.ok)
      p.resolve({
        png: Buffer.from(r.png.buffer, r.png.byteOffset, r.png.byteLength),
        width: r.width,
        height: r.height,
        ms: r.ms,
        cpuMs: r.cpuMs,
      });
    else p.reject(new Error(`chart worker: ${r.error}`));
    if (!pending.size) {
      w.unref();
      armIdle();
    }
  });
  w.on("error", (e) => {
    if (worker === w) worker = undefined;
    failAll(e instanceof Error ? e : new Error(String(e)));
  });
  w.on("exit", (code) => {
    if (worker === w) worker = undefined;
    if (pending.size) failAll(new Error(`chart worker exited (code ${code}) with ${pending.size} picture(s) unrendered`));
  });
  return w;
}

function armIdle(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    idleTimer = undefined;
    if (!pending.size && worker) {
      const w = worker;
      worker = undefined;
      void w.terminate();
    }
  }, IDLE_MS);
  idleTimer.unref();
}

/** Render a finished vega-lite spec to PNG in the chart worker. */
export function renderOffThread(spec: VegaLiteSpec, scale = 2): Promise<OffThreadPicture> {
  return new Promise((resolve, reject) => {
    if (idleTimer) {
      clearTimeout(idleTimer);
      idleTimer = undefined;
    }
    try {
      worker ??= start();
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    const id = nextId++;
    pending.set(id, { resolve, reject });
    worker.ref();
    const job: ChartJob = { id, spec, scale };
    worker.postMessage(job);
  });
}

/** End the chart worker now (tests; a kernel shutting down). Pending pictures reject. */
export async function stopChartWorker(): Promise<void> {
  if (idleTimer) {
    clearTimeout(idleTimer);
    idleTimer = undefined;
  }
  const w = worker;
  worker = undefined;
  if (w) await w.terminate();
}
