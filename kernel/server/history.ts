// Input history: the stored cells of this session and of the sessions before it, for
// history_request's tail, range and search (like IPython's history). The sessions before live in
// a JSON-lines file that is bounded: past MAX_FILE_BYTES the oldest half is dropped. Start-up reads
// only the file's last line (for the session number); the file is read, bounded, when a request
// asks for earlier sessions.
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from "fs";
import * as path from "path";
import { writeFileAtomic } from "./atomic-write";

export interface Entry {
  session: number;
  line: number;
  input: string;
}

/** The file never grows past this; compaction keeps its newest half. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** A cell larger than this is kept for this session only, not written to the file. */
export const MAX_ENTRY_BYTES = 256 * 1024;

export class History {
  readonly session: number;
  /** This session's entries. */
  private readonly mine: Entry[] = [];
  private fileBytes = 0;

  constructor(private readonly file?: string) {
    let last = 0;
    if (file) {
      try {
        const tail = readTail(file, 64 * 1024);
        this.fileBytes = tail.size;
        const rows = tail.text.split("\n").filter(Boolean);
        for (let i = rows.length - 1; i >= 0 && last === 0; i--) {
          try {
            last = (JSON.parse(rows[i]) as Entry).session || 0;
          } catch {
            // a partial or damaged line: look at the one before
          }
        }
      } catch {
        // No history yet, or an unreadable file: start afresh.
      }
    }
    this.session = last + 1;
  }

  add(line: number, input: string) {
    const e = { session: this.session, line, input };
    this.mine.push(e);
    if (!this.file) return;
    const row = JSON.stringify(e) + "\n";
    if (row.length > MAX_ENTRY_BYTES) return;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      appendFileSync(this.file, row);
      this.fileBytes += Buffer.byteLength(row);
      if (this.fileBytes > MAX_FILE_BYTES) this.compact();
    } catch {
      // History is a convenience; never fail a cell over it.
    }
  }

  /** Keep the newest half of the file (written atomically: never a half-written file). */
  private compact() {
    const { text } = readTail(this.file!, MAX_FILE_BYTES / 2);
    const kept = text.slice(text.indexOf("\n") + 1);
    writeFileAtomic(this.file!, kept, "history");
    this.fileBytes = Buffer.byteLength(kept);
  }

  /** Every entry: the file's (earlier sessions) and this session's, oldest first. */
  private all(): Entry[] {
    const earlier: Entry[] = [];
    if (this.file) {
      try {
        for (const row of readFileSync(this.file, "utf8").split("\n")) {
          if (!row) continue;
          try {
            const e = JSON.parse(row) as Entry;
            if (e.session < this.session) earlier.push(e);
          } catch {
            // a damaged line is skipped
          }
        }
      } catch {
        // no file
      }
    }
    return earlier.concat(this.mine);
  }

  /** The last n entries (of this session and earlier ones), oldest first. */
  tail(n: number): Entry[] {
    if (n <= 0) return [];
    return n <= this.mine.length ? this.mine.slice(-n) : this.all().slice(-n);
  }

  /** Lines start ≤ line < stop of a session (0 or less counts back from this one). */
  range(session: number, start: number, stop: number): Entry[] {
    const s = session <= 0 ? this.session + session : session;
    const from = s === this.session ? this.mine : this.all();
    return from.filter((e) => e.session === s && e.line >= start && (stop <= 0 || e.line < stop));
  }

  /** Entries matching a glob (* and ?), newest n, optionally without repeats. */
  search(pattern: string, n: number, unique: boolean): Entry[] {
    const glob = compileGlob(pattern);
    let hits = this.all().filter((e) => glob(e.input));
    if (unique) {
      const seen = new Set<string>();
      hits = hits
        .reverse()
        .filter((e) => !seen.has(e.input) && seen.add(e.input))
        .reverse();
    }
    return n > 0 ? hits.slice(-n) : hits;
  }
}

/** The last `bytes` of a file (less when it is smaller), and the file's size. */
function readTail(file: string, bytes: number): { text: string; size: number } {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const n = Math.min(size, bytes);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    return { text: buf.toString("utf8"), size };
  } finally {
    closeSync(fd);
  }
}

/**
 * A glob (`*` any run of characters, `?` one character, everything else itself) as a matcher that
 * never backtracks: the pieces between stars are found left to right, each at its first place, so
 * a match costs at most text length × pattern length (a regular expression built from a glob with
 * many stars can take exponential time).
 */
export function compileGlob(pattern: string): (text: string) => boolean {
  const pieces = pattern.split("*").map((p) => Array.from(p));
  const at = (chars: string[], piece: string[], i: number) => {
    for (let j = 0; j < piece.length; j++) if (piece[j] !== "?" && piece[j] !== chars[i + j]) return false;
    return true;
  };
  return (text: string) => {
    const chars = Array.from(text); // code points, so `?` is one character, as in IPython
    if (pieces.length === 1) return chars.length === pieces[0].length && at(chars, pieces[0], 0);
    const first = pieces[0];
    const last = pieces[pieces.length - 1];
    if (first.length + last.length > chars.length) return false;
    if (!at(chars, first, 0) || !at(chars, last, chars.length - last.length)) return false;
    let i = first.length;
    const end = chars.length - last.length;
    for (let k = 1; k < pieces.length - 1; k++) {
      const piece = pieces[k];
      let found = -1;
      for (let s = i; s + piece.length <= end; s++) {
        if (at(chars, piece, s)) {
          found = s;
          break;
        }
      }
      if (found < 0) return false;
      i = found + piece.length;
    }
    return true;
  };
}
