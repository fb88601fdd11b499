// kernel-latency: what a learner's cells cost in seqlab against ipykernel, measured in the same
// run, through Debian's jupyter_client (the client JupyterLab's server and nbclient use; a Python
// driver, bench/jupyter/kernel_latency.py) and through seqlab's own client (kernel/tools/client.ts).
//
//   npm run bench -- kernel-latency [--starts N] [--iters N] [--declaring N] [--warmup N]
//                                   [--python PATH] [--client jupyter|own|both] [--verbose]
//
// Workloads, each cell different from the last (a kernel that caches a repeated cell is not
// measured on what a notebook does):
//   start-up   a fresh kernel until the result of its first cell (`1+1`);
//   plain      `N + 1` with N the iteration;
//   declaring  a `const` and a function with new names each time, timed over a session of
//              --declaring cells (400): the median of all of them, and the 10th against the
//              400th (medians of cells 6-15 and 391-400).
// A cell's time: from sending its execute_request until its execute_reply and its idle status
// have both arrived. Kernels run interleaved, the order rotated every round. The last line of the
// output is a summary ending in ratio= (the declaring cell, seqlab / ipykernel, jupyter_client).
import { spawnSync } from "child_process";
import { existsSync, readdirSync, readFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { KernelClient } from "../kernel/tools/client";
import { kernelCommand, snapshotUsable } from "../kernel/server/snapshotblob";
import { tempDir } from "../test/support/tools";

type Name = "seqlab" | "ipykernel";
type Client = "jupyter" | "own";

interface Options {
  starts: number;
  iters: number;
  declaring: number;
  warmup: number;
  python: string;
  clients: Client[];
  verbose: boolean;
}

/** Samples in ms, per kernel. */
interface Samples {
  startup: number[];
  plain: number[];
  declaring: number[];
}

const ROOT = path.resolve(__dirname, "..", "..");
const DRIVER = path.join(ROOT, "bench", "jupyter", "kernel_latency.py");
const CELL_TIMEOUT_MS = 60_000;

/** The same work in both languages. */
const CELLS: Record<Name, { first: string; plain: string; declaring: string }> = {
  seqlab: { first: "1+1", plain: "{i} + 1", declaring: "const c{i} = {i};\nfunction f{i}(x: number) { return x + c{i}; }" },
  ipykernel: { first: "1+1", plain: "{i} + 1", declaring: "c{i} = {i}\ndef f{i}(x):\n    return x + c{i}" },
};

/**
 * The 10th and the 400th declaring cell: medians of a window of 10 cells around each. The 10th
 * runs before the JIT has compiled much of the compiler, so the 100th (cells 91-100) is shown
 * too: growth from there is the converter's, not warm-up.
 */
const EARLY: [number, number] = [5, 15];
const MID: [number, number] = [90, 100];
const lateWindow = (n: number): [number, number] => [n - 10, n];

function parseArgs(args: string[]): Options {
  const o: Options = {
    starts: 5,
    iters: 100,
    declaring: 400,
    warmup: 10,
    python: "/usr/bin/python3",
    clients: ["jupyter", "own"],
    verbose: false,
  };
  const count = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min)
      throw new Error(`kernel-latency: ${flag} expects an integer >= ${min}, got ${JSON.stringify(v)}`);
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
      case "--declaring":
        o.declaring = count(a, args[++i], 20);
        break;
      case "--warmup":
        o.warmup = count(a, args[++i], 0);
        break;
      case "--python":
        if (args[i + 1] === undefined) throw new Error("kernel-latency: --python expects a path");
        o.python = args[++i];
        break;
      case "--client": {
        const v = args[++i];
        if (v !== "jupyter" && v !== "own" && v !== "both")
          throw new Error(`kernel-latency: --client expects jupyter, own or both, got ${JSON.stringify(v)}`);
        o.clients = v === "both" ? ["jupyter", "own"] : [v];
        break;
      }
      case "--verbose":
        o.verbose = true;
        break;
      default:
        throw new Error(
          `kernel-latency: unknown argument ${JSON.stringify(a)}; accepted: --starts N --iters N --declaring N --warmup N --python PATH --client jupyter|own|both --verbose`,
        );
    }
  }
  return o;
}

