// What a cell sees of the cells before it, against a real kernel: completion and inspection of
// their names, names declared again, `%module` cells, local files, a large literal.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "fs";
import * as path from "path";
import { KernelClient, Reply } from "../../kernel/tools/client";
import { tempDir } from "../support/tools";

let k: KernelClient;
let cwd: string;
const result = (r: Reply) => r.outputs.find((m) => m.header.msg_type === "execute_result")?.content.data["text/plain"];

async function ok(code: string): Promise<Reply> {
  const r = await k.execute(code);
  assert.equal(r.reply.content.status, "ok", `${code.slice(0, 200)}\n→ ${r.reply.content.ename}: ${r.reply.content.evalue}`);
  return r;
}

async function complete(code: string): Promise<string[]> {
  return (await k.request("complete_request", { code, cursor_pos: Array.from(code).length })).reply.content.matches;
}

async function inspect(code: string): Promise<string> {
  const c = (await k.request("inspect_request", { code, cursor_pos: Array.from(code).length, detail_level: 0 })).reply.content;
  return c.found ? c.data["text/plain"] : "";
}

before(async () => {
  cwd = tempDir("seqlab-cells-");
  k = await KernelClient.start({ cwd, env: { ...process.env, XDG_DATA_HOME: tempDir() } });
});
after(async () => k.shutdown());

describe("earlier cells' names", () => {
  test("are completed and inspected, with their types and docs", async () => {
    await ok(
      "/** How many steps. */\nconst earlierCount = 3;\nfunction earlierTwice(x: number) { return 2 * x; }\ninterface EarlierShape { width: number }",
    );
    const names = await complete("earl");
    assert.ok(names.includes("earlierCount") && names.includes("earlierTwice"), JSON.stringify(names));
    assert.ok((await complete("earlierCount.toF")).includes("toFixed"));
    assert.ok((await complete("const s: EarlierShape = { w")).includes("width"));
    assert.match(await inspect("earlierTwice"), /function earlierTwice\(x: number\): number/);
    assert.match(await inspect("earlierCount"), /const earlierCount: 3\n\nHow many steps\./);
  });

  test("declared again, they complete and inspect as the new declaration", async () => {
    await ok('const earlierCount = "three";');
    assert.match(await inspect("earlierCount"), /const earlierCount: "three"/);
    assert.ok((await complete("earlierCount.toUpp")).includes("toUpperCase"));
    assert.equal(result(await ok("earlierCount.length + earlierTwice(1)")), "7");
  });
});

describe("modules", () => {
  test("a %module cell is imported by later cells, and declared again", async () => {
    await ok("/** @module helpers */\nexport const h = 1;\nexport function inc(x: number) { return x + h; }");
    assert.equal(result(await ok('import { inc } from "./helpers";\ninc(1)')), "2");
    await ok("/** @module helpers */\nexport const h = 10;\nexport function inc(x: number) { return x + h; }");
    assert.equal(result(await ok('import { inc as inc2 } from "./helpers";\ninc2(1)')), "11");
  });

  test("a local .ts file is compiled when imported, and again once it changed", async () => {
    const file = path.join(cwd, "local.ts");
    writeFileSync(file, "export const version: number = 1;\n");
    assert.equal(result(await ok('import { version } from "./local";\nversion')), "1");
    // A different modification time even on a coarse clock.
    writeFileSync(file, 'export const version: string = "two";\n');
    const { utimesSync } = await import("fs");
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.equal(result(await ok('import { version as v2 } from "./local";\nv2')), "'two'");
    assert.match(await inspect("v2"), /v2: string/);
  });
});

describe("a large literal", () => {
  test("a 5 MB string constant: later cells run and see a string", async () => {
    await ok(`const big = "${"z".repeat(5_000_000)}";`);
    assert.equal(result(await ok("big.length")), "5000000");
    assert.equal(await inspect("big"), "const big: string");
  });
});
