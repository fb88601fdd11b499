// The Jupyter widget protocol (2.1) against a real kernel process: this test plays the front end,
// reading comm messages on iopub and sending comm messages on shell as ipywidgets 8 does.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { KernelClient, Reply } from "../../kernel/tools/client";
import { Message } from "../../kernel/server/wire";
import { CLI, tempDir } from "../support/tools";

let k: KernelClient;
const all: Message[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const VIEW = "application/vnd.jupyter.widget-view+json";

before(async () => {
  k = await KernelClient.start({ cwd: tempDir("seqlab-nb-"), env: { ...process.env, XDG_DATA_HOME: tempDir() } });
  k.onIopub = (m) => all.push(m);
});
after(async () => k.shutdown());

/** Run a cell; fail with the kernel's error if it fails. */
async function run(code: string): Promise<Reply> {
  const r = await k.execute(code);
  assert.equal(r.reply.content.status, "ok", `${code}\n→ ${r.reply.content.ename}: ${r.reply.content.evalue}`);
  return r;
}

async function value(expr: string): Promise<string> {
  const r = await run(expr);
  return r.outputs.find((m) => m.header.msg_type === "execute_result")?.content.data["text/plain"];
}

/** Send a comm message as a front end would; resolves at its idle status. */
function fromFrontend(
  type: "comm_msg" | "comm_open" | "comm_close",
  content: Record<string, unknown>,
  buffers: Buffer[] = [],
  metadata: Record<string, unknown> = {},
): Promise<Reply> {
  const m = k.message(type, content);
  m.buffers = buffers;
  m.metadata = metadata;
  return k.send(m);
}

/** Wait for a condition on the iopub messages seen so far (no fixed sleeps: a loaded machine is slow). */
async function until<T>(what: string, f: () => T | undefined | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

const opens = (r: Reply) => r.outputs.filter((m) => m.header.msg_type === "comm_open");
const commMsgs = (id: string, method?: string, among: Message[] = all) =>
  among.filter((m) => m.header.msg_type === "comm_msg" && m.content.comm_id === id && (!method || m.content.data.method === method));
const openOf = (r: Reply, model: string, description?: string) =>
  opens(r).find(
    (m) => m.content.data.state._model_name === model && (description === undefined || m.content.data.state.description === description),
  );

describe("widgets: the protocol", () => {
  let slider = "";

  test("comm_open: target, protocol version, the full state of a controls 2.0 model; shown as a widget view with a text fallback", async () => {
    const r = await run('import { slider } from "seqlab";\nconst n = slider({ min: 0, max: 10, value: 3, description: "n" });\nn');
    const open = openOf(r, "IntSliderModel");
    assert.ok(open, `no comm_open for an IntSliderModel among ${r.outputs.map((m) => m.header.msg_type)}`);
    assert.equal(open.content.target_name, "jupyter.widget");
    assert.equal(open.metadata.version, "2.1.0");
    const s = open.content.data.state;
    assert.deepEqual(
      [s._model_module, s._model_module_version, s._view_module, s._view_module_version, s._view_name],
      ["@jupyter-widgets/controls", "2.0.0", "@jupyter-widgets/controls", "2.0.0", "IntSliderView"],
    );
    assert.deepEqual([s.value, s.min, s.max, s.step, s.description, s.readout_format], [3, 0, 10, 1, "n", "d"]);
    assert.deepEqual(open.content.data.buffer_paths, []);
    slider = open.content.comm_id;
    const result = r.outputs.find((m) => m.header.msg_type === "execute_result")!.content.data;
    assert.deepEqual(result[VIEW], { model_id: slider, version_major: 2, version_minor: 0 });
    assert.match(result["text/plain"], /^IntSlider\(value=3, min=0, max=10, step=1, description="n"\)$/);
    // The model exists before the view that shows it.
    assert.ok(r.outputs.indexOf(open) < r.outputs.findIndex((m) => m.header.msg_type === "execute_result"));
  });

  test("kernel → front end: setting a value sends an update of that key alone; out-of-range values are clamped", async () => {
    const r = await run("n.value = 7;\nn.value = 99;");
    const updates = commMsgs(slider, "update", r.outputs).map((m) => m.content.data);
    assert.deepEqual(updates, [
      { method: "update", state: { value: 7 }, buffer_paths: [] },
      { method: "update", state: { value: 10 }, buffer_paths: [] },
    ]);
  });

  test("front end → kernel: an update changes the value, runs observers, and is echoed with the front end's message as parent", async () => {
    await run("const seen: number[] = [];\nn.onChange((v) => seen.push(v));");
    const r = await fromFrontend("comm_msg", { comm_id: slider, data: { method: "update", state: { value: 4 }, buffer_paths: [] } });
    const echo = commMsgs(slider, "echo_update", r.outputs);
    assert.equal(echo.length, 1, "one echo_update, under the front end's message");
    assert.deepEqual(echo[0].content.data, { method: "echo_update", state: { value: 4 }, buffer_paths: [] });
    assert.equal((echo[0].parent_header as any).msg_id, (r.reply.header as any).msg_id);
    assert.equal(commMsgs(slider, "update", r.outputs).length, 0, "the kernel does not send the front end's own value back");
    assert.equal(await value("seen"), "[ 4 ]");
    assert.equal(await value("n.value"), "4");
  });

  test("a bad value from the front end is reported, and the front end is told the kernel's value", async () => {
    const before = all.length;
    await fromFrontend("comm_msg", { comm_id: slider, data: { method: "update", state: { value: "lots" }, buffer_paths: [] } });
    const fix = await until("the kernel's value sent back", () => commMsgs(slider, "update", all.slice(before))[0]);
    assert.deepEqual(fix.content.data.state, { value: 4 });
    const err = await until("an error output", () => all.slice(before).find((m) => m.header.msg_type === "error"));
    assert.match(err.content.evalue, /slider "n": value must be a number between 0 and 10; got "lots"/);
    assert.equal(await value("n.value"), "4");
  });

  test("request_state: the whole state comes back in one update", async () => {
    const r = await fromFrontend("comm_msg", { comm_id: slider, data: { method: "request_state" } });
    const [u] = commMsgs(slider, "update", r.outputs);
    assert.ok(u, "an update answers request_state");
    assert.equal(u.content.data.state._model_name, "IntSliderModel");
    assert.equal(u.content.data.state.value, 4);
    assert.equal(u.content.data.state.description, "n");
  });

  test("binary buffers: an image's bytes travel as frames named by buffer_paths, both ways", async () => {
    const r = await run(
      'import { image } from "seqlab";\nconst im = image({ value: new Uint8Array([137, 80, 78, 71, 1, 2, 3]), width: "40px" });',
    );
    const open = openOf(r, "ImageModel")!;
    assert.deepEqual(open.content.data.buffer_paths, [["value"]]);
    assert.ok(!("value" in open.content.data.state), "a buffer's key is removed from the JSON state");
    assert.deepEqual([...open.buffers[0]], [137, 80, 78, 71, 1, 2, 3]);
    const id = open.content.comm_id;
    const u = commMsgs(id, "update", (await run("im.value = new Uint8Array([9, 8, 7]);")).outputs)[0];
    assert.deepEqual(u.content.data, { method: "update", state: {}, buffer_paths: [["value"]] });
    assert.deepEqual([...u.buffers[0]], [9, 8, 7]);
    const echo = commMsgs(
      id,
      "echo_update",
      (
        await fromFrontend("comm_msg", { comm_id: id, data: { method: "update", state: {}, buffer_paths: [["value"]] } }, [
          Buffer.from([5, 6]),
        ])
      ).outputs,
    )[0];
    assert.deepEqual([...echo.buffers[0]], [5, 6]);
    assert.equal(await value("Array.from(im.value)"), "[ 5, 6 ]");
  });

  test("custom messages: a button's click reaches onClick; the kernel's custom content reaches the front end", async () => {
    const r = await run(
      'import { button } from "seqlab";\nconst b = button({ description: "go" });\nlet clicks = 0;\nb.onClick(() => clicks++);\nb.send({ hello: 1 });',
    );
    const id = openOf(r, "ButtonModel")!.content.comm_id;
    assert.deepEqual(commMsgs(id, "custom", r.outputs)[0].content.data, { method: "custom", content: { hello: 1 } });
    await fromFrontend("comm_msg", { comm_id: id, data: { method: "custom", content: { event: "click" } } });
    await fromFrontend("comm_msg", { comm_id: id, data: { method: "custom", content: { event: "click" } } });
    assert.equal(await value("clicks"), "2");
  });

  test("jupyter.widget.control: request_states answers with every widget's state and its buffers", async () => {
    const control = "control-1";
    await fromFrontend("comm_open", { comm_id: control, target_name: "jupyter.widget.control", data: {} }, [], { version: "1.0.0" });
    const r = await fromFrontend("comm_msg", { comm_id: control, data: { method: "request_states" } });
    const [m] = commMsgs(control, "update_states", r.outputs);
    assert.ok(m, "update_states answers request_states, under its message");
    const { states, buffer_paths } = m.content.data;
    assert.deepEqual(
      {
        model_name: states[slider].model_name,
        model_module: states[slider].model_module,
        model_module_version: states[slider].model_module_version,
        value: states[slider].state.value,
      },
      { model_name: "IntSliderModel", model_module: "@jupyter-widgets/controls", model_module_version: "2.0.0", value: 4 },
    );
    const imageId = Object.keys(states).find((id) => states[id].model_name === "ImageModel")!;
    const i = buffer_paths.findIndex((p: unknown[]) => p[0] === imageId);
    assert.deepEqual(buffer_paths[i], [imageId, "state", "value"]);
    assert.deepEqual([...m.buffers[i]], [5, 6]);
  });

  test("close: the kernel closes a widget's comm; a front end's close is seen by the kernel", async () => {
    const r = await run(
      'import { toggle } from "seqlab";\nconst t1 = toggle({ description: "a" });\nconst t2 = toggle({ description: "b" });\nt1.close();',
    );
    const [a, b] = [openOf(r, "ToggleButtonModel", "a")!, openOf(r, "ToggleButtonModel", "b")!].map((m) => m.content.comm_id);
    assert.ok(r.outputs.some((m) => m.header.msg_type === "comm_close" && m.content.comm_id === a));
    await fromFrontend("comm_close", { comm_id: b, data: {} });
    assert.equal(await value("[t1.isClosed, t2.isClosed]"), "[ true, true ]");
    const comms = (await k.request("comm_info_request", { target_name: "jupyter.widget" })).reply.content.comms;
    assert.ok(!(a in comms) && !(b in comms) && slider in comms);
  });
});

describe("widgets: callbacks and output", () => {
  test("a callback that throws: the error is shown and the kernel keeps serving", async () => {
    const r = await run(
      'import { slider } from "seqlab";\nconst bad = slider({ max: 9, description: "bad" });\nbad.onChange((v) => { throw new RangeError("no good: " + v); });',
    );
    const id = openOf(r, "IntSliderModel", "bad")!.content.comm_id;
    const before = all.length;
    await fromFrontend("comm_msg", { comm_id: id, data: { method: "update", state: { value: 6 }, buffer_paths: [] } });
    const err = await until("the callback's error", () => all.slice(before).find((m) => m.header.msg_type === "error"));
    assert.equal(err.content.ename, "RangeError");
    assert.equal(err.content.evalue, "no good: 6");
    assert.ok(
      err.content.traceback.some((l: string) => /Cell In\[\d+\]/.test(l)),
      "the traceback names the cell",
    );
    assert.equal(await value("1 + 1"), "2");
  });

  test("interact: a run's output, its errors, and console output of async work all land in its Output widget", async () => {
    const r = await run(
      'import { interact, display } from "seqlab";\n' +
        "const w = await interact(async ({ t, mode }) => {\n" +
        "  await new Promise((r) => setTimeout(r, 5));\n" +
        '  if (t === 7) throw new Error("seven is not allowed");\n' +
        "  console.log(`${mode} at ${t}`);\n" +
        '  display({ "text/html": `<b>${t}</b>`, "text/plain": `t=${t}` });\n' +
        '}, { t: [0, 9], mode: ["greedy", "sample"] });\n' +
        "w",
    );
    const out = openOf(r, "OutputModel")!.content.comm_id;
    // The first run finished inside the cell: its output is in the Output widget's state, and the
    // widget is shown with that output as its text fallback.
    const first = commMsgs(out, "update", r.outputs).at(-1)!.content.data.state.outputs;
    assert.deepEqual(first, [
      { output_type: "stream", name: "stdout", text: "greedy at 5\n" },
      { output_type: "display_data", data: { "text/html": "<b>5</b>", "text/plain": "t=5" }, metadata: {} },
    ]);
    const shown = r.outputs.filter((m) => m.content.data?.[VIEW]);
    assert.deepEqual(
      shown.map((m) => m.header.msg_type),
      ["execute_result"],
      "shown once, as the cell's result",
    );
    assert.match(shown[0].content.data["text/plain"], /interact\(t=5, mode="greedy"\)\ngreedy at 5\nt=5/);
    const t = openOf(r, "IntSliderModel", "t")!.content.comm_id;
    const before = all.length;
    await fromFrontend("comm_msg", { comm_id: t, data: { method: "update", state: { value: 7 }, buffer_paths: [] } });
    const err = await until("the error in the output", () =>
      commMsgs(out, "update", all.slice(before))
        .map((m) => m.content.data.state.outputs)
        .find((o: any[]) => o.some((x) => x.output_type === "error")),
    );
    assert.equal(err.length, 1, "the error replaces the previous run's output");
    assert.equal(err[0].evalue, "seven is not allowed");
    assert.equal(all.slice(before).filter((m) => m.header.msg_type === "error").length, 0, "not also published as a cell error");
    assert.equal(await value("1 + 1"), "2");
  });

  test("a fast stream of slider changes: the output only moves forward and ends showing the last value alone", async () => {
    const r = await run(
      'import { interact } from "seqlab";\n' +
        "let started = 0;\n" +
        "const fast = await interact(async ({ step }, { signal }) => {\n" +
        "  started++;\n" +
        "  await new Promise((r) => setTimeout(r, 15));\n" +
        '  console.log("step " + step + (signal.aborted ? " (superseded)" : ""));\n' +
        "}, { step: [0, 100] }, { debounceMs: 0 });",
    );
    const out = openOf(r, "OutputModel")!.content.comm_id;
    const step = openOf(r, "IntSliderModel", "step")!.content.comm_id;
    const before = all.length;
    // One after another, each a few ms apart: with no debounce, most land while the previous run
    // is still sleeping, so runs are superseded mid-way (the kernel counts how many started).
    for (let i = 0; i < 30; i++)
      await fromFrontend("comm_msg", { comm_id: step, data: { method: "update", state: { value: i + 60 }, buffer_paths: [] } });
    const shown = () => commMsgs(out, "update", all.slice(before)).map((m) => m.content.data.state.outputs as any[]);
    await until("the last value's output", () => shown().some((o) => o.length === 1 && o[0].text === "step 89\n"));
    // Wait for the kernel's own view: every run has finished.
    await run("await fast.done;");
    assert.equal(await value("fast.output.outputs.length"), "1");
    assert.equal(await value("(fast.output.outputs[0] as any).text"), "'step 89\\n'");
    const values = shown()
      .filter((o) => o.length)
      .map((o) => {
        assert.equal(o.length, 1, `one run's output at a time, never mixed: ${JSON.stringify(o)}`);
        assert.doesNotMatch(o[0].text, /superseded/, "a superseded run's output is dropped");
        return Number(/step (\d+)/.exec(o[0].text)![1]);
      });
    assert.deepEqual(
      values,
      [...values].sort((a, b) => a - b),
      `the output never goes back to an older value: ${values}`,
    );
    assert.equal(values.at(-1), 89);
  });

  test("Output.capture: display(), clearOutput() and console output of a callback go into the widget, not the cell", async () => {
    const r = await run(
      'import { output, button, display, clearOutput } from "seqlab";\n' +
        'const log = output();\nconst go = button({ description: "go" });\n' +
        'go.onClick(() => log.capture(async () => { clearOutput(); console.log("clicked"); await Promise.resolve(); display({ "text/plain": "done" }); console.error("warn"); }));',
    );
    const out = openOf(r, "OutputModel")!.content.comm_id;
    const go = openOf(r, "ButtonModel", "go")!.content.comm_id;
    const before = all.length;
    await fromFrontend("comm_msg", { comm_id: go, data: { method: "custom", content: { event: "click" } } });
    const outputs = await until("the captured outputs", () =>
      commMsgs(out, "update", all.slice(before))
        .map((m) => m.content.data.state.outputs)
        .find((o: any[]) => o.length === 3),
    );
    assert.deepEqual(outputs, [
      { output_type: "stream", name: "stdout", text: "clicked\n" },
      { output_type: "display_data", data: { "text/plain": "done" }, metadata: {} },
      { output_type: "stream", name: "stderr", text: "warn\n" },
    ]);
    assert.ok(
      !all.slice(before).some((m) => m.header.msg_type === "stream" || m.header.msg_type === "display_data"),
      "nothing reached the cell",
    );
  });
});

describe("widgets: a headless run", () => {
  test("seqlab run saves every open widget's last state in the notebook's metadata, bytes base64", () => {
    const dir = tempDir();
    const file = path.join(dir, "w.ipynb");
    const cell = (source: string) => ({ cell_type: "code", source, metadata: {}, outputs: [], execution_count: null });
    writeFileSync(
      file,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          cell(
            'import { slider, image, toggle } from "seqlab";\nconst s = slider({ max: 9, value: 2, description: "n" });\nconst im = image({ value: new Uint8Array([1, 2, 3]) });\nconst gone = toggle();\ngone.close();\ns',
          ),
          cell("s.value = 7;"),
        ],
      }),
    );
    const r = spawnSync(process.execPath, [CLI, "run", file], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const nb = JSON.parse(readFileSync(file, "utf8"));
    const saved = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"];
    assert.deepEqual([saved.version_major, saved.version_minor], [2, 0]);
    const models = Object.values<any>(saved.state);
    assert.deepEqual(models.map((m) => m.model_name).sort(), ["ImageModel", "IntSliderModel"], "closed widgets are not saved");
    const slider = models.find((m) => m.model_name === "IntSliderModel");
    assert.equal(slider.model_module, "@jupyter-widgets/controls");
    assert.equal(slider.state.value, 7, "the last state, after the second cell");
    assert.deepEqual(models.find((m) => m.model_name === "ImageModel").buffers, [{ path: ["value"], data: "AQID", encoding: "base64" }]);
    const view = nb.cells[0].outputs[0].data["application/vnd.jupyter.widget-view+json"];
    assert.ok(saved.state[view.model_id], "the shown widget's state is saved");
  });
});
