// Every kind of model of the course resumes exactly (wasm, the course's backend): 8 steps straight
// against 4 steps, the loop's checkpoint, fresh objects (other seeds), loadCheckpoint and 4 more —
// the same losses to the bit. The tiny GPT (AdamW, nanoGPT's schedule, clipping, dropout), the LSTM
// language model (Adam) and notebook 11's classifier (Adam, three dropouts).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { useBackend } from "../../src/backend";
import type { SeededRandom } from "../../src/data";
import { GPT, LanguageModel } from "../../src/models";
import type { Module } from "../../src/nn";
import { classifierInputs, SequenceClassifier } from "../../src/objectives";
import { randomWindowBatches, seqDataIterRandom } from "../../src/text";
import { AdamW, adam, loadCheckpoint, train, type Optimizer, type TrainOptions } from "../../src/train";

let tmp: string;
before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "seqlab-resume-"));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const values = (m: Module) => m.variables().map((v) => Array.from(v.dataSync()));

/**
 * Train `make(seed)` for 8 steps; then a second one for 4 steps with the loop's checkpoint, and a
 * third — built with another seed, its optimiser new — loaded from it and trained to step 8.
 */
async function resumes<M extends Module, B>(
  name: string,
  make: (seed: number) => M,
  optimizer: (m: M) => Optimizer,
  opts: (m: M) => Omit<TrainOptions<B>, "steps" | "optimizer">,
): Promise<void> {
  const a = make(1);
  const straight = await train({ ...opts(a), optimizer: optimizer(a), steps: 8, quiet: true });
  const b = make(1);
  const dir = path.join(tmp, name);
  const first = await train({ ...opts(b), optimizer: optimizer(b), steps: 4, checkpoint: { dir, every: 4 }, quiet: true });
  const c = make(99); // other initial values: everything must come from the checkpoint
  const optC = optimizer(c);
  const ck = await loadCheckpoint(dir, { params: c, optimizer: optC });
  assert.equal(ck.step, 4);
  const rest = await train({ ...opts(c), optimizer: optC, steps: 8, startStep: ck.step, quiet: true });
  assert.equal(straight.losses.length, 8);
  assert.deepEqual([...first.losses, ...rest.losses], straight.losses, `${name}: the losses of 4 + 4 steps`);
  assert.deepEqual([...first.gradNorms, ...rest.gradNorms], straight.gradNorms, `${name}: the gradient norms`);
  assert.deepEqual(values(c), values(a), `${name}: the parameters after 8 steps`);
  for (const m of [a, b, c]) m.dispose();
}

test("the tiny GPT (AdamW, warm-up + cosine, clipping, dropout): 4 + checkpoint + resume + 4 = 8 straight", async () => {
  const tokens = Int32Array.from("to be, or not to be, that is the question: ".repeat(8), (c) => c.charCodeAt(0) % 23);
  await resumes(
    "gpt",
    (seed) => new GPT({ vocabSize: 23, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0.1, seed }),
    (m) => new AdamW(m.variables(), { learningRate: 3e-3, beta2: 0.99 }),
    (m) => ({
      model: m,
      batches: () => randomWindowBatches(tokens, 4, 16, { seed: 1337 }),
      clipNorm: 1,
      schedule: { learningRate: 3e-3, minLr: 3e-4, warmupIters: 2, decayIters: 8 },
    }),
  );
});

test("the LSTM language model (Adam, clipping, seeded epochs): 4 + checkpoint + resume + 4 = 8 straight", async () => {
  const corpus = Int32Array.from("sequence models carry a state from step to step ".repeat(3), (c) =>
    c === " " ? 0 : c.charCodeAt(0) - 96,
  );
  await resumes(
    "lm",
    (seed) => new LanguageModel({ vocabSize: 27, embedDim: 8, hiddenSize: 16, seed }),
    () => adam(0.02),
    (m) => ({
      model: m,
      batches: ({ random }: { random: SeededRandom }) => seqDataIterRandom(corpus, 4, 8, { seed: random }),
      clipNorm: 1,
      seed: 2,
    }),
  );
});

test("notebook 11's classifier (Adam, dropout on embeddings, outputs and features): 4 + checkpoint + resume + 4 = 8 straight", async () => {
  const rows = Array.from({ length: 24 }, (_, i) => Array.from({ length: 3 + (i % 4) }, (_, t) => 5 + ((i * 7 + t * 3) % 13)));
  const batches = Array.from({ length: 6 }, (_, k) => {
    const part = rows.slice(4 * k, 4 * k + 4);
    return { x: classifierInputs(part, 6), y: part.map((r) => r[0] % 3) };
  });
  await resumes(
    "classifier",
    (seed) =>
      SequenceClassifier.create({
        vocabSize: 18,
        embedDim: 8,
        hiddenSize: 8,
        numClasses: 3,
        seed,
        dropout: { embedding: 0.3, hidden: 0.3, features: 0.5 },
      }),
    () => adam(0.01),
    (m) => ({ params: m, loss: (b: (typeof batches)[number]) => m.loss(b.x, b.y), batches, epochs: 2, clipNorm: 1 }),
  );
});
