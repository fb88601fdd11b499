// A classroom on one machine, for the `hub` tests and `npm run bench -- classroom`: Debian's
// JupyterHub with deploy/jupyterhub/jupyterhub_config.py (DummyAuthenticator,
// SimpleLocalProcessSpawner, 127.0.0.1), N students who log in through the hub's login form, start
// their servers through the hub's REST API and run notebooks of the course, all at once, through
// the hub's proxy over the kernel websocket with JupyterLab's own client library
// (@jupyterlab/services: sessions, kernel connections, execute requests, stdin replies).
import { ChildProcess, spawn } from "child_process";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync } from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { KernelMessage, KernelConnection, ServerConnection, SessionAPI } from "@jupyterlab/services";
import { KernelClient } from "../../kernel/tools/client";
import { ROOT, CLI, tempDir } from "../support/tools";

// JupyterLab's client logs each websocket it opens, and each reconnect: against Debian's notebook
// server 6.4, which offers no kernel websocket subprotocol, the first connection of each kernel
// (which asks for one) is refused by the ws package and the client reconnects without, as it is
// written to. Kept out of the test's output; any other message still shows.
for (const level of ["debug", "warn"] as const) {
  const original = console[level].bind(console);
  console[level] = (...args: unknown[]) => {
    if (typeof args[0] === "string" && /^(Starting WebSocket: |Connection lost, reconnecting in \d+ seconds\.)/.test(args[0])) return;
    original(...args);
  };
}

