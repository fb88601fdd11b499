// liveLoss in a real kernel: while the cell trains, chart updates carry a PNG drawn by the chart
// worker (a thread of the kernel process), so the classic notebook and nbconvert, which have no
// vega renderer, show the chart during training and not only when it ends.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { KernelClient } from "../../kernel/tools/client";
import type { Message } from "../../kernel/server/wire";
import { VEGALITE_MIME } from "../../src/plot/chart";
import { pngSize } from "../../src/plot/png";
import { tempDir } from "../support/tools";

let k: KernelClient;

before(async () => {
  k = await KernelClient.start({ cwd: tempDir("seqlab-live-"), env: { ...process.env, XDG_DATA_HOME: tempDir() } });
});
after(async () => k.shutdown());

test("live chart updates from the kernel carry PNGs drawn in the chart worker while the loop runs", async () => {
  // Steps until two live pictures have been sent and a few steps after, or 3 minutes: the worker
  // runs at nice 19, so on a busy machine its pictures come late; the loop waits for them.
  const code = [
    'import { liveLoss } from "seqlab";',
    "const live = liveLoss({ total: 1_000_000, interval: 100, pictureInterval: 300 });",
    "const t0 = Date.now();",
    "let step = 0, after = -1;",
    "for (; Date.now() - t0 < 180_000; step++) {",
    "  live.update({ step, loss: 3 / (1 + step / 50) });",
    "  await new Promise((r) => setTimeout(r, 5));",
    "  if (after < 0 && live.pictures.length >= 2) after = step + 40;",
    "  if (step === after) break;",
    "}",
    "await live.finish();",
    "JSON.stringify({ steps: step + 1, pictures: live.pictures.map((p) => p.thread) })",
  ].join("\n");
  const seen: Message[] = [];
  const r = await k.execute(code, { onOutput: (m) => seen.push(m) });
  assert.equal(r.reply.content.status, "ok", `${r.reply.content.ename}: ${r.reply.content.evalue}`);
  const summary = JSON.parse(
    r.outputs.find((m) => m.header.msg_type === "execute_result")!.content.data["text/plain"].replace(/^'|'$/g, ""),
  );
  assert.ok(summary.pictures.length >= 2, `pictures: ${JSON.stringify(summary)}`);
  assert.ok(
    summary.pictures.every((t: string) => t === "worker"),
    "drawn in the worker thread, not the kernel's main thread",
  );

  const charts = seen.filter((m) => m.header.msg_type === "update_display_data" && VEGALITE_MIME in m.content.data);
  const final = charts.pop()!;
  const lastStep = (m: Message) => Math.max(...(m.content.data[VEGALITE_MIME].data.values as { step: number }[]).map((v) => v.step));
  assert.equal(lastStep(final), summary.steps - 1, "the final update shows the whole run");
  const live = charts.filter((m) => "image/png" in m.content.data);
  assert.ok(live.length >= 2, `${live.length} live chart updates with a PNG of ${charts.length}`);
  assert.ok(
    live.every((m) => lastStep(m) < summary.steps - 1),
    "sent while the loop ran",
  );
  assert.ok(new Set(live.map((m) => m.content.data["image/png"])).size >= 2, "a newer picture replaces the first");
  for (const m of [...live, final]) {
    // one bundle each: the interactive spec for JupyterLab, the picture for the classic notebook
    assert.deepEqual(Object.keys(m.content.data).sort(), [VEGALITE_MIME, "image/png", "text/plain"]);
    const { width, height } = m.content.metadata["image/png"];
    const size = pngSize(Buffer.from(m.content.data["image/png"], "base64"));
    assert.ok(width > 100 && height > 100, `${width}x${height}`);
    // live pictures at 1x, the final one at 2x (its metadata gives the 1x size either way)
    assert.deepEqual(size, m === final ? { width: 2 * width, height: 2 * height } : { width, height });
  }
});
