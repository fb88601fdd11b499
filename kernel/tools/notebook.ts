// nbformat 4: reading notebooks (checked, with errors that name the file and the cell), and
// turning kernel messages into cell outputs. (Writing them: atomic-write.ts.)
import { readFileSync } from "fs";
import * as path from "path";
import { Message } from "../server/wire";

export interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: Record<string, unknown>;
  outputs?: any[];
  execution_count?: number | null;
  id?: string;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, any>;
  cells: Cell[];
}

const CELL_TYPES = ["code", "markdown", "raw"];
const OUTPUT_TYPES = ["stream", "display_data", "execute_result", "error"];
const isObject = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);
const describe = (v: unknown) =>
  v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "string" ? `the string ${JSON.stringify(v.slice(0, 40))}` : typeof v;

/** Line and column (from 1) of a character offset, for a JSON error. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

/** Read a notebook file, checking that it is nbformat 4 with well-formed cells and outputs; an
 * error names the file and, for a bad cell or output, its place (cell n counts from 1). */
export function readNotebook(file: string): Notebook {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`${file}: no such notebook`);
    if (code === "EISDIR") throw new Error(`${file} is a folder, not a notebook (.ipynb file)`);
    if (code === "EACCES" || code === "EPERM") throw new Error(`${file} cannot be read: permission denied`);
    throw new Error(`${file} could not be read: ${(e as Error).message}`);
  }
  let nb: any;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const at = /position (\d+)/.exec(msg);
    throw new Error(`${file} is not a readable notebook: invalid JSON${at ? ` at ${lineColumn(text, Number(at[1]))}` : ""} (${msg})`);
  }
  if (!isObject(nb) || nb.nbformat !== 4 || !Array.isArray(nb.cells)) {
    const got = !isObject(nb)
      ? `it holds ${describe(nb)}`
      : nb.nbformat !== 4
        ? `its nbformat is ${JSON.stringify(nb.nbformat ?? null)}`
        : `its "cells" is ${describe(nb.cells)}`;
    throw new Error(`${file} is not an nbformat 4 notebook: ${got}; expected an object with "nbformat": 4 and a list of "cells"`);
  }
  if (nb.metadata === undefined) nb.metadata = {};
  if (!isObject(nb.metadata)) throw new Error(`${file}: the notebook's "metadata" is ${describe(nb.metadata)}; expected an object`);
  nb.cells.forEach((cell: unknown, i: number) => checkCell(file, cell, i));
  return nb as Notebook;
}

function checkCell(file: string, cell: unknown, i: number): void {
  const where = `${file}: cell ${i + 1} (cells[${i}])`;
  if (!isObject(cell)) throw new Error(`${where} is ${describe(cell)}; expected an object with "cell_type" and "source"`);
  if (!CELL_TYPES.includes(cell.cell_type))
    throw new Error(`${where} has cell_type ${JSON.stringify(cell.cell_type ?? null)}; expected "code", "markdown" or "raw"`);
  const src = cell.source;
  if (!(typeof src === "string" || (Array.isArray(src) && src.every((l) => typeof l === "string")))) {
    throw new Error(`${where} has a source that is ${describe(src)}; expected a string or a list of strings`);
  }
  if (cell.metadata === undefined) cell.metadata = {};
  if (!isObject(cell.metadata)) throw new Error(`${where} has metadata that is ${describe(cell.metadata)}; expected an object`);
  if (cell.attachments !== undefined && !isObject(cell.attachments))
    throw new Error(`${where} has attachments that are ${describe(cell.attachments)}; expected an object`);
  if (cell.cell_type !== "code") return;
  if (cell.outputs === undefined) cell.outputs = [];
  if (!Array.isArray(cell.outputs)) throw new Error(`${where} has outputs that are ${describe(cell.outputs)}; expected a list`);
  cell.outputs.forEach((o: unknown, j: number) => {
    const at = `${where}, output ${j + 1}`;
    if (!isObject(o)) throw new Error(`${at} is ${describe(o)}; expected an object with "output_type"`);
    if (!OUTPUT_TYPES.includes(o.output_type))
      throw new Error(`${at} has output_type ${JSON.stringify(o.output_type ?? null)}; expected one of ${OUTPUT_TYPES.join(", ")}`);
    if (o.data !== undefined && !isObject(o.data))
      throw new Error(`${at} has data that is ${describe(o.data)}; expected an object of mimetype to value`);
    if (o.metadata !== undefined && !isObject(o.metadata))
      throw new Error(`${at} has metadata that is ${describe(o.metadata)}; expected an object`);
  });
}

