// The course's execution cache (after jupyter-cache): a notebook is executed again only when
// what it computes from could have changed. Its key has five parts: the notebook's code cells,
// the mode (quick or full), the TensorFlow.js backend it would get, this package's version and a
// hash of the built library (dist/src). The state lives in the reports folder as .cache.json,
// written atomically after every notebook, so a stopped run resumes at the first notebook not
// done. It also keeps this machine's last time per notebook and mode, for the next plan.
// Entries are keyed by the notebook's place in the course: "NAME.ipynb" for the English edition,
// "ko/NAME.ipynb" for the Korean one (same file name, other language: never the same entry); their
// executed copies and reports lie in the reports folder's en/ and ko/.
import { createHash } from "crypto";
import { existsSync, readdirSync, readFileSync } from "fs";
import { writeFileAtomic } from "../server/atomic-write";
import * as os from "os";
import * as path from "path";
import { backendOrder, TFJS_NODE_PACKAGES } from "../../src/backend/select";
import { Notebook, readNotebook, sourceText } from "./notebook";

export type Mode = "quick" | "full";

/** The parts of a notebook's key, each a short hash or a plain value. */
export interface KeyParts {
  code: string;
  mode: Mode;
  backend: string;
  version: string;
  library: string;
}

export interface Entry {
  parts: KeyParts;
  /** sha256 of the notebook file: when only its markdown changed, outputs are merged, not recomputed. */
  source: string;
  /** The executed copy and the report, file names inside the reports folder. */
  executed: string;
  report: string;
  seconds: number;
  finished: string;
  /** The report's course links as written (JSON): other neighbours, the report is written again. */
  nav?: string;
}

export interface CacheState {
  /** 2: entries keyed by edition (en/ko), files in the reports folder's en/ and ko/. */
  format: 2;
  /** The machine the timings were measured on; timings from another are not used. */
  machine: string;
  notebooks: Record<string, Entry>;
  /** This machine's last wall time per notebook (kernel start included), per mode, seconds. */
  timings: Record<Mode, Record<string, number>>;
  /** probeSeconds() around each notebook's last run (the mean of one before and one after), per mode. */
  probes?: Partial<Record<Mode, Record<string, number>>>;
}

export const CACHE_FILE = ".cache.json";
const PACKAGE_ROOT = path.resolve(__dirname, "..", "..", "..");

const sha = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");

export function machineId(): string {
  const cpus = os.cpus();
  return `${os.hostname()}; ${cpus.length} cpus; ${cpus[0]?.model ?? "unknown cpu"}`;
}

/** A hash of the built library: every .js and .d.ts file under dist/src, by path and content. */
export function libraryHash(dir = path.join(PACKAGE_ROOT, "dist", "src")): string {
  const h = createHash("sha256");
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(js|d\.ts|wasm|json)$/.test(e.name)) h.update(path.relative(dir, p)).update("\0").update(readFileSync(p)).update("\0");
    }
  };
  if (!existsSync(dir)) throw new Error(`the library is not built: no ${dir} (run npm install, or npx tsc -p .)`);
  walk(dir);
  return h.digest("hex").slice(0, 16);
}

/** The backend a notebook's `useBackend()` would choose first here (SEQLAB_BACKEND, or the fastest installed). */
export function expectedBackend(env: NodeJS.ProcessEnv = process.env): string {
  const resolvable = TFJS_NODE_PACKAGES.some((id) => {
    try {
      require.resolve(id);
      return true;
    } catch {
      return false;
    }
  });
  return backendOrder(env.SEQLAB_BACKEND, resolvable)[0];
}

export const codeHash = (nb: Notebook) => sha(JSON.stringify(nb.cells.filter((c) => c.cell_type === "code").map(sourceText))).slice(0, 16);

export function keyParts(nb: Notebook, common: Omit<KeyParts, "code">): KeyParts {
  return { code: codeHash(nb), ...common };
}

/** Why an entry cannot be reused, or undefined when it can. */
export function staleness(entry: Entry | undefined, parts: KeyParts, reportsDir: string, nb: Notebook): string | undefined {
  if (!entry) return "not run before";
  const names: Record<keyof KeyParts, string> = {
    code: "code changed",
    mode: "mode changed",
    backend: "backend changed",
    version: "version changed",
    library: "library rebuilt",
  };
  for (const k of Object.keys(names) as (keyof KeyParts)[]) if (entry.parts[k] !== parts[k]) return names[k];
  const executed = path.join(reportsDir, entry.executed);
  if (!existsSync(executed)) return `${entry.executed} is missing`;
  if (!existsSync(path.join(reportsDir, entry.report))) return `${entry.report} is missing`;
  try {
    if (codeHash(readNotebook(executed)) !== codeHash(nb)) return `${entry.executed} has other code`;
  } catch {
    return `${entry.executed} is unreadable`;
  }
  return undefined;
}

export const fileHash = (file: string) => sha(readFileSync(file)).slice(0, 16);

export function emptyState(): CacheState {
  return { format: 2, machine: machineId(), notebooks: {}, timings: { quick: {}, full: {} } };
}

/** The state in `reportsDir`, or an empty one (also when the file is unreadable or from another format). */
export function readState(reportsDir: string): CacheState {
  const file = path.join(reportsDir, CACHE_FILE);
  let s: any;
  try {
    s = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return emptyState();
  }
  if (s?.format !== 2 || typeof s.notebooks !== "object" || typeof s.timings !== "object") return emptyState();
  // Timings measured on another machine (a copied reports folder) say nothing about this one.
  if (s.machine !== machineId()) s = { ...s, machine: machineId(), timings: { quick: {}, full: {} } };
  return s as CacheState;
}

/** Write the state: to a temporary file, then renamed over the old one (never half written). */
export function writeState(reportsDir: string, state: CacheState): void {
  writeFileAtomic(path.join(reportsDir, CACHE_FILE), JSON.stringify(state, null, 1) + "\n", "course cache");
}
