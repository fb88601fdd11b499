// The converter (kernel/server/converter.ts) through the executor, in this process: what later cells see
// of earlier ones (values and types, shadowing), long sessions, large literals. Protocol tests
// cover the same path through a kernel; these can count the converter's work.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Executor } from "../../kernel/server/executor";
import { Interrupts } from "../../kernel/server/interrupts";
import { sharedState } from "../../kernel/server/shared-state";
import type { ConverterStats } from "../../kernel/server/converter";
import { tempDir } from "../support/tools";

let ex: Executor;
let n = 0;
const interrupts = new Interrupts(sharedState(), () => {});

/** Execute as the kernel does: each execution is a cell the interrupt machinery knows. */
async function execute(src: string) {
  n++;
  const cell = interrupts.start();
  try {
    return await ex.execute(src, `Cell In[${n}]`, `cell[${n}]`, cell);
  } finally {
    interrupts.end(cell);
  }
}

/** Run a cell; its value (as the kernel would show it), or throw with the error. */
async function run(src: string): Promise<unknown> {
  const o = await execute(src);
  if (!o.ok) throw new Error(`${o.error.ename}: ${o.error.evalue}`);
  return o.hasValue ? o.value : undefined;
}

/** The type error a cell gets (it must get one). */
async function typeError(src: string): Promise<string> {
  const o = await execute(src);
  assert.equal(o.ok, false, `expected a type error from ${JSON.stringify(src)}`);
  if (o.ok) return "";
  assert.equal(o.error.ename, "TSError");
  return o.error.evalue;
}

const hover = (code: string, pos = code.length) =>
  ex
    .inspect(code, pos)
    ?.displayParts?.map((p) => p.text)
    .join("") ?? "";

before(() => {
  // A bare folder, as a notebook's may be.
  ex = new Executor(tempDir("seqlab-conv-"), interrupts);
});

describe("later cells see earlier ones", () => {
  test("a variable declared again takes its new type; earlier values stay where they were used", async () => {
    await run("let x = 1;\nconst before = x + 1;");
    await run('const x = "abc";');
    assert.equal(await run("x.length"), 3);
    assert.match(await typeError("const n: number = x;"), /Type 'string' is not assignable to type 'number'/);
    assert.equal(await run("before"), 2);
  });

  test("an interface declared again: new uses get the new one, older declarations keep theirs", async () => {
    await run("interface P { x: number }\nconst p: P = { x: 1 };");
    await run("interface P { y: string }");
    assert.equal(await run('const q: P = { y: "s" };\nq.y'), "s");
    assert.match(await typeError("const r: P = { x: 1 };"), /Type '\{ x: number; \}' is not assignable to type 'P'/);
    assert.equal(await run("p.x + 1"), 2);
    // A declaration inferred from p names the earlier P, which no name reaches now.
    await run("const ps = [p];");
    assert.equal(await run("ps[0].x"), 1);
    assert.match(await typeError("ps[0].y"), /Property 'y' does not exist/);
  });

  test("a value that shadows a class keeps the class as a type", async () => {
    await run("class A { a = 1 }");
    await run("const A = 5;");
    assert.equal(await run("const a2: A = { a: 2 };\na2.a + A"), 7);
    assert.match(await typeError("const a3: A = { b: 1 };"), /Type '\{ b: number; \}' is not assignable to type 'A'/);
  });

  test("functions and imports declared again", async () => {
    await run("function f(x: number) { return x * 2; }");
    await run("function f(s: string) { return s + s; }");
    assert.equal(await run('f("ab")'), "abab");
    assert.match(await typeError("f(3)"), /not assignable to parameter of type 'string'/);
    await run('import { join } from "path";');
    assert.equal(await run('join("a", "b")'), "a/b");
    await run("const join = 3;");
    assert.equal(await run("join + 1"), 4);
  });

  test("earlier variables inside functions, shorthands, destructuring and assignments", async () => {
    await run("let count = 0;\nconst base = 10;");
    await run("function bump() { count++; return count; }");
    assert.equal(await run("bump(); bump()"), 2);
    assert.deepEqual(await run("({ count, base })"), { count: 2, base: 10 });
    await run("({ count } = { count: 7 });");
    assert.equal(await run("count"), 7);
    await run("[count] = [9];");
    assert.equal(await run("count"), 9);
    // A call of an earlier function does not get the exports object as `this`.
    await run("function who(this: unknown) { return this === undefined || this === globalThis; }");
    assert.equal(await run("who()"), true);
  });
});

