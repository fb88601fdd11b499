#!/usr/bin/env node
// The seqlab command line: install | kernel | run | export | assignment | start | course.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { existsSync, statSync } from "fs";
import { absoluteDataEnv, typedPath } from "./typed-paths";
import * as path from "path";

/** A positive number of seconds (--timeout). */
function seconds(v: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError(`expected a positive number of seconds, got ${JSON.stringify(v)}`);
  return n;
}

/** Wrong arguments found inside a command: printed, exit status 2. */
class UsageError extends Error {}

const VERSION: string = require("../../../package.json").version;

const program = new Command("seqlab")
  .description("seqlab: a TypeScript Jupyter kernel and course on sequence models")
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride();

program
  .command("install")
  .description(
    "install the Jupyter kernelspecs 'seqlab' (\"TypeScript (seqlab)\") and 'seqlab-ko' (the same kernel with SEQLAB_LANG=ko, for notebooks/ko/), and build the start-up snapshot for this node",
  )
  .option("--user", "for the current user (the default)")
  .option("--sys-prefix", "into the Python environment's prefix (sys.prefix)")
  .option("--prefix <dir>", "into DIR/share/jupyter/kernels")
  .option("--no-snapshot", "do not build the start-up snapshot now (a kernel that finds none builds it in the background)")
  .action((o: { user?: boolean; sysPrefix?: boolean; prefix?: string; snapshot: boolean }) => {
    const chosen = [o.user, o.sysPrefix, o.prefix !== undefined].filter(Boolean).length;
    if (chosen > 1) throw new UsageError("choose one of --user, --sys-prefix and --prefix DIR");
    const { install } = require("./install") as typeof import("./install");
    const dirs = install(
      o.prefix !== undefined ? { kind: "prefix", dir: o.prefix } : o.sysPrefix ? { kind: "sys-prefix" } : { kind: "user" },
    );
    console.log(`installed kernelspecs seqlab and seqlab-ko (SEQLAB_LANG=ko) in ${path.dirname(dirs[0])}`);
    const snap = require("../server/snapshotblob") as typeof import("../server/snapshotblob");
    if (process.platform === "win32") return;
    const fits = snap.usableSnapshot();
    if (fits) {
      console.log(`start-up snapshot: ${fits} fits this node (${process.version})`);
    } else if (o.snapshot && !process.env.NODE_OPTIONS) {
      // Built here, for the node that will run the kernels, not by an install script (npm 12 blocks those).
      console.log(`building the start-up snapshot for node ${process.version} (10-60 s; --no-snapshot skips it)...`);
      console.log(snap.buildSnapshot());
    } else {
      console.log("start-up snapshot: not built now; the first kernel builds it in the background");
    }
    if (process.env.NODE_OPTIONS) console.log("NODE_OPTIONS is set: a kernel started with it skips the start-up snapshot");
  });

program
  .command("kernel")
  .description("run the kernel (Jupyter starts this with a connection file)")
  .requiredOption("-f, --connection-file <file>", "the connection file Jupyter wrote")
  .action(async (o: { connectionFile: string }) => {
    const { readConnectionFile } = require("../server/connection") as typeof import("../server/connection");
    const { Kernel } = require("../server/kernel") as typeof import("../server/kernel");
    const kernel = new Kernel(readConnectionFile(o.connectionFile));
    // The launcher found no start-up snapshot for this node (never built, or node upgraded): this
    // kernel starts without one and builds one for the next in the background.
    if (process.env.SEQLAB_SNAPSHOT_MISSING) {
      delete process.env.SEQLAB_SNAPSHOT_MISSING; // not for the cells' child processes
      (require("../server/snapshotblob") as typeof import("../server/snapshotblob")).buildInBackground();
    }
    await kernel.start();
  });

