// loadCorpus(name): read a corpus from the cache folder (SEQLAB_DATA, or the user's cache folder),
// downloading it from upstream when it is missing. Every read is checked against the registry's
// sha256; a download is written to a temporary file, verified, then renamed into place, so the
// cache never holds a partial or corrupt file. A read-only folder (an offline mirror) works for
// reading.
import { createHash, randomBytes } from "crypto";
import { promises as fsp, readFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { parseCsv } from "./parsers";
import { corpusInfo, CorpusInfo } from "./registry";

/** The part of a fetch Response the loader uses (the global `fetch` fits). */
export interface FetchResponse {
  ok: boolean;
  status: number;
  statusText?: string;
  headers?: { get(name: string): string | null };
  /** A stream of byte chunks (a web ReadableStream is one); without it `arrayBuffer()` is used. */
  body?: unknown;
  arrayBuffer(): Promise<ArrayBuffer>;
}
export type FetchLike = (url: string, init?: { signal?: AbortSignal; headers?: Record<string, string> }) => Promise<FetchResponse>;

export interface LoadOptions {
  /** The cache folder; default `dataDir()`. */
  dir?: string;
  /** The fetch to download with; default the global `fetch` (tests inject a fake). */
  fetch?: FetchLike;
  /** Show a progress bar while downloading (default true). */
  progress?: boolean;
  /** Where the progress bar goes; default process.stderr. */
  stderr?: { write(s: string): unknown };
  /** Give up a download request after this many milliseconds (default 120000). */
  timeoutMs?: number;
}

/** The checksum of a file does not match the registry's. */
export class ChecksumError extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
    detail: string,
  ) {
    super(`sha256 checksum mismatch for ${file}: expected ${expected}, got ${actual}${detail ? `; ${detail}` : ""}`);
    this.name = "ChecksumError";
  }
}

/** A corpus is neither in the cache folder nor downloadable. */
export class CorpusUnavailableError extends Error {
  constructor(
    message: string,
    readonly corpus: string,
    readonly url: string,
  ) {
    super(message);
    this.name = "CorpusUnavailableError";
  }
}

/** The cache folder: SEQLAB_DATA when set, else the user's cache folder plus "seqlab". */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  const set = env.SEQLAB_DATA;
  if (set && set.trim()) return path.resolve(set);
  const home = os.homedir();
  if (process.platform === "win32") return path.join(env.LOCALAPPDATA || path.join(home, "AppData", "Local"), "seqlab", "Cache");
  if (process.platform === "darwin") return path.join(home, "Library", "Caches", "seqlab");
  return path.join(env.XDG_CACHE_HOME || path.join(home, ".cache"), "seqlab");
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function where(dir: string): string {
  return process.env.SEQLAB_DATA && path.resolve(process.env.SEQLAB_DATA) === dir
    ? `SEQLAB_DATA=${dir}${relativeData()}`
    : `${dir} (SEQLAB_DATA is ${process.env.SEQLAB_DATA ? `set to ${process.env.SEQLAB_DATA}` : "not set"})`;
}

let relativeExplained = false;
/** Once, in the first error about it: a relative SEQLAB_DATA was read against this process's working folder. */
function relativeData(): string {
  const set = process.env.SEQLAB_DATA!;
  if (path.isAbsolute(set) || relativeExplained) return "";
  relativeExplained = true;
  return ` (the relative path "${set}" read from ${process.cwd()}, the working folder, which for a kernel is its notebook's folder: set SEQLAB_DATA to an absolute path)`;
}

function verify(info: CorpusInfo, file: string, bytes: Uint8Array, detail: string): void {
  const got = sha256(bytes);
  if (got !== info.sha256) throw new ChecksumError(file, info.sha256, got, detail);
}

/** Read a corpus's bytes from the cache folder without downloading; undefined when it is not there. */
export function readCachedCorpus(name: string, options: { dir?: string } = {}): Buffer | undefined {
  const info = corpusInfo(name);
  const dir = path.resolve(options.dir ?? dataDir());
  const file = path.join(dir, info.file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    // Say which path is wrong and how, not a bare EISDIR.
    const why =
      code === "EISDIR"
        ? `${file} is a folder, not the corpus file`
        : code === "ENOTDIR"
          ? `${dir} (the corpus folder) or a folder above it is a file, not a folder`
          : code === "EACCES" || code === "EPERM"
            ? `${file} cannot be read: permission denied`
            : `${file} could not be read (${(e as Error).message})`;
    throw new Error(`corpus "${name}": ${why}; expected ${info.file} in ${where(dir)}`, { cause: e });
  }
  verify(
    info,
    file,
    bytes,
    `the file is corrupt or a different version of corpus "${name}"; delete it to download it again, or point SEQLAB_DATA at a good copy`,
  );
  return bytes;
}