export const HUB_CONFIG = path.join(ROOT, "deploy", "jupyterhub", "jupyterhub_config.py");
export const JUPYTERHUB = "/usr/bin/jupyterhub";
const PASSWORD = "seqlab-class";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `check` until it returns a value, or fail naming `what` after `ms`. */
async function until<T>(
  what: string,
  ms: number,
  check: () => Promise<T | undefined> | T | undefined,
  detail: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s${detail() ? `\n${detail()}` : ""}`);
    await sleep(250);
  }
}

// ---- outputs as a front end keeps them --------------------------------------------------------

/** One output as a notebook stores it after the front end applied every message. */
export interface Output {
  type: string;
  /** Stream name, or the sorted mimetypes of a display / result, or the error's name. */
  kind: string;
  /** Text (stream text, text/plain, or the error's value), digits masked: what must arrive, not timings. */
  text: string;
  displayId?: string;
}

export interface CellRun {
  index: number;
  status: string;
  ms: number;
  outputs: Output[];
  error?: string;
}

const mask = (s: string) => s.replace(/\d[\d.,:eE+-]*/g, "#");

/** Applies iopub messages to per-cell outputs as JupyterLab's output areas do (clear_output wait, display updates by id). */
export class OutputModel {
  readonly cells: Output[][] = [];
  private clearPending = new Map<number, boolean>();

  private add(cell: number, out: Output) {
    if (this.clearPending.get(cell)) {
      this.cells[cell] = [];
      this.clearPending.set(cell, false);
    }
    const list = (this.cells[cell] ??= []);
    const last = list[list.length - 1];
    if (out.type === "stream" && last?.type === "stream" && last.kind === out.kind) last.text += out.text;
    else list.push(out);
  }

  apply(cell: number, msg: KernelMessage.IIOPubMessage) {
    const c: any = msg.content;
    this.cells[cell] ??= [];
    switch (msg.header.msg_type) {
      case "stream":
        this.add(cell, { type: "stream", kind: c.name, text: c.text });
        break;
      case "display_data":
      case "execute_result":
        this.add(cell, {
          type: msg.header.msg_type,
          kind: Object.keys(c.data).sort().join(","),
          text: String(c.data["text/plain"] ?? ""),
          displayId: c.transient?.display_id,
        });
        break;
      case "update_display_data":
        for (const list of this.cells)
          for (const o of list ?? [])
            if (o.displayId && o.displayId === c.transient?.display_id)
              Object.assign(o, { kind: Object.keys(c.data).sort().join(","), text: String(c.data["text/plain"] ?? "") });
        break;
      case "error":
        this.add(cell, { type: "error", kind: c.ename, text: c.evalue });
        break;
      case "clear_output":
        if (c.wait) this.clearPending.set(cell, true);
        else this.cells[cell] = [];
        break;
    }
  }

  /** The outputs with digits masked (timings, counts and losses may differ; what arrived may not). */
  masked(cell: number): Output[] {
    return (this.cells[cell] ?? []).map((o) => ({ type: o.type, kind: o.kind, text: mask(o.text) }));
  }
}

/** The code cells of a notebook of the course. */
export function codeCells(notebook: string): string[] {
  const nb = JSON.parse(readFileSync(notebook, "utf8"));
  return nb.cells.filter((c: any) => c.cell_type === "code").map((c: any) => (Array.isArray(c.source) ? c.source.join("") : c.source));
}

// ---- the hub ------------------------------------------------------------------------------------

export interface HubOptions {
  /** Environment for the hub on top of the settings made here (SEQLAB_QUICK, SEQLAB_DATA...). */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export class Hub {
  readonly url: string;
  private constructor(
    readonly root: string,
    readonly port: number,
    readonly homes: string,
    readonly proc: ChildProcess,
    readonly logFile: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** The kernelspec into a shared prefix, then `jupyterhub -f deploy/jupyterhub/jupyterhub_config.py`. */
  static async start(opts: HubOptions = {}): Promise<Hub> {
    const root = tempDir("seqlab-hub-");
    const homes = path.join(root, "homes");
    const state = path.join(root, "state");
    const kernels = path.join(root, "kernels");
    for (const d of [homes, state]) mkdirSync(d);
    // The kernel, for every user, as an admin installs it (a shared prefix instead of --sys-prefix,
    // which would write into this machine's /usr/share/jupyter).
    const install = spawn(process.execPath, [CLI, "install", "--prefix", kernels, "--no-snapshot"], { stdio: "pipe" });
    const code = await new Promise((r) => install.once("exit", r));
    if (code !== 0) throw new Error(`seqlab install --prefix ${kernels} exited ${code}`);
    const [port, apiPort, proxyApiPort] = [await freePort(), await freePort(), await freePort()];
    const logFile = path.join(root, "jupyterhub.log");
    const out = openSync(logFile, "a");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SEQLAB_HUB_PORT: String(port),
      SEQLAB_HUB_API_PORT: String(apiPort),
      SEQLAB_PROXY_API_PORT: String(proxyApiPort),
      SEQLAB_HUB_STATE: state,
      SEQLAB_HUB_HOMES: homes,
      SEQLAB_HUB_PASSWORD: PASSWORD,
      SEQLAB_KERNEL_PREFIX: kernels,
      SEQLAB_COMMAND: `${process.execPath} ${CLI}`,
      ...opts.env,
    };
    delete env.NODE_OPTIONS;
    // Its own process group: the hub, its proxy and the servers it spawns, ended together.
    const proc = spawn("/usr/bin/python3", [JUPYTERHUB, "-f", HUB_CONFIG], {
      cwd: state,
      env,
      stdio: ["ignore", out, out],
      detached: true,
    });
    const hub = new Hub(root, port, homes, proc, logFile);
    await until(
      "JupyterHub answering on its proxy",
      120_000,
      async () => {
        if (proc.exitCode !== null) throw new Error(`jupyterhub exited ${proc.exitCode}:\n${hub.logTail()}`);
        try {
          const r = await fetch(`${hub.url}/hub/api`);
          return r.ok ? true : undefined;
        } catch {
          return undefined;
        }
      },
      () => hub.logTail(),
    );
    return hub;
  }

  logTail(n = 40): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-n).join("\n") : "";
  }

  /** Stop the hub (it stops the servers and the proxy), then anything of its group still running. */
  async stop() {
    if (this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc.once("exit", r));
      this.proc.kill("SIGTERM");
      await Promise.race([exited, sleep(30_000)]);
    }
    try {
      process.kill(-this.proc.pid!, "SIGKILL");
    } catch {
      // the group is gone
    }
    // Servers (and their kernels) the spawner started in sessions of their own.
    for (const p of processesOf(this.homes)) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

// ---- a student ----------------------------------------------------------------------------------

/** A cookie jar of one: the hub's login cookies, for the requests a browser would make. */
class Browser {
  private cookies = new Map<string, string>();
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("Cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const r = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const c of (r.headers as unknown as { getSetCookie(): string[] }).getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
    return r;
  }
}

export interface NotebookRun {
  notebook: string;
  cells: CellRun[];
  /** Kernel memory once the session's kernel answered, before its first cell (kB, from /proc). */
  idleKernel?: Memory;
  /** Kernel memory after the last cell. */
  afterKernel?: Memory;
  model: OutputModel;
}

export interface Memory {
  pid: number;
  rssKb: number;
  pssKb: number;
}

export class Student {
  token = "";
  readonly probes: number[] = [];
  constructor(
    readonly hub: Hub,
    readonly name: string,
  ) {}

  get home() {
    return path.join(this.hub.homes, this.name);
  }

  /** The hub's login form (DummyAuthenticator), then an API token of the student's own, as the hub's token page makes one. */
  async login(): Promise<void> {
    const b = new Browser();
    await b.request(`${this.hub.url}/hub/login`);
    const form = new URLSearchParams({ username: this.name, password: PASSWORD });
    const r = await b.request(`${this.hub.url}/hub/login`, { method: "POST", body: form });
    if (r.status !== 302) throw new Error(`login of ${this.name}: HTTP ${r.status} (expected a redirect after a successful login)`);
    const t = await b.request(`${this.hub.url}/hub/api/users/${this.name}/tokens`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Referer: `${this.hub.url}/hub/token` },
      body: JSON.stringify({ note: "seqlab classroom test", expires_in: 3600 }),
    });
    if (t.status !== 201 && t.status !== 200) throw new Error(`token for ${this.name}: HTTP ${t.status}: ${await t.text()}`);
    this.token = (await t.json()).token;
  }

  private api(p: string, init: RequestInit = {}) {
    return fetch(`${this.hub.url}/hub/api${p}`, { ...init, headers: { Authorization: `token ${this.token}`, ...(init.headers ?? {}) } });
  }

  /** POST /hub/api/users/NAME/server, then wait until the hub says it is ready. */
  async startServer(timeoutMs = 300_000): Promise<number> {
    const t0 = Date.now();
    const r = await this.api(`/users/${this.name}/server`, { method: "POST" });
    if (r.status !== 201 && r.status !== 202) throw new Error(`starting ${this.name}'s server: HTTP ${r.status}: ${await r.text()}`);
    await until(
      `${this.name}'s server ready`,
      timeoutMs,
      async () => {
        const u = await (await this.api(`/users/${this.name}`)).json();
        const s = u.servers?.[""];
        if (!s && !u.pending) throw new Error(`${this.name}'s server stopped while starting:\n${this.hub.logTail()}`);
        return s?.ready ? true : undefined;
      },
      () => this.hub.logTail(),
    );
    return Date.now() - t0;
  }

  settings(): ServerConnection.ISettings {
    return ServerConnection.makeSettings({
      baseUrl: `${this.hub.url}/user/${this.name}/`,
      wsUrl: `ws://127.0.0.1:${this.hub.port}/user/${this.name}/`,
      token: this.token,
      appendToken: true,
      WebSocket: require("ws") as typeof WebSocket,
    });
  }

  /**
   * Open the notebook as JupyterLab does (a session for its path starts a kernel in its folder),
   * run its code cells in order, each followed by a trivial cell whose round trip is timed (the
   * latency a student sees while the class trains), and close the session.
   */
  async runNotebook(rel: string, opts: { probe?: boolean; keepKernel?: boolean; measure?: boolean } = {}): Promise<NotebookRun> {
    const settings = this.settings();
    const file = path.join(this.home, rel);
    const cells = codeCells(file);
    const session = await SessionAPI.startSession(
      { path: rel, type: "notebook", name: path.basename(rel), kernel: { name: "seqlab" } } as any,
      settings,
    );
    const kernel = new KernelConnection({ model: session.kernel!, serverSettings: settings, username: this.name, handleComms: true });
    const run: NotebookRun = { notebook: rel, cells: [], model: new OutputModel() };
    try {
      await kernel.info;
      if (opts.measure) run.idleKernel = kernelMemory(session.kernel!.id);
      for (let i = 0; i < cells.length; i++) {
        run.cells.push(await this.execute(kernel, cells[i], i, run.model, `${rel}, code cell ${i + 1}`));
        if (opts.probe) {
          const t0 = performance.now();
          const probe = await this.execute(kernel, "1 + 1", -1, run.model, `${rel}, the trivial cell after code cell ${i + 1}`);
          if (probe.status !== "ok") throw new Error(`${this.name}: the trivial cell failed: ${probe.error}`);
          this.probes.push(performance.now() - t0);
        }
      }
      if (opts.measure) run.afterKernel = kernelMemory(session.kernel!.id);
    } finally {
      kernel.dispose();
      if (!opts.keepKernel) await SessionAPI.shutdownSession(session.id, settings);
    }
    return run;
  }

  private async execute(kernel: KernelConnection, code: string, index: number, model: OutputModel, where: string): Promise<CellRun> {
    const t0 = performance.now();
    const future = kernel.requestExecute({ code, silent: false, store_history: true, allow_stdin: true, stop_on_error: true });
    future.onIOPub = (msg) => {
      if (index >= 0) model.apply(index, msg);
    };
    // input(): answered as a student would type it.
    future.onStdin = (msg) => {
      if (msg.header.msg_type === "input_request") kernel.sendInputReply({ status: "ok", value: "Ada" }, msg.header as any);
    };
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name}, ${where}: no reply within ${CELL_LIMIT_MS / 1000} s\n${kernelReport(kernel.id)}`)),
        CELL_LIMIT_MS,
      );
    });
    const reply = await Promise.race([future.done, stuck]).finally(() => clearTimeout(timer));
    const c: any = reply.content;
    return {
      index,
      status: c.status,
      ms: performance.now() - t0,
      outputs: index >= 0 ? model.masked(index) : [],
      error: c.status === "error" ? `${c.ename}: ${c.evalue}` : undefined,
    };
  }

  async stopServer() {
    await this.api(`/users/${this.name}/server`, { method: "DELETE" });
  }
}

// ---- processes and memory ------------------------------------------------------------------------

/**
 * A cell with no reply after this long fails, naming the student, the notebook and the cell, with
 * what its kernel process was doing (kernelReport). Alone, each cell of the quick notebooks takes
 * seconds; the whole class's run takes 1-2 minutes on 2 cores.
 */
export const CELL_LIMIT_MS = 8 * 60_000;

/** A process's state letter and CPU seconds, from /proc/PID/stat (or /proc/PID/task/TID/stat). */
function procStat(file: string): { name: string; state: string; cpuS: number } | undefined {
  try {
    const s = readFileSync(file, "utf8");
    const name = s.slice(s.indexOf("(") + 1, s.lastIndexOf(")"));
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { name, state: f[0], cpuS: (Number(f[11]) + Number(f[12])) / 100 }; // utime, stime in clock ticks (100/s)
  } catch {
    return undefined;
  }
}

/**
 * What the kernel process with this id is doing: each thread's name, state (R running, S asleep)
 * and CPU seconds, and the machine's load: tells a kernel that computes from one that waits.
 */
export function kernelReport(kernelId: string): string {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
  for (const d of readdirSync("/proc")) {
    const pid = Number(d);
    if (!pid || !cmdline(pid).some((a) => a.includes(`kernel-${kernelId}.json`))) continue;
    const main = procStat(`/proc/${pid}/stat`);
    let threads: string[] = [];
    try {
      threads = readdirSync(`/proc/${pid}/task`).map((tid) => {
        const t = procStat(`/proc/${pid}/task/${tid}/stat`);
        return t ? `${t.name} ${t.state} ${t.cpuS.toFixed(1)}s` : `${tid} ?`;
      });
    } catch {
      // it ended meanwhile
    }
    return `kernel ${kernelId}: pid ${pid}, state ${main?.state}, ${main?.cpuS.toFixed(1)} CPU s; threads: ${threads.join(", ")}; load ${load}`;
  }
  return `kernel ${kernelId}: no such process now; load ${load}`;
}

function environ(pid: number): Map<string, string> {
  try {
    return new Map(
      readFileSync(`/proc/${pid}/environ`, "utf8")
        .split("\0")
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)] as [string, string]),
    );
  } catch {
    return new Map();
  }
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** Processes whose HOME is inside `homes` (the servers and kernels of this hub's students). */
export function processesOf(homes: string): { pid: number; argv: string[]; user: string }[] {
  const found = [];
  for (const d of readdirSync("/proc")) {
    const pid = Number(d);
    if (!pid) continue;
    const home = environ(pid).get("HOME");
    if (home && home.startsWith(homes + path.sep))
      found.push({ pid, argv: cmdline(pid), user: path.relative(homes, home).split(path.sep)[0] });
  }
  return found;
}

export function memoryOf(pid: number): Memory {
  const s = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const field = (k: string) => Number(s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
  return { pid, rssKb: field("Rss"), pssKb: field("Pss") };
}

/** The kernel process with this kernel id (its connection file is named after it). */
export function kernelMemory(kernelId: string): Memory | undefined {
  for (const d of readdirSync("/proc")) {
    const pid = Number(d);
    if (pid && cmdline(pid).some((a) => a.includes(`kernel-${kernelId}.json`))) {
      try {
        return memoryOf(pid);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** A single-user server's memory (its python process), for one student. */
export function serverMemory(homes: string, user: string): Memory | undefined {
  const p = processesOf(homes).find((q) => q.user === user && q.argv.some((a) => a.includes("jupyterhub-singleuser")));
  return p && memoryOf(p.pid);
}

// ---- the reference ----------------------------------------------------------------------------------

/**
 * The same notebook run once by this package's own client straight over zeromq, alone on the
 * machine: the outputs every student's run through the hub must show too.
 */
export async function referenceRun(notebook: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Output[][]> {
  const k = await KernelClient.start({ cwd, env });
  k.onInput = () => "Ada";
  const model = new OutputModel();
  const cells = codeCells(notebook);
  try {
    for (let i = 0; i < cells.length; i++) {
      const r = await k.execute(cells[i]);
      for (const m of r.outputs) model.apply(i, m as unknown as KernelMessage.IIOPubMessage);
      if (r.reply.content.status !== "ok")
        throw new Error(
          `reference run of ${path.basename(notebook)}: cell ${i + 1} failed: ${r.reply.content.ename}: ${r.reply.content.evalue}`,
        );
    }
  } finally {
    await k.shutdown();
  }
  return cells.map((_, i) => model.masked(i));
}
