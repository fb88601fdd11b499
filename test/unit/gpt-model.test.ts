// The tiny GPT (src/models/gpt.ts): shapes, the causal mask (exactly), attention weights, weight
// tying, seeded generation, the whole model against plain tfjs autodiff, and learning a repeated
// pattern with train() and AdamW. (Its ops: nn-transformer.test.ts; its sampling: models-sampling.test.ts.)
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { GPT } from "../../src/models/gpt";
import { AdamW, cosineLearningRate } from "../../src/train/adamw";
import { estimateLoss } from "../../src/train/metrics";
import { train } from "../../src/train/loop";
import { randomWindowBatches } from "../../src/text/batching";
import { mulberry32 } from "../../src/data/random";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

const small = { vocabSize: 11, blockSize: 12, nLayer: 2, nHead: 2, nEmbd: 16, seed: 3 };

function randomIds(B: number, T: number, V: number, seed: number): number[][] {
  const r = mulberry32(seed);
  return Array.from({ length: B }, () => Array.from({ length: T }, () => Math.floor(r() * V)));
}

test("forward gives logits [B, T, V] and per-layer attention [B, H, T, T] whose rows sum to 1 with the future at exactly 0", () => {
  const m = new GPT(small);
  const { logits, attention } = m.forward(randomIds(3, 7, 11, 1), { returnAttention: true });
  assert.deepEqual(logits.shape, [3, 7, 11]);
  assert.equal(attention.length, 2);
  for (const a of attention) {
    assert.deepEqual(a.shape, [3, 2, 7, 7]);
    const v = a.arraySync() as number[][][][];
    for (const b of v)
      for (const h of b)
        h.forEach((row, i) => {
          const s = row.reduce((p, x) => p + x, 0);
          assert.ok(Math.abs(s - 1) < 1e-5, `row sum ${s}`);
          for (let j = i + 1; j < row.length; j++) assert.equal(row[j], 0, `attention to a later position ${j} from ${i}`);
          assert.ok(row[0] > 0);
        });
  }
  // the same ids as {ids, shape} and as an int32 tensor give the same logits
  const rows = randomIds(2, 4, 11, 9);
  const ref = m.forward(rows).arraySync();
  assert.deepEqual(m.forward({ ids: Int32Array.from(rows.flat()), shape: [2, 4] }).arraySync(), ref);
  assert.deepEqual(m.forward(tf.tensor2d(rows, undefined, "int32")).arraySync(), ref);
  assert.throws(() => m.forward(randomIds(1, 13, 11, 1)), /longer than blockSize/);
  tf.dispose([logits, ...attention]);
  m.dispose();
});

test("the causal mask hides the future: changing a later token leaves every earlier logit bit-identical", () => {
  const m = new GPT(small);
  const a = randomIds(2, 12, 11, 7);
  for (const t of [0, 5, 11]) {
    const b = a.map((r) => r.slice());
    for (const row of b) row[t] = (row[t] + 4) % 11;
    const la = m.forward(a).arraySync() as number[][][];
    const lb = m.forward(b).arraySync() as number[][][];
    for (let r = 0; r < 2; r++) {
      for (let i = 0; i < t; i++) assert.deepEqual(lb[r][i], la[r][i], `row ${r}, position ${i} changed when token ${t} changed`);
      // the changed position and later ones do see it
      assert.notDeepEqual(lb[r][t], la[r][t]);
      if (t + 1 < 12) assert.notDeepEqual(lb[r][11], la[r][11]);
    }
  }
  m.dispose();
});

test("a full (bidirectional) mask lets later tokens reach earlier positions; a custom mask row with nothing allowed attends to nothing", () => {
  const m = new GPT({ ...small, nLayer: 1 });
  const a = randomIds(1, 6, 11, 2);
  const b = a.map((r) => r.slice());
  b[0][5] = (b[0][5] + 1) % 11;
  const la = m.forward(a, { mask: "full" }).arraySync() as number[][][];
  const lb = m.forward(b, { mask: "full" }).arraySync() as number[][][];
  assert.notDeepEqual(la[0][0], lb[0][0]);
  // mask: position 0 may see nothing, position i may see 0..i-1 (strictly earlier)
  const mask = tf.tensor2d(Array.from({ length: 6 }, (_, i) => Array.from({ length: 6 }, (_, j) => (j < i ? 1 : 0))));
  const { logits, attention } = m.forward(a, { mask, returnAttention: true });
  const att = attention[0].arraySync() as number[][][][];
  for (const h of att[0]) {
    assert.deepEqual(h[0], [0, 0, 0, 0, 0, 0]);
    h.forEach((row, i) => {
      if (i > 0) assert.ok(Math.abs(row.reduce((p, x) => p + x, 0) - 1) < 1e-5);
      for (let j = i; j < 6; j++) assert.equal(row[j], 0);
    });
  }
  tf.dispose([mask, logits, ...attention]);
  m.dispose();
});

