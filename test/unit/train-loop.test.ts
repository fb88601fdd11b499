// src/train: clipping against a manual norm, the NaN stop naming its step, interrupts (kernel flag
// and AbortSignal) between steps, seeded determinism, no tensor leak (also after a step that
// throws), liveLoss updates, metrics.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { BRIDGE } from "../../src/display/bridge";
import { LiveLoss } from "../../src/show/live";
import { ManyToOne, LanguageModel } from "../../src/models";
import {
  train,
  trainStep,
  clipByGlobalNorm,
  globalNorm,
  sgd,
  adam,
  accuracy,
  perplexity,
  tagScores,
  evaluate,
  NonFiniteLossError,
  TrainingError,
} from "../../src/train";
import { seqDataIterRandom } from "../../src/text";
import { mulberry32 } from "../../src/data/random";

before(async () => {
  await useBackend({ backend: "cpu", quiet: true });
});

function randn(shape: number[], seed: number): tf.Tensor {
  const r = mulberry32(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * r() - 1),
    shape,
  );
}

/** A tiny char corpus and a batches factory (seeded by train's seed). */
const corpus = Int32Array.from("abcabdabcacbdabcbadcab".repeat(6), (c) => c.charCodeAt(0) - 97);
const lmBatches = ({ random }: { random: import("../../src/data").SeededRandom }) => seqDataIterRandom(corpus, 4, 6, { seed: random });
const tinyLm = (seed = 1) => new LanguageModel({ vocabSize: 4, embedDim: 3, hiddenSize: 6, cell: "lstm", seed });

test("clipByGlobalNorm: the norm before clipping matches a manual computation; after, it equals the max", () => {
  const grads = [randn([3, 4], 1), randn([5], 2), randn([2, 2, 2], 3)];
  let sq = 0;
  for (const g of grads) for (const v of g.dataSync()) sq += v * v;
  const manual = Math.sqrt(sq);
  const { grads: clipped, norm } = clipByGlobalNorm(grads, manual / 3);
  assert.ok(Math.abs(norm - manual) < 1e-5 * manual, `${norm} vs ${manual}`);
  const after = globalNorm(clipped);
  assert.ok(Math.abs(after.dataSync()[0] - manual / 3) < 1e-5 * manual);
  // direction kept: each clipped tensor is the original / 3
  assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(tf.mul(clipped[1], 3), grads[1]))).dataSync()[0]) < 1e-5);
  // under the max: unchanged
  const { grads: same, norm: n2 } = clipByGlobalNorm({ a: grads[0] }, 1e6);
  assert.deepEqual(Array.from(same.a.dataSync()), Array.from(grads[0].dataSync()));
  assert.ok(n2 > 0);
  assert.throws(() => clipByGlobalNorm(grads, 0), /maxNorm must be positive/);
  tf.dispose([...grads, ...clipped, after, same.a]);
});

test("train clips by global norm: the recorded norm is the gradient's, the update has norm lr·clipNorm", async () => {
  // loss = Σ w∘c: the gradient is c, constant, with norm ‖c‖ = 13
  const w = tf.variable(tf.tensor1d([1, 1, 1]));
  const c = tf.tensor1d([3, 4, 12]);
  const before = w.dataSync().slice();
  const h = await train({ params: [w], loss: () => tf.sum(tf.mul(w, c)), batches: [0], optimizer: sgd(0.5), clipNorm: 2, quiet: true });
  assert.ok(Math.abs(h.steps[0].gradNorm - 13) < 1e-5);
  assert.equal(h.steps[0].clipped, true);
  const after = w.dataSync();
  const moved = Math.hypot(...Array.from(after, (v, i) => v - before[i]));
  assert.ok(Math.abs(moved - 0.5 * 2) < 1e-5, `moved ${moved}`);
  const h2 = await train({ params: [w], loss: () => tf.sum(tf.mul(w, c)), batches: [0], optimizer: sgd(0.5), clipNorm: 100, quiet: true });
  assert.equal(h2.steps[0].clipped, false);
  tf.dispose([w, c]);
});

