// liveLoss: updates only record; renders are throttled by time and show the latest state; the
// final update carries the PNG; without a kernel a text progress bar goes to the stream.
import { mock, test } from "node:test";
import assert from "node:assert/strict";
import { BRIDGE } from "../../src/display/bridge";
import { liveLoss } from "../../src/show/live";
import { pngSize } from "../../src/plot/png";
import { VEGALITE_MIME } from "../../src/plot/chart";

interface Sent {
  data: Record<string, any>;
  metadata: Record<string, any>;
  id?: string;
  update: boolean;
}

function fakeKernel(): Sent[] {
  const sent: Sent[] = [];
  (globalThis as any)[BRIDGE] = {
    display(msg: any, update: boolean) {
      const m = JSON.parse(JSON.stringify(msg)); // serialised, as the kernel does
      sent.push({ data: m.data, metadata: m.metadata, id: m.transient.display_id, update });
    },
  };
  return sent;
}

const lastStep = (m: Sent) => {
  const v = m.data[VEGALITE_MIME].data.values as { step: number }[];
  return Math.max(...v.map((p) => p.step));
};

test("many updates in a short time give few messages, the latest state, and a final PNG", async () => {
  const sent = fakeKernel();
  try {
    let now = 0;
    // The clock is fake, so the timer that shows the trailing state must be too (its delay is
    // computed from the fake clock): node:test's mock timers, ticked by hand.
    mock.timers.enable({ apis: ["setTimeout"] });
    const live = liveLoss({ total: 3000, interval: 500, clock: () => now });
    assert.equal(sent.length, 2, "a progress bar and a chart are shown at once");
    assert.ok(sent.every((m) => !m.update && m.id));
    const [progressId, chartId] = sent.map((m) => m.id);
    assert.notEqual(progressId, chartId);
    for (let step = 0; step < 3000; step++) {
      now = step * 0.5; // 3000 steps in 1.5 s of (fake) time
      live.update({ step, loss: 3 / (1 + step / 100), tokens: 64, valLoss: step % 500 === 499 ? 2 : undefined });
    }
    // renders at 500 ms and 1000 ms only: 2 messages each (progress + chart)
    assert.equal(live.renders, 2);
    assert.equal(sent.length, 2 + 2 * 2);
    const updates = sent.slice(2);
    assert.ok(updates.every((m) => m.update));
    const charts = updates.filter((m) => m.id === chartId);
    assert.ok(charts.every((m) => !("image/png" in m.data)), "no PNG while live");
    assert.deepEqual(charts.map(lastStep), [1000, 2000], "each render shows the state at its time");
    // the trailing render shows the last state once updates pause (a timer armed for the rest of the interval)
    assert.equal(live.renders, 2, "nothing more until the timer fires");
    mock.timers.tick(500);
    mock.timers.reset();
    assert.equal(live.renders, 3);
    const trailing = sent.filter((m) => m.id === chartId).pop()!;
    assert.equal(lastStep(trailing), 2999);
    assert.match(sent.filter((m) => m.id === progressId).pop()!.data["text/plain"], /3000\/3000 \(100%\)/);
    const chart = await live.finish();
    const fin = sent[sent.length - 1];
    assert.equal(fin.id, chartId);
    assert.ok(fin.update);
    assert.deepEqual(Object.keys(fin.data).sort(), [VEGALITE_MIME, "image/png", "text/plain"]);
    const size = pngSize(Buffer.from(fin.data["image/png"], "base64"));
    assert.deepEqual(size, { width: 2 * fin.metadata["image/png"].width, height: 2 * fin.metadata["image/png"].height });
    assert.equal(lastStep(fin), 2999);
    assert.equal(chart.width, fin.metadata["image/png"].width);
    const done = sent.filter((m) => m.id === progressId).pop()!;
    assert.match(done.data["text/plain"], /done in/);
    assert.match(done.data["text/plain"], /tok\/s/);
    assert.match(done.data["text/html"], /width:100\.0%/);
    // after finish, updates are ignored and finish returns the same promise
    const n = sent.length;
    live.update({ step: 5000, loss: 1 });
    assert.equal(sent.length, n);
    assert.equal(await live.finish(), chart);
  } finally {
    mock.timers.reset();
    delete (globalThis as any)[BRIDGE];
  }
});

test("perplexity mode shows exp(loss) in the progress line and the chart", async () => {
  const sent = fakeKernel();
  try {
    let now = 0;
    const live = liveLoss({ total: 10, metric: "perplexity", interval: 100, clock: () => now });
    now = 200;
    live.update({ step: 1, loss: Math.log(20) });
    const [progress, chart] = sent.slice(-2);
    assert.match(progress.data["text/plain"], /1\/10 \(10%\).*loss 2\.996 \(ppl 20\)/);
    assert.ok(Math.abs(chart.data[VEGALITE_MIME].data.values[0].value - 20) < 1e-9);
    await live.finish();
  } finally {
    delete (globalThis as any)[BRIDGE];
  }
});

test("without a kernel, a text progress bar goes to the stream (a line per tenth when not a TTY)", async () => {
  delete (globalThis as any)[BRIDGE];
  const out: string[] = [];
  const stream = { isTTY: false, write: (s: string) => (out.push(s), true) } as any;
  let now = 0;
  const live = liveLoss({ total: 100, interval: 10, clock: () => now, stream });
  for (let step = 1; step <= 100; step++) {
    now += 5;
    live.update({ step, loss: 1 / step });
  }
  await live.finish();
  assert.ok(out.length >= 5 && out.length <= 12, `${out.length} lines`);
  assert.ok(out.every((l) => l.endsWith("\n") && !l.includes("\r")));
  assert.match(out[out.length - 1], /^\[#{30}\] 100\/100 \(100%\) · done in/);
  const tty: string[] = [];
  const live2 = liveLoss({ total: 4, interval: 0, clock: () => (now += 1), stream: { isTTY: true, write: (s: string) => (tty.push(s), true) } as any });
  live2.update({ step: 1, loss: 1 });
  await live2.finish();
  assert.ok(tty[0].startsWith("\r[") && tty[tty.length - 1].endsWith("\n"));
});