test("parameter count: nanoGPT's formula; tying drops the output matrix; both train the embedding", () => {
  const { vocabSize: V, blockSize: T, nLayer: L, nEmbd: C } = small;
  const perLayer = 2 * 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + (C * 4 * C + 4 * C) + (4 * C * C + C);
  const tied = new GPT(small);
  assert.equal(tied.parameterCount(), V * C + T * C + L * perLayer + 2 * C);
  assert.equal(tied.parameterCount({ nonEmbedding: true }), V * C + L * perLayer + 2 * C);
  assert.ok(!("lm_head.W" in tied.namedVariables()));
  const untied = new GPT({ ...small, tieWeights: false });
  assert.equal(untied.parameterCount(), tied.parameterCount() + C * V);
  for (const m of [tied, untied]) {
    const ids = tf.tensor2d(randomIds(2, 5, V, 4), undefined, "int32");
    const { grads } = tf.variableGrads(() => m.loss({ x: ids, y: ids }), m.variables());
    const names = Object.keys(m.namedVariables());
    for (const [n, v] of Object.entries(m.namedVariables())) {
      assert.ok(grads[v.name], `no gradient for ${n}`);
    }
    assert.ok(tf.max(tf.abs(grads[m.wte.name])).dataSync()[0] > 0);
    assert.equal(names.length, m.variables().length);
    tf.dispose([ids, ...Object.values(grads)]);
  }
  tied.dispose();
  untied.dispose();
});

test("same seed, same model and same samples; generation past blockSize crops the context", () => {
  const a = new GPT(small);
  const b = new GPT(small);
  assert.deepEqual(a.wte.dataSync(), b.wte.dataSync());
  const prompt = [1, 2, 3];
  const ga = a.generate(prompt, 15, { seed: 9, temperature: 1.5 });
  assert.deepEqual(b.generate(prompt, 15, { seed: 9, temperature: 1.5 }), ga);
  assert.equal(ga.length, 18);
  assert.deepEqual(ga.slice(0, 3), prompt);
  assert.ok(ga.every((t) => Number.isInteger(t) && t >= 0 && t < 11));
  const seeds = new Set([1, 2, 3, 4, 5].map((s) => a.generate(prompt, 15, { seed: s, temperature: 2 }).join(",")));
  assert.ok(seeds.size > 1, "different seeds should give different samples");
  // greedy (temperature 0) equals top-k 1
  assert.deepEqual(a.generate(prompt, 6, { temperature: 0 }), a.generate(prompt, 6, { topK: 1, seed: 4 }));
  a.dispose();
  b.dispose();
});

test("learns a repeated pattern (abcabc…): loss near zero in a few hundred tiny steps, then continues it greedily", () => {
  tf.engine().startScope();
  const m = new GPT({ vocabSize: 5, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 32, seed: 1 });
  const pattern = [0, 1, 2]; // a b c
  const opt = tf.train.adam(0.005);
  const r = mulberry32(11);
  const B = 8;
  const T = 16;
  let last = Infinity;
  const start = tf.memory().numTensors;
  for (let step = 0; step < 150; step++) {
    const x: number[][] = [];
    const y: number[][] = [];
    for (let b = 0; b < B; b++) {
      const o = Math.floor(r() * 3);
      x.push(Array.from({ length: T }, (_, t) => pattern[(o + t) % 3]));
      y.push(Array.from({ length: T }, (_, t) => pattern[(o + t + 1) % 3]));
    }
    const cost = opt.minimize(() => m.loss({ x, y }), true, m.variables())!;
    last = cost.dataSync()[0];
    cost.dispose();
  }
  assert.ok(last < 0.05, `final loss ${last}`);
  assert.ok(tf.memory().numTensors - start < 5 * m.variables().length, "tensors leak per step");
  const out = m.generate([1], 20, { temperature: 0 });
  assert.deepEqual(
    out,
    Array.from({ length: 21 }, (_, t) => pattern[(1 + t) % 3]),
  );
  m.dispose();
  opt.dispose();
  tf.engine().endScope();
});

