// Dai & Le's sequence autoencoder / LM pretraining with classifier fine-tuning, and pre-trained
// seq2seq (Ramachandran et al.): batches, weight copying and sharing, the losses.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import {
  pairBatch,
  autoencoderBatch,
  classifierInputs,
  sequenceAutoencoder,
  SequenceClassifier,
  seq2seqFineTuneLoss,
  forwardLmBatch,
} from "../../src/objectives";
import { EncoderDecoder, LanguageModel } from "../../src/models";
import { copyVariables } from "../../src/nn";

before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
});

const values = (vs: tf.Variable[]) => vs.map((v) => Array.from(v.dataSync()));

test("pair batches: sources left-padded (cut at the front), decoder rows <bos> y / y <eos>, weights on the real targets", () => {
  const b = pairBatch(
    [
      { source: [5, 6], target: [7] },
      { source: [5, 6, 7, 8, 9], target: [8, 9, 10, 11] },
    ],
    { sourceLength: 4, targetLength: 3 },
  );
  assert.deepEqual(Array.from(b.src), [0, 0, 5, 6, 6, 7, 8, 9]);
  assert.deepEqual(Array.from(b.tgtIn), [2, 7, 0, 2, 8, 9]);
  assert.deepEqual(Array.from(b.tgtOut), [7, 3, 0, 8, 9, 10]);
  assert.deepEqual(Array.from(b.tgtMask), [1, 1, 0, 1, 1, 1]);
  const ae = autoencoderBatch([[5, 6, 7]], 3);
  assert.deepEqual(Array.from(ae.src), [5, 6, 7]);
  assert.deepEqual(Array.from(ae.tgtOut), [5, 6, 7, 3]);
  assert.deepEqual(Array.from(classifierInputs([[5, 6], [7]], 3).ids), [5, 6, 0, 7, 0, 0]);
  assert.deepEqual(Array.from(classifierInputs([[5, 6, 7, 8]], 3).ids), [5, 6, 7]);
  assert.deepEqual(Array.from(classifierInputs([[5, 6], [7]], 3, 0, "left").ids), [0, 5, 6, 0, 0, 7]);
});

test("a classifier reads a question the same alone or padded in any batch, and its dropout is for training only", () => {
  const clf = SequenceClassifier.create({
    vocabSize: 12,
    embedDim: 8,
    hiddenSize: 8,
    numClasses: 3,
    seed: 4,
    dropout: { embedding: 0.3, hidden: 0.2, features: 0.5 },
  });
  const short = [5, 6, 7];
  const logitsOf = (rows: number[][], length: number, pool = clf) =>
    tf.tidy(() => Array.from(pool.logits(classifierInputs(rows, length)).dataSync()));
  const alone = logitsOf([short], 3);
  const inBatch = logitsOf([[8, 9, 10, 11, 5, 6, 7, 8, 9], short], 9).slice(3);
  alone.forEach((v, i) => assert.ok(Math.abs(v - inBatch[i]) < 1e-6, `logit ${i}: alone ${v}, padded in a batch ${inBatch[i]}`));
  // left-padded, the LSTM reads <pad> first and the answer changes with the padding (why the inputs are right-padded)
  const left = tf.tidy(() => Array.from(clf.logits(classifierInputs([short], 9, 0, "left")).dataSync()));
  assert.ok(
    left.some((v, i) => Math.abs(v - alone[i]) > 1e-4),
    "reading six <pad> first changes the logits",
  );
  const mean = SequenceClassifier.fromPretrained(clf.encoder, 3, { pool: "mean", seed: 4 });
  const m1 = logitsOf([short], 3, mean);
  const m2 = logitsOf([[8, 9, 10, 11, 5, 6, 7, 8, 9], short], 9, mean).slice(3);
  m1.forEach((v, i) => assert.ok(Math.abs(v - m2[i]) < 1e-6, "mean pooling skips <pad> too"));
  // dropout: logits() is deterministic; training calls draw new masks
  assert.deepEqual(logitsOf([short], 3), alone);
  const x = classifierInputs([short, [8, 9]], 3);
  const a = tf.tidy(() => Array.from(clf.logits(x, { training: true }).dataSync()));
  const b = tf.tidy(() => Array.from(clf.logits(x, { training: true }).dataSync()));
  assert.notDeepEqual(a, b);
  assert.throws(
    () => SequenceClassifier.create({ vocabSize: 12, embedDim: 8, hiddenSize: 8, numClasses: 3, dropout: { hidden: 1 } }),
    /dropout.hidden is 1; expected a rate in \[0, 1\)/,
  );
  mean.dispose();
  clf.dispose();
});

