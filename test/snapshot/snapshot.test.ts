// The kernel started from its start-up snapshot (kernel/server/snapshot.ts): the compiler and the
// declaration files come from the snapshot, the kernel still behaves as one started without it,
// and the launcher never hands node a snapshot it cannot load.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, writeFileSync } from "fs";
import * as path from "path";
import { KernelClient, Reply } from "../../kernel/tools/client";
import { kernelCommand } from "../../kernel/server/snapshotblob";
import { CLI, ROOT, tempDir } from "../support/tools";

const result = (r: Reply) => r.outputs.find((m) => m.header.msg_type === "execute_result")?.content.data["text/plain"];
const STATS = "console.log(JSON.stringify((globalThis as any).__seqlabSnapshot?.stats ?? null))";
const LAUNCHER = path.join(ROOT, "dist", "kernel", "server", "snapshot", "kernel.sh");
/** A declaration file that is not the kernel's own record of earlier cells (converter.ts, scope.ts). */
const isLibraryDeclaration = (f: string) => f.endsWith(".d.ts") && !/\/__(decl|scope)_\d+__\.d\.ts$/.test(f);

async function stats(k: KernelClient): Promise<{ hits: number; parsed: string[] } | null> {
  const r = await k.execute(STATS);
  assert.equal(r.reply.content.status, "ok", JSON.stringify(r.reply.content));
  const out = r.outputs
    .filter((m) => m.header.msg_type === "stream")
    .map((m) => m.content.text)
    .join("");
  return JSON.parse(out);
}

describe("a kernel from the snapshot", () => {
  let k: KernelClient;
  let cwd: string;
  before(async () => {
    assert.equal(kernelCommand()[0], "/bin/sh", "kernelCommand() should go through the launcher");
    cwd = tempDir("seqlab-snap-");
    k = await KernelClient.start({ cwd, env: { ...process.env, NODE_OPTIONS: "" } });
  });
  after(async () => k.shutdown());

  test("takes the standard library and @types/node from the snapshot and parses only the cells", async () => {
    const s = await stats(k);
    assert.ok(s, "the kernel was not started from the snapshot");
    assert.ok(s.hits >= 100, `only ${s.hits} declaration files came from the snapshot`);
    const declarations = s.parsed.filter(isLibraryDeclaration);
    assert.deepEqual(declarations, [], "declaration files parsed again");
  });

  test("an import of seqlab, with tfjs's types, parses no declarations either", async () => {
    const r = await k.execute('import { CharTokenizer } from "seqlab";\nnew CharTokenizer().tokenize("가나").length');
    assert.equal(result(r), "2", JSON.stringify(r.reply.content));
    const s = await stats(k);
    assert.ok(s && s.hits >= 500, `only ${s?.hits} declaration files came from the snapshot`);
    assert.deepEqual(s.parsed.filter(isLibraryDeclaration), []);
  });

  test("works in the notebook's folder, not the one the snapshot was built in", async () => {
    const r = await k.execute("process.cwd()");
    assert.equal(result(r), `'${cwd}'`);
    // A file beside the notebook is found by the compiler (module resolution starts there).
    writeFileSync(path.join(cwd, "helper.ts"), "export const answer: number = 42;\n");
    const imp = await k.execute('import { answer } from "./helper";\nanswer + 1');
    assert.equal(result(imp), "43");
  });

  test("type checks with the saved declarations: Node's and the standard library's", async () => {
    const bad = await k.execute('const n: number = "seven";');
    assert.equal(bad.reply.content.status, "error");
    assert.match(bad.reply.content.evalue, /Type 'string' is not assignable to type 'number'/);
    const fsCell = await k.execute('import * as fs from "fs";\nconst there: boolean = fs.existsSync(".");\nthere');
    assert.equal(result(fsCell), "true");
    const wrongNode = await k.execute('import * as os from "os";\nconst c: string = os.cpus();');
    assert.equal(wrongNode.reply.content.status, "error");
    assert.match(wrongNode.reply.content.evalue, /CpuInfo\[\]' is not assignable to type 'string'/);
  });

  test("completion and inspection see the saved declarations, documentation included", async () => {
    const code = "[1, 2].fla";
    const c = (await k.request("complete_request", { code, cursor_pos: code.length })).reply.content;
    assert.ok(c.matches.includes("flatMap"), JSON.stringify(c.matches));
    const i = (await k.request("inspect_request", { code: "Math.max", cursor_pos: 8, detail_level: 0 })).reply.content;
    assert.equal(i.found, true);
    assert.match(i.data["text/plain"], /Returns the larger of a set of supplied numeric expressions/);
  });
});

describe("the launcher", () => {
  test("starts without the snapshot when NODE_OPTIONS is set (a snapshot loads only under its own V8 flags)", async () => {
    const k = await KernelClient.start({ cwd: tempDir(), env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=3000" } });
    try {
      assert.equal(await stats(k), null);
      assert.equal(result(await k.execute("const x: number = 20; x + 1")), "21");
    } finally {
      await k.shutdown();
    }
  });

  test("starts without a snapshot that another node binary built (it would crash node)", async () => {
    // A copy of the launcher beside a blob that is not a snapshot at all and the identity of some
    // other binary: if the launcher handed it to node, node would abort.
    const dir = tempDir("seqlab-launcher-");
    copyFileSync(LAUNCHER, path.join(dir, "kernel.sh"));
    writeFileSync(path.join(dir, "kernel.blob"), "not a snapshot");
    writeFileSync(path.join(dir, "node.id"), "1:2:3\n");
    const argv = ["/bin/sh", path.join(dir, "kernel.sh"), process.execPath, CLI, "kernel", "-f", "{connection_file}"];
    const k = await KernelClient.start({ argv, cwd: tempDir(), env: { ...process.env, NODE_OPTIONS: "" } });
    try {
      assert.equal(await stats(k), null);
      assert.equal(result(await k.execute("1 + 1")), "2");
    } finally {
      await k.shutdown();
    }
  });
});
