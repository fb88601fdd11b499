// Input history: every stored cell of this session in memory, and the sessions before it in a
// JSON-lines file, for history_request's tail, range and search (like IPython's history).
import { appendFileSync, mkdirSync, readFileSync } from "fs";
import * as path from "path";

export interface Entry {
  session: number;
  line: number;
  input: string;
}

export class History {
  readonly session: number;
  private entries: Entry[] = [];

  constructor(private readonly file?: string) {
    let last = 0;
    if (file) {
      try {
        for (const row of readFileSync(file, "utf8").split("\n")) {
          if (!row) continue;
          const e = JSON.parse(row) as Entry;
          this.entries.push(e);
          last = Math.max(last, e.session);
        }
      } catch {
        // No history yet, or an unreadable file: start afresh.
      }
    }
    this.session = last + 1;
  }

  add(line: number, input: string) {
    const e = { session: this.session, line, input };
    this.entries.push(e);
    if (!this.file) return;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      appendFileSync(this.file, JSON.stringify(e) + "\n");
    } catch {
      // History is a convenience; never fail a cell over it.
    }
  }

  /** The last n entries (of this session and earlier ones), oldest first. */
  tail(n: number): Entry[] {
    return n > 0 ? this.entries.slice(-n) : [];
  }

  /** Lines start ≤ line < stop of a session (0 or less counts back from this one). */
  range(session: number, start: number, stop: number): Entry[] {
    const s = session <= 0 ? this.session + session : session;
    return this.entries.filter((e) => e.session === s && e.line >= start && (stop <= 0 || e.line < stop));
  }

  /** Entries matching a glob (* and ?), newest n, optionally without repeats. */
  search(pattern: string, n: number, unique: boolean): Entry[] {
    const re = new RegExp("^" + pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, "[\\s\\S]") + "$");
    let hits = this.entries.filter((e) => re.test(e.input));
    if (unique) {
      const seen = new Set<string>();
      hits = hits.reverse().filter((e) => !seen.has(e.input) && seen.add(e.input)).reverse();
    }
    return n > 0 ? hits.slice(-n) : hits;
  }
}
