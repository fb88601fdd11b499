// OpenAI GPT's fine-tuning (src/models/gpt-classifier.ts): the rows and next-token targets, the
// extract token's state unmoved by padding, a copy of the pretrained model, the loss as the
// classification loss plus λ times the LM loss, and learning a toy label with train().
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { GPT } from "../../src/models/gpt";
import { GPTClassifier, gptRows, nextTokenBatch } from "../../src/models/gpt-classifier";
import { train } from "../../src/train/loop";
import { SeededRandom } from "../../src/data/random";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

const cfg = { vocabSize: 12, blockSize: 10, nLayer: 2, nHead: 2, nEmbd: 16, seed: 1 };

test("gptRows wraps each row in <bos> … <eos> and right-pads; nextTokenBatch targets the next real token, -1 after", () => {
  const rows = gptRows([[7, 8, 9], [5]], { bosId: 2, eosId: 3, padId: 0 });
  assert.deepEqual(rows.shape, [2, 5]);
  assert.deepEqual(Array.from(rows.ids), [2, 7, 8, 9, 3, 2, 5, 3, 0, 0]);
  const b = nextTokenBatch(rows, 0);
  assert.deepEqual(Array.from(b.y), [7, 8, 9, 3, -1, 5, 3, -1, -1, -1]);
  assert.deepEqual(Array.from(gptRows([[7, 8, 9]], { length: 4 }).ids), [2, 7, 8, 9], "cut at length (the extract token lost)");
});

test("the logits come from the last real token: more padding changes nothing; a different last token does", () => {
  const clf = new GPTClassifier(new GPT(cfg), { numClasses: 3, seed: 2 });
  const a = clf.logits(
    gptRows([
      [6, 7],
      [8, 9, 10],
    ]),
  );
  const b = clf.logits(
    gptRows(
      [
        [6, 7],
        [8, 9, 10],
      ],
      { length: 9 },
    ),
  );
  // equal up to float32 rounding (the products' blocking depends on T): <pad> after the extract token is never seen
  const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
  assert.ok(gap < 1e-6, `padding moved the logits by ${gap}`);
  const c = clf.logits(
    gptRows([
      [6, 7, 6],
      [8, 9, 10],
    ]),
  );
  assert.notDeepEqual((c.arraySync() as number[][])[0], (a.arraySync() as number[][])[0]);
  assert.deepEqual((c.arraySync() as number[][])[1], (a.arraySync() as number[][])[1], "rows are independent");
  tf.dispose([a, b, c]);
  clf.dispose();
});

test("fromPretrained copies: same values, other variables; training the copy leaves the pretrained model as it was", async () => {
  const pre = new GPT(cfg);
  const before = pre.wte.arraySync();
  const clf = GPTClassifier.fromPretrained(pre, { numClasses: 2, seed: 3, config: { dropout: 0.1 } });
  assert.notEqual(clf.gpt.wte, pre.wte);
  assert.deepEqual(clf.gpt.wte.arraySync(), before);
  assert.equal(clf.gpt.config.dropout, 0.1);
  const rows = gptRows([
    [6, 7],
    [8, 9],
  ]);
  await train({ model: clf, batches: [rows], loss: (r) => clf.loss(r, [0, 1]), steps: 2, epochs: 2, learningRate: 0.01 });
  assert.deepEqual(pre.wte.arraySync(), before);
  assert.notDeepEqual(clf.gpt.wte.arraySync(), before);
  clf.dispose();
  pre.dispose();
});

test("loss = the labels' cross-entropy + λ · the LM loss of the same rows (no dropout)", () => {
  const gpt = new GPT(cfg);
  const rows = gptRows([
    [6, 7, 8],
    [9, 10],
  ]);
  const labels = [1, 0];
  const withLm = new GPTClassifier(gpt, { numClasses: 2, seed: 4, lmWeight: 0.5, dropout: 0 });
  const without = new GPTClassifier(gpt, { numClasses: 2, seed: 4, lmWeight: 0, dropout: 0 });
  const l3 = withLm.loss(rows, labels).dataSync()[0];
  const l2 = without.loss(rows, labels).dataSync()[0];
  const l1 = gpt.loss(nextTokenBatch(rows)).dataSync()[0];
  assert.ok(Math.abs(l3 - (l2 + 0.5 * l1)) < 1e-5, `${l3} vs ${l2} + 0.5·${l1}`);
  const byHand = tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot([1, 0], 2), without.logits(rows)).dataSync()[0]);
  assert.ok(Math.abs(l2 - byHand) < 1e-5);
  assert.throws(() => new GPTClassifier(gpt, { numClasses: 1 }), /numClasses/);
  gpt.dispose();
});

test("fine-tuning learns a label that depends on the text (whether token 9 occurs), above chance on held-out rows", async () => {
  const r = new SeededRandom(5);
  const make = (n: number) =>
    Array.from({ length: n }, () => {
      const s = Array.from({ length: 1 + r.int(5) }, () => 5 + r.int(4)); // tokens 5..8
      const label = r.int(2);
      if (label) s[r.int(s.length)] = 9;
      return { s, label };
    });
  const trainSet = make(256),
    test = make(128);
  const clf = new GPTClassifier(new GPT({ ...cfg, seed: 6 }), { numClasses: 2, seed: 6 });
  const batches = Array.from({ length: 8 }, (_, k) => trainSet.slice(32 * k, 32 * k + 32));
  await train({
    params: clf.variables(),
    batches,
    loss: (b) =>
      clf.loss(
        gptRows(b.map((e) => e.s)),
        b.map((e) => e.label),
      ),
    epochs: 6,
    learningRate: 0.01,
  });
  const acc = clf.accuracy(
    gptRows(test.map((e) => e.s)),
    test.map((e) => e.label),
  );
  assert.ok(acc > 0.9, `held-out accuracy ${acc}`);
  clf.dispose();
});
