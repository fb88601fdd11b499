// Widgets without a kernel: state, checks, buffers, Output capture, interact's runs, fallbacks.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DISPLAY, display, clearOutput } from "../../src/display/display";
import { putBuffers, removeBuffers } from "../../src/widgets/protocol";
import {
  button,
  checkbox,
  dropdown,
  hbox,
  image,
  interactive,
  output,
  play,
  progress,
  slider,
  tab,
  text,
  toggle,
  vbox,
  widgetState,
  type Values,
} from "../../src/widgets";

const VIEW = "application/vnd.jupyter.widget-view+json";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("binary values split out of a state and back: any nesting, lists keep a null placeholder", () => {
  const leaf = fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.uint8Array({ maxLength: 8 }));
  const tree = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: "small" },
      leaf,
      fc.array(tie("node"), { maxLength: 4 }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), tie("node"), { maxKeys: 4, noNullPrototype: true }),
    ),
  })).node;
  fc.assert(
    fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), tree, { maxKeys: 5, noNullPrototype: true }), (state) => {
      const copy = structuredClone(state);
      const { state: json, paths, buffers } = removeBuffers(state);
      assert.deepEqual(state, copy, "the input is not changed");
      const wire = JSON.parse(JSON.stringify(json));
      assert.doesNotMatch(JSON.stringify(wire), /"0":\d+,"1":/, "no bytes left in the JSON");
      putBuffers(
        wire,
        JSON.parse(JSON.stringify(paths)),
        buffers.map((b) => Buffer.from(b)),
      );
      assert.deepEqual(wire, copy);
    }),
  );
  assert.deepEqual(removeBuffers({ a: [1, new Uint8Array([1])], b: { c: new Float32Array([1]) } }).paths, [
    ["a", 1],
    ["b", "c"],
  ]);
});

test("bad buffer paths are clear errors", () => {
  assert.throws(() => putBuffers({}, "value", []), /buffer_paths must be a list of paths/);
  assert.throws(() => putBuffers({}, [["x"]], []), /names 1 buffers but the message has 0/);
  assert.throws(() => putBuffers({}, [["a", "b"]], [Buffer.from([1])]), /buffer path \["a","b"\] does not lead into the state/);
});

test("bad options are errors that say what was wrong and what was expected", () => {
  assert.throws(() => slider({ min: 3, max: 1, description: "n" }), /slider "n": min \(3\) must not be greater than max \(1\)/);
  assert.throws(
    () => slider({ min: 0, max: 10, step: 0.5, kind: "int" }),
    /an int slider needs whole-number min, max and step.*use kind: "float"/,
  );
  assert.throws(() => slider({ step: 0 }), /step must be greater than 0/);
  assert.throws(() => slider({ value: NaN }), /value must be a finite number; got NaN/);
  assert.throws(() => dropdown({ options: [] }), /options must be a non-empty list/);
  assert.throws(() => dropdown({ options: ["a", "b"], value: "c" as any }), /value "c" is not among the options \("a", "b"\)/);
  assert.throws(() => tab([slider(), slider()], { titles: ["one"] }), /titles must be a list of 2 strings, one per child/);
  assert.throws(() => vbox([slider(), 3 as any]), /children must be a list of widgets/);
  assert.throws(() => image({ value: "x.png" as any }), /value must be image bytes/);
  assert.throws(() => play({ interval: -1 }), /interval must be a positive number of milliseconds/);
  assert.throws(() => button({ buttonStyle: "loud" as any }), /buttonStyle must be one of "primary", "success"/);
  assert.throws(
    () => interactive(() => {}, { t: { min: 0 } } as any),
    /cannot make a control for "t" from \{"min":0\}; expected \[min, max\]/,
  );
  assert.throws(() => interactive(() => {}, [1, 2] as any), /the second argument must describe the controls/);
  const s = slider({ max: 10 });
  assert.throws(() => (s.value = "5" as any), /value must be a number between 0 and 10; got "5"/);
  assert.throws(() => (s.min = 20), /min \(20\) must not be greater than max \(10\)/);
});

test("slider: int or float by its numbers, values clamped, readout as precise as the step", () => {
  const t = slider({ min: 0, max: 2, step: 0.05, value: 1 });
  assert.equal(t.kind, "float");
  assert.equal(t.modelName, "FloatSliderModel");
  assert.equal(t.get("readout_format"), ".2f");
  t.value = 7;
  assert.equal(t.value, 2);
  const n = slider({ max: 9 });
  assert.equal(n.modelName, "IntSliderModel");
  n.value = 3.6;
  assert.equal(n.value, 4);
});

