// shutdown_request: the kernel answers, exits cleanly, and a restarted kernel starts afresh.
import { test } from "node:test";
import assert from "node:assert/strict";
import { KernelClient } from "../../kernel/tools/client";

test("shutdown with restart: reply, clean exit, and a fresh kernel", async () => {
  const k = await KernelClient.start();
  await k.execute("let before = 1;");
  const exited = new Promise<number | null>((r) => k.proc!.once("exit", (code) => r(code)));
  const { reply } = await k.request("shutdown_request", { restart: true }, "control");
  assert.deepEqual(reply.content, { status: "ok", restart: true });
  assert.equal(await exited, 0);
  await k.close();
  const again = await KernelClient.start();
  const r = await again.execute("typeof before");
  assert.equal(r.reply.content.status, "error", "a restarted kernel must not know the old variables");
  const fresh = await again.execute("1 + 1");
  assert.equal(fresh.reply.content.execution_count, 2);
  await again.shutdown();
});
