// trainNanoGPT (src/train/nanogpt.ts): nanoGPT's train.py as one call. Estimates before training,
// every evalInterval steps and at the end, on step-seeded batches; the schedule reaches minLr;
// the same call twice gives the same numbers; the loss of a repeated pattern falls.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { useBackend } from "../../src/backend";
import { GPT } from "../../src/models/gpt";
import { trainNanoGPT } from "../../src/train/nanogpt";
import { estimateLoss } from "../../src/train/metrics";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

const cfg = { vocabSize: 9, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16, seed: 4 };
const tokens = Int32Array.from({ length: 600 }, (_, i) => [1, 2, 3, 4, 5, 6, 7][i % 7]);
const opts = {
  val: tokens.subarray(0, 200),
  iters: 40,
  batchSize: 4,
  evalInterval: 15,
  evalIters: 2,
  schedule: { learningRate: 3e-3, minLr: 3e-4, warmupIters: 4, decayIters: 40 },
};

test("estimates at 0, every evalInterval and at the end, on step-seeded batches; the loss falls", async () => {
  const m = new GPT(cfg);
  const seen: number[] = [];
  const r = await trainNanoGPT(m, tokens, { ...opts, onStep: (i) => seen.push(i) });
  assert.deepEqual(
    r.evals.map((e) => e.step),
    [0, 15, 30, 40],
  );
  assert.deepEqual(
    seen,
    Array.from({ length: 40 }, (_, i) => i),
    "onStep gets nanoGPT's 0-based iter_num",
  );
  assert.equal(r.history.steps.length, 40);
  const last = r.evals[r.evals.length - 1];
  assert.equal(last.val, estimateLoss(m, opts.val, { batches: 2, batchSize: 4, T: 8, seed: 20_040 }));
  assert.ok(last.val < r.evals[0].val - 0.8, `validation ${r.evals[0].val} -> ${last.val}`);
  assert.ok(r.seconds > 0);
  m.dispose();
});

test("the same configuration and seeds give the same run", async () => {
  const [a, b] = [new GPT(cfg), new GPT(cfg)];
  const ra = await trainNanoGPT(a, tokens, { ...opts, iters: 10 });
  const rb = await trainNanoGPT(b, tokens, { ...opts, iters: 10 });
  assert.deepEqual(ra.evals, rb.evals);
  const rc = await trainNanoGPT(new GPT(cfg), tokens, { ...opts, iters: 10, seed: 7 });
  assert.notDeepEqual(rc.history.losses, ra.history.losses, "another batch seed, other batches");
  a.dispose();
  b.dispose();
});