test("a loss that becomes NaN at step 4 stops with an error naming step 4, before that step's update", async () => {
  const w = tf.variable(tf.tensor1d([0.5, -0.5]));
  let atStep3: number[] = [];
  const run = train({
    params: [w],
    loss: (_b, { step }) => tf.mul(tf.sum(tf.square(w)), step === 4 ? NaN : 1),
    batches: [0, 1, 2, 3, 4, 5],
    optimizer: sgd(0.1),
    onStep: (r) => {
      if (r.step === 3) atStep3 = Array.from(w.dataSync());
    },
    quiet: true,
  });
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof NonFiniteLossError);
    assert.match(e.message, /loss became NaN at step 4 \(epoch 0\)/);
    assert.match(e.message, /parameters are those of step 3/);
    assert.equal(e.step, 4);
    assert.equal(e.history.steps.length, 3);
    assert.equal(e.history.stopped, "failed");
    return true;
  });
  assert.deepEqual(Array.from(w.dataSync()), atStep3, "the NaN step changed nothing");
  // an infinite loss too
  await assert.rejects(
    train({
      params: [w],
      loss: (_b, { step }) => tf.mul(tf.sum(tf.square(w)), step === 2 ? Infinity : 1),
      batches: [0, 1, 2],
      optimizer: sgd(0.1),
      quiet: true,
    }),
    /loss became Infinity at step 2/,
  );
  w.dispose();
});

test("a kernel interrupt stops training between steps; the model stays usable and training can go on", async () => {
  const bridge = { interrupted: false };
  (globalThis as any)[BRIDGE] = bridge;
  const log = console.log;
  const printed: string[] = [];
  try {
    console.log = (s: string) => printed.push(s);
    const lm = tinyLm();
    const h = await train({
      model: lm,
      batches: lmBatches,
      steps: 50,
      onStep: (r) => {
        if (r.step === 3) setImmediate(() => (bridge.interrupted = true)); // arrives while the loop yields
      },
    });
    assert.equal(h.stopped, "interrupted");
    assert.equal(h.steps.length, 3);
    assert.match(h.message, /stopped after step 3 \(kernel interrupt\)/);
    assert.deepEqual(printed, [h.message]);
    // usable: a forward pass, a sample, and more training from where it stopped
    const s = lm.sample([0, 1], 5, { greedy: true });
    assert.equal(s.length, 5);
    bridge.interrupted = false;
    const more = await train({ model: lm, batches: lmBatches, startStep: h.lastStep, steps: 5, quiet: true });
    assert.equal(more.stopped, "completed");
    assert.deepEqual(
      more.steps.map((r) => r.step),
      [4, 5],
    );
    lm.dispose();
  } finally {
    console.log = log;
    delete (globalThis as any)[BRIDGE];
  }
});

test("an AbortSignal stops training between steps, with the reason in the message", async () => {
  const lm = tinyLm();
  const ac = new AbortController();
  const h = await train({
    model: lm,
    batches: lmBatches,
    steps: 50,
    signal: ac.signal,
    quiet: true,
    onStep: (r) => void (r.step === 2 && ac.abort(new Error("enough"))),
  });
  assert.equal(h.stopped, "aborted");
  assert.equal(h.lastStep, 2);
  assert.match(h.message, /after step 2 \(aborted: enough\)/);
  const pre = new AbortController();
  pre.abort();
  const h0 = await train({ model: lm, batches: lmBatches, steps: 5, signal: pre.signal, quiet: true });
  assert.equal(h0.steps.length, 0);
  tf.dispose(lm.apply([[0, 1, 2]]).logits);
  lm.dispose();
});

test("seeded runs: the same seeds give the same losses; another batch seed gives others", async () => {
  const run = async (trainSeed: number) => {
    const lm = tinyLm(5);
    const h = await train({ model: lm, batches: lmBatches, optimizer: adam(0.02), clipNorm: 1, steps: 8, seed: trainSeed, quiet: true });
    lm.dispose();
    return h.losses;
  };
  const a = await run(11);
  assert.equal(a.length, 8);
  assert.deepEqual(await run(11), a);
  assert.notDeepEqual(await run(12), a);
});

