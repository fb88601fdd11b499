// Importing seqlab loads neither TensorFlow.js nor the chart stack (a classroom's idle kernels pay
// for neither until a notebook uses them); using them loads them, as the same modules a cell gets.
// Each check runs in a fresh node process: this test process may have loaded tfjs already.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as path from "path";

const INDEX = path.resolve(__dirname, "..", "..", "src", "index.js");

/** Run `body` in a fresh node after `const seqlab = require(INDEX)`; returns what it prints as JSON. */
function fresh(body: string): any {
  const script = `
    const loaded = (name) => Object.keys(require.cache).some((k) => k.includes("/node_modules/" + name + "/"));
    const seqlab = require(${JSON.stringify(INDEX)});
    (async () => { ${body} })().then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e); process.exit(3); });`;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  assert.equal(r.status, 0, `node exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

test("import of seqlab loads no tfjs, vega, resvg or plotly", () => {
  const r = fresh(
    `return ["@tensorflow/tfjs", "@tensorflow/tfjs-core", "@tensorflow/tfjs-layers", "vega", "vega-lite", "@resvg/resvg-js", "plotly.js-dist-min"].filter(loaded);`,
  );
  assert.deepEqual(r, [], "loaded at import");
});

test("the library's exports are all there at import, functions and classes", () => {
  const r = fresh(
    `return { useBackend: typeof seqlab.useBackend, LanguageModel: typeof seqlab.LanguageModel, lineChart: typeof seqlab.lineChart, tfLoaded: loaded("@tensorflow/tfjs-core") };`,
  );
  assert.deepEqual(r, { useBackend: "function", LanguageModel: "function", lineChart: "function", tfLoaded: false });
});

test("tf from seqlab loads tfjs on first use and is the module a cell's own import gets", () => {
  const r = fresh(`
    const sum = seqlab.tf.tensor([1, 2, 3]).sum().dataSync()[0];
    const real = require("@tensorflow/tfjs");
    return {
      sum,
      loaded: loaded("@tensorflow/tfjs-core"),
      same: seqlab.tf.tensor === real.tensor && seqlab.tf.Tensor === real.Tensor,
      keys: Object.keys(seqlab.tf).length === Object.keys(real).length,
      has: "layers" in seqlab.tf,
      instance: seqlab.tf.scalar(1) instanceof real.Tensor,
    };`);
  assert.deepEqual(r, { sum: 6, loaded: true, same: true, keys: true, has: true, instance: true });
});

test("the library's own ops and models work when tfjs was first loaded by them", () => {
  const r = fresh(`
    await seqlab.useBackend({ backend: "cpu", quiet: true });
    const lm = new seqlab.LanguageModel({ vocabSize: 5, hiddenSize: 4, cell: "rnn", seed: 0 });
    return { backend: seqlab.tf.getBackend(), params: lm.variables().length > 0 };`);
  assert.deepEqual(r, { backend: "cpu", params: true });
});
