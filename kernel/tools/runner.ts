// `seqlab run`: execute notebooks headlessly on our own protocol layer and write them back,
// executed (valid nbformat 4), and with htmlDir an HTML report beside them (also when a cell
// failed: the report shows the notebook up to the failure). Fails naming the notebook, the cell
// and the error. A notebook written for another kernel is refused unless forced (running Python
// as TypeScript would replace its outputs with type errors); the notebook is replaced atomically.
import * as path from "path";
import { KernelClient } from "./client";
import { writeFileAtomic } from "../server/atomic-write";
import {
  KERNELSPEC_METADATA,
  Language,
  Notebook,
  OutputCollector,
  kernelLanguage,
  kernelMismatch,
  readNotebook,
  sourceText,
} from "./notebook";
import { signNotebook } from "./trust";
import { WidgetStateCollector } from "./widgetstate";
import type { Message } from "../server/wire";

export interface RunOptions {
  outDir?: string;
  /** Also write an HTML report (seqlab export) of the executed notebook into this folder. */
  htmlDir?: string;
  timeoutSec?: number;
  /** Also write every output message (stream, display, update, result, error, clear) with the time the
   * kernel sent it into DIR/NAME.messages.jsonl, to replay the run. */
  recordDir?: string;
  /** Run a notebook written for another kernel or language all the same. */
  force?: boolean;
  /** Sign the written notebook with Jupyter's notary (as `jupyter trust` does). */
  trust?: boolean;
  /** Progress lines go here (stderr by default). */
  progress?: NodeJS.WritableStream;
  /** The learner's language for the kernel (SEQLAB_LANG). Default: "ko" for a notebook whose
   * kernelspec is seqlab-ko (as Jupyter starts that kernelspec), else the environment's. */
  lang?: Language;
  /** The report's links in a course site (seqlab start). */
  nav?: import("./export/html").CourseNav;
}

export class CellFailure extends Error {}

/** The notebook is not for this kernel (and the run was not forced). */
export class RefusedNotebook extends Error {}

/** Throws RefusedNotebook when `seqlab run` should not execute this notebook. */
export function checkRunnable(file: string, nb: Notebook): void {
  const why = kernelMismatch(nb);
  if (why) {
    throw new RefusedNotebook(
      `refusing to run ${file}: ${why}. Run it with its own kernel, or pass --force to run it as TypeScript anyway (its outputs and kernelspec would be replaced)`,
    );
  }
}

/** What `--record` keeps of a cell's iopub messages: those that make or change its outputs. */
const OUTPUT_MESSAGES = new Set(["stream", "display_data", "update_display_data", "execute_result", "error", "clear_output"]);

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

