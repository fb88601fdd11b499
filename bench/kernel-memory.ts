// `npm run bench -- kernel-memory`: where a kernel's memory goes, and what a student's kernel holds
// as a notebook goes on. Two parts:
//
// 1. An idle kernel, piece by piece, each piece in a fresh node process (RSS from /proc): node
//    itself; the socket thread (a worker with zeromq); TypeScript's compiler loaded; the program a
//    kernel type-checks an empty cell in (the standard library's and @types/node's declarations,
//    parsed, bound and checked). Then the real kernel, idle, without and with the start-up snapshot.
// 2. A kernel through a notebook's life, without and with the snapshot: idle, after
//    `import ... from "seqlab"`, after `await useBackend()`, after the first chart, after every cell
//    of 03-char-rnn (quick mode). RSS and PSS from /proc, the JS heap from a cell.
//
// Memory figures on this machine are stable to a few MB (it is shared, but memory is not
// contended); run it alone for the times it prints.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { KernelClient } from "../kernel/tools/client";
import { KERNEL_NODE_FLAGS, kernelCommand, usableSnapshot } from "../kernel/server/snapshotblob";
import { corpusMirror } from "../test/support/prereq";

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "dist", "kernel", "tools", "cli.js");

function smaps(pid: number) {
  const s = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const g = (k: string) => Number(s.match(new RegExp(`^${k}:\\s+(\\d+)`, "m"))![1]) / 1024;
  return { rss: g("Rss"), pss: g("Pss") };
}