test("no tensor outlives its scope (attention included); dispose releases every tensor the model made", () => {
  const before = tf.memory().numTensors;
  const m = new GPT(small);
  tf.dispose(m.forward([[1, 2, 3]])); // also makes the cached causal bias
  const withModel = tf.memory().numTensors;
  tf.tidy(() => {
    m.forward([[1, 2, 3, 4]], { returnAttention: true });
    m.loss({ x: [[1, 2]], y: [[2, 3]] });
  });
  const r = m.forward([[1, 2, 3]], { returnAttention: true });
  tf.dispose([r.logits, ...r.attention]);
  m.generate([1, 2], 3, { seed: 1 });
  assert.equal(tf.memory().numTensors - withModel, 2, "only the cached causal masks for T = 4 and T = 2 are new");
  m.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test("the whole model (fused ops, one-hot embedding) gives the loss and gradients of plain tfjs autodiff", () => {
  const m = new GPT({ ...small, seed: 8 });
  const { nHead: H, nEmbd: C, vocabSize: V } = small;
  const ids = tf.tensor2d(randomIds(2, 7, V, 5), undefined, "int32");
  const tg = tf.tensor2d(randomIds(2, 7, V, 6), undefined, "int32");
  const p = m.namedVariables();
  const [B, T] = ids.shape;
  const vars = m.variables();
  // the same model written with stock ops only: gather, moments, tanh, matMul + add, softmax cross-entropy
  const plainLoss = () => {
    const ln = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
    };
    const lin = (x: tf.Tensor, name: string) =>
      tf.add(tf.matMul(tf.reshape(x, [-1, p[`${name}.W`].shape[0]]) as tf.Tensor2D, p[`${name}.W`] as tf.Tensor2D), p[`${name}.b`]);
    const gelu = (x: tf.Tensor) =>
      tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI)))));
    const causal = tf.tensor2d(Array.from({ length: T }, (_, i) => Array.from({ length: T }, (_, j) => (j > i ? -1e9 : 0))));
    let x: tf.Tensor = tf.add(tf.reshape(tf.gather(p.wte, tf.reshape(ids, [-1])), [B, T, C]), tf.slice(p.wpe, [0, 0], [T, C]));
    for (let l = 0; l < small.nLayer; l++) {
      const h = ln(x, p[`h${l}.ln_1.g`], p[`h${l}.ln_1.b`]);
      const [q, k, v] = tf.split(tf.reshape(lin(h, `h${l}.attn.c_attn`), [B, T, 3 * C]), 3, -1);
      const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, C / H]), [0, 2, 1, 3]) as tf.Tensor4D;
      const att = tf.softmax(tf.add(tf.div(tf.matMul(heads(q), heads(k), false, true), Math.sqrt(C / H)), causal));
      const y = tf.reshape(tf.transpose(tf.matMul(att as tf.Tensor4D, heads(v)), [0, 2, 1, 3]), [B, T, C]);
      x = tf.add(x, tf.reshape(lin(y, `h${l}.attn.c_proj`), [B, T, C]));
      const f = gelu(lin(ln(x, p[`h${l}.ln_2.g`], p[`h${l}.ln_2.b`]), `h${l}.mlp.c_fc`));
      x = tf.add(x, tf.reshape(lin(f, `h${l}.mlp.c_proj`), [B, T, C]));
    }
    const logits = tf.matMul(tf.reshape(ln(x, p["ln_f.g"], p["ln_f.b"]), [B * T, C]) as tf.Tensor2D, p.wte as tf.Tensor2D, false, true);
    return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.reshape(tg, [-1]) as tf.Tensor1D, V), logits) as tf.Scalar;
  };
  const fused = tf.variableGrads(() => m.loss({ x: ids, y: tg }), vars);
  const plain = tf.variableGrads(plainLoss, vars);
  assert.ok(Math.abs(fused.value.dataSync()[0] - plain.value.dataSync()[0]) < 1e-5);
  for (const [name, v] of Object.entries(p)) {
    const a = fused.grads[v.name].dataSync();
    const b = plain.grads[v.name].dataSync();
    const scale = Math.max(1e-6, ...Array.from(b, Math.abs));
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    assert.ok(worst / scale < 1e-3, `${name}: gradient differs by ${worst} (largest |g| ${scale})`);
  }
  tf.dispose([ids, tg, fused.value, plain.value, ...Object.values(fused.grads), ...Object.values(plain.grads)]);
  m.dispose();
});