/** Why the Python side cannot run, or undefined. */
function pythonMissing(py: string): string | undefined {
  if (!existsSync(py)) return `${py} does not exist`;
  const r = spawnSync(py, ["-c", "import jupyter_client, ipykernel"], { encoding: "utf8" });
  if (r.status !== 0)
    return `${py} cannot import jupyter_client and ipykernel (apt-get install jupyter-client python3-ipykernel): ${(r.stderr || "").trim().split("\n").pop()}`;
  return undefined;
}

/** Kernel processes get their own history and IPython folders, not the user's. */
function kernelEnv(): NodeJS.ProcessEnv {
  const home = tempDir("seqlab-latency-home-");
  return { ...process.env, XDG_DATA_HOME: path.join(home, "data"), IPYTHONDIR: path.join(home, "ipython") };
}

// --- through jupyter_client ----------------------------------------------------------------------

function measureJupyter(o: Options, progress: (s: string) => void): Record<Name, Samples> {
  // The kernelspec `seqlab install` writes, in a prefix of its own: what a user's Jupyter starts.
  const prefix = tempDir("seqlab-latency-ks-");
  const inst = spawnSync(process.execPath, [path.join(ROOT, "dist", "kernel", "tools", "cli.js"), "install", "--prefix", prefix], {
    encoding: "utf8",
  });
  if (inst.status !== 0) throw new Error(`seqlab install --prefix failed: ${inst.stderr}`);
  const plan = {
    cwd: ROOT,
    starts: o.starts,
    iters: o.iters,
    warmup: o.warmup,
    declaring: o.declaring,
    // python3: ipykernel's kernelspec (Debian's, or the one jupyter_client makes for the ipykernel it can import).
    kernels: [
      { name: "seqlab", spec: "seqlab" },
      { name: "ipykernel", spec: "python3" },
    ],
    cells: CELLS,
  };
  progress("through jupyter_client (bench/jupyter/kernel_latency.py)");
  // -Xfrozen_modules=off: the ipykernel package imports its debugger, which otherwise warns at once.
  const r = spawnSync(o.python, ["-Xfrozen_modules=off", DRIVER], {
    input: JSON.stringify(plan),
    encoding: "utf8",
    env: { ...kernelEnv(), JUPYTER_PATH: path.join(prefix, "share", "jupyter"), ...(o.verbose ? { KERNEL_LATENCY_VERBOSE: "1" } : {}) },
    stdio: ["pipe", "pipe", "inherit"],
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`the jupyter_client driver failed (status ${r.status ?? r.signal})`);
  return JSON.parse(r.stdout);
}

// --- through seqlab's own client -------------------------------------------------------------------
// KernelClient.start() does not hand back the process when a kernel never answers, so a kernel
// that hangs at start-up would outlive the benchmark: such leftovers are found among our own
// children (Linux /proc) and ended by pid.

function ownChildren(): Set<number> {
  const pids = new Set<number>();
  if (process.platform !== "linux") return pids;
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === process.pid) pids.add(Number(d));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

async function startOwn(name: Name, o: Options, env: NodeJS.ProcessEnv): Promise<KernelClient> {
  const argv =
    name === "seqlab"
      ? [...kernelCommand(), "kernel", "-f", "{connection_file}"]
      : [o.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"];
  const before = ownChildren();
  try {
    return await KernelClient.start({ argv, cwd: ROOT, env, stderr: o.verbose ? "inherit" : "ignore" });
  } catch (e) {
    for (const pid of ownChildren()) if (!before.has(pid)) process.kill(pid, "SIGKILL");
    throw new Error(`${name} did not start: ${(e as Error).message}`);
  }
}

async function runOwn(name: Name, c: KernelClient, code: string, expect?: string): Promise<number> {
  const t0 = performance.now();
  const r = await c.execute(code, { timeoutMs: CELL_TIMEOUT_MS });
  const ms = performance.now() - t0;
  if (r.reply.content.status !== "ok")
    throw new Error(`${name}: ${JSON.stringify(code)}: ${r.reply.content.ename}: ${r.reply.content.evalue}`);
  const shown = r.outputs.find((m) => m.header.msg_type === "execute_result")?.content?.data?.["text/plain"];
  if (expect !== undefined && shown !== expect)
    throw new Error(`${name}: ${JSON.stringify(code)} gave ${JSON.stringify(shown)}, expected ${expect}`);
  return ms;
}

const rotate = <T>(xs: T[], r: number): T[] => xs.map((_, i) => xs[(i + r) % xs.length]);
const NAMES: Name[] = ["seqlab", "ipykernel"];

async function measureOwn(o: Options, progress: (s: string) => void): Promise<Record<Name, Samples>> {
  const env = kernelEnv();
  const out: Record<Name, Samples> = {
    seqlab: { startup: [], plain: [], declaring: [] },
    ipykernel: { startup: [], plain: [], declaring: [] },
  };
  for (let r = 0; r < o.starts; r++) {
    for (const name of rotate(NAMES, r)) {
      const t0 = performance.now();
      const c = await startOwn(name, o, env);
      try {
        await runOwn(name, c, CELLS[name].first, "2");
        out[name].startup.push(performance.now() - t0);
      } finally {
        await c.shutdown();
      }
    }
  }
  progress(`  own client: ${o.starts} start-up rounds`);
  const session = async (work: (clients: Map<Name, KernelClient>) => Promise<void>) => {
    const clients = new Map<Name, KernelClient>();
    try {
      for (const name of NAMES) clients.set(name, await startOwn(name, o, env));
      await work(clients);
    } finally {
      for (const c of clients.values()) await c.shutdown();
    }
  };
  await session(async (clients) => {
    for (let i = 0; i < o.warmup + o.iters; i++) {
      for (const name of rotate(NAMES, i)) {
        const ms = await runOwn(name, clients.get(name)!, CELLS[name].plain.replaceAll("{i}", String(i)), String(i + 1));
        if (i >= o.warmup) out[name].plain.push(ms);
      }
    }
  });
  progress(`  own client: ${o.iters} plain cells`);
  await session(async (clients) => {
    for (let i = 0; i < o.declaring; i++) {
      for (const name of rotate(NAMES, i))
        out[name].declaring.push(await runOwn(name, clients.get(name)!, CELLS[name].declaring.replaceAll("{i}", String(i))));
      if ((i + 1) % 100 === 0) progress(`  own client: ${i + 1}/${o.declaring} declaring cells`);
    }
  });
  return out;
}

// --- reporting ----------------------------------------------------------------------------------

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : "NA");

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n");
}

