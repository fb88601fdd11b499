// A class on JupyterHub (deploy/jupyterhub): 8 students log in, start their servers through the
// hub's REST API, find the course copied into their homes, and run 00-kernel-tour and 03-char-rnn
// (quick mode) all at once through the hub's proxy over the kernel websocket, as JupyterLab does.
// Every cell must succeed and every output must arrive: each student's notebooks end with the same
// outputs (digits aside: timings and counts) as a reference run of the same notebook alone on the
// machine over zeromq.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import { copyCourse, MANIFEST } from "../../kernel/tools/course-copy";
import { corpusMirror } from "../support/prereq";
import { tempDir } from "../support/tools";
import { Hub, NotebookRun, Output, referenceRun, Student } from "./classroom";

const STUDENTS = 8;
const NOTEBOOKS = ["00-kernel-tour.ipynb", "03-char-rnn.ipynb"];

function describeDiff(who: string, nb: string, cell: number, want: Output[], got: Output[]): string {
  return `${who}, ${nb}, code cell ${cell + 1}: outputs differ from the reference run\nexpected ${JSON.stringify(want, null, 1).slice(0, 3000)}\ngot      ${JSON.stringify(got, null, 1).slice(0, 3000)}`;
}

test(
  `a class of ${STUDENTS} on JupyterHub runs ${NOTEBOOKS.join(" and ")} at once; every cell succeeds, every output arrives`,
  { timeout: 45 * 60_000 },
  async (t) => {
    const env = { SEQLAB_QUICK: "1", SEQLAB_DATA: corpusMirror()! };

    // The reference: each notebook alone, straight over zeromq, from a copy of the course.
    const refDir = tempDir("seqlab-hub-ref-");
    copyCourse(refDir);
    const reference = new Map<string, Output[][]>();
    for (const nb of NOTEBOOKS)
      reference.set(nb, await referenceRun(path.join(refDir, nb), refDir, { ...process.env, ...env, NODE_OPTIONS: "" }));

    const hub = await Hub.start({ env });
    t.after(() => hub.stop());
    const students = Array.from({ length: STUDENTS }, (_, i) => new Student(hub, `student${i + 1}`));

    await t.test("every student logs in through the hub's login form and gets an API token", async () => {
      await Promise.all(students.map((s) => s.login()));
      for (const s of students) assert.match(s.token, /^[0-9a-f]{32}$/, `${s.name}'s token`);
    });

    await t.test("servers started through the REST API, each with the course copied into its home", async () => {
      const ms = await Promise.all(students.map((s) => s.startServer()));
      t.diagnostic(`servers ready after ${Math.min(...ms)}-${Math.max(...ms)} ms (started together)`);
      for (const s of students) {
        const course = path.join(s.home, "seqlab-course");
        for (const nb of NOTEBOOKS) assert.ok(existsSync(path.join(course, nb)), `${s.name}: no ${nb} in ${course}`);
        assert.ok(existsSync(path.join(course, MANIFEST)), `${s.name}: no ${MANIFEST}`);
      }
    });

    const runs = new Map<string, NotebookRun[]>();
    await t.test(`${STUDENTS} students run ${NOTEBOOKS.join(", ")} at the same time over the kernel websocket`, async () => {
      const t0 = Date.now();
      await Promise.all(
        students.map(async (s) => {
          const mine: NotebookRun[] = [];
          for (const nb of NOTEBOOKS) mine.push(await s.runNotebook(`seqlab-course/${nb}`));
          runs.set(s.name, mine);
        }),
      );
      t.diagnostic(`all notebooks of all students done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      const failed = [...runs].flatMap(([who, rs]) =>
        rs.flatMap((r) =>
          r.cells.filter((c) => c.status !== "ok").map((c) => `${who}, ${r.notebook}, code cell ${c.index + 1}: ${c.status}: ${c.error}`),
        ),
      );
      assert.deepEqual(failed, [], "cells that did not succeed");
      const differ: string[] = [];
      for (const [who, rs] of runs) {
        for (const r of rs) {
          const nb = path.basename(r.notebook);
          const want = reference.get(nb)!;
          assert.equal(r.cells.length, want.length, `${who}, ${nb}: ${r.cells.length} cells run, ${want.length} in the notebook`);
          for (const c of r.cells)
            if (!isDeepStrictEqual(c.outputs, want[c.index])) differ.push(describeDiff(who, nb, c.index, want[c.index], c.outputs));
        }
      }
      assert.equal(
        differ.length,
        0,
        `${differ.length} cells whose outputs differ from the reference run:\n${differ.slice(0, 5).join("\n\n")}`,
      );
      const outputs = [...runs.values()].flat().reduce((n, r) => n + r.cells.reduce((m, c) => m + c.outputs.length, 0), 0);
      t.diagnostic(`${outputs} outputs arrived, each as in the reference run`);
      assert.ok(outputs > STUDENTS * 20, `only ${outputs} outputs in all`);
    });

    await t.test("the next start of a server keeps a notebook the student changed (pre-spawn hook, seqlab course)", async () => {
      const s = students[0];
      await s.stopServer();
      const file = path.join(s.home, "seqlab-course", "00-kernel-tour.ipynb");
      const nb = JSON.parse(readFileSync(file, "utf8"));
      nb.cells.push({ cell_type: "markdown", metadata: {}, source: "my notes" });
      const mine = JSON.stringify(nb, null, 1) + "\n";
      writeFileSync(file, mine);
      await s.startServer();
      assert.equal(readFileSync(file, "utf8"), mine, "the student's notebook was overwritten");
      assert.match(
        readFileSync(hub.logFile, "utf8"),
        new RegExp(`seqlab course for ${s.name}: +kept ${file}: you changed it since it was copied`),
      );
    });
  },
);