test("Dai & Le: the autoencoder learns to reproduce sequences; a classifier starts from its encoder (copied or shared) and fine-tunes", () => {
  const V = 12;
  const seqs = Array.from({ length: 12 }, (_, i) => [5 + (i % 7), 5 + ((i * 3) % 7), 5 + ((i * 5) % 7)]);
  const ae = sequenceAutoencoder({ vocabSize: V, embedDim: 16, hiddenSize: 24, seed: 1 });
  assert.equal(ae.encoder.input, ae.decoder.input, "one vocabulary, one embedding");
  assert.equal(Object.keys(ae.namedVariables()).length, ae.variables().length, "the shared embedding is named once");
  const batch = autoencoderBatch(seqs, 3);
  const opt = tf.train.adam(0.03);
  const l0 = tf.tidy(() => ae.loss(batch).dataSync()[0]);
  for (let i = 0; i < 40; i++) tf.dispose(opt.minimize(() => ae.loss(batch), true, ae.variables())!);
  const l1 = tf.tidy(() => ae.loss(batch).dataSync()[0]);
  assert.ok(l1 < 0.5 * l0, `autoencoder loss ${l0} -> ${l1}`);

  const copied = SequenceClassifier.fromPretrained(ae.encoder, 2, { seed: 2 });
  const shared = SequenceClassifier.fromPretrained(ae.encoder, 2, { share: true, seed: 2 });
  assert.deepEqual(values(copied.encoder.variables()), values(ae.encoder.variables()));
  assert.ok(copied.encoder.variables().every((v, i) => v !== ae.encoder.variables()[i]));
  assert.ok(shared.encoder.variables().every((v, i) => v === ae.encoder.variables()[i]));
  // fine-tune the copy on labels (the parity of the first token): the autoencoder stays as it was
  const before = values(ae.encoder.variables());
  const x = classifierInputs(seqs, 3);
  const labels = seqs.map((s) => s[0] % 2);
  const c0 = tf.tidy(() => copied.loss(x, labels).dataSync()[0]);
  const opt2 = tf.train.adam(0.03);
  for (let i = 0; i < 40; i++) tf.dispose(opt2.minimize(() => copied.loss(x, labels), true, copied.variables())!);
  const c1 = tf.tidy(() => copied.loss(x, labels).dataSync()[0]);
  assert.ok(c1 < 0.5 * c0, `classifier loss ${c0} -> ${c1}`);
  assert.equal(copied.accuracy(x, labels), 1);
  assert.deepEqual(values(ae.encoder.variables()), before);
  copied.dispose();
  ae.dispose(); // also the shared classifier's encoder
  shared.out.dispose();
  opt.dispose();
  opt2.dispose();
});

test("LM pretraining for a classifier: the classifier's encoder starts as the LM's embedding and LSTM", () => {
  const lm = new LanguageModel({ vocabSize: 10, embedDim: 8, hiddenSize: 8, seed: 3 });
  const clf = SequenceClassifier.fromPretrained(lm.stack, 3);
  assert.deepEqual(values(clf.encoder.variables()), values(lm.stack.variables()));
  const scratch = SequenceClassifier.create({ vocabSize: 10, embedDim: 8, hiddenSize: 8, numClasses: 3, seed: 3 });
  assert.equal(scratch.variables().length, clf.variables().length);
  tf.tidy(() => assert.deepEqual(clf.logits(classifierInputs([[5, 6]], 2)).shape, [1, 3]));
  clf.dispose();
  scratch.dispose();
  lm.dispose();
});