export async function runNotebook(file: string, opts: RunOptions = {}): Promise<string> {
  const nb = readNotebook(file);
  if (!opts.force) checkRunnable(file, nb);
  const out = opts.outDir ? path.join(opts.outDir, path.basename(file)) : file;
  const progress = opts.progress ?? process.stderr;
  const tty = (progress as any).isTTY === true;
  const code = nb.cells.filter((c) => c.cell_type === "code");
  let kernel: KernelClient;
  try {
    const lang = opts.lang ?? kernelLanguage(nb);
    const env = lang ? { ...process.env, SEQLAB_LANG: lang } : process.env;
    kernel = await KernelClient.start({ cwd: path.dirname(path.resolve(file)), stderr: "inherit", env });
  } catch (e) {
    throw new Error(`${file}: the kernel did not start: ${(e as Error).message}`);
  }
  kernel.onInput = (prompt) => {
    progress.write(`\n${path.basename(file)}: input(${JSON.stringify(prompt)}) answered with an empty line (headless run)\n`);
    return "";
  };
  const displays = new Map<string, any[]>();
  // Widgets' last state goes into the notebook's metadata, as JupyterLab saves it.
  const widgets = new WidgetStateCollector();
  kernel.onIopub = (m) => widgets.add(m);
  let failure: { cell: number; codeCell: number; message: string } | undefined;
  const started = Date.now();
  const recorded: string[] = [];
  const t0 = Date.now(); // --record's times count from here
  try {
    const info = await kernel.request("kernel_info_request", {});
    nb.metadata.kernelspec = { ...KERNELSPEC_METADATA[(opts.lang ?? kernelLanguage(nb)) === "ko" ? "ko" : "en"] };
    nb.metadata.language_info = info.reply.content.language_info;
    let n = 0;
    for (const [index, cell] of nb.cells.entries()) {
      if (cell.cell_type !== "code") continue;
      n++;
      const line = `${path.basename(file)} [${n}/${code.length}] cell ${index + 1}`;
      progress.write(tty ? `\r\x1b[K${line} ${bar(n - 1, code.length)}` : `${line}\n`);
      const collector = new OutputCollector(displays);
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      if (opts.timeoutSec) {
        timer = setTimeout(() => {
          timedOut = true;
          kernel.interrupt().catch(() => {});
        }, opts.timeoutSec * 1000);
      }
      const onOutput = (m: Message) => {
        if (opts.recordDir && OUTPUT_MESSAGES.has(m.header.msg_type)) {
          // When the kernel sent it (its header's date, same machine's clock), not when it arrived
          // here: a busy machine can delay a message's reading, not its sending.
          const sent = Date.parse(m.header.date);
          const t = Number.isFinite(sent) ? sent - t0 : Date.now() - t0;
          recorded.push(JSON.stringify({ t: Math.max(0, Math.round(t)), cell: index, msg_type: m.header.msg_type, content: m.content }));
        }
        collector.add(m);
      };
      const { reply } = await kernel.execute(sourceText(cell), { onOutput });
      clearTimeout(timer);
      cell.outputs = collector.final();
      cell.execution_count = reply.content.execution_count ?? null;
      if (reply.content.status !== "ok") {
        const why = timedOut ? `timed out after ${opts.timeoutSec} s` : `${reply.content.ename}: ${strip(String(reply.content.evalue))}`;
        failure = { cell: index, codeCell: n, message: why };
        break;
      }
    }
    if (tty)
      progress.write(`\r\x1b[K${path.basename(file)} ${bar(code.length, code.length)} ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    await kernel.shutdown();
  }
  widgets.save(nb.metadata);
  writeFileAtomic(out, JSON.stringify(nb, null, 1) + "\n", "notebook");
  if (opts.recordDir) {
    const log = path.join(opts.recordDir, path.basename(file).replace(/\.ipynb$/i, "") + ".messages.jsonl");
    writeFileAtomic(log, recorded.map((l) => l + "\n").join(""), "message record");
  }
  let unsigned: Error | undefined;
  if (opts.trust) {
    try {
      const signer = signNotebook(out);
      progress.write(`${path.basename(file)}: signed ${out} (${signer.label})\n`);
    } catch (e) {
      unsigned = e as Error;
    }
  }
  if (opts.htmlDir) {
    const { exportNotebook } = require("./export/html") as typeof import("./export/html");
    const html = path.join(opts.htmlDir, path.basename(file).replace(/\.ipynb$/i, "") + ".html");
    await exportNotebook(out, html, { source: path.basename(file), failure, nav: opts.nav });
    progress.write(`${path.basename(file)}: report ${html}\n`);
  }
  if (failure)
    throw new CellFailure(
      `${file}: cell ${failure.cell + 1} (code cell ${failure.codeCell}) failed: ${failure.message}${unsigned ? `; ${unsigned.message}` : ""}`,
    );
  if (unsigned) throw unsigned;
  return out;
}

function bar(done: number, total: number, width = 24): string {
  const full = Math.round((done / Math.max(1, total)) * width);
  return `[${"#".repeat(full)}${".".repeat(width - full)}]`;
}
