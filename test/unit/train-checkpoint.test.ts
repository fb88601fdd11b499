// Checkpoints: TensorFlow.js format (readable by tf.io), atomic replacement (a crash mid-write
// leaves the previous checkpoint loadable), and resuming that repeats an uninterrupted run exactly.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { LanguageModel } from "../../src/models";
import { train, adam, saveCheckpoint, loadCheckpoint, type CheckpointStage } from "../../src/train";
import { seqDataIterRandom } from "../../src/text";
import type { SeededRandom } from "../../src/data";

let tmp: string;
before(async () => {
  await useBackend({ backend: "cpu", quiet: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "seqlab-ckpt-"));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const corpus = Int32Array.from("the quick brown fox jumps over the lazy dog ".repeat(3), (c) => (c === " " ? 0 : c.charCodeAt(0) - 96));
const batches = ({ random }: { random: SeededRandom }) => seqDataIterRandom(corpus, 4, 8, { seed: random }); // 4 batches an epoch
const model = (seed: number) => new LanguageModel({ vocabSize: 27, embedDim: 4, hiddenSize: 8, cell: "lstm", seed });
const values = (m: { variables(): tf.Variable[] }) => m.variables().map((v) => Array.from(v.dataSync()));

test("resume: 3 steps, save, fresh objects, load, 3 more steps = 6 steps straight (exactly)", async () => {
  // Also 5 + 3 = 8: at step 5, Adam's β₂ᵗ accumulated by products differs in the last bit from
  // pow(β₂, t) (what setWeights recomputes), so this split checks that the β powers are restored.
  for (const split of [3, 5]) {
    const total = split + 3;
    const opts = { batches, clipNorm: 0.5, seed: 3, quiet: true };
    const a = model(1);
    const straight = await train({ ...opts, model: a, optimizer: adam(0.05), steps: total });
    assert.ok(straight.steps[total - 1].epoch > straight.steps[0].epoch, "the run crosses an epoch boundary");

    const b = model(1);
    const optB = adam(0.05);
    const first = await train({ ...opts, model: b, optimizer: optB, steps: split });
    const dir = path.join(tmp, `resume-${split}`);
    await saveCheckpoint(dir, { params: b, optimizer: optB, step: first.lastStep, extra: { note: `after ${split}` } });
    b.dispose();
    optB.dispose();

    const c = model(99); // other initial values: everything must come from the checkpoint
    const optC = adam(0.05);
    const ck = await loadCheckpoint(dir, { params: c, optimizer: optC });
    assert.equal(ck.step, split);
    assert.deepEqual(ck.extra, { note: `after ${split}` });
    const rest = await train({ ...opts, model: c, optimizer: optC, steps: total, startStep: ck.step });
    assert.deepEqual(
      rest.steps.map((s) => s.step),
      [split + 1, split + 2, split + 3],
    );
    assert.deepEqual([...first.losses, ...rest.losses], straight.losses, `split at ${split}`);
    assert.deepEqual([...first.gradNorms, ...rest.gradNorms], straight.gradNorms);
    assert.deepEqual(values(c), values(a));

    // without an optimizer: rebuilt from the saved class and config, with its state
    const d = model(7);
    const ck2 = await loadCheckpoint(dir, { params: d });
    assert.equal(ck2.optimizer!.getClassName(), "Adam");
    const rest2 = await train({ ...opts, model: d, optimizer: ck2.optimizer, steps: total, startStep: ck2.step });
    assert.deepEqual(rest2.losses, rest.losses);
    for (const m of [a, c, d]) m.dispose();
    for (const o of [straight.optimizer, optC, ck2.optimizer]) o!.dispose();
  }
});

test("the checkpoint is in the TensorFlow.js format: tf.io reads the weights", async () => {
  const m = model(2);
  const dir = path.join(tmp, "format");
  await saveCheckpoint(dir, { params: m, step: 12 });
  assert.deepEqual(fs.readdirSync(dir).sort(), ["model.json", "weights.bin"]);
  const json = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
  assert.equal(json.weightsManifest[0].paths.length, 1);
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const specs = manifest.flatMap((g) => g.weights);
    const buf = fs.readFileSync(path.join(dir, manifest[0].paths[0]));
    return [specs, buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)];
  });
  const decoded = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  const named = m.namedVariables();
  assert.deepEqual(Object.keys(decoded).sort(), Object.keys(named).sort());
  for (const [k, v] of Object.entries(named)) assert.deepEqual(Array.from(decoded[k].dataSync()), Array.from(v.dataSync()), k);
  tf.dispose(Object.values(decoded));
  // a mismatch names the weight and both shapes
  const other = new LanguageModel({ vocabSize: 27, embedDim: 4, hiddenSize: 9, cell: "lstm" });
  await assert.rejects(loadCheckpoint(dir, { params: other }), /lstm\/Wx has shape \[4, 32\] in the checkpoint, \[4, 36\] in the model/);
  const gru = new LanguageModel({ vocabSize: 27, embedDim: 4, hiddenSize: 8, cell: "gru" });
  await assert.rejects(
    loadCheckpoint(dir, { params: gru }),
    /missing from the checkpoint: gru\/Wx, gru\/Wh, gru\/b; in the checkpoint but not in the model: lstm\/Wx/,
  );
  for (const x of [m, other, gru]) x.dispose();
});