const inFlight = new Map<string, Promise<Buffer>>();

/** The corpus's bytes, verified: from the cache folder, else downloaded into it. */
export async function loadCorpusBytes(name: string, options: LoadOptions = {}): Promise<Buffer> {
  const info = corpusInfo(name);
  const dir = path.resolve(options.dir ?? dataDir());
  const cached = readCachedCorpus(name, { dir });
  if (cached) return cached;
  const key = path.join(dir, info.file);
  let p = inFlight.get(key);
  if (!p) {
    p = downloadCorpus(info, { ...options, dir }).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}

/** The corpus as text (UTF-8), verified: from the cache folder, else downloaded into it. */
export async function loadCorpus(name: string, options: LoadOptions = {}): Promise<string> {
  return (await loadCorpusBytes(name, options)).toString("utf8");
}

/** Like loadCorpus, but only from the cache folder: fails when the file is not there. */
export function loadCorpusSync(name: string, options: { dir?: string } = {}): string {
  const info = corpusInfo(name);
  const dir = path.resolve(options.dir ?? dataDir());
  const bytes = readCachedCorpus(name, { dir });
  if (!bytes) {
    throw new CorpusUnavailableError(
      `corpus "${name}" (${info.file}) is not in ${where(dir)}; loadCorpusSync does not download — use await loadCorpus("${name}") to fetch it from ${info.url}, or set SEQLAB_DATA to a folder that holds ${info.file}`,
      name,
      info.url,
    );
  }
  return bytes.toString("utf8");
}

/**
 * Download a corpus into the cache folder: fetch (or assemble) it into a temporary file beside the
 * target, verify its sha256, and rename it into place. Returns the verified bytes. `info` is
 * normally a registry entry (`corpusInfo(name)`); tests may pass their own.
 */
export async function downloadCorpus(info: CorpusInfo, options: LoadOptions = {}): Promise<Buffer> {
  const dir = path.resolve(options.dir ?? dataDir());
  const target = path.join(dir, info.file);
  const fetchImpl: FetchLike | undefined = options.fetch ?? (globalThis.fetch as unknown as FetchLike | undefined);
  const unavailable = (why: string) =>
    new CorpusUnavailableError(
      `corpus "${info.name}" (${info.file}) is not in ${where(dir)} and could not be downloaded from ${info.url}: ${why}. ` +
        `Set SEQLAB_DATA to a folder that holds ${info.file} (an offline mirror of the corpora), or connect to the network.`,
      info.name,
      info.url,
    );
  if (!fetchImpl) throw unavailable("this Node has no fetch");
  const bar = options.progress === false ? undefined : new ProgressBar(info.file, options.stderr ?? process.stderr);
  const get = async (url: string, accept?: string): Promise<FetchResponse> => {
    let res: FetchResponse;
    try {
      res = await fetchImpl(url, {
        signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
        headers: accept ? { accept, "user-agent": "seqlab" } : { "user-agent": "seqlab" },
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw unavailable(`${(e as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ""}${url === info.url ? "" : ` [${url}]`}`);
    }
    if (!res.ok)
      throw unavailable(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}${url === info.url ? "" : ` for ${url}`}`);
    return res;
  };

  let bytes: Buffer;
  try {
    bytes = info.assemble ? await assembleFromRepository(info, get, bar) : await readBody(await get(info.url), bar);
  } finally {
    bar?.finish();
  }
  verify(
    info,
    info.url,
    bytes,
    `the download from upstream is not the expected file for corpus "${info.name}"; nothing was written to ${dir}`,
  );

  const tmp = path.join(dir, `.${info.file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(tmp, bytes, { flag: "wx" });
    // Re-read what landed on disk before it becomes visible under its real name.
    verify(info, tmp, await fsp.readFile(tmp), "the file written to the cache is not what was downloaded");
    await fsp.rename(tmp, target);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    if (e instanceof ChecksumError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CorpusUnavailableError(
      `corpus "${info.name}" was downloaded from ${info.url} but could not be saved in ${where(dir)} (${code ?? (e as Error).message}); ` +
        `set SEQLAB_DATA to a writable folder, or to one that already holds ${info.file}`,
      info.name,
      info.url,
    );
  }
  return bytes;
}

async function readBody(res: FetchResponse, bar: ProgressBar | undefined, label?: string): Promise<Buffer> {
  const total = Number(res.headers?.get("content-length") ?? NaN);
  bar?.start(Number.isFinite(total) && total > 0 ? total : undefined, label);
  const body = res.body as { [Symbol.asyncIterator]?: () => AsyncIterator<Uint8Array> } | null | undefined;
  if (body && typeof body[Symbol.asyncIterator] === "function") {
    const chunks: Buffer[] = [];
    let done = 0;
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      chunks.push(Buffer.from(b));
      done += b.length;
      bar?.update(done);
    }
    return Buffer.concat(chunks);
  }
  const b = Buffer.from(await res.arrayBuffer());
  bar?.update(b.length);
  return b;
}

/** Python's json.dumps(value, ensure_ascii=False) for JSON values: ", " and ": " separators. */
function pythonJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pythonJson).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${JSON.stringify(k)}: ${pythonJson(x)}`)
      .join(", ")}}`;
  }
  return JSON.stringify(v);
}

/** Sort repository entries like "10_Rich_Mine" by their numeric prefix, then by name. */
function byNumericPrefix(a: string, b: string): number {
  const na = parseInt(a, 10);
  const nb = parseInt(b, 10);
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The folder names of KoCoNovel's novels, from its list_of_novels.csv (ID, Korean title, English
 * title, ...): "<ID>_<English title>", spaces and apostrophes as underscores.
 */
export function koconovelFolders(listCsv: string): string[] {
  const rows = parseCsv(listCsv).filter((r) => r.length > 2 && /^\d+$/.test(r[0].trim()));
  return rows.map((r) => `${r[0].trim()}_${r[2].trim().replace(/[\s']/g, "_")}`).sort(byNumericPrefix);
}

/**
 * KoCoNovel is not one file upstream: list the novels (GitHub's contents API, or the repository's
 * list_of_novels.csv when the API refuses), fetch each data/jsonl/<novel>/text.jsonl, add each
 * document's novel, and concatenate in novel order, one JSON object a line.
 */
async function assembleFromRepository(
  info: CorpusInfo,
  get: (url: string, accept?: string) => Promise<FetchResponse>,
  bar: ProgressBar | undefined,
): Promise<Buffer> {
  const a = info.assemble!;
  const raw = (p: string) => `https://raw.githubusercontent.com/${a.repo}/${a.branch}/${p}`;
  let novels: string[];
  try {
    const res = await get(`https://api.github.com/repos/${a.repo}/contents/${a.dir}?ref=${a.branch}`, "application/vnd.github+json");
    const list = JSON.parse(Buffer.from(await res.arrayBuffer()).toString("utf8")) as { name?: unknown; type?: unknown }[];
    if (!Array.isArray(list)) throw new Error("the contents API did not return a list");
    novels = list
      .filter((e) => e.type === "dir" && typeof e.name === "string")
      .map((e) => e.name as string)
      .sort(byNumericPrefix);
    if (!novels.length) throw new Error("the contents API listed no folders");
  } catch {
    // The API is rate-limited for anonymous use; the repository's own list names the same folders.
    const res = await get(raw(a.listCsv));
    novels = koconovelFolders(Buffer.from(await res.arrayBuffer()).toString("utf8"));
  }
  const lines: string[] = [];
  for (let i = 0; i < novels.length; i++) {
    const res = await get(raw(`${a.dir}/${encodeURIComponent(novels[i])}/${a.file}`));
    const text = (await readBody(res, bar, `${info.file} ${i + 1}/${novels.length}`)).toString("utf8");
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      const doc = JSON.parse(line) as Record<string, unknown>;
      delete doc.novel;
      lines.push(pythonJson({ novel: novels[i], ...doc }));
    }
  }
  return Buffer.from(lines.map((l) => l + "\n").join(""), "utf8");
}

