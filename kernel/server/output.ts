// stdout and stderr of cells as Jupyter stream messages: coalesced (10,000 console.log calls
// make a handful of messages), in order with every other output, never lost.

// Node's own timers: the globals are the cells' (cell-timers.ts), cleared when a cell is interrupted.
import { clearTimeout, setTimeout } from "timers";

const MAX_AGE_MS = 100;
const MAX_BYTES = 64 * 1024;

export type StreamName = "stdout" | "stderr";

export class StreamCapture {
  private parts: { name: StreamName; text: string }[] = [];
  private bytes = 0;
  private since = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly emit: (name: StreamName, text: string) => void) {}

  install() {
    for (const name of ["stdout", "stderr"] as const) {
      (process[name] as any).write = (chunk: any, encoding?: any, cb?: any) => {
        if (typeof encoding === "function") [cb, encoding] = [encoding, undefined];
        const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString(encoding && encoding !== "buffer" ? encoding : "utf8");
        this.write(name, text);
        if (cb) process.nextTick(cb);
        return true;
      };
    }
  }

  write(name: StreamName, text: string) {
    if (!text) return;
    const last = this.parts[this.parts.length - 1];
    if (last && last.name === name) last.text += text;
    else this.parts.push({ name, text });
    if (this.bytes === 0) this.since = Date.now();
    this.bytes += text.length;
    // A synchronous loop never lets a timer fire: flush from here when the text is old or large.
    if (this.bytes > MAX_BYTES || Date.now() - this.since > MAX_AGE_MS) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), MAX_AGE_MS / 2);
      this.timer.unref();
    }
  }

  flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const parts = this.parts;
    this.parts = [];
    this.bytes = 0;
    for (const p of parts) this.emit(p.name, p.text);
  }
}