describe("cost over a long session", () => {
  test("400 declaring cells: the converter's work per cell stays flat", async () => {
    const stats = (): ConverterStats => ({ ...ex.conv.stats });
    const depth = ex.conv.stats.scopeDepth;
    const deltas: { parsedChars: number; parsedFiles: number; programs: number }[] = [];
    for (let i = 0; i < 400; i++) {
      const s0 = stats();
      await run(`const c${i} = ${i};\nfunction f${i}(x: number) { return x + c${i}; }`);
      const s1 = stats();
      deltas.push({
        parsedChars: s1.parsedChars - s0.parsedChars,
        parsedFiles: s1.parsedFiles - s0.parsedFiles,
        programs: s1.programs - s0.programs,
      });
    }
    const sum = (from: number, to: number, k: "parsedChars" | "parsedFiles" | "programs") =>
      deltas.slice(from, to).reduce((a, d) => a + d[k], 0);
    // Text parsed by cells 300-399 against cells 10-109: the same but for the longer numbers
    // (tslab's converter parsed every earlier cell's declarations again at each cell).
    const early = sum(10, 110, "parsedChars"),
      late = sum(300, 400, "parsedChars");
    assert.ok(late < early * 1.15, `cells 300-399 parsed ${late} characters, cells 10-109 ${early}`);
    // Files parsed by a cell: itself twice (without and with its `export { ... }`) and its
    // declarations; now and then 64 empty declaration slots as well.
    const median = (from: number, to: number) =>
      deltas
        .slice(from, to)
        .map((d) => d.parsedFiles)
        .sort((a, b) => a - b)[(to - from) >> 1];
    assert.equal(median(10, 110), 3);
    assert.equal(median(300, 400), 3);
    // A new program every 64 declaring cells (the declaration slots) and every 100 cells.
    assert.ok(sum(0, 400, "programs") <= 12, `${sum(0, 400, "programs")} programs for 400 cells`);
    // A name lookup passes a layer of names or two (a class's type under a value, from the tests
    // above), not one per earlier cell.
    assert.equal(ex.conv.stats.scopeDepth, Math.max(depth, 1));
    assert.equal(await run("f399(1) + f10(1)"), 399 + 1 + 10 + 1);
  });
});

describe("large literals", () => {
  test("a 1 MB string constant is kept as `string`, not as its text", async () => {
    const before = ex.conv.stats.declarationChars;
    await run(`const huge = "${"x".repeat(1_000_000)}";`);
    assert.ok(ex.conv.stats.declarationChars - before < 200, `the declaration kept ${ex.conv.stats.declarationChars - before} characters`);
    const parsed = ex.conv.stats.parsedChars;
    assert.equal(await run("huge.length"), 1_000_000);
    assert.ok(ex.conv.stats.parsedChars - parsed < 200, "a later cell parsed the literal again");
    assert.equal(hover("huge"), "const huge: string");
  });

  test("long number, bigint and `as const` literals are widened; short ones keep their literal type", async () => {
    await run(`const big = ${"9".repeat(150)}n;\nconst obj = { s: "${"y".repeat(200)}" } as const;\nconst mode = "train";`);
    assert.equal(hover("big"), "const big: bigint");
    assert.equal(hover("obj"), "const obj: {\n    readonly s: string;\n}");
    assert.equal(hover("mode"), 'const mode: "train"');
  });
});
