// Every path a user types (SEQLAB_DATA, notebooks, --out, --html, -o) lands where the user meant:
// in the folder where the command was typed, although kernels run in their notebook's folder. And
// a kernel started (as Jupyter does) with a relative SEQLAB_DATA says which folder it read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { KernelClient } from "../../kernel/tools/client";
import { CLI, ROOT, tempDir } from "../support/tools";

const MIRROR = process.env.SEQLAB_DATA;
const noMirror =
  MIRROR && existsSync(path.join(MIRROR, "names.txt"))
    ? false
    : "no corpus mirror holding names.txt: set SEQLAB_DATA to the offline mirror";

const code = (source: string) => ({ cell_type: "code", source, metadata: {}, outputs: [], execution_count: null });

/** A folder as a user would have it: T/nb/demo.ipynb reads corpus "names" from SEQLAB_DATA=data, meaning T/data. */
function workspace(): string {
  const t = tempDir("seqlab-typed-");
  mkdirSync(path.join(t, "nb"));
  mkdirSync(path.join(t, "data"));
  copyFileSync(path.join(MIRROR!, "names.txt"), path.join(t, "data", "names.txt"));
  const cells = [
    code(
      'import { loadCorpusSync } from "seqlab";\nconst names = loadCorpusSync("names").split("\\n").filter(Boolean);\nconsole.log(`names: ${names.length}`);',
    ),
  ];
  writeFileSync(path.join(t, "nb", "demo.ipynb"), JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }));
  return t;
}

/** The environment of a shell: no npm variables from the `npm test` that runs this. */
function shellEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|INIT_CWD$)/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

const stdoutOf = (nbFile: string) =>
  JSON.parse(readFileSync(nbFile, "utf8"))
    .cells[0].outputs.filter((o: any) => o.output_type === "stream")
    .map((o: any) => o.text.join(""))
    .join("");

test("seqlab run: relative notebook, --out, --html and SEQLAB_DATA are read where the command was typed", { skip: noMirror }, () => {
  const t = workspace();
  const r = spawnSync(process.execPath, [CLI, "run", "nb/demo.ipynb", "--out", "executed", "--html", "html"], {
    cwd: t,
    env: shellEnv({ SEQLAB_DATA: "data" }),
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(stdoutOf(path.join(t, "executed", "demo.ipynb")), /names: \d{4,}/);
  assert.ok(existsSync(path.join(t, "html", "demo.html")), "the report is in T/html");
  assert.ok(!existsSync(path.join(t, "nb", "executed")) && !existsSync(path.join(t, "nb", "html")), "nothing lands beside the notebook");
});

test("seqlab export: a relative -o is read where the command was typed", { skip: noMirror }, () => {
  const t = workspace();
  const r = spawnSync(process.execPath, [CLI, "export", "nb/demo.ipynb", "-o", "pages/demo.html"], {
    cwd: t,
    env: shellEnv({}),
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(path.join(t, "pages", "demo.html")));
});

test(
  "npm start typed in another folder: its notebooks, --out and SEQLAB_DATA are read there (npm runs the script in the package root)",
  { skip: noMirror },
  () => {
    const t = workspace();
    const r = spawnSync("npm", ["--prefix", ROOT, "start", "--", "nb/demo.ipynb", "--out", "reports", "--quick"], {
      cwd: t,
      env: shellEnv({ SEQLAB_DATA: "data" }),
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`1 notebook into ${t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/reports`));
    assert.match(stdoutOf(path.join(t, "reports", "en", "demo.ipynb")), /names: \d{4,}/);
    assert.ok(existsSync(path.join(t, "reports", "en", "demo.html")));
    assert.ok(existsSync(path.join(t, "reports", ".cache.json")));
    assert.match(r.stdout, /jupyter lab nb\/\n/, "the command to type is relative to where npm start was typed");
  },
);

test("a kernel with a relative SEQLAB_DATA names the absolute folder it read, once", async () => {
  const t = tempDir("seqlab-rel-");
  const nbDir = path.join(t, "notebooks");
  mkdirSync(nbDir);
  const k = await KernelClient.start({ cwd: nbDir, env: { ...process.env, SEQLAB_DATA: "../shared/corpora" } });
  try {
    assert.equal((await k.execute('import { loadCorpusSync } from "seqlab";')).reply.content.status, "ok");
    const first = await k.execute('loadCorpusSync("timemachine")');
    const second = await k.execute('loadCorpusSync("names")');
    const error = (r: { reply: any }) => `${r.reply.content.ename}: ${r.reply.content.evalue}`;
    assert.equal(first.reply.content.status, "error");
    const read = path.join(t, "shared", "corpora");
    assert.ok(error(first).includes(`SEQLAB_DATA=${read}`), error(first));
    assert.ok(error(first).includes(`the relative path "../shared/corpora" read from ${nbDir}`), error(first));
    assert.equal(second.reply.content.status, "error");
    assert.ok(error(second).includes(`SEQLAB_DATA=${read}`), error(second));
    assert.ok(!error(second).includes("relative path"), `said once only: ${error(second)}`);
  } finally {
    await k.shutdown();
  }
});