test("no tensor leak over 100 steps, nor after a step that throws or a NaN step", async () => {
  const model = new ManyToOne({ vocabSize: 5, embedDim: 3, hiddenSize: 4, outputSize: 2, cell: "lstm", seed: 2 });
  const batches = [
    {
      x: [
        [1, 2, 3],
        [3, 2, 1],
      ],
      y: [0, 1],
    },
    {
      x: [
        [4, 4, 1],
        [2, 2, 2],
      ],
      y: [1, 0],
    },
  ];
  const optimizer = adam(0.01);
  await train({ model, batches, optimizer, steps: 1, quiet: true }); // Adam makes its moments on the first step
  const n0 = tf.memory().numTensors;
  const counts: number[] = [];
  await train({
    model,
    batches,
    optimizer,
    startStep: 1,
    steps: 100,
    clipNorm: 0.5,
    quiet: true,
    onStep: () => void counts.push(tf.memory().numTensors),
  });
  assert.equal(counts.length, 99);
  assert.ok(
    counts.every((n) => n === n0),
    `tensor counts ${Math.min(...counts)}..${Math.max(...counts)} vs ${n0}`,
  );
  await assert.rejects(
    train({
      model,
      batches,
      optimizer,
      steps: 10,
      quiet: true,
      loss: (b, { step }) => {
        const l = model.loss(b);
        if (step === 5) throw new Error("boom");
        return l;
      },
    }),
    (e: unknown) => e instanceof TrainingError && e.step === 5 && /step 5 \(epoch 2\) failed: boom/.test(e.message),
  );
  assert.equal(tf.memory().numTensors, n0);
  await assert.rejects(
    train({ model, batches, optimizer, steps: 3, quiet: true, loss: (b, { step }) => tf.mul(model.loss(b), step === 2 ? NaN : 1) }),
    NonFiniteLossError,
  );
  assert.equal(tf.memory().numTensors, n0);
  // a shape error inside the model names the step and keeps the model's message
  await assert.rejects(
    train({ model, batches: [{ x: [1, 2, 3], y: [0] }], optimizer, quiet: true }),
    /step 1 \(epoch 0\) failed: manyToOne\.apply: expected token ids of shape \[batch, steps\], got \[3\]/,
  );
  assert.equal(tf.memory().numTensors, n0);
  model.dispose();
  optimizer.dispose();
});