test("atomic: a crash during any stage of a write leaves the previous checkpoint intact and loadable", async () => {
  const dir = path.join(tmp, "atomic");
  const m = model(4);
  const opt = adam(0.01);
  await train({ model: m, optimizer: opt, batches, steps: 2, quiet: true });
  await saveCheckpoint(dir, { params: m, optimizer: opt, step: 2 });
  const saved = values(m);
  await train({ model: m, optimizer: opt, batches, startStep: 2, steps: 4, quiet: true }); // the weights move on
  assert.notDeepEqual(values(m), saved);
  const base = tf.memory().numTensors;
  for (const stage of ["weights.bin", "model.json", "replace"] as CheckpointStage[]) {
    await assert.rejects(
      saveCheckpoint(
        dir,
        { params: m, optimizer: opt, step: 4 },
        {
          onStage: (s) => {
            if (s === stage) throw new Error(`crash at ${s}`);
          },
        },
      ),
      { message: `crash at ${stage}` },
    );
    assert.deepEqual(
      fs.readdirSync(tmp).filter((f) => f.includes("atomic")),
      ["atomic"],
      `only the checkpoint is left after a crash at ${stage}`,
    );
    const fresh = model(50);
    const ck = await loadCheckpoint(dir, { params: fresh, optimizer: adam(0.01) });
    assert.equal(ck.step, 2);
    assert.deepEqual(values(fresh), saved);
    fresh.dispose();
    ck.optimizer!.dispose();
  }
  assert.equal(tf.memory().numTensors, base);
  // a process killed between the two renames: the old checkpoint sits in .atomic.previous
  fs.renameSync(dir, path.join(tmp, ".atomic.previous"));
  const fresh = model(51);
  assert.equal((await loadCheckpoint(dir, { params: fresh })).step, 2);
  // a stale temporary folder from a crash, then a good write: both leftovers are cleaned up
  fs.mkdirSync(path.join(tmp, ".atomic.tmp-1-x"));
  await saveCheckpoint(dir, { params: m, optimizer: opt, step: 4 });
  assert.deepEqual(
    fs.readdirSync(tmp).filter((f) => f.includes("atomic")),
    ["atomic"],
  );
  assert.equal((await loadCheckpoint(dir, { params: fresh })).step, 4);
  assert.deepEqual(values(fresh), values(m));
  // a folder that is not a checkpoint is never replaced
  const precious = path.join(tmp, "precious");
  fs.mkdirSync(precious);
  fs.writeFileSync(path.join(precious, "notes.txt"), "keep me");
  await assert.rejects(saveCheckpoint(precious, { params: m }), /is not a seqlab checkpoint; it is left alone/);
  assert.equal(fs.readFileSync(path.join(precious, "notes.txt"), "utf8"), "keep me");
  await assert.rejects(loadCheckpoint(path.join(tmp, "nothing"), { params: m }), /no checkpoint in .*nothing \(model\.json is missing\)/);
  for (const x of [m, fresh]) x.dispose();
  opt.dispose();
});

test("train saves checkpoints every N steps and when it stops", async () => {
  const dir = path.join(tmp, "periodic");
  const m = model(5);
  const seen: number[] = [];
  const h = await train({
    model: m,
    batches,
    optimizer: adam(0.01),
    steps: 5,
    quiet: true,
    checkpoint: { dir, every: 2, extra: () => ({ at: Date.now() > 0 }) },
    onStep: async (r) => {
      if (r.step < 3) return;
      const probe = model(0);
      seen.push((await loadCheckpoint(dir, { params: probe })).step);
      probe.dispose();
    },
  });
  assert.deepEqual(seen, [2, 4, 4]);
  const fresh = model(6);
  const ck = await loadCheckpoint(dir, { params: fresh });
  assert.equal(ck.step, 5);
  assert.deepEqual(ck.extra, { at: true });
  assert.deepEqual(values(fresh), values(m));
  for (const x of [m, fresh]) x.dispose();
  h.optimizer!.dispose();
});