test("observers see changes from code with old and new values; unsubscribing stops them; errors do not escape", () => {
  const s = slider({ max: 10 });
  const seen: [unknown, unknown][] = [];
  const stop = s.observe("value", (c) => seen.push([c.old, c.new]));
  s.onChange(() => {
    throw new Error("an observer's own bug");
  });
  const write = process.stderr.write;
  let logged = "";
  process.stderr.write = ((t: string) => ((logged += t), true)) as any;
  try {
    s.value = 4;
    s.value = 4; // no change, no call
    stop();
    s.value = 5;
  } finally {
    process.stderr.write = write;
  }
  assert.deepEqual(seen, [[0, 4]]);
  assert.match(logged, /an observer's own bug/);
});

test("dropdown: any values, labels to the front end, the value from the index", () => {
  const d = dropdown({
    options: [
      ["two", 2],
      ["three", 3],
    ] as const,
    value: 3,
  });
  assert.deepEqual(d.get("_options_labels"), ["two", "three"]);
  assert.equal(d.index, 1);
  d.value = 2;
  assert.deepEqual([d.index, d.label, d.value], [0, "two", 2]);
  const changes: number[] = [];
  d.onChange((v) => changes.push(v));
  d.index = 1;
  assert.deepEqual(changes, [3]);
});

test("a widget displays as a widget view with a text fallback; an image adds its PNG", () => {
  const s = slider({ max: 3, value: 2, description: "k" });
  const b = (s as any)[DISPLAY]();
  assert.deepEqual(b.data[VIEW], { model_id: s.id, version_major: 2, version_minor: 0 });
  assert.equal(b.data["text/plain"], 'IntSlider(value=2, min=0, max=3, step=1, description="k")');
  const png = Buffer.from("89504e470d0a1a0a", "hex");
  const box = hbox([toggle({ description: "on" }), image({ value: png })]);
  const bb = (box as any)[DISPLAY]();
  assert.equal(bb.data["image/png"], png.toString("base64"));
  assert.match(bb.data["text/plain"], /ToggleButton\(value=false, description="on"\)\nImage\(png, 8 bytes\)/);
});

test("Output.capture: console output, display() and clearOutput() of sync and async work land in the widget", async () => {
  const out = output();
  out.capture(() => console.log("one"));
  await out.capture(async () => {
    await sleep(1);
    console.log("two");
    display({ "text/plain": "shown" }, { displayId: "d" });
    display({ "text/plain": "updated" }, { displayId: "d", update: true });
  });
  assert.deepEqual(out.outputs, [
    { output_type: "stream", name: "stdout", text: "one\ntwo\n" },
    { output_type: "display_data", data: { "text/plain": "updated" }, metadata: {} },
  ]);
  out.capture(() => clearOutput({ wait: true }));
  assert.equal(out.outputs.length, 2, "a waiting clear keeps the old output until the next one");
  out.capture(() => console.error("three"));
  assert.deepEqual(out.outputs, [{ output_type: "stream", name: "stderr", text: "three\n" }]);
  const r = await out.capture(async () => {
    throw new TypeError("inside");
  });
  assert.equal(r, undefined);
  assert.equal(out.outputs.at(-1)?.output_type, "error");
  assert.equal((out.outputs.at(-1) as any).evalue, "inside");
});

test("interact: typed values, a run per change, newer runs supersede older ones, errors shown in the output", async () => {
  let runs = 0;
  const w = interactive(
    async ({ temperature, mode, greedy, prompt }, { signal }) => {
      // The types follow the description (a compile error here if they did not).
      const t: number = temperature;
      const m: "greedy" | "sample" = mode;
      const g: boolean = greedy;
      const p: string = prompt;
      runs++;
      await sleep(20);
      if (t > 1.9) throw new RangeError("too hot");
      console.log(`${m} ${g} ${p} ${t}${signal.aborted ? " (superseded)" : ""}`);
    },
    { temperature: [0, 2, 0.1], mode: ["greedy", "sample"], greedy: false, prompt: "The" },
    { debounceMs: 0 },
  );
  await w.done;
  assert.deepEqual(w.values, { temperature: 1, mode: "greedy", greedy: false, prompt: "The" });
  assert.deepEqual(w.output.outputs, [{ output_type: "stream", name: "stdout", text: "greedy false The 1\n" }]);
  for (const v of [0.2, 0.4, 0.6, 0.8]) {
    w.controls.temperature.value = v;
    await sleep(2);
  }
  await w.done;
  assert.deepEqual(
    w.output.outputs,
    [{ output_type: "stream", name: "stdout", text: "greedy false The 0.8\n" }],
    "only the latest run's output",
  );
  assert.ok(runs >= 2);
  w.controls.temperature.value = 2;
  await w.done;
  assert.equal(w.output.outputs.length, 1);
  assert.equal((w.output.outputs[0] as any).evalue, "too hot");
  const typed: Values<{ k: readonly [1, 5] }> = { k: 3 };
  assert.equal(typed.k, 3);
});

test("interact shows what the function returns; controls may be made in advance", async () => {
  const k = slider({ min: 1, max: 5, value: 2, description: "k" });
  const w = interactive(({ k, name }) => `${name}:${k}`, { k, name: text({ value: "x" }) });
  await w.done;
  assert.equal(w.controls.k, k);
  assert.deepEqual(w.output.outputs, [{ output_type: "display_data", data: { "text/plain": "x:2" }, metadata: {} }]);
  assert.match(w.textFallback(), /^interact\(k=2, name="x"\)\nx:2$/);
});

test("widgetState: every open widget, in the saved-state format, bytes base64 under buffers", () => {
  const im = image({ value: new Uint8Array([1, 2, 3]) });
  const p = progress({ value: 3, max: 10 });
  const c = checkbox({ value: true });
  c.close();
  const saved = widgetState();
  assert.deepEqual([saved.version_major, saved.version_minor], [2, 0]);
  assert.deepEqual(saved.state[im.id].buffers, [{ path: ["value"], data: "AQID", encoding: "base64" }]);
  assert.equal(saved.state[p.id].model_name, "IntProgressModel");
  assert.equal(saved.state[p.id].state.value, 3);
  assert.equal(saved.state[c.id], undefined, "closed widgets are gone");
});
