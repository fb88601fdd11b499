// `npm run bench -- classroom [--students N] [--notebooks 00-kernel-tour.ipynb,03-char-rnn.ipynb]`
//
// The hub test's classroom (test/hub/classroom.ts: Debian's JupyterHub with
// deploy/jupyterhub/jupyterhub_config.py, students who log in, start their servers through the
// REST API and run notebooks through the proxy over the kernel websocket) with N students at once,
// in quick mode. Each code cell is followed by a trivial cell (`1 + 1`) whose round trip through
// the hub is timed: what a student waits for while the rest of the class trains. Once every
// student has run the last notebook, whose kernel stays open, each student's memory is read from
// /proc (PSS: shared pages counted once across processes): their single-user server plus that
// kernel. From it, how many students a 24 GiB machine holds; the last line is
// `ratio=` that number divided by 40, the target.
import { corpusMirror } from "../test/support/prereq";
import { hubMissing } from "../test/hub/support";
import { readdirSync, readFileSync } from "fs";
import { Hub, memoryOf, Memory, NotebookRun, processesOf, serverMemory, Student } from "../test/hub/classroom";

const GiB = 2 ** 30;
const TARGET_STUDENTS = 40;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

/** The hub and its proxy: the processes of the hub's group that are no student's (kB, PSS). */
function hubMemoryKb(hub: Hub): number {
  const students = new Set(processesOf(hub.homes).map((p) => p.pid));
  let kb = 0;
  for (const d of readdirSync("/proc")) {
    const pid = Number(d);
    if (!pid || students.has(pid)) continue;
    try {
      // /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces, so count from its ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (pgrp === hub.proc.pid) kb += memoryOf(pid).pssKb;
    } catch {
      // gone meanwhile
    }
  }
  return kb;
}

export async function main(args: string[]): Promise<void> {
  const opt = (name: string, dflt: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
  };
  const n = Number(opt("students", "8"));
  if (!(n >= 1 && Number.isInteger(n))) throw new Error(`--students expects a whole number of students, got ${opt("students", "")}`);
  const notebooks = opt("notebooks", "00-kernel-tour.ipynb,03-char-rnn.ipynb").split(",");
  const missing = hubMissing();
  if (missing) throw new Error(`the classroom benchmark needs what the hub test needs: ${missing}`);

  console.log(
    `classroom: ${n} students, each running ${notebooks.join(", ")} (quick mode) at once through JupyterHub; a trivial cell after each cell`,
  );
  const hub = await Hub.start({ env: { SEQLAB_QUICK: "1", SEQLAB_DATA: corpusMirror()! } });
  try {
    const students = Array.from({ length: n }, (_, i) => new Student(hub, `student${i + 1}`));
    await Promise.all(students.map((s) => s.login()));
    const started = await Promise.all(students.map((s) => s.startServer()));
    console.log(`servers ready: ${(Math.max(...started) / 1000).toFixed(1)} s for all ${n} (started together)`);
    const t0 = Date.now();
    const runs: NotebookRun[][] = await Promise.all(
      students.map(async (s) => {
        const mine: NotebookRun[] = [];
        for (const [k, nb] of notebooks.entries()) {
          const last = k === notebooks.length - 1;
          mine.push(await s.runNotebook(`seqlab-course/${nb}`, { probe: true, measure: true, keepKernel: last }));
        }
        return mine;
      }),
    );
    console.log(`notebooks done: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const failed = runs
      .flat()
      .flatMap((r) => r.cells.filter((c) => c.status !== "ok").map((c) => `${r.notebook} cell ${c.index + 1}: ${c.error}`));
    if (failed.length) throw new Error(`cells failed:\n${failed.join("\n")}`);

    const probes = students.flatMap((s) => s.probes);
    console.log(
      `trivial cell under load (${probes.length} cells): median ${quantile(probes, 0.5).toFixed(0)} ms, p95 ${quantile(probes, 0.95).toFixed(0)} ms`,
    );

    const idle = runs.map((r) => r[0].idleKernel).filter((m): m is Memory => !!m);
    const after = runs.map((r) => r[r.length - 1].afterKernel).filter((m): m is Memory => !!m);
    if (after.length !== n) throw new Error(`found ${after.length} of ${n} kernels to measure`);
    const servers = students.map((s) => serverMemory(hub.homes, s.name)).filter((m): m is Memory => !!m);
    if (servers.length !== n) throw new Error(`found ${servers.length} of ${n} single-user servers to measure`);
    // Memory is read once every kernel is done, all at the same moment, so that shared pages are
    // divided among all of them (PSS).
    const now = after.map((m) => memoryOf(m.pid));
    const serversNow = servers.map((m) => memoryOf(m.pid));
    const perStudent = now.map((k, i) => k.pssKb + serversNow[i].pssKb);
    const hubKb = hubMemoryKb(hub);
    console.log(
      `idle kernel (started, before its first cell): RSS median ${mb(
        quantile(
          idle.map((m) => m.rssKb),
          0.5,
        ),
      )}, PSS median ${mb(
        quantile(
          idle.map((m) => m.pssKb),
          0.5,
        ),
      )}`,
    );
    console.log(
      `kernel after ${notebooks[notebooks.length - 1]}: RSS median ${mb(
        quantile(
          now.map((m) => m.rssKb),
          0.5,
        ),
      )}, max ${mb(Math.max(...now.map((m) => m.rssKb)))}; PSS median ${mb(
        quantile(
          now.map((m) => m.pssKb),
          0.5,
        ),
      )}`,
    );
    console.log(
      `single-user server: PSS median ${mb(
        quantile(
          serversNow.map((m) => m.pssKb),
          0.5,
        ),
      )}`,
    );
    const mean = perStudent.reduce((a, b) => a + b, 0) / n;
    console.log(
      `per student (server + kernel, PSS): mean ${mb(mean)}, max ${mb(Math.max(...perStudent))}; the hub and its proxy ${mb(hubKb)}`,
    );
    const students24 = Math.floor(((24 * GiB) / 1024 - hubKb) / Math.max(...perStudent));
    console.log(`students a 24 GiB machine holds (each at this class's largest, ${mb(Math.max(...perStudent))}): ${students24}`);
    console.log(`ratio=${(students24 / TARGET_STUDENTS).toFixed(2)}`);
  } finally {
    await hub.stop();
  }
}
