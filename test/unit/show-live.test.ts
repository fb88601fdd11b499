// liveLoss: updates only record; renders are throttled by time and show the latest state; chart
// updates carry a PNG rendered in a worker thread at a low rate (the classic notebook and nbconvert
// show it); the final update carries the final PNG; without a kernel a text progress bar goes to
// the stream.
import { mock, test } from "node:test";
import assert from "node:assert/strict";
import { BRIDGE } from "../../src/display/bridge";
import { liveLoss } from "../../src/show/live";
import { decodePng, pngSize } from "../../src/plot/png";
import { renderChart, VEGALITE_MIME } from "../../src/plot/chart";
import { lossChartSpec } from "../../src/plot/charts";
import { renderOffThread, stopChartWorker } from "../../src/plot/offthread";

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
    const live = liveLoss({ total: 3000, interval: 500, pictureInterval: 1000, clock: () => now });
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
    assert.ok(
      charts.every((m) => !("image/png" in m.data)),
      "no PNG until the first picture has been rendered (in the worker)",
    );
    assert.deepEqual(charts.map(lastStep), [1000, 2000], "each render shows the state at its time");
    // the render at 1000 ms (one pictureInterval in) started a picture; when it arrives, the chart is sent again with it
    assert.ok(live.drawing, "a picture is being rendered");
    await live.drawing;
    assert.equal(live.pictures.length, 1);
    assert.equal(live.pictures[0].thread, "worker");
    const chartMessages = sent.filter((m) => m.id === chartId);
    const at = chartMessages.findIndex((m) => m.data["image/png"]);
    const withPicture = chartMessages[at];
    assert.deepEqual(Object.keys(withPicture.data).sort(), [VEGALITE_MIME, "image/png", "text/plain"], "one bundle: spec, picture, text");
    assert.deepEqual(
      withPicture.data[VEGALITE_MIME],
      chartMessages[at - 1].data[VEGALITE_MIME],
      "with the spec last sent (no new spec is built for it)",
    );
    // once updates pause, a timer shows the last state. The timer armed at the first update (before
    // the renders at 500 and 1000 ms) makes an ordinary render: the progress bar, while the chart,
    // sent 500 ms ago, waits; a trailing timer then shows it, since nothing rendered meanwhile.
    assert.equal(live.renders, 2, "nothing more until the timer fires");
    mock.timers.tick(500);
    assert.equal(live.renders, 3);
    assert.equal(lastStep(sent.filter((m) => m.id === chartId).pop()!), 2000, "the chart was held back");
    mock.timers.tick(500);
    mock.timers.reset();
    assert.equal(live.renders, 4);
    const trailing = sent.filter((m) => m.id === chartId).pop()!;
    assert.equal(lastStep(trailing), 2999);
    assert.equal(trailing.data["image/png"], withPicture.data["image/png"], "every later update carries the latest picture");
    assert.equal(live.pictures.length, 1, "no second picture within pictureInterval");
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

test("live chart updates carry a PNG, rendered in the worker at the throttled rate, each one the latest", async () => {
  const sent = fakeKernel();
  try {
    let now = 0;
    const interval = 500,
      pictureInterval = 2000,
      stepMs = 10;
    const live = liveLoss({ total: 2400, interval, pictureInterval, clock: () => now });
    const chartId = sent[1].id;
    const arrivals: number[] = []; // sent-message index at which each new picture first appeared
    let lastPng: string | undefined;
    for (let step = 0; step < 2400; step++) {
      now = step * stepMs; // 24 s of (fake) training
      live.update({ step, loss: 3 / (1 + step / 100), valLoss: step % 400 === 399 ? 2 : undefined });
      // while a picture renders the (fake) clock stands still, so the test does not race the worker
      if (live.drawing) await live.drawing;
      const last = sent[sent.length - 1];
      if (last.id === chartId && last.data["image/png"] && last.data["image/png"] !== lastPng) {
        lastPng = last.data["image/png"];
        arrivals.push(sent.length - 1);
      }
    }
    const pics = live.pictures;
    assert.ok(pics.length >= 3, `${pics.length} pictures in 24 s`);
    assert.ok(
      pics.every((p) => p.thread === "worker"),
      "rendered off the training thread",
    );
    assert.ok(
      pics.every((p) => p.cost >= 0 && p.cost <= p.ms + 20),
      "spaced by the worker's CPU time, which its wall time bounds (10 ms ticks)",
    );
    assert.equal(pics[0].at, pictureInterval, "the first picture starts at the first render one pictureInterval in");
    for (let i = 1; i < pics.length; i++) {
      // at most one per pictureInterval, and no more often than 30x its rendering time (the first, cold one excepted)
      const gap = i === 1 ? pictureInterval : Math.max(pictureInterval, 30 * pics[i - 1].cost);
      const d = pics[i].at - pics[i - 1].at;
      assert.ok(d >= gap, `picture ${i} came ${d} ms after the previous (least ${gap})`);
      assert.ok(
        d <= gap + interval + stepMs,
        `picture ${i} came ${d} ms after the previous: the next render after ${gap} ms should start it`,
      );
    }
    assert.equal(arrivals.length, pics.length, "each picture is sent once it is rendered");
    const charts = sent.filter((m) => m.id === chartId && m.update);
    const first = charts.findIndex((m) => m.data["image/png"]);
    assert.ok(
      charts.slice(first).every((m) => m.data["image/png"]),
      "after the first picture, every chart update carries one",
    );
    for (const m of charts.slice(first)) {
      const png = Buffer.from(m.data["image/png"], "base64");
      assert.deepEqual(
        pngSize(png),
        { width: m.metadata["image/png"].width, height: m.metadata["image/png"].height },
        "live pictures at 1x (the final one 2x)",
      );
      assert.deepEqual(Object.keys(m.data).sort(), [VEGALITE_MIME, "image/png", "text/plain"]);
    }
    // the pictures show training going on: later pictures differ from earlier ones
    assert.equal(new Set(charts.slice(first).map((m) => m.data["image/png"])).size, pics.length);
    await live.finish();
  } finally {
    delete (globalThis as any)[BRIDGE];
  }
});