test("live: a LiveLoss passed in gets every step's loss and tokens; epochs and validation are recorded", async () => {
  const out: string[] = [];
  const stream = new Writable({ write: (c, _e, cb) => (out.push(String(c)), cb()) });
  const live = new LiveLoss({ total: 6, stream, interval: 0 });
  const lm = tinyLm();
  const batches = Array.from(seqDataIterRandom(corpus, 4, 6, { seed: 1 })).slice(0, 3);
  let validations = 0;
  const h = await train({
    model: lm,
    batches,
    epochs: 2,
    live,
    quiet: true,
    validate: () => (validations++, evaluate(batches, (b) => lm.loss(b))),
  });
  assert.deepEqual(live.trainX, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(live.trainY, h.losses);
  assert.deepEqual(live.valX, [3, 6]);
  assert.equal(validations, 2);
  assert.equal(live.progress().done, 6);
  assert.ok(out.length > 0 && /6\/6/.test(out.join("")));
  assert.equal(h.epochs.length, 2);
  assert.equal(h.epochs[1].valLoss, h.steps[5].valLoss);
  assert.ok(Math.abs(h.epochs[0].loss - (h.losses[0] + h.losses[1] + h.losses[2]) / 3) < 1e-6);
  assert.ok(Math.abs(h.epochs[0].perplexity - Math.exp(h.epochs[0].loss)) < 1e-9);
  assert.equal(h.steps[0].tokens, 24);
  assert.ok(h.gradNorms.every((g) => g > 0));
  assert.match(h.toString(), /^TrainHistory: 6 steps, 2 epochs, loss/);
  lm.dispose();
});

test("metrics: accuracy (masked) and perplexity", () => {
  const logits = tf.tensor3d([
    [
      [2, 0, 0],
      [0, 1, 0],
    ],
    [
      [0, 0, 3],
      [1, 1, 1],
    ],
  ]);
  const labels = tf.tensor2d(
    [
      [0, 1],
      [1, 2],
    ],
    undefined,
    "int32",
  );
  const mask = tf.tensor2d([
    [1, 1],
    [1, 0],
  ]);
  assert.equal(accuracy(logits, labels), 0.5);
  assert.ok(Math.abs(accuracy(logits, labels, mask) - 2 / 3) < 1e-6);
  assert.ok(Math.abs(perplexity(Math.log(28)) - 28) < 1e-12);
  tf.dispose([logits, labels, mask]);
});

test("trainStep: one step for loops of your own", () => {
  const w = tf.variable(tf.tensor1d([3]));
  const opt = sgd(0.25);
  const r = trainStep(null, { params: [w], loss: () => tf.sum(tf.square(w)), optimizer: opt });
  assert.equal(r.loss, 9);
  assert.equal(r.gradNorm, 6);
  assert.equal(w.dataSync()[0], 1.5);
  w.dispose();
});

test("live: true makes its own LiveLoss sized from the batches, and finishes it", async () => {
  const out: string[] = [];
  const stream = new Writable({ write: (c, _e, cb) => (out.push(String(c)), cb()) });
  const w = tf.variable(tf.tensor1d([1, 2]));
  const loss = () => tf.sum(tf.square(w));
  await train({ params: [w], loss, batches: [0, 1, 2], epochs: 2, optimizer: sgd(0.1), live: { stream }, quiet: true });
  assert.match(out.join(""), /6\/6 \(100%\) · done in/);
  await assert.rejects(
    train({ params: [w], loss, batches: new Set([0, 1]), epochs: 2, live: true, quiet: true }),
    /live needs the number of steps/,
  );
  w.dispose();
});

test("evaluate: the mean over batches, or weighted (rows of unequal batches); a zero total weight throws", async () => {
  const losses = [1, 2, 4];
  const batches = losses.map((l, i) => ({ l, rows: [1, 1, 2][i] }));
  const plain = await evaluate(batches, (b) => tf.scalar(b.l));
  assert.ok(Math.abs(plain.loss - 7 / 3) < 1e-6);
  const weighted = await evaluate(batches, (b) => tf.scalar(b.l), { weight: (b) => b.rows });
  assert.ok(Math.abs(weighted.loss - (1 + 2 + 8) / 4) < 1e-6, `weighted mean ${weighted.loss}`);
  assert.ok(Math.abs(weighted.perplexity - Math.exp(11 / 4)) < 1e-4);
  assert.equal(weighted.batches, 3);
  await assert.rejects(
    evaluate(batches, (b) => tf.scalar(b.l), { weight: () => 0 }),
    /every batch had weight 0/,
  );
  await assert.rejects(
    evaluate(batches, (b) => tf.scalar(b.l), { weight: () => -1 }),
    /finite number ≥ 0/,
  );
});

test("epochLogger appends one line per epoch to the file named (or SEQLAB_EPOCH_LOG), and nothing without one", async () => {
  const { mkdtempSync, readFileSync, existsSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { epochLogger } = await import("../../src/train");
  const dir = mkdtempSync(join(tmpdir(), "epochlog-"));
  const file = join(dir, "epochs.log");
  const log = epochLogger("03-char-rnn", file);
  log({ epoch: 0, loss: Math.log(20), perplexity: 20, steps: 10, valLoss: Math.log(16.5) });
  log({ epoch: 1, loss: Math.log(12), perplexity: 12, steps: 10 });
  const lines = readFileSync(file, "utf8").trim().split("\n");
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^\d{4}-\d\d-\d\dT\S+ 03-char-rnn epoch 1: train PPL 20\.000, validation PPL 16\.500$/);
  assert.match(lines[1], /03-char-rnn epoch 2: train PPL 12\.000$/);
  const saved = process.env.SEQLAB_EPOCH_LOG;
  delete process.env.SEQLAB_EPOCH_LOG;
  try {
    epochLogger("x")({ epoch: 0, loss: 1, perplexity: Math.E, steps: 1 });
    process.env.SEQLAB_EPOCH_LOG = join(dir, "from-env.log");
    epochLogger("y")({ epoch: 0, loss: 1, perplexity: Math.E, steps: 1 });
    assert.match(readFileSync(join(dir, "from-env.log"), "utf8"), / y epoch 1: train PPL 2\.718\n$/);
    assert.ok(!existsSync(join(dir, "x")));
  } finally {
    if (saved === undefined) delete process.env.SEQLAB_EPOCH_LOG;
    else process.env.SEQLAB_EPOCH_LOG = saved;
  }
});

test("tagScores: accuracy, the never-positive baseline, precision and recall over the masked-in positions", () => {
  const pred = [1, 0, 1, 1, 0, 0, 1];
  const labels = [1, 0, 0, 1, 1, 0, 1];
  const mask = [1, 1, 1, 1, 1, 1, 0]; // the last position does not count
  const s = tagScores(pred, labels, mask);
  assert.equal(s.n, 6);
  assert.equal(s.accuracy, 4 / 6); // right at 0, 1, 3, 5
  assert.equal(s.baseline, 3 / 6); // labels 0 at 1, 2, 5
  assert.equal(s.precision, 2 / 3); // predicted 1 at 0, 2, 3: right at 0, 3
  assert.equal(s.recall, 2 / 3); // labels 1 at 0, 3, 4: found 0, 3
  assert.equal(tagScores(pred, labels).n, 7);
  assert.deepEqual(tagScores([0, 0], [0, 0]), { accuracy: 1, baseline: 1, precision: 0, recall: 0, n: 2 });
  assert.throws(() => tagScores([1], [1, 0]), /predictions/);
  // more than two classes: accuracy is exact agreement (2 for a 0 is wrong, though neither is positive)
  const three = tagScores([0, 2, 1, 2], [0, 0, 1, 2]);
  assert.equal(three.accuracy, 3 / 4);
  assert.equal(three.baseline, 3 / 4);
  assert.equal(three.recall, 1);
});
