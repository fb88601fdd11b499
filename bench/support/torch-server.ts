// A PyTorch process that serves one benchmark: started once, it reads one command per line on
// stdin and answers each with one JSON line (a blocked read costs no CPU, so contenders can be
// interleaved round by round). Used by bench/lstm-training.ts and bench/gpt-training.ts with their
// scripts in bench/torch/; each script first prints {"ready": true}, then answers "info" with
// what it runs on, and "quit" ends it.
import { spawn, type ChildProcessWithoutNullStreams } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";

/** Debian's OpenBLAS (libopenblas0-pthread), chosen per process through LD_LIBRARY_PATH. */
export const OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-pthread";

/**
 * The environment of a PyTorch process of `threads` threads (OpenMP, OpenBLAS and MKL all held to
 * that many: OpenBLAS reads its count once, at start, so each thread count is a process of its own;
 * passive waits, which a shared machine needs: FINDINGS.md), with `libDirs` put in front of
 * LD_LIBRARY_PATH to choose its BLAS. The script also calls torch.set_num_threads(threads).
 */
export function torchEnv(libDirs?: string, threads = 1): NodeJS.ProcessEnv {
  const n = String(threads);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_NUM_THREADS: n,
    OMP_WAIT_POLICY: "PASSIVE",
    OPENBLAS_NUM_THREADS: n,
    MKL_NUM_THREADS: n,
  };
  if (libDirs) env.LD_LIBRARY_PATH = [libDirs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":");
  return env;
}

/** The token ids as a raw int32 file for the Python side (the same ids for every contender). */
export function writeTokens(tokens: Int32Array, name: string): { file: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  const file = path.join(dir, "tokens.i32");
  writeFileSync(file, Buffer.from(tokens.buffer, tokens.byteOffset, tokens.byteLength));
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What every script reports for "info" (scripts add their own fields). */
export interface TorchInfo {
  torch: string;
  python: string;
  threads: number;
  blas_libraries: string[];
  ld_library_path: string;
  [more: string]: unknown;
}

export class TorchServer {
  private proc?: ChildProcessWithoutNullStreams;
  private buf = "";
  private waiting: { resolve: (v: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private stderr = "";
  failure?: string;
  info?: TorchInfo;

  constructor(
    readonly label: string,
    readonly env: NodeJS.ProcessEnv,
    readonly timeoutMs: number,
  ) {}

  async start(python: string, script: string, args: string[]): Promise<void> {
    const proc = spawn(python, [script, ...args], { env: this.env, stdio: ["pipe", "pipe", "pipe"] });
    this.proc = proc;
    proc.stdout.setEncoding("utf8");
    proc.stderr.setEncoding("utf8");
    proc.stdout.on("data", (d: string) => {
      this.buf += d;
      let nl;
      while ((nl = this.buf.indexOf("\n")) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        const w = this.waiting.shift();
        if (!w) continue;
        clearTimeout(w.timer);
        try {
          const v = JSON.parse(line);
          if (v.error) w.reject(new Error(v.error));
          else w.resolve(v);
        } catch {
          w.reject(new Error(`unexpected output: ${line.slice(0, 200)}`));
        }
      }
    });
    proc.stderr.on("data", (d: string) => {
      this.stderr = (this.stderr + d).slice(-4000);
    });
    const died = (why: string) => {
      for (const w of this.waiting.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new Error(`${why}${this.stderr.trim() ? `; stderr: ${this.stderr.trim().split("\n").slice(-3).join(" | ")}` : ""}`));
      }
    };
    proc.on("error", (e) => died(`cannot start ${python}: ${e.message}`));
    proc.on("exit", (code, sig) => died(`process exited (${sig ?? code})`));
    await this.next(); // {"ready": true}
    this.info = await this.request("info");
  }

  private next(): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no answer within ${this.timeoutMs / 1000} s`));
        this.waiting = this.waiting.filter((w) => w.timer !== timer);
      }, this.timeoutMs);
      this.waiting.push({ resolve, reject, timer });
    });
  }

  request(cmd: string): Promise<any> {
    if (!this.proc || this.proc.exitCode !== null) return Promise.reject(new Error("process is not running"));
    const p = this.next();
    this.proc.stdin.write(cmd + "\n");
    return p;
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((r) => proc.once("exit", () => r()));
    proc.stdin.end("quit\n");
    const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await gone;
    clearTimeout(t);
  }

  /** Which BLAS the process has mapped: "OpenBLAS", "reference BLAS", "other" or "none mapped". */
  blasSummary(): string {
    const libs = this.info?.blas_libraries.filter((l) => /blas|lapack/.test(path.basename(l))) ?? [];
    const openblas = libs.some((l) => /openblas/.test(l));
    const reference = libs.some((l) => /\/blas\/|\/lapack\//.test(l));
    return openblas ? "OpenBLAS" : reference ? "reference BLAS" : libs.length ? "other" : "none mapped";
  }
}

/** The thread count of "all cores" for the benchmarks: the machine's (os.availableParallelism()). */
export function allCores(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}