test("the chart worker draws the same picture as the training thread would", async () => {
  const { spec, text } = lossChartSpec({ train: Array.from({ length: 200 }, (_, i) => 3 / (1 + i / 20)) }, { metric: "perplexity" });
  const [off, here] = await Promise.all([renderOffThread(spec), renderChart("lossChart", spec, text)]);
  assert.deepEqual([off.width, off.height], [here.width, here.height]);
  const a = decodePng(off.png),
    b = decodePng(here.png);
  assert.ok(Buffer.from(a.rgba).equals(Buffer.from(b.rgba)), "pixel for pixel (same code, same fonts)");
  assert.ok(off.ms > 0);
  assert.ok(off.cpuMs >= 0 && off.cpuMs <= off.ms + 20, `the worker's CPU time for it (${off.cpuMs} ms of ${off.ms.toFixed(0)} ms)`);
  await stopChartWorker();
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
  const live2 = liveLoss({
    total: 4,
    interval: 0,
    clock: () => (now += 1),
    stream: { isTTY: true, write: (s: string) => (tty.push(s), true) } as any,
  });
  live2.update({ step: 1, loss: 1 });
  await live2.finish();
  assert.ok(tty[0].startsWith("\r[") && tty[tty.length - 1].endsWith("\n"));
});

test("when the chart's spec takes time (a long history), the chart is updated less often than the progress bar", async () => {
  const sent = fakeKernel();
  const charts = require("../../src/plot/charts") as typeof import("../../src/plot/charts");
  const original = charts.lossChartSpec;
  let now = 0;
  // each spec costs 40 ms of (fake) time: the chart may then take only 1/50 of the time, one per 2 s
  (charts as any).lossChartSpec = (...a: Parameters<typeof original>) => ((now += 40), original(...a));
  try {
    const live = liveLoss({ total: 20_000, interval: 500, pictureInterval: Infinity, clock: () => now });
    const [progressId, chartId] = sent.map((m) => m.id);
    const chartTimes: number[] = [];
    for (let step = 0; step < 20_000; step++) {
      now += 1; // 20 s of training
      const n = sent.length;
      live.update({ step, loss: 1 / (1 + step) });
      if (sent.slice(n).some((m) => m.id === chartId)) chartTimes.push(now);
    }
    const progress = sent.filter((m) => m.id === progressId && m.update).length;
    assert.ok(progress >= 35, `${progress} progress updates`);
    assert.ok(
      chartTimes.length >= 5 && chartTimes.length <= progress / 3,
      `${chartTimes.length} chart updates for ${progress} progress updates`,
    );
    for (let i = 1; i < chartTimes.length; i++)
      assert.ok(chartTimes[i] - chartTimes[i - 1] >= 2000, `chart updates ${chartTimes[i] - chartTimes[i - 1]} ms apart`);
    assert.ok(lastStep(sent.filter((m) => m.id === chartId).pop()!) >= 17_000, "the chart still follows training");
    await live.finish();
  } finally {
    (charts as any).lossChartSpec = original;
    delete (globalThis as any)[BRIDGE];
  }
});