test("AdamW matches torch.optim.AdamW's update; the learning rate follows nanoGPT's warm-up and cosine decay", () => {
  const W = tf.variable(tf.tensor2d([[1, -2]]));
  const b = tf.variable(tf.tensor1d([1]));
  const opt = new AdamW([W, b], { learningRate: 0.1, beta2: 0.99, weightDecay: 0.1 });
  const g = [tf.tensor2d([[0.5, 0.5]]), tf.tensor1d([0.5])];
  opt.update(g);
  // step 1: m̂ = g, v̂ = g², so the Adam step is lr·sign(g) (up to ε); decay on the matrix only
  const w1 = W.dataSync();
  assert.ok(Math.abs(w1[0] - (1 * (1 - 0.01) - 0.1)) < 1e-6 && Math.abs(w1[1] - (-2 * (1 - 0.01) - 0.1)) < 1e-6, `W ${w1}`);
  assert.ok(Math.abs(b.dataSync()[0] - 0.9) < 1e-6);
  opt.update(g);
  // step 2 with the same gradient: m̂ = g, v̂ = g² again
  assert.ok(Math.abs(b.dataSync()[0] - 0.8) < 1e-5);
  // clipping: the norm before clipping is returned, and the step still goes downhill
  assert.ok(Math.abs(opt.update(g, { clipNorm: 0.1 }) - Math.sqrt(0.75)) < 1e-6);
  assert.ok(b.dataSync()[0] < 0.8);
  opt.dispose();
  tf.dispose([W, b, ...g]);
  const s = { learningRate: 1e-3, minLr: 1e-4, warmupIters: 100, decayIters: 2000 };
  assert.ok(Math.abs(cosineLearningRate(0, s) - 1e-3 / 101) < 1e-12);
  assert.equal(cosineLearningRate(100, s), 1e-3);
  assert.ok(Math.abs(cosineLearningRate(1050, s) - 5.5e-4) < 1e-9);
  assert.ok(Math.abs(cosineLearningRate(2000, s) - 1e-4) < 1e-12);
  assert.equal(cosineLearningRate(5000, s), 1e-4);
});

test("train() with AdamW and nanoGPT's schedule lowers the loss of a repeated pattern and leaks no tensors", async () => {
  const m = new GPT({ ...small, seed: 2 });
  const tokens = Int32Array.from({ length: 400 }, (_, i) => [1, 2, 3, 4, 5, 6, 7][i % 7]);
  const estimate = () => estimateLoss(m, tokens, { batches: 2, batchSize: 4, T: 8, seed: 1 });
  const first = estimate();
  const opt = new AdamW(m.variables(), { learningRate: 3e-3 });
  const run = (steps: number, startStep = 0) =>
    train({
      model: m,
      optimizer: opt,
      clipNorm: 1,
      batches: randomWindowBatches(tokens, 4, 8, { seed: 1 }),
      steps,
      startStep,
      quiet: true,
      schedule: { learningRate: 3e-3, minLr: 3e-4, warmupIters: 3, decayIters: 31 },
    });
  await run(1); // the optimiser's moments exist from here on
  const n0 = tf.memory().numTensors;
  const h = await run(31, 1);
  assert.equal(tf.memory().numTensors, n0);
  assert.equal(h.steps.length, 30);
  assert.ok(opt.learningRate > 3e-4 && opt.learningRate < 3.1e-4, `the schedule's end: ${opt.learningRate}`);
  const last = estimate();
  assert.ok(last < first - 0.8, `loss ${first} -> ${last}`);
  m.dispose();
});