test("pre-trained seq2seq: encoder from the source LM, decoder and softmax from the target LM; copies stay separate, shared ones do not", () => {
  const src = new LanguageModel({ vocabSize: 9, embedDim: 6, hiddenSize: 8, seed: 4 });
  const tgt = new LanguageModel({ vocabSize: 11, embedDim: 6, hiddenSize: 8, seed: 5 });
  const copy = EncoderDecoder.fromLanguageModels(src, tgt);
  assert.deepEqual(values(copy.encoder.variables()), values(src.stack.variables()));
  assert.deepEqual(values(copy.decoder.variables()), values(tgt.variables()));
  assert.ok(copy.variables().every((v) => !src.variables().includes(v) && !tgt.variables().includes(v)));
  const shared = EncoderDecoder.fromLanguageModels(src, tgt, { share: true });
  assert.equal(shared.encoder, src.stack);
  assert.equal(shared.decoder, tgt);
  assert.equal(shared.context, false);

  // fine-tuning loss = seq2seq loss + w · (source LM loss + target LM loss)
  const pairs = [
    { source: [5, 6, 7], target: [8, 9] },
    { source: [6, 7], target: [10] },
  ];
  const batch = pairBatch(pairs, { sourceLength: 3, targetLength: 3 });
  const sourceBatch = forwardLmBatch([
    [5, 6, 7],
    [6, 7, 0],
  ]);
  const targetBatch = forwardLmBatch([
    [8, 9],
    [10, 0],
  ]);
  const [plain, withLm, s2s, ls, lt] = tf.tidy(() =>
    [
      seq2seqFineTuneLoss(shared, batch),
      seq2seqFineTuneLoss(shared, batch, { lmWeight: 0.5, sourceLm: src, sourceBatch, targetLm: tgt, targetBatch }),
      shared.loss(batch),
      src.loss(sourceBatch),
      tgt.loss(targetBatch),
    ].map((t) => t.dataSync()[0]),
  );
  assert.equal(plain, s2s);
  assert.ok(Math.abs(withLm - (s2s + 0.5 * (ls + lt))) < 1e-5);

  // a copy trained on the pairs translates them; the LMs it came from are untouched
  const before = values(src.variables());
  const opt = tf.train.adam(0.05);
  for (let i = 0; i < 60; i++) tf.dispose(opt.minimize(() => copy.loss(batch), true, copy.variables())!);
  const translate = (source: number[]) =>
    copy.generate(pairBatch([{ source, target: [] }], { sourceLength: 3, targetLength: 1 }).src, {
      srcShape: [1, 3],
      bosId: 2,
      eosId: 3,
      maxLen: 5,
    })[0];
  assert.deepEqual(translate([5, 6, 7]), [8, 9]);
  assert.deepEqual(translate([6, 7]), [10]);
  assert.deepEqual(values(src.variables()), before);
  assert.throws(() => copyVariables([tf.zeros([2])], [tgt.head.b!]), /shape/);
  copy.dispose();
  src.dispose();
  tgt.dispose();
  opt.dispose();
});

test("a classifier can read the mean of the LSTM's outputs over the non-<pad> positions instead of the final state", () => {
  const clf = SequenceClassifier.create({ vocabSize: 10, embedDim: 4, hiddenSize: 6, numClasses: 3, seed: 8, pool: "mean" });
  const x = classifierInputs([[5, 6, 7], [8]], 3); // right-padded: [5 6 7], [8 0 0]
  const [got, want] = tf.tidy(() => {
    const { outputs } = clf.encoder.run(tf.tensor2d(x.ids, x.shape, "int32"));
    const top = outputs[outputs.length - 1];
    const rows = tf.concat([tf.mean(top.slice([0, 0, 0], [1, 3, 6]), 1), tf.mean(top.slice([1, 0, 0], [1, 1, 6]), 1)]);
    return [clf.logits(x).arraySync(), clf.out.apply(rows).arraySync()] as [number[][], number[][]];
  });
  got.flat().forEach((g, i) => assert.ok(Math.abs(g - want.flat()[i]) < 1e-5, `${g} vs ${want.flat()[i]}`));
  const last = SequenceClassifier.fromPretrained(clf.encoder, 3, { seed: 8 });
  assert.equal(last.pool, "last");
  const mean = SequenceClassifier.fromPretrained(clf.encoder, 3, { pool: "mean" });
  assert.equal(mean.pool, "mean");
  clf.dispose();
  last.dispose();
  mean.dispose();
});