interface Summary {
  startup: Record<Name, number>;
  plain: Record<Name, number>;
  declaring: Record<Name, number>;
  early: Record<Name, number>;
  mid: Record<Name, number>;
  late: Record<Name, number>;
}

function summarize(s: Record<Name, Samples>, o: Options): Summary {
  const per = (f: (x: Samples) => number) => ({ seqlab: f(s.seqlab), ipykernel: f(s.ipykernel) });
  const [lf, lt] = lateWindow(o.declaring);
  return {
    startup: per((x) => median(x.startup)),
    plain: per((x) => median(x.plain)),
    declaring: per((x) => median(x.declaring)),
    early: per((x) => median(x.declaring.slice(...EARLY))),
    mid: per((x) => median(x.declaring.slice(...MID))),
    late: per((x) => median(x.declaring.slice(lf, lt))),
  };
}

function report(title: string, m: Summary, o: Options): string[] {
  const ratio = (r: Record<Name, number>) => r.seqlab / r.ipykernel;
  const target = (ok: boolean) => (ok ? "met" : "NOT met");
  const rows = [
    ["", "seqlab ms", "ipykernel ms", "seqlab/ipykernel", "target"],
    [
      "start-up to the first result",
      fmt(m.startup.seqlab, 0),
      fmt(m.startup.ipykernel, 0),
      fmt(ratio(m.startup), 2),
      `< 1500 ms: ${target(m.startup.seqlab < 1500)}`,
    ],
    [
      "plain cell `N + 1`",
      fmt(m.plain.seqlab, 2),
      fmt(m.plain.ipykernel, 2),
      fmt(ratio(m.plain), 2),
      `<= 1.0x: ${target(ratio(m.plain) <= 1)}`,
    ],
    [
      `declaring cell (all ${o.declaring})`,
      fmt(m.declaring.seqlab, 2),
      fmt(m.declaring.ipykernel, 2),
      fmt(ratio(m.declaring), 2),
      `<= 1.5x: ${target(ratio(m.declaring) <= 1.5)}`,
    ],
    [`  the 10th (cells ${EARLY[0] + 1}-${EARLY[1]})`, fmt(m.early.seqlab, 2), fmt(m.early.ipykernel, 2), fmt(ratio(m.early), 2), ""],
    [
      `  the ${o.declaring}th (cells ${lateWindow(o.declaring)[0] + 1}-${o.declaring})`,
      fmt(m.late.seqlab, 2),
      fmt(m.late.ipykernel, 2),
      fmt(ratio(m.late), 2),
      "",
    ],
    [
      `  ${o.declaring}th / 10th`,
      fmt(m.late.seqlab / m.early.seqlab, 2),
      fmt(m.late.ipykernel / m.early.ipykernel, 2),
      "",
      `seqlab <= 1.2: ${target(m.late.seqlab / m.early.seqlab <= 1.2)}`,
    ],
  ];
  if (o.declaring >= 200) {
    rows.splice(5, 0, [
      `  the 100th (cells ${MID[0] + 1}-${MID[1]})`,
      fmt(m.mid.seqlab, 2),
      fmt(m.mid.ipykernel, 2),
      fmt(ratio(m.mid), 2),
      "",
    ]);
    rows.push([
      `  ${o.declaring}th / 100th`,
      fmt(m.late.seqlab / m.mid.seqlab, 2),
      fmt(m.late.ipykernel / m.mid.ipykernel, 2),
      "",
      "(warm: informational)",
    ]);
  }
  return [title, table(rows)];
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
  const missing = pythonMissing(o.python);
  if (missing) {
    console.error(`kernel-latency: ${missing}: ipykernel, the peer every number is compared with, cannot run`);
    process.exitCode = 1;
    return;
  }
  const cpu = os.cpus();
  console.log(
    `kernel-latency on ${cpu.length} vCPU (${cpu[0]?.model.trim() ?? "unknown CPU"}), node ${process.version}, ${os.platform()} ${os.release()}`,
  );
  console.log(
    `seqlab ${snapshotUsable() ? "from its start-up snapshot" : "without a start-up snapshot (build one: node dist/kernel/server/snapshotblob.js)"}; ${o.starts} starts, ${o.warmup} + ${o.iters} plain cells, ${o.declaring} declaring cells per kernel and client; kernels interleaved`,
  );
  const t0 = performance.now();
  const progress = (s: string) => process.stderr.write(`  [${((performance.now() - t0) / 1000).toFixed(1)} s] ${s}\n`);
  const load = () =>
    os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ");
  const loadBefore = load();
  const results = new Map<Client, Summary>();
  for (const client of o.clients) {
    const samples = client === "jupyter" ? measureJupyter(o, progress) : await measureOwn(o, progress);
    results.set(client, summarize(samples, o));
  }
  console.log("");
  const titles: Record<Client, string> = {
    jupyter: "through Debian's jupyter_client (medians):",
    own: "through seqlab's own client, kernel/tools/client.ts (medians):",
  };
  for (const [client, m] of results) console.log([...report(titles[client], m, o), ""].join("\n"));
  console.log(
    `load average (1/5/15 min) before: ${loadBefore}, after: ${load()} on ${cpu.length} vCPU; well above ${cpu.length} means other work competed`,
  );
  const j = results.get("jupyter") ?? results.get("own")!;
  const via = results.has("jupyter") ? "jupyter_client" : "own client";
  console.log(
    `kernel-latency (${via}): seqlab_startup_ms=${fmt(j.startup.seqlab, 0)} ipykernel_startup_ms=${fmt(j.startup.ipykernel, 0)} ` +
      `seqlab_plain_ms=${fmt(j.plain.seqlab, 2)} ipykernel_plain_ms=${fmt(j.plain.ipykernel, 2)} plain_ratio=${fmt(j.plain.seqlab / j.plain.ipykernel, 3)} ` +
      `seqlab_400th_over_10th=${fmt(j.late.seqlab / j.early.seqlab, 3)} seqlab_declaring_ms=${fmt(j.declaring.seqlab, 2)} ipykernel_declaring_ms=${fmt(j.declaring.ipykernel, 2)} ` +
      `ratio=${fmt(j.declaring.seqlab / j.declaring.ipykernel, 3)}`,
  );
}
