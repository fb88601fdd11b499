// A kernel survives whatever reaches it: messages nested deeply or full of random bytes, replayed
// messages, cells sent on the wrong channel, history searches that would backtrack. After each,
// a cell answers correctly.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "crypto";
import { KernelClient, Reply } from "../../kernel/tools/client";
import { encode, Signer } from "../../kernel/server/wire";
import { tempDir } from "../support/tools";

let k: KernelClient;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const result = (r: Reply) => r.outputs.find((m) => m.header.msg_type === "execute_result")?.content.data["text/plain"];
const TIMEOUT_MS = 60_000;

/**
 * The kernel still answers, with the right value. A fuzzed message can be a valid execute_request
 * whose cell fails; with stop_on_error that rightly aborts the requests queued behind it, ours too.
 */
async function answers(n: number) {
  for (let attempt = 0; ; attempt++) {
    const r = await k.execute(`${n} * 3`, { timeoutMs: TIMEOUT_MS });
    if (r.reply.content.status === "aborted" && attempt < 5) continue;
    assert.equal(result(r), String(n * 3), `status ${r.reply.content.status}`);
    return;
  }
}

/** Frames of a message whose four JSON parts are given as text, rightly signed. */
function signed(parts: string[]): Buffer[] {
  const buffers = parts.map((p) => Buffer.from(p));
  return [Buffer.from("<IDS|MSG>"), Buffer.from(new Signer(k.info.key).sign(buffers)), ...buffers];
}

before(async () => {
  k = await KernelClient.start({ cwd: tempDir("seqlab-nb-"), env: { ...process.env, XDG_DATA_HOME: tempDir() } });
});
after(async () => k.shutdown());

describe("messages", () => {
  test("a message nested 100,000 deep is dropped, and the kernel keeps serving", async () => {
    const header = JSON.stringify(k.message("execute_request", {}).header);
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    for (const [i, parts] of [
      [header, "{}", "{}", `{"code": "1", "x": ${deep}}`],
      [header, "{}", deep, '{"code": "1"}'],
      [header, `{"a": ${deep}}`, "{}", '{"code": "1"}'],
    ].entries()) {
      await k.sendFrames("shell", signed(parts));
      await k.sendFrames("control", signed(parts));
      await answers(i);
    }
  });

  test("hundreds of frames of random bytes, signed and unsigned, on shell and control", async () => {
    const frame = () => randomBytes(Math.floor(Math.random() * 200));
    const json = () => {
      const pick = [
        () => "null",
        () => "[]",
        () => '"text"',
        () => "{}",
        () => '{"msg_type": 7}',
        () => '{"msg_id": "x", "msg_type": "execute_request"}',
        () => '{"msg_id": "y", "msg_type": "comm_msg"}',
        () => '{"code": {"not": "a string"}}',
        () => frame().toString("latin1"),
      ];
      return pick[Math.floor(Math.random() * pick.length)]();
    };
    for (let i = 0; i < 300; i++) {
      const channel = i % 2 ? "shell" : "control";
      const kind = i % 3;
      const frames =
        kind === 0
          ? Array.from({ length: 1 + Math.floor(Math.random() * 8) }, frame)
          : kind === 1
            ? [Buffer.from("<IDS|MSG>"), frame(), frame(), frame(), frame(), frame()]
            : signed([json(), json(), json(), json()]);
      await k.sendFrames(channel, frames);
      if (i % 50 === 49) await answers(i);
    }
    await answers(1000);
  });

  test("the same signed message sent twice runs once", async () => {
    const msg = k.message("execute_request", {
      code: "globalThis.__runs = ((globalThis as any).__runs ?? 0) + 1",
      silent: false,
      store_history: false,
      user_expressions: {},
      allow_stdin: false,
    });
    const frames = encode(msg, k.signer);
    await k.sendFrames("shell", frames);
    await k.sendFrames("shell", frames);
    await sleep(300);
    assert.equal(result(await k.execute("(globalThis as any).__runs", { timeoutMs: TIMEOUT_MS })), "1");
  });
});

describe("the control channel", () => {
  test("a cell sent on control is refused, also while a shell cell runs, which stays interruptible", async () => {
    const idle = await k.send(k.message("execute_request", { code: "1 + 1", silent: false }), "control", TIMEOUT_MS);
    assert.equal(idle.reply.content.status, "error");
    assert.match(idle.reply.content.evalue, /control channel/);
    assert.ok(!idle.outputs.some((m) => m.header.msg_type === "execute_result"));

    let spinning!: () => void;
    const shown = new Promise<void>((r) => (spinning = r));
    const shell = k.execute('import { display } from "seqlab";\ndisplay({ "text/plain": "spin" });\nfor (;;) {}', {
      timeoutMs: TIMEOUT_MS,
      onOutput: (m) => m.content?.data?.["text/plain"] === "spin" && spinning(),
    });
    await shown;
    const sideways = await k.send(
      k.message("execute_request", { code: 'console.log("from control")', silent: false }),
      "control",
      TIMEOUT_MS,
    );
    assert.equal(sideways.reply.content.status, "error");
    await k.interrupt();
    const r = await shell;
    assert.equal(r.reply.content.ename, "KeyboardInterrupt");
    const text = r.outputs
      .filter((m) => m.header.msg_type === "stream")
      .map((m) => m.content.text)
      .join("");
    assert.ok(!text.includes("from control"), "output of a control cell mixed into the shell cell");
    await answers(7);
  });
});

describe("history", () => {
  test("a search whose glob has many stars is answered", async () => {
    await k.execute(`const long = "${"a".repeat(3000)}";`, { timeoutMs: TIMEOUT_MS });
    const r = await k.request(
      "history_request",
      { hist_access_type: "search", pattern: "*a".repeat(40) + "b", n: 10, output: false, raw: true },
      "shell",
      TIMEOUT_MS,
    );
    assert.equal(r.reply.content.status, "ok");
    assert.deepEqual(r.reply.content.history, []);
    await answers(8);
  });
});

describe("a large literal", () => {
  test("declared once, it does not make every later cell slow to compile", async () => {
    const big = await k.execute(`const bigText = "${"x".repeat(5_000_000)}";\nbigText.length`, { timeoutMs: TIMEOUT_MS });
    assert.equal(result(big), "5000000");
    // A later cell works and sees the value with its type (string, not the 5 MB literal type).
    const later = await k.execute("const n: number = bigText.length;\nn + 1", { timeoutMs: TIMEOUT_MS });
    assert.equal(result(later), "5000001");
  });
});
