// Top-level await in every position a TypeScript module allows, against a real kernel: the
// value, the type later cells see, and the cell's last value as its result. (tslab found a
// top-level await only from one diagnostic, with the keyword just before its end: a nested
// await or a `for await` failed at run time.)
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { KernelClient, Reply } from "../../kernel/tools/client";
import { tempDir } from "../support/tools";

let k: KernelClient;
const result = (r: Reply) => r.outputs.find((m) => m.header.msg_type === "execute_result")?.content.data["text/plain"];
const stdout = (r: Reply) =>
  r.outputs
    .filter((m) => m.header.msg_type === "stream" && m.content.name === "stdout")
    .map((m) => m.content.text)
    .join("");

async function ok(code: string): Promise<Reply> {
  const r = await k.execute(code);
  assert.equal(r.reply.content.status, "ok", `${code}\n→ ${r.reply.content.ename}: ${r.reply.content.evalue}`);
  return r;
}

async function typeError(code: string): Promise<string> {
  const r = await k.execute(code);
  assert.equal(r.reply.content.status, "error", `${code} should not compile`);
  assert.equal(r.reply.content.ename, "TSError");
  return r.reply.content.evalue;
}

before(async () => {
  k = await KernelClient.start({ cwd: tempDir("seqlab-await-"), env: { ...process.env, XDG_DATA_HOME: tempDir() } });
  await ok("const later = <T,>(v: T, ms = 1) => new Promise<T>((r) => setTimeout(() => r(v), ms));");
});
after(async () => k.shutdown());

describe("top-level await", () => {
  test("as the last expression: its value is the result", async () => {
    assert.equal(result(await ok('await later("last")')), "'last'");
  });

  test("nested: await (await p).f()", async () => {
    assert.equal(result(await ok("await (await later({ f: async () => 5 })).f()")), "5");
  });

  test("for await over an async generator and over an array of promises", async () => {
    assert.equal(
      result(await ok("async function* gen() { yield 1; yield 2; yield 3; }\nlet sum = 0;\nfor await (const x of gen()) sum += x;\nsum")),
      "6",
    );
    assert.equal(
      result(await ok("let joined = '';\nfor await (const s of [later('a'), later('b', 5), 'c']) joined += s;\njoined")),
      "'abc'",
    );
  });

  test("in a template literal, in arguments, in conditions", async () => {
    assert.equal(result(await ok("`v=${await later(4)}!`")), "'v=4!'");
    assert.equal(result(await ok("Math.max(await later(3), 1, await later(2))")), "3");
    assert.equal(stdout(await ok('if (await later(true)) console.log("yes"); else console.log("no");')), "yes\n");
    assert.equal(result(await ok("(await later(false)) ? 1 : 2")), "2");
    assert.equal(result(await ok("let w = 0;\nwhile (await later(w < 3)) w++;\nw")), "3");
  });

  test("in destructuring declarations, whose names and types later cells see", async () => {
    assert.equal(result(await ok("const { a, b: [c] } = await later({ a: 1, b: ['two'] });\na")), "1");
    assert.equal(result(await ok("c.toUpperCase()")), "'TWO'");
    assert.match(await typeError("const wrong: number = c;"), /Type 'string' is not assignable to type 'number'/);
  });

  test("the awaited type, not the promise's, is what a declaration gets", async () => {
    await ok("const n = await later(5);\nconst p = later(6);");
    assert.equal(result(await ok("n + 1")), "6");
    assert.match(await typeError("const s: string = n;"), /Type 'number' is not assignable to type 'string'/);
    assert.equal(result(await ok("(await p) + 1")), "7");
  });

  test("inside a top-level block, if and loop, with the cell's variables updated", async () => {
    assert.equal(stdout(await ok("{ const r = await later(1); console.log(r); }")), "1\n");
    assert.equal(result(await ok("let ticks = 0;\nfor (let i = 0; i < 3; i++) { await later(null); ticks++; }\nticks")), "3");
    assert.equal(result(await ok("try { await Promise.reject(new Error('no')); } catch (e) { ticks = -1; }\nticks")), "-1");
  });

  test("an async cell that ends with a promise shows the promise, as a synchronous one does", async () => {
    assert.equal(result(await ok("await later(0);\nPromise.resolve(1)")), "Promise { 1 }");
    assert.equal(result(await ok("Promise.resolve(2)")), "Promise { 2 }");
  });

  test("not top level: in a class field initialiser or a plain function it stays an error", async () => {
    assert.match(await typeError("class K { v = await later(1); }"), /TS1308/);
    assert.match(await typeError("function g() { return await later(1); }"), /TS1308/);
    assert.match(await typeError("[1].map((x) => await later(x));"), /TS1308/);
  });

  test("an error after an await points at the cell's own line", async () => {
    const r = await k.execute("await later(0);\n\nthrow new RangeError('after await');");
    assert.equal(r.reply.content.ename, "RangeError");
    const tb = r.reply.content.traceback.join("\n").replace(/\x1b\[[0-9;]*m/g, "");
    assert.match(tb, /Cell In\[\d+\], line 3/);
  });
});