/** What `seqlab run` executes: notebooks for this kernel (kernelspec seqlab, language TypeScript). */
export const EXPECTED_KERNEL = { name: "seqlab", language: "typescript" };
/** The Korean edition's kernelspec: the same kernel with SEQLAB_LANG=ko (see install.ts). */
export const KOREAN_KERNEL = "seqlab-ko";
/** The kernelspec metadata a notebook of each language carries. */
export const KERNELSPEC_METADATA = {
  en: { name: "seqlab", display_name: "TypeScript (seqlab)", language: "typescript" },
  ko: { name: KOREAN_KERNEL, display_name: "TypeScript (seqlab, 한국어)", language: "typescript" },
} as const;
export type Language = keyof typeof KERNELSPEC_METADATA;

/** The language a notebook's kernelspec asks for: "ko" for seqlab-ko, else undefined (the environment's). */
export function kernelLanguage(nb: Notebook): Language | undefined {
  return isObject(nb.metadata?.kernelspec) && nb.metadata.kernelspec.name === KOREAN_KERNEL ? "ko" : undefined;
}

/** The edition a course notebook belongs to: Korean when its kernelspec is seqlab-ko or it lies in a folder named ko. */
export function editionOf(file: string, nb: Notebook): Language {
  return kernelLanguage(nb) ?? (path.basename(path.dirname(path.resolve(file))) === "ko" ? "ko" : "en");
}

/** Why `seqlab run` should not execute this notebook (its kernelspec or language is another
 * kernel's), or undefined when it should. A notebook that names neither is run. */
export function kernelMismatch(nb: Notebook): string | undefined {
  const spec = isObject(nb.metadata?.kernelspec) ? nb.metadata.kernelspec : {};
  const name = typeof spec.name === "string" ? spec.name : undefined;
  const languages = [spec.language, isObject(nb.metadata?.language_info) ? nb.metadata.language_info.name : undefined].filter(
    (l): l is string => typeof l === "string" && l !== "",
  );
  const wrongName = name !== undefined && name !== EXPECTED_KERNEL.name && name !== KOREAN_KERNEL;
  const wrongLanguage = languages.find((l) => l.toLowerCase() !== EXPECTED_KERNEL.language);
  if (!wrongName && wrongLanguage === undefined) return undefined;
  const has = `kernel ${JSON.stringify(name ?? spec.display_name ?? "(none)")}, language ${JSON.stringify(wrongLanguage ?? languages[0] ?? "(none)")}`;
  return `it is written for ${has}; seqlab runs notebooks for kernel "${EXPECTED_KERNEL.name}" (or "${KOREAN_KERNEL}"), language "TypeScript"`;
}

export const sourceText = (c: Cell) => (Array.isArray(c.source) ? c.source.join("") : c.source);

/** Split text into nbformat's list of lines, each keeping its newline. */
export function lines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Collects a cell's outputs from iopub messages, applying clear_output and display updates. */
export class OutputCollector {
  outputs: any[] = [];
  private clearPending = false;
  constructor(private readonly displays: Map<string, any[]>) {}

  add(msg: Message) {
    const c = msg.content;
    const type = msg.header.msg_type;
    if (type === "clear_output") {
      if (c.wait) this.clearPending = true;
      else this.outputs = [];
      return;
    }
    if (type === "update_display_data") {
      for (const out of this.displays.get(c.transient?.display_id) ?? []) {
        out.data = c.data;
        out.metadata = c.metadata ?? {};
      }
      return;
    }
    let out: any;
    if (type === "stream") {
      if (this.clearPending) this.flushClear();
      const last = this.outputs[this.outputs.length - 1];
      if (last?.output_type === "stream" && last.name === c.name) {
        last.text += c.text;
        return;
      }
      out = { output_type: "stream", name: c.name, text: c.text };
    } else if (type === "display_data") out = { output_type: "display_data", data: c.data, metadata: c.metadata ?? {} };
    else if (type === "execute_result")
      out = { output_type: "execute_result", execution_count: c.execution_count, data: c.data, metadata: c.metadata ?? {} };
    else if (type === "error") out = { output_type: "error", ename: c.ename, evalue: c.evalue, traceback: c.traceback };
    else return;
    if (this.clearPending) this.flushClear();
    this.outputs.push(out);
    const id = c.transient?.display_id;
    if (id) this.displays.set(id, [...(this.displays.get(id) ?? []), out]);
  }

  private flushClear() {
    this.outputs = [];
    this.clearPending = false;
  }

  /** Outputs in nbformat's on-disk shape (text as lists of lines). */
  final(): any[] {
    return this.outputs.map((o) => {
      if (o.output_type === "stream") return { ...o, text: lines(o.text) };
      if (o.data) {
        const data: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(o.data)) data[k] = typeof v === "string" && !k.endsWith("json") ? lines(v) : v;
        return { ...o, data };
      }
      return o;
    });
  }
}