/** RSS (MB) of a fresh node process after running `code` (which must end with a settled promise). */
function pieceRss(code: string): number {
  const script = `${code}\nPromise.resolve().then(() => setTimeout(() => { global.gc?.(); const m = require("fs").readFileSync("/proc/self/status", "utf8").match(/VmRSS:\\s+(\\d+)/); console.log(Number(m[1]) / 1024); process.exit(0); }, 300));`;
  const r = spawnSync(process.execPath, ["--expose-gc", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  if (r.status !== 0) throw new Error(`piece failed: ${r.stderr}`);
  return Number(r.stdout.trim().split("\n").pop());
}

const HEAP = `const m = process.memoryUsage(); JSON.stringify({ heapUsed: m.heapUsed >> 20, heapTotal: m.heapTotal >> 20, external: m.external >> 20 })`;

async function lifeOfAKernel(label: string, argv: string[] | undefined, steps: [string, string[]][]): Promise<void> {
  const cwd = fs.mkdtempSync(path.join(require("os").tmpdir(), "seqlab-mem-"));
  const env = { ...process.env, NODE_OPTIONS: "", SEQLAB_QUICK: "1", SEQLAB_DATA: corpusMirror() ?? "" };
  const t0 = Date.now();
  const k = await KernelClient.start({ argv, cwd, env });
  const started = Date.now() - t0;
  const pid = k.proc!.pid!;
  const row = async (what: string, ms?: number) => {
    const m = smaps(pid);
    const r = await k.execute(HEAP);
    // The result is the JSON text as a string value, shown in single quotes.
    const heap = JSON.parse(r.outputs.find((o) => o.header.msg_type === "execute_result")!.content.data["text/plain"].slice(1, -1));
    console.log(
      `  ${what.padEnd(44)} RSS ${m.rss.toFixed(0).padStart(4)} MB  PSS ${m.pss.toFixed(0).padStart(4)} MB  JS heap ${String(heap.heapUsed).padStart(3)}/${String(heap.heapTotal).padStart(3)} MB  external ${String(heap.external).padStart(3)} MB${ms === undefined ? "" : `  (${(ms / 1000).toFixed(1)} s)`}`,
    );
  };
  console.log(`${label}:`);
  try {
    await new Promise((r) => setTimeout(r, 500));
    const m = smaps(pid);
    console.log(
      `  ${"idle (started, no cell yet)".padEnd(44)} RSS ${m.rss.toFixed(0).padStart(4)} MB  PSS ${m.pss.toFixed(0).padStart(4)} MB  (first answer after ${(started / 1000).toFixed(1)} s)`,
    );
    for (const [what, cells] of steps) {
      const t = Date.now();
      for (const c of cells) {
        const r = await k.execute(c);
        if (r.reply.content.status !== "ok") throw new Error(`${what}: ${r.reply.content.ename}: ${r.reply.content.evalue}`);
      }
      await row(what, Date.now() - t);
    }
  } finally {
    await k.shutdown();
  }
}

export async function main(args: string[] = []): Promise<void> {
  // --node-flags "FLAGS": also a kernel started with these node flags (no snapshot), to compare.
  const i = args.indexOf("--node-flags");
  const flags = i >= 0 ? (args[i + 1] ?? "").split(" ").filter(Boolean) : [];
  console.log("An idle kernel, piece by piece (RSS, each in a fresh node process):");
  const tsPath = require.resolve("@tslab/typescript-for-tslab", { paths: [require.resolve("tslab")] });
  const node = pieceRss("");
  const worker = pieceRss(
    `const { Worker } = require("worker_threads"); const w = new Worker('require("zeromq"); require("worker_threads").parentPort.postMessage(1)', { eval: true }); global.done = new Promise((r) => w.once("message", r));`,
  );
  const compiler = pieceRss(`global.ts = require(${JSON.stringify(tsPath)});`);
  const program = pieceRss(`
    const ts = require(${JSON.stringify(tsPath)});
    const options = { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Node10, esModuleInterop: true, target: 9, lib: ["lib.es2022.d.ts"], types: ["node"], skipLibCheck: true, noEmit: true };
    const host = ts.createCompilerHost(options);
    const read = host.readFile.bind(host); const exists = host.fileExists.bind(host);
    host.readFile = (p) => p.endsWith("cell.ts") ? "export const x = 1;" : read(p);
    host.fileExists = (p) => p.endsWith("cell.ts") || exists(p);
    global.program = ts.createProgram({ rootNames: [${JSON.stringify(path.join(ROOT, "cell.ts"))}], options, host });
    global.program.getSemanticDiagnostics();`);
  const rows: [string, number][] = [
    ["node itself", node],
    ["+ the socket thread (a worker with zeromq)", worker - node],
    ["+ TypeScript's compiler loaded", compiler - node],
    ["+ lib.es2022 and @types/node parsed, bound, checked", program - compiler],
  ];
  for (const [what, mbs] of rows) console.log(`  ${what.padEnd(54)} ${mbs.toFixed(0).padStart(4)} MB`);
  console.log(
    `  ${"= about".padEnd(54)} ${(node + (worker - node) + (program - node)).toFixed(0).padStart(4)} MB (the kernel's own code, buffers and thread stacks come on top)`,
  );

  const notebook = JSON.parse(fs.readFileSync(path.join(ROOT, "notebooks", "03-char-rnn.ipynb"), "utf8"));
  const cells03: string[] = notebook.cells
    .filter((c: any) => c.cell_type === "code")
    .map((c: any) => (Array.isArray(c.source) ? c.source.join("") : c.source));
  const steps: [string, string[]][] = [
    ['import { ... } from "seqlab"', ['import { useBackend, lineChart } from "seqlab";']],
    ["await useBackend() (wasm)", ["await useBackend({ quiet: true });"]],
    ["the first chart (lineChart)", ["await lineChart([1, 4, 9, 16], { title: 'first chart' });"]],
  ];
  const with03: [string, string[]][] = [["every cell of 03-char-rnn (quick mode, another kernel)", cells03]];
  console.log("");
  const plain = [process.execPath, CLI, "kernel", "-f", "{connection_file}"];
  const hub = [process.execPath, ...KERNEL_NODE_FLAGS, CLI, "kernel", "-f", "{connection_file}"];
  await lifeOfAKernel(
    `A kernel without the start-up snapshot, with ${KERNEL_NODE_FLAGS.join(" ")} (the launcher's choice; a hub's kernels: SEQLAB_SNAPSHOT=off)`,
    hub,
    steps,
  );
  await lifeOfAKernel("The same, 03-char-rnn", hub, with03);
  await lifeOfAKernel("A kernel without the snapshot, with V8's defaults", plain, steps);
  await lifeOfAKernel("The same, 03-char-rnn", plain, with03);
  if (flags.length) {
    await lifeOfAKernel(
      `A kernel started with ${flags.join(" ")} (no snapshot)`,
      [process.execPath, ...flags, CLI, "kernel", "-f", "{connection_file}"],
      steps,
    );
    await lifeOfAKernel("The same, 03-char-rnn", [process.execPath, ...flags, CLI, "kernel", "-f", "{connection_file}"], with03);
  }
  if (usableSnapshot()) {
    const argv = [...kernelCommand(), "kernel", "-f", "{connection_file}"];
    await lifeOfAKernel("A kernel from the start-up snapshot", argv, steps);
    await lifeOfAKernel("The same, 03-char-rnn", argv, with03);
  } else {
    console.log("(no start-up snapshot for this node: build one with node dist/kernel/server/snapshotblob.js to compare)");
  }
}
