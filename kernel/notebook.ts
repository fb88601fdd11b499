// nbformat 4: reading notebooks and turning kernel messages into cell outputs.
import { readFileSync } from "fs";
import { Message } from "./wire";

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

export function readNotebook(file: string): Notebook {
  let nb: any;
  try {
    nb = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file} is not a readable notebook: ${(e as Error).message}`);
  }
  if (nb?.nbformat !== 4 || !Array.isArray(nb.cells)) throw new Error(`${file} is not an nbformat 4 notebook`);
  return nb;
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
    else if (type === "execute_result") out = { output_type: "execute_result", execution_count: c.execution_count, data: c.data, metadata: c.metadata ?? {} };
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
