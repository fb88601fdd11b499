// The kernel against a real kernel process, over zeromq, through our client.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { KernelClient, Reply } from "../../kernel/tools/client";
import { encode, Message, Signer } from "../../kernel/server/wire";
import { tempDir } from "../support/tools";

let k: KernelClient;
const types = (r: Reply) => r.outputs.map((m) => m.header.msg_type);
const result = (r: Reply) => r.outputs.find((m) => m.header.msg_type === "execute_result")?.content.data["text/plain"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  // A bare folder: no node_modules, no package.json (tslab fails every cell here).
  k = await KernelClient.start({ cwd: tempDir("seqlab-nb-"), env: { ...process.env, XDG_DATA_HOME: tempDir() } });
});
after(async () => k.shutdown());

describe("requests", () => {
  test("kernel_info_reply: status, implementation, language_info", async () => {
    const { reply } = await k.request("kernel_info_request", {});
    const c = reply.content;
    assert.equal(c.status, "ok");
    assert.equal(c.implementation, "seqlab");
    assert.match(c.implementation_version, /^\d+\.\d+\.\d+/);
    assert.equal(c.protocol_version, "5.3");
    assert.equal(c.language_info.name, "typescript");
    assert.match(c.language_info.version, /^\d+\.\d+/);
    assert.equal(c.language_info.file_extension, ".ts");
    assert.ok(c.language_info.mimetype && c.language_info.codemirror_mode && c.language_info.pygments_lexer);
    assert.ok(c.banner.includes("seqlab") && c.help_links.length > 0);
  });

  test("every output of a request carries its parent header; busy first, idle last", async () => {
    const seen: Message[] = [];
    k.onIopub = (m) => seen.push(m);
    const r = await k.execute('console.log("a"); 1 + 1');
    k.onIopub = () => {};
    const mine = seen.filter((m) => (m.parent_header as any).msg_id === (r.reply.parent_header as any).msg_id);
    assert.deepEqual(
      mine.map((m) => m.header.msg_type),
      ["status", "execute_input", "stream", "execute_result", "status"],
    );
    assert.equal(mine[0].content.execution_state, "busy");
    assert.equal(mine[mine.length - 1].content.execution_state, "idle");
    assert.equal(r.reply.header.msg_type, "execute_reply");
  });

  test("execution counts go up for stored cells only; silent cells publish no input or result", async () => {
    const a = await k.execute("1");
    const b = await k.execute("2", { content: { store_history: false } });
    const c = await k.execute("3", { content: { silent: true } });
    const d = await k.execute("4");
    assert.equal(b.reply.content.execution_count, a.reply.content.execution_count);
    assert.equal(c.reply.content.execution_count, a.reply.content.execution_count);
    assert.equal(d.reply.content.execution_count, a.reply.content.execution_count + 1);
    assert.deepEqual(types(c), ["status"]);
  });

  test("a last value whose display hook returns {} publishes no execute_result (a self-check's result)", async () => {
    const r = await k.execute('const shownOnce = { [Symbol.for("Jupyter.display")]: () => ({}) };\nshownOnce');
    assert.equal(r.reply.content.status, "ok");
    assert.deepEqual(
      types(r).filter((t) => t !== "status"),
      ["execute_input"],
    );
    const shown = await k.execute('({ [Symbol.for("Jupyter.display")]: () => ({ "text/plain": "me" }) })');
    assert.equal(result(shown), "me");
  });

  test("user_expressions are evaluated after the cell", async () => {
    const r = await k.execute("let ue = 20;", { content: { user_expressions: { twice: "ue * 2", bad: "nope.x" } } });
    assert.equal(r.reply.content.user_expressions.twice.status, "ok");
    assert.equal(r.reply.content.user_expressions.twice.data["text/plain"], "40");
    assert.equal(r.reply.content.user_expressions.bad.status, "error");
  });

  test("state and types persist across cells", async () => {
    await k.execute("interface Point { x: number; y: number }\nconst p: Point = { x: 1, y: 2 };");
    assert.equal(result(await k.execute("p.x + p.y")), "3");
    // Earlier cells' variables in shorthand properties (tslab's converter alone fails here).
    assert.equal(result(await k.execute("({ p })")), "{ p: { x: 1, y: 2 } }");
    // Imports are plain values a later cell may import again.
    await k.execute('import { join } from "path";');
    assert.equal(result(await k.execute('import { join } from "path";\njoin("a", "b")')), "'a/b'");
    const bad = await k.execute("const q: Point = { x: 1 };");
    assert.equal(bad.reply.content.status, "error");
    assert.equal(bad.reply.content.ename, "TSError");
    assert.match(bad.reply.content.evalue, /line 1: Property 'y' is missing/);
  });

  test("a runtime error names the cell's own line, with the line shown", async () => {
    const r = await k.execute("const a = 1;\n\nfunction boom(): number {\n  throw new RangeError('too far');\n}\nboom();");
    const c = r.reply.content;
    assert.equal(c.status, "error");
    assert.equal(c.ename, "RangeError");
    assert.equal(c.evalue, "too far");
    const tb = c.traceback.join("\n").replace(/\x1b\[[0-9;]*m/g, "");
    assert.match(tb, /Cell In\[\d+\], line 4 in boom/);
    assert.match(tb, /Cell In\[\d+\], line 6/);
    assert.match(tb, /----> 4 \|   throw new RangeError/);
    assert.ok(types(r).includes("error"));
  });

  test("the display bundle carries several mimetypes in one message; display ids update", async () => {
    const r = await k.execute(
      'import { display } from "seqlab";\ndisplay({"text/html": "<i>x</i>", "text/plain": "x", "application/json": {"a": 1}}, {displayId: "p1"});\ndisplay({"text/plain": "y"}, {displayId: "p1", update: true});',
    );
    const [d, u] = r.outputs.filter((m) => m.header.msg_type.endsWith("display_data"));
    assert.deepEqual(Object.keys(d.content.data).sort(), ["application/json", "text/html", "text/plain"]);
    assert.deepEqual(d.content.transient, { display_id: "p1" });
    assert.equal(u.header.msg_type, "update_display_data");
    assert.equal(u.content.data["text/plain"], "y");
  });

  test("a value with a Jupyter.display method renders itself as the cell's result", async () => {
    const r = await k.execute(
      'class Tag { [Symbol.for("Jupyter.display")]() { return { "text/html": "<b>tag</b>", "text/plain": "tag" }; } }\nnew Tag()',
    );
    const res = r.outputs.find((m) => m.header.msg_type === "execute_result")!;
    assert.deepEqual(res.content.data, { "text/html": "<b>tag</b>", "text/plain": "tag" });
  });

  test("the package's types resolve in a bare folder: misuse is a type error", async () => {
    const r = await k.execute('import { display } from "seqlab";\ndisplay(1, { displayId: 5 });');
    assert.equal(r.reply.content.ename, "TSError");
    assert.match(r.reply.content.evalue, /Type 'number' is not assignable to type 'string'/);
  });

  test("complete and inspect speak in code points and return types and docs", async () => {
    const code = "const 펼침 = [1];\n펼침.len";
    const c = (await k.request("complete_request", { code, cursor_pos: Array.from(code).length })).reply.content;
    assert.ok(c.matches.includes("length"));
    assert.equal(c.cursor_end, Array.from(code).length);
    assert.equal(c.cursor_start, Array.from(code).length - 3);
    const i = (await k.request("inspect_request", { code: "Math.max", cursor_pos: 8, detail_level: 0 })).reply.content;
    assert.equal(i.found, true);
    assert.match(i.data["text/plain"], /Math\.max\(\.\.\.values: number\[\]\): number/);
    assert.match(i.data["text/markdown"], /```typescript/);
    const none = (await k.request("inspect_request", { code: "   ", cursor_pos: 1, detail_level: 0 })).reply.content;
    assert.equal(none.found, false);
  });

  test("is_complete: template literals, brackets, blocks", async () => {
    const s = async (code: string) => (await k.request("is_complete_request", { code })).reply.content.status;
    assert.equal(await s("const t = `a\n${1 +"), "incomplete");
    assert.equal(await s("if (x) {"), "incomplete");
    assert.equal(await s("1 + 1"), "complete");
    assert.equal(await s("1 +* 1"), "invalid");
  });

  test("history: tail, range and search", async () => {
    await k.execute("const histMarker = 'h1';");
    const tail = (await k.request("history_request", { hist_access_type: "tail", n: 1, output: false, raw: true })).reply.content.history;
    assert.equal(tail[0][2], "const histMarker = 'h1';");
    const [session, line] = tail[0];
    const range = (
      await k.request("history_request", { hist_access_type: "range", session, start: line, stop: line + 1, output: false, raw: true })
    ).reply.content.history;
    assert.deepEqual(range, [[session, line, "const histMarker = 'h1';"]]);
    const search = (
      await k.request("history_request", { hist_access_type: "search", pattern: "*histMarker*", n: 5, output: false, raw: true })
    ).reply.content.history;
    assert.equal(search.length, 1);
  });
});

describe("stdin and comms", () => {
  test("input() asks on stdin and returns the answer", async () => {
    const prompts: string[] = [];
    k.onInput = (p) => (prompts.push(p), "세종");
    const r = await k.execute('import { input } from "seqlab";\nawait input("이름? ")');
    assert.deepEqual(prompts, ["이름? "]);
    assert.equal(result(r), "'세종'");
  });

  test("input() fails clearly when the front end allows no stdin", async () => {
    const r = await k.execute('import { input } from "seqlab";\nawait input("x")', { content: { allow_stdin: false } });
    assert.match(r.reply.content.evalue, /allow_stdin is false/);
  });

  test("comms: a target registered by library code, opened by the front end, echoes and closes", async () => {
    await k.execute(
      'import { registerCommTarget } from "seqlab";\nregisterCommTarget("echo", (comm, data) => ({ onMsg: (d) => comm.send({ echo: d, opened: data }) }));',
    );
    const sent: Message[] = [];
    k.onIopub = (m) => sent.push(m);
    const id = "comm-1";
    await k.request("comm_open", { comm_id: id, target_name: "echo", data: { hello: 1 } });
    const info = (await k.request("comm_info_request", { target_name: "echo" })).reply.content;
    assert.deepEqual(info.comms[id], { target_name: "echo" });
    await k.request("comm_msg", { comm_id: id, data: { n: 7 } });
    const echo = sent.find((m) => m.header.msg_type === "comm_msg");
    assert.deepEqual(echo?.content, { comm_id: id, data: { echo: { n: 7 }, opened: { hello: 1 } } });
    await k.request("comm_close", { comm_id: id, data: {} });
    const after = (await k.request("comm_info_request", {})).reply.content;
    assert.equal(after.comms[id], undefined);
    // An unknown target is closed straight back.
    await k.request("comm_open", { comm_id: "comm-2", target_name: "nobody", data: {} });
    await sleep(50);
    k.onIopub = () => {};
    assert.ok(sent.some((m) => m.header.msg_type === "comm_close" && m.content.comm_id === "comm-2"));
  });
});

describe("interrupts keep state", () => {
  test("a synchronous loop, by interrupt_request and by SIGINT", async () => {
    await k.execute("let survivor = 'still here';");
    for (const how of ["message", "signal"]) {
      const running = k.execute("let spins = 0;\nwhile (true) { spins++; }");
      await sleep(400);
      if (how === "message") {
        const r = await k.interrupt();
        assert.equal(r.reply.content.status, "ok");
      } else k.proc!.kill("SIGINT");
      const r = await running;
      assert.equal(r.reply.content.ename, "KeyboardInterrupt", how);
    }
    assert.equal(result(await k.execute("survivor")), "'still here'");
  });

  test("an interrupt that lands while the cell is still being compiled stops it too", async () => {
    for (let i = 0; i < 4; i++) {
      let started!: () => void;
      const ready = new Promise<void>((r) => (started = r));
      const running = k.execute(`let early${i} = 0;\nwhile (true) { early${i}++; }`, {
        onOutput: (m) => m.header.msg_type === "execute_input" && started(),
      });
      await ready;
      await sleep(i * 10);
      await k.interrupt();
      assert.equal((await running).reply.content.ename, "KeyboardInterrupt");
    }
  });

  test("an await loop stops too, and does not run on in the background", async () => {
    await k.execute("let ticks = 0;");
    // Interrupt once the loop has ticked (on a loaded machine compiling the cell can take longer
    // than any fixed wait, and an interrupt during compilation would stop it before its first tick).
    let ticking!: () => void;
    const ticked = new Promise<void>((r) => (ticking = r));
    const running = k.execute("for (;;) { await new Promise((r) => setTimeout(r, 5)); if (++ticks === 3) console.log('ticking'); }", {
      onOutput: (m) => m.header.msg_type === "stream" && ticking(),
    });
    await ticked;
    await k.interrupt();
    assert.equal((await running).reply.content.ename, "KeyboardInterrupt");
    const t1 = Number(result(await k.execute("ticks")));
    await sleep(100);
    const t2 = Number(result(await k.execute("ticks")));
    assert.ok(t1 > 0 && t1 === t2, `the loop kept running: ${t1} then ${t2}`);
  });

  test("interrupting an idle kernel is harmless", async () => {
    assert.equal((await k.interrupt()).reply.content.status, "ok");
    assert.equal(result(await k.execute("survivor")), "'still here'");
  });
});

describe("errors from timers and promises", () => {
  test("are shown under the running cell and do not kill the kernel", async () => {
    const r = await k.execute(
      "setTimeout(() => { throw new Error('late'); }, 5);\nPromise.reject(new Error('unhandled'));\nawait new Promise((r) => setTimeout(r, 100));",
    );
    const errors = r.outputs
      .filter((m) => m.header.msg_type === "error")
      .map((m) => m.content.evalue)
      .sort();
    assert.deepEqual(errors, ["late", "unhandled"]);
    assert.equal(result(await k.execute("1 + 1")), "2");
  });
});

describe("no output is lost", () => {
  test("10,000 lines and 1,000 display updates arrive in order, then idle", async () => {
    const r = await k.execute(
      'import { display } from "seqlab";\nfor (let i = 0; i < 10000; i++) console.log(`line ${i}`);\nfor (let i = 0; i < 1000; i++) display({ "text/plain": `u${i}` }, { displayId: "flood", update: i > 0 });\nconsole.log("end");',
    );
    const text = r.outputs
      .filter((m) => m.header.msg_type === "stream")
      .map((m) => m.content.text)
      .join("");
    const lines = text.split("\n").filter(Boolean);
    assert.equal(lines.length, 10001);
    lines.slice(0, 10000).forEach((l, i) => assert.equal(l, `line ${i}`));
    assert.equal(lines[10000], "end");
    const ups = r.outputs.filter((m) => m.header.msg_type.endsWith("display_data")).map((m) => m.content.data["text/plain"]);
    assert.deepEqual(
      ups,
      Array.from({ length: 1000 }, (_, i) => `u${i}`),
    );
    // "end" was printed after the updates and must come after them.
    const order = r.outputs.map((m) => m.header.msg_type);
    assert.ok(order.lastIndexOf("update_display_data") < order.lastIndexOf("stream"));
  });
});

describe("stop_on_error", () => {
  test("a failing cell aborts the cells queued behind it, and no later ones", async () => {
    // The failing cell runs long enough for the two behind it to arrive while it runs (compiling
    // it took that long once; now a cell can fail before the next request has crossed the socket).
    const a = k.execute("const t0 = Date.now();\nwhile (Date.now() - t0 < 300) {}\nthrow new Error('first')");
    const b = k.execute("1");
    const c = k.execute("2", { content: { stop_on_error: false } });
    assert.equal((await a).reply.content.status, "error");
    assert.equal((await b).reply.content.status, "aborted");
    assert.equal((await c).reply.content.status, "aborted");
    assert.equal((await k.execute("3")).reply.content.status, "ok");
  });

  test("with stop_on_error false, the next cell runs", async () => {
    const a = k.execute("throw new Error('first')", { content: { stop_on_error: false } });
    const b = k.execute("1");
    assert.equal((await a).reply.content.status, "error");
    assert.equal((await b).reply.content.status, "ok");
  });
});

describe("the wire", () => {
  const bad = async (frames: Buffer[]) => {
    await k.sendFrames("shell", frames);
    await sleep(100);
  };
  test("missing or wrong signatures, malformed frames and unknown types are dropped; the kernel keeps serving", async () => {
    const replies: Message[] = [];
    k.onIopub = (m) => replies.push(m);
    const msg = k.message("execute_request", {
      code: "globalThis.__tampered = true",
      silent: false,
      store_history: false,
      user_expressions: {},
      allow_stdin: false,
    });
    const frames = encode(msg, k.signer);
    const d = frames.findIndex((f) => f.toString() === "<IDS|MSG>");
    const noSig = [...frames];
    noSig[d + 1] = Buffer.from("");
    await bad(noSig);
    await bad(encode(msg, new Signer("wrong key")));
    await bad([Buffer.from("<IDS|MSG>"), Buffer.from("sig"), Buffer.from("{")]);
    const garbage = [Buffer.from("<IDS|MSG>"), Buffer.from(""), ...["{nope", "{}", "{}", "{}"].map((s) => Buffer.from(s))];
    garbage[1] = Buffer.from(new Signer(k.info.key).sign(garbage.slice(2)));
    await bad(garbage);
    await bad(encode(k.message("frobnicate_request", {}), k.signer));
    k.onIopub = () => {};
    assert.equal(replies.filter((m) => (m.parent_header as any).msg_id === msg.header.msg_id).length, 0, "a bad message was executed");
    assert.equal(result(await k.execute("(globalThis as any).__tampered === true")), "false");
    const ok = await k.send(msg);
    assert.equal(ok.reply.content.status, "ok", "the same message, rightly signed, runs");
  });
});
