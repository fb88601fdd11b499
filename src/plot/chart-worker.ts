// The worker thread behind renderOffThread (offthread.ts): vega-lite spec → SVG → PNG, the same
// code and fonts as renderChart, so a live chart's picture costs the training thread nothing but
// the message that carries it.
import { readFileSync, readlinkSync } from "fs";
import { setPriority } from "os";
import { parentPort } from "worker_threads";
import { performance } from "perf_hooks";
import { specToSvg } from "./chart";
import { loadVega } from "./load";
import { svgToPng } from "./render";

export interface ChartJob {
  id: number;
  spec: Record<string, unknown>;
  scale: number;
}

export type ChartJobResult =
  | { id: number; ok: true; png: Uint8Array; width: number; height: number; ms: number; cpuMs: number }
  | { id: number; ok: false; error: string };

// Live pictures are a courtesy; the training thread comes first. On Linux the nice value belongs to
// each thread, so this lowers only the worker's: on a busy machine it then takes CPU time that no
// one else wants (its pictures come later, and liveLoss spaces them by their rendering time), on a
// quiet one it runs on an idle core as before.
try {
  const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
  if (tid > 0) setPriority(tid, 19);
} catch {
  // no /proc (not Linux) or not allowed: render at the process's priority
}

/** CPU time of this thread, ms (Linux, 10 ms ticks), or NaN: at nice 19 on a busy machine a
 * picture's wall time is mostly waiting, and the CPU it took is what it costs others. */
function threadCpuMs(): number {
  try {
    const s = readFileSync("/proc/thread-self/stat", "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" "); // fields from the 3rd (state) on
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime in USER_HZ (100) ticks
  } catch {
    return NaN;
  }
}

parentPort?.on("message", async (job: ChartJob) => {
  let reply: ChartJobResult;
  try {
    // `ms` is what one picture costs from now on, not the one-time import of vega
    await loadVega();
    const t0 = performance.now(),
      c0 = threadCpuMs();
    const r = svgToPng(await specToSvg(job.spec), { scale: job.scale });
    // A copy in a plain ArrayBuffer (resvg's may belong to native code), moved, not copied again, to
    // the training thread.
    const png = new Uint8Array(r.png);
    reply = { id: job.id, ok: true, png, width: r.width, height: r.height, ms: performance.now() - t0, cpuMs: threadCpuMs() - c0 };
    parentPort!.postMessage(reply, [png.buffer]);
    return;
  } catch (e) {
    reply = { id: job.id, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
