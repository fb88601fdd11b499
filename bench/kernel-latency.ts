// kernel-latency: start-up time and execute round trip of three Jupyter kernels, measured in the
// same run with the same client (kernel/client.ts): seqlab (this package), tslab and ipykernel.
//
//   npm run bench -- kernel-latency [--starts N] [--iters N] [--warmup N] [--python PATH] [--verbose]
//
// start-up:   from just before KernelClient.start() (which picks ports, writes the connection file,
//             spawns the kernel and waits for a kernel_info round trip with its iopub status) until
//             the first execute of `1+1` has its execute_reply and its idle status. Median of N starts.
// round trip: from sending an execute_request for `1+1` until both its execute_reply and its idle
//             status have arrived, on a warmed-up kernel. Median and p90 of N executions.
// Kernels are measured interleaved (round-robin, the order rotated each round) so that the drift of a
// noisy machine affects all of them alike. The last line of output is a one-line summary.
import { spawnSync } from "child_process";
import { existsSync, readdirSync, readFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { KernelClient } from "../kernel/client";
import { kernelCommand, snapshotUsable } from "../kernel/snapshotblob";

type Name = "seqlab" | "tslab" | "ipykernel";

interface Kernel {
  name: Name;
  argv: string[];
  code: string;
  /** Why this kernel cannot be run at all, before any attempt; undefined if it looks runnable. */
  missing?: string;
  /** The first failure; once set, the kernel is measured no further (samples taken before it are kept). */
  failure?: string;
  startup: number[]; // ms, start() + first execute
  ready: number[]; // ms, start() alone (kernel answering kernel_info, iopub connected)
  shutdown: number[]; // ms, shutdown_request until the process is gone
  killed: number; // shutdowns that ended with SIGKILL
  stops: number;
  unanswered: number; // shutdown_requests whose reply and idle status never both arrived
  rtt: number[];
  kinfo: number[]; // kernel_info round trips: the protocol path without executing anything
}

interface Options {
  starts: number;
  iters: number;
  warmup: number;
  python: string;
  verbose: boolean;
}

const ROOT = path.resolve(__dirname, "..", "..");
const FIRST_CELL_TIMEOUT_MS = 60_000;
const CELL_TIMEOUT_MS = 15_000;
const SHUTDOWN_TIMEOUT_MS = 5_000;
const KINFO_ITERS = 40;

function parseArgs(args: string[]): Options {
  const o: Options = { starts: 5, iters: 100, warmup: 10, python: "/usr/bin/python3", verbose: false };
  const count = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new Error(`kernel-latency: ${flag} expects an integer >= ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    switch (a) {
      case "--starts":
        o.starts = count(a, args[++i], 1);
        break;
      case "--iters":
        o.iters = count(a, args[++i], 1);
        break;
      case "--warmup":
        o.warmup = count(a, args[++i], 0);
        break;
      case "--python":
        if (args[i + 1] === undefined) throw new Error("kernel-latency: --python expects a path");
        o.python = args[++i];
        break;
      case "--verbose":
        o.verbose = true;
        break;
      default:
        throw new Error(`kernel-latency: unknown argument ${JSON.stringify(a)}; accepted: --starts N --iters N --warmup N --python PATH --verbose`);
    }
  }
  return o;
}

function kernels(o: Options): Kernel[] {
  const blank = { startup: [], ready: [], shutdown: [], killed: 0, stops: 0, unanswered: 0, rtt: [], kinfo: [] };
  const tslabBin = path.join(ROOT, "node_modules", "tslab", "bin", "tslab");
  let pyMissing: string | undefined;
  if (!existsSync(o.python)) pyMissing = `${o.python} does not exist`;
  else {
    const r = spawnSync(o.python, ["-c", "import ipykernel, ipykernel_launcher"], { encoding: "utf8" });
    if (r.status !== 0) pyMissing = `${o.python} cannot import ipykernel: ${(r.stderr || r.error?.message || "").trim().split("\n").pop()}`;
  }
  return [
    {
      name: "seqlab",
      // What `seqlab install` writes: from the start-up snapshot when one was built for this node.
      argv: [...kernelCommand(), "kernel", "-f", "{connection_file}"],
      code: "1+1",
      missing: undefined, // this benchmark is itself compiled with the kernel
      ...structuredClone(blank),
    },
    {
      name: "tslab",
      argv: [process.execPath, tslabBin, "kernel", "--config-path", "{connection_file}"],
      code: "1+1",
      missing: existsSync(tslabBin) ? undefined : `${tslabBin} not found (tslab is not installed)`,
      ...structuredClone(blank),
    },
    {
      name: "ipykernel",
      argv: [o.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
      code: "1+1",
      missing: pyMissing,
      ...structuredClone(blank),
    },
  ];
}

// --- child-process bookkeeping ------------------------------------------------------------------
// KernelClient.start() does not hand back the process when the kernel never answers, so a kernel
// that hangs at start-up would outlive the benchmark. We find such leftovers among our own
// children (by parent pid, Linux /proc) and end them by pid.

function ownChildren(): Set<number> {
  const pids = new Set<number>();
  if (process.platform !== "linux") return pids;
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid) pids.add(Number(d));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

function killNewChildren(before: Set<number>) {
  for (const pid of ownChildren()) {
    if (before.has(pid)) continue;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

// --- measuring ----------------------------------------------------------------------------------

let phase = "";

function fail(k: Kernel, what: string, e: unknown) {
  if (k.failure) return;
  const done = `${k.startup.length} start(s), ${k.rtt.length} timed execute(s), ${k.kinfo.length} timed kernel_info(s)`;
  k.failure = `${what} during ${phase}, after ${done}: ${e instanceof Error ? e.message : String(e)}`;
}

/** Starts the kernel; on failure records it and makes sure no process is left behind. */
async function start(k: Kernel, o: Options): Promise<KernelClient | undefined> {
  const before = ownChildren();
  try {
    return await KernelClient.start({ argv: k.argv, cwd: ROOT, stderr: o.verbose ? "inherit" : "ignore" });
  } catch (e) {
    fail(k, "start-up", e);
    killNewChildren(before);
    return undefined;
  }
}

/** Executes the trivial cell and checks that it computed 2. Returns the elapsed ms, or undefined on failure. */
async function execute(k: Kernel, c: KernelClient, timeoutMs: number, code = k.code): Promise<number | undefined> {
  const t0 = performance.now();
  let r: Awaited<ReturnType<KernelClient["execute"]>>;
  try {
    r = await c.execute(code, { timeoutMs });
  } catch (e) {
    fail(k, `execute ${JSON.stringify(code)}`, e);
    return undefined;
  }
  const ms = performance.now() - t0;
  if (r.reply.content.status !== "ok") {
    fail(k, `execute ${JSON.stringify(code)}`, `reply status ${r.reply.content.status} ${r.reply.content.ename ?? ""} ${r.reply.content.evalue ?? ""}`);
    return undefined;
  }
  // ipykernel and seqlab send an execute_result; tslab prints the value as a stdout stream instead.
  const shown = r.outputs
    .map((m) => (m.header.msg_type === "execute_result" ? m.content?.data?.["text/plain"] : m.header.msg_type === "stream" ? m.content?.text : undefined))
    .filter((t): t is string => typeof t === "string")
    .join("")
    .trim();
  if (shown !== "2") {
    fail(k, `execute ${JSON.stringify(code)}`, `expected the result 2, got ${JSON.stringify(shown)} (outputs: ${r.outputs.map((m) => m.header.msg_type).join(", ")})`);
    return undefined;
  }
  return ms;
}

/** One kernel_info round trip (reply and idle status). Returns the elapsed ms, or undefined on failure. */
async function kernelInfo(k: Kernel, c: KernelClient): Promise<number | undefined> {
  const t0 = performance.now();
  try {
    await c.request("kernel_info_request", {}, "shell", CELL_TIMEOUT_MS);
  } catch (e) {
    fail(k, "kernel_info_request", e);
    return undefined;
  }
  return performance.now() - t0;
}

/**
 * Shuts the kernel down: shutdown_request on control, then wait for the process to exit (not for the
 * reply and idle status that KernelClient.shutdown() waits for, which a kernel may never send).
 * Records the time until the process is gone and whether the reply and idle status came.
 */
async function stop(k: Kernel, c: KernelClient) {
  const proc = c.proc!;
  k.stops++;
  const t0 = performance.now();
  const exited = proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => proc.once("exit", () => r()));
  let answered = false;
  c.request("shutdown_request", { restart: false }, "control", SHUTDOWN_TIMEOUT_MS).then(
    () => (answered = true),
    () => {},
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, SHUTDOWN_TIMEOUT_MS)))]);
  clearTimeout(timer);
  if (proc.exitCode !== null || proc.signalCode !== null) k.shutdown.push(performance.now() - t0);
  // give a reply/idle that is still in flight a moment to arrive before the sockets close
  if (!answered) await new Promise((r) => setTimeout(r, 200));
  if (!answered) k.unanswered++;
  await c.close(); // SIGKILLs a kernel that has not exited within 3 s
  if (proc.signalCode === "SIGKILL") k.killed++;
}

const live = (ks: Kernel[]) => ks.filter((k) => !k.missing && !k.failure);
const rotate = <T>(xs: T[], r: number): T[] => xs.map((_, i) => xs[(i + r) % xs.length]);

async function measureStartups(ks: Kernel[], o: Options, progress: (s: string) => void) {
  phase = "the start-up phase";
  for (let round = 0; round < o.starts; round++) {
    for (const k of rotate(live(ks), round)) {
      const t0 = performance.now();
      const c = await start(k, o);
      if (!c) continue;
      const ready = performance.now() - t0;
      const first = await execute(k, c, FIRST_CELL_TIMEOUT_MS);
      if (first !== undefined) {
        k.ready.push(ready);
        k.startup.push(performance.now() - t0);
      }
      await stop(k, c);
    }
    progress(`start-up round ${round + 1}/${o.starts}`);
  }
}

/** The first cell of a course notebook: seqlab (and tfjs) imported. Result 2, like `1+1`. */
const IMPORT_CELL = 'import { display, CharTokenizer } from "seqlab";\nnew CharTokenizer().tokenize("ab").length';

/** seqlab only (informational): start-up until a first cell that imports seqlab has run. */
async function measureImportStartups(ks: Kernel[], o: Options, progress: (s: string) => void): Promise<number[]> {
  phase = "the import start-up phase";
  const k = live(ks).find((x) => x.name === "seqlab");
  const times: number[] = [];
  if (!k) return times;
  for (let round = 0; round < o.starts; round++) {
    const t0 = performance.now();
    const c = await start(k, o);
    if (!c) break;
    const first = await execute(k, c, FIRST_CELL_TIMEOUT_MS, IMPORT_CELL); // a failure is seqlab's, reported
    if (first !== undefined) times.push(performance.now() - t0);
    await stop(k, c);
    progress(`import start-up ${round + 1}/${o.starts}`);
  }
  return times;
}

/**
 * One long-lived kernel each: warm-up, then execute round trips, then (a separate phase, so that a
 * kernel that loses messages under it does not spoil the execute numbers) kernel_info round trips.
 */
async function measureRoundTrips(ks: Kernel[], o: Options, progress: (s: string) => void) {
  const clients = new Map<Kernel, KernelClient>();
  const running = () => live(ks).filter((k) => clients.has(k));
  try {
    phase = "the round-trip phase (start)";
    for (const k of live(ks)) {
      const c = await start(k, o);
      if (!c) continue;
      clients.set(k, c);
      await execute(k, c, FIRST_CELL_TIMEOUT_MS);
    }
    phase = "the warm-up";
    for (let i = 0; i < o.warmup; i++) for (const k of running()) await execute(k, clients.get(k)!, CELL_TIMEOUT_MS);
    phase = "the execute round trips";
    for (let round = 0; round < o.iters; round++) {
      for (const k of rotate(running(), round)) {
        const ms = await execute(k, clients.get(k)!, CELL_TIMEOUT_MS);
        if (ms !== undefined) k.rtt.push(ms);
      }
      if ((round + 1) % 25 === 0 || round + 1 === o.iters) progress(`execute round trips ${round + 1}/${o.iters}`);
    }
    phase = "the kernel_info round trips";
    const kinfoIters = Math.min(o.iters, KINFO_ITERS);
    for (let round = 0; round < kinfoIters; round++) {
      for (const k of rotate(running(), round)) {
        const ms = await kernelInfo(k, clients.get(k)!);
        if (ms !== undefined) k.kinfo.push(ms);
      }
    }
    progress(`kernel_info round trips ${kinfoIters}/${kinfoIters}`);
  } finally {
    for (const [k, c] of clients) await stop(k, c);
  }
}

// --- reporting ----------------------------------------------------------------------------------

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  if (q === 0.5) {
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  }
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]; // nearest rank
}
const median = (xs: number[]) => quantile(xs, 0.5);
const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : "NA");

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n");
}

export async function main(args: string[]): Promise<void> {
  let o: Options;
  try {
    o = parseArgs(args);
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 2;
    return;
  }
  const ks = kernels(o);
  const cpu = os.cpus();
  console.log(
    `kernel-latency on ${cpu.length} vCPU (${cpu[0]?.model.trim() ?? "unknown CPU"}), node ${process.version}, ${os.platform()} ${os.release()}`,
  );
  console.log(`${o.starts} starts per kernel; ${o.warmup} warm-up + ${o.iters} timed executions of 1+1, then ${Math.min(o.iters, KINFO_ITERS)} timed kernel_info requests, per kernel; kernels interleaved round-robin`);
  for (const k of ks) if (k.missing) console.log(`${k.name}: cannot be run: ${k.missing}`);
  const t0 = performance.now();
  const progress = (s: string) => process.stderr.write(`  [${((performance.now() - t0) / 1000).toFixed(1)} s] ${s}\n`);

  const load = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");
  const loadBefore = load();
  await measureStartups(ks, o, progress);
  const importStartups = await measureImportStartups(ks, o, progress);
  await measureRoundTrips(ks, o, progress);
  const loadAfter = load();

  console.log("");
  const rows = [["kernel", "start-up med", "min", "max", "n", "(ready med)", "rtt med", "p90", "min", "max", "n", "kernel_info med", "shutdown med"]];
  for (const k of ks) {
    rows.push([
      k.name,
      fmt(median(k.startup), 0),
      fmt(Math.min(...k.startup), 0),
      fmt(Math.max(...k.startup), 0),
      String(k.startup.length),
      fmt(median(k.ready), 0),
      fmt(median(k.rtt), 2),
      fmt(quantile(k.rtt, 0.9), 2),
      fmt(Math.min(...k.rtt), 2),
      fmt(Math.max(...k.rtt), 2),
      String(k.rtt.length),
      fmt(median(k.kinfo), 2),
      fmt(median(k.shutdown), 0),
    ]);
  }
  console.log(table(rows));
  console.log("all times in ms; start-up = spawn + kernel_info handshake + first 1+1 executed; ready = spawn + handshake only;");
  console.log("rtt = execute_request of 1+1 until execute_reply and idle; kernel_info = the same for kernel_info_request (no code run);");
  console.log("shutdown = shutdown_request until the kernel process has exited");
  if (importStartups.length) {
    console.log(`seqlab start-up to a first cell that imports seqlab (${JSON.stringify(IMPORT_CELL.split("\n")[0])}): med ${fmt(median(importStartups), 0)} ms, min ${fmt(Math.min(...importStartups), 0)}, n ${importStartups.length}`);
  }
  console.log(`load average (1/5/15 min) before: ${loadBefore}, after: ${loadAfter} on ${cpu.length} vCPU; well above ${cpu.length} means other work competed`);
  for (const k of ks) {
    if (k.unanswered) console.log(`note: ${k.name}: ${k.unanswered} of ${k.stops} shutdown_request(s) got no shutdown_reply plus idle status before the kernel exited (KernelClient.shutdown() would wait 5 s for them)`);
    if (k.killed) console.log(`note: ${k.name}: ${k.killed} of ${k.stops} shutdown(s) needed SIGKILL`);
  }
  console.log("");

  for (const k of ks) {
    if (k.missing) console.log(`${k.name} COULD NOT BE RUN: ${k.missing}`);
    else if (k.failure) console.log(`${k.name} FAILED: ${k.failure}${k.rtt.length || k.startup.length ? " (the samples taken before are reported)" : ""}`);
  }

  const by = Object.fromEntries(ks.map((k) => [k.name, k])) as Record<Name, Kernel>;
  // Samples taken before a failure still count; NA only where there are none.
  const rtt = (n: Name) => median(by[n].rtt);
  const up = (n: Name) => median(by[n].startup);
  const ratio = rtt("seqlab") / rtt("ipykernel");
  if (Number.isFinite(rtt("seqlab")) && Number.isFinite(rtt("ipykernel"))) {
    console.log(`target: seqlab round trip <= ipykernel's: ${ratio <= 1 ? "met" : "NOT met"} (${fmt(rtt("seqlab"), 2)} vs ${fmt(rtt("ipykernel"), 2)} ms)`);
  }
  if (Number.isFinite(up("seqlab"))) {
    const how = snapshotUsable() ? "from the start-up snapshot" : "without a start-up snapshot (build one: node dist/kernel/snapshotblob.js)";
    console.log(`target: seqlab start-up < 1500 ms: ${up("seqlab") < 1500 ? "met" : "NOT met"} (${fmt(up("seqlab"), 0)} ms, ${how})`);
  }

  let exit = 0;
  if (!Number.isFinite(rtt("ipykernel"))) {
    console.error("kernel-latency: ipykernel was not measured, so the ratio seqlab/ipykernel cannot be computed");
    exit = 1;
  }
  if (!Number.isFinite(rtt("seqlab")) || !Number.isFinite(up("seqlab"))) {
    console.error("kernel-latency: the seqlab kernel was not measured");
    exit = 1;
  }
  for (const n of ["seqlab", "ipykernel"] as const) {
    if (by[n].failure) {
      console.error(`kernel-latency: ${n} failed during the run (see above)`);
      exit = 1;
    }
  }
  console.log(
    `kernel-latency: seqlab_rtt_ms=${fmt(rtt("seqlab"), 2)} ipykernel_rtt_ms=${fmt(rtt("ipykernel"), 2)} tslab_rtt_ms=${fmt(rtt("tslab"), 2)} ` +
      `seqlab_startup_ms=${fmt(up("seqlab"), 0)} tslab_startup_ms=${fmt(up("tslab"), 0)} ipykernel_startup_ms=${fmt(up("ipykernel"), 0)} ratio=${fmt(ratio, 3)}`,
  );
  if (exit) process.exitCode = exit;
}