program
  .command("run")
  .description("execute notebooks headlessly and write them back executed")
  .argument("<notebooks...>", "the .ipynb files to run, in order")
  .option("--out <dir>", "write executed notebooks into DIR (default: in place)")
  .option("--html <dir>", "also write a self-contained HTML report per notebook into DIR")
  .option("--timeout <seconds>", "interrupt and fail a cell that runs longer", seconds)
  .option("--force", "run a notebook written for another kernel or language as TypeScript all the same")
  .option("--trust", "sign the notebooks written, as `jupyter trust` does, so Jupyter opens them trusted")
  .option("--record <dir>", "also write each notebook's output messages with their times (DIR/NAME.messages.jsonl), to replay the run")
  .action(
    async (files: string[], o: { out?: string; html?: string; timeout?: number; force?: boolean; trust?: boolean; record?: string }) => {
      const { runNotebook, checkRunnable } = require("./runner") as typeof import("./runner");
      const { readNotebook } = require("./notebook") as typeof import("./notebook");
      // Paths as typed, before any kernel starts (a kernel's working folder is its notebook's).
      absoluteDataEnv();
      files = files.map((f) => typedPath(f));
      o = { ...o, out: o.out && typedPath(o.out), html: o.html && typedPath(o.html), record: o.record && typedPath(o.record) };
      // Every notebook is checked before any runs: a refusal writes nothing.
      for (const f of files) {
        if (!existsSync(f)) throw new UsageError(`no such notebook: ${f}`);
        if (!f.endsWith(".ipynb")) throw new UsageError(`expected a .ipynb notebook, got ${f}`);
        try {
          const nb = readNotebook(f);
          if (!o.force) checkRunnable(f, nb);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
      }
      for (const [flag, dir] of [
        ["--out", o.out],
        ["--html", o.html],
        ["--record", o.record],
      ] as const) {
        if (dir !== undefined && existsSync(dir) && !statSync(dir).isDirectory())
          throw new UsageError(`${flag} ${dir} is a file; expected a folder`);
      }
      let failed = 0;
      for (const f of files) {
        try {
          const out = await runNotebook(f, {
            outDir: o.out,
            htmlDir: o.html,
            timeoutSec: o.timeout,
            force: o.force,
            trust: o.trust,
            recordDir: o.record,
          });
          console.log(`ran ${f} -> ${out}`);
        } catch (e) {
          failed++;
          console.error(`seqlab run: ${(e as Error).message}`);
        }
      }
      if (failed) process.exitCode = 1;
    },
  );

program
  .command("export")
  .description("write a notebook as one self-contained HTML page that needs no network to view")
  .argument("<notebook>", "the .ipynb file")
  .option("-o, --output <file>", "the HTML file (default: beside the notebook, .html); never a notebook")
  .option("--trusted", "keep the notebook's HTML as written instead of sanitizing it (its scripts still do not run)")
  .action(async (file: string, o: { output?: string; trusted?: boolean }) => {
    file = typedPath(file);
    o = { ...o, output: o.output && typedPath(o.output) };
    if (!existsSync(file)) throw new UsageError(`no such notebook: ${file}`);
    if (!file.endsWith(".ipynb")) throw new UsageError(`expected a .ipynb notebook, got ${file}`);
    const { exportNotebook, htmlPathFor, reportTargetProblem } = require("./export/html") as typeof import("./export/html");
    const problem = reportTargetProblem(file, o.output ?? htmlPathFor(file));
    if (problem) throw new UsageError(`refusing to export ${file}: ${problem}`);
    console.log(`exported ${file} -> ${await exportNotebook(file, o.output, { trusted: o.trusted })}`);
  });

program
  .command("assignment")
  .description("write the student edition of course notebooks: solutions replaced by a stub, outputs cleared, self-checks kept")
  .argument("<notebooks...>", "the teacher's .ipynb files (solutions marked as nbgrader marks them)")
  .requiredOption("--out <dir>", "the folder for the student editions (never the notebooks' own)")
  .action((files: string[], o: { out: string }) => {
    const { writeAssignments } = require("./assignment") as typeof import("./assignment");
    files = files.map((f) => typedPath(f));
    const out = typedPath(o.out);
    for (const f of files) {
      if (!existsSync(f)) throw new UsageError(`no such notebook: ${f}`);
      if (!f.endsWith(".ipynb")) throw new UsageError(`expected a .ipynb notebook, got ${f}`);
    }
    if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${out} is a file; expected a folder`);
    let written;
    try {
      written = writeAssignments(files, out);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    for (const w of written) console.log(`wrote ${w.to}: ${w.solutions} solution(s) replaced by a stub, ${w.checks} self-check(s) kept`);
  });

program
  .command("start")
  .description("run the course (npm start): a plan, then every notebook not cached into a reports folder, executed and as HTML")
  .argument("[notebooks...]", "the .ipynb files or folders to run, in order (default: this package's notebooks/)")
  .option("--out <dir>", "the reports folder (default: reports/ in this package)")
  .addOption(new Option("--quick", "quick mode: small models, seconds per notebook (as SEQLAB_QUICK=1)").conflicts("full"))
  .option("--full", "full mode (the default): trains to the reference numbers; hours")
  .option("--force", "execute every notebook, cached or not")
  .option("--timeout <seconds>", "interrupt and fail a cell that runs longer", seconds)
  .action(async (args: string[], o: import("./course-run").CourseFlags) => {
    const { courseCommand } = require("./course-run") as typeof import("./course-run");
    process.exitCode = await courseCommand(args, o);
  });

program
  .command("course")
  .description(
    "copy the course's notebooks into a folder of your own, to open in JupyterLab or the notebook; never overwrites a notebook you changed",
  )
  .argument("[dir]", "the folder (default: ./seqlab-course)")
  .action((dir: string | undefined) => {
    const { copyCourse, describeCopy } = require("./course-copy") as typeof import("./course-copy");
    const result = copyCourse(typedPath(dir ?? "seqlab-course"));
    console.log(describeCopy(result));
  });

program.parseAsync(process.argv).catch((e) => {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode;
    return;
  }
  console.error(`seqlab: ${e.message ?? e}`);
  // exit now: a kernel's socket thread would keep the process alive
  process.exit(2);
});
