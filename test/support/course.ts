// The course's notebooks executed once per `npm test` run (quick mode) and shared by the suites
// that look at the results (browser: reports; lab: JupyterLab's renderers): `seqlab run` with
// executed notebooks, HTML reports and recorded output messages (for replaying display updates).
//
// test/run.ts gives every test file of a run the same folder (SEQLAB_TEST_RUN_DIR). The first
// suite to ask creates DIR/course (mkdir is atomic, so two suites running at once cannot both win)
// and runs the course; any other waits for its result file. Without that variable (a test file run
// on its own) the course runs into a fresh folder.
import { spawn } from "child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "fs";
import * as path from "path";
import { CLI, ROOT, tempDir } from "./tools";

export interface ExecutedCourse {
  /** Executed notebooks (NAME.ipynb), reports (NAME.html) and recordings (NAME.messages.jsonl). */
  dir: string;
  /** The notebooks' file names, in order. */
  notebooks: string[];
  /** `seqlab run`'s exit status and stderr. */
  status: number | null;
  stderr: string;
  /** Whether this call ran the course (false: another suite of this run had). */
  ran: boolean;
}

export const COURSE = (): string[] =>
  readdirSync(path.join(ROOT, "notebooks"))
    .filter((f) => f.endsWith(".ipynb"))
    .sort();

const RESULT = "run-result.json";

function runCourse(dir: string, notebooks: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [CLI, "run", ...notebooks.map((f) => path.join(ROOT, "notebooks", f)), "--out", dir, "--html", dir, "--record", dir],
      {
        // the English edition's messages (SEQLAB_LANG=ko would give the Korean edition's)
        env: { ...process.env, SEQLAB_QUICK: "1", SEQLAB_LANG: "en" },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill("SIGKILL"), 35 * 60_000);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status: status ?? (signal ? 128 : null), stderr: signal ? `${stderr}\nkilled by ${signal}` : stderr });
    });
  });
}

let mine: Promise<ExecutedCourse> | undefined;

/** The executed course: run now, or by another suite of this test run. */
export function executedCourse(): Promise<ExecutedCourse> {
  mine ??= (async () => {
    const notebooks = COURSE();
    const shared = process.env.SEQLAB_TEST_RUN_DIR;
    const dir = path.join(shared && existsSync(shared) ? shared : tempDir("seqlab-course-"), "course");
    let owner = false;
    try {
      mkdirSync(dir);
      owner = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const result = path.join(dir, RESULT);
    if (owner) {
      writeFileSync(path.join(dir, "owner.pid"), String(process.pid));
      const r = await runCourse(dir, notebooks);
      writeFileSync(`${result}.tmp`, JSON.stringify(r));
      renameSync(`${result}.tmp`, result); // whole or absent for a suite that waits
      return { dir, notebooks, ...r, ran: true };
    }
    // Another suite is running it: wait for its result (written once, by rename), or its end.
    const pidFile = path.join(dir, "owner.pid");
    for (;;) {
      if (existsSync(result)) return { dir, notebooks, ...JSON.parse(readFileSync(result, "utf8")), ran: false };
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : 0;
      if (pid && !alive(pid)) throw new Error(`the test process ${pid} that was running the course into ${dir} ended without a result`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return mine;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