/** A one-line progress bar, redrawn in place with a carriage return, at most ~10 times a second. */
class ProgressBar {
  private total: number | undefined;
  private label: string;
  private last = 0;
  private lastLine = "";
  private started = false;

  constructor(
    private readonly name: string,
    private readonly out: { write(s: string): unknown },
  ) {
    this.label = name;
  }

  start(total: number | undefined, label?: string): void {
    this.total = total;
    this.label = label ?? this.name;
    this.started = true;
    this.last = 0;
    this.draw(0, true);
  }

  update(done: number): void {
    const now = Date.now();
    const complete = this.total !== undefined && done >= this.total;
    if (!complete && now - this.last < 100) return;
    this.last = now;
    this.draw(done, complete);
  }

  private draw(done: number, force: boolean): void {
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    let line: string;
    if (this.total) {
      const f = Math.min(1, done / this.total);
      const width = 30;
      const filled = Math.round(f * width);
      line = `${this.label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${Math.floor(f * 100)
        .toString()
        .padStart(3)}% ${kb(done)}/${kb(this.total)}`;
    } else {
      line = `${this.label} ${kb(done)}`;
    }
    if (line === this.lastLine && !force) return;
    const pad = " ".repeat(Math.max(0, this.lastLine.length - line.length));
    this.lastLine = line;
    this.out.write(`\r${line}${pad}`);
  }

  finish(): void {
    if (this.started) this.out.write("\n");
    this.started = false;
  }
}
