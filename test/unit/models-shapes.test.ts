// src/models: shape errors that name the expected and the actual shape, output shapes for every
// shape × cell, masking of padded rows, state-carrying sampling, and tiny models that learn.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { OneToOne, OneToMany, ManyToOne, ManyToMany, LanguageModel, EncoderDecoder, seq2seqBatch, type CellKind } from "../../src/models";
import { train } from "../../src/train";
import { additionTask, longRangeTask } from "../../src/data";
import { Vocab } from "../../src/text";

before(async () => {
  await useBackend({ backend: "cpu", quiet: true });
});

const CELLS: CellKind[] = ["rnn", "lstm", "gru"];

test("shape errors name the expected and the actual shape", () => {
  const m = new ManyToOne({ vocabSize: 10, embedDim: 4, hiddenSize: 6, outputSize: 3 });
  assert.throws(() => m.apply(tf.zeros([3, 4, 5], "int32")), {
    message: "manyToOne.apply: expected token ids of shape [batch, steps], got [3, 4, 5]",
  });
  assert.throws(
    () =>
      m.loss({
        x: [
          [1, 2, 3],
          [4, 5, 6],
        ],
        y: [0, 1, 2],
      }),
    { message: "manyToOne.loss: expected labels of shape [2], got [3]" },
  );
  assert.throws(() => m.apply([[1, 2, 3]], { validLens: [2, 3] }), {
    message: "manyToOne.apply: expected validLens of shape [batch=1], got [2]",
  });
  m.dispose();

  const f = new ManyToMany({ inputSize: 5, hiddenSize: 6, outputSize: 2, cell: "gru" });
  assert.throws(() => f.apply(tf.zeros([3, 4])), { message: "manyToMany.apply: expected features of shape [batch, steps, 5], got [3, 4]" });
  assert.throws(() => f.apply(tf.zeros([3, 4, 6])), {
    message: "manyToMany.apply: expected features of shape [batch, steps, 5], got [3, 4, 6]",
  });
  f.dispose();

  const lm = new LanguageModel({ vocabSize: 7, hiddenSize: 4 });
  assert.throws(
    () =>
      lm.loss({
        x: [
          [1, 2, 3, 4, 5],
          [1, 2, 3, 4, 5],
        ],
        y: [
          [1, 2, 3, 4],
          [1, 2, 3, 4],
        ],
      }),
    {
      message: "languageModel.loss: expected targets of shape [batch=2, steps=5], got [2, 4]",
    },
  );
  const s = lm.zeroState(2);
  assert.throws(() => lm.step([1, 2, 3], s), { message: "languageModel.step: expected state h of shape [3, 4], got [2, 4]" });
  assert.throws(() => lm.apply([[1, 9]]), /token id 9 is outside \[0, 7\)/);
  tf.dispose([s.h, s.c!]);
  lm.dispose();

  const o = new OneToOne({ inputSize: 3, hiddenSize: 4, outputSize: 2 });
  assert.throws(() => o.apply([[1, 2]]), { message: "oneToOne.apply: expected features of shape [batch, 3], got [1, 2]" });
  o.dispose();

  const ed = new EncoderDecoder({ srcVocabSize: 5, tgtVocabSize: 6, embedDim: 3, hiddenSize: 4 });
  assert.throws(
    () =>
      ed.apply(
        [[1, 2, 3]],
        [
          [1, 2],
          [3, 4],
        ],
      ),
    { message: "encoderDecoder.apply: expected target ids of shape [1, tgtSteps], got [2, 2]" },
  );
  assert.throws(() => ed.apply([1, 2, 3], [[1, 2]]), {
    message: "encoderDecoder.apply: expected token ids of shape [batch, steps], got [3]",
  });
  ed.dispose();
});

test("every shape with every cell: output shapes, variables, and no tensor left behind", () => {
  const base = tf.memory().numTensors;
  for (const cell of CELLS) {
    const ids = [
      [1, 2, 3, 4],
      [4, 3, 2, 1],
    ];
    const o1 = new OneToOne({ inputSize: 3, hiddenSize: 5, outputSize: 2, cell });
    const om = new OneToMany({ inputSize: 3, vocabSize: 6, embedDim: 4, hiddenSize: 5, cell });
    const m1 = new ManyToOne({ vocabSize: 6, embedDim: 4, hiddenSize: 5, outputSize: 3, cell });
    const mm = new ManyToMany({ vocabSize: 6, hiddenSize: 5, outputSize: 3, cell }); // one-hot inputs
    const lm = new LanguageModel({ vocabSize: 6, embedDim: 4, hiddenSize: 5, cell });
    const ed = new EncoderDecoder({ srcVocabSize: 6, tgtVocabSize: 7, embedDim: 4, hiddenSize: 5, cell });
    const models = [o1, om, m1, mm, lm, ed];
    const { logits, state } = lm.apply(ids);
    assert.deepEqual(Object.keys(state).sort(), cell === "lstm" ? ["c", "h"] : ["h"]);
    tf.dispose(Object.values(state));
    const out = [
      o1.apply([
        [0.1, 0.2, 0.3],
        [0, 1, 0],
      ]),
      om.apply(
        [
          [0.1, 0.2, 0.3],
          [0, 1, 0],
        ],
        ids,
      ),
      m1.apply(ids),
      mm.apply(ids),
      logits,
      ed.apply(ids, [
        [1, 2, 3],
        [3, 2, 1],
      ]),
    ];
    assert.deepEqual(
      out.map((t) => t.shape),
      [
        [2, 2],
        [2, 4, 6],
        [2, 3],
        [2, 4, 3],
        [2, 4, 6],
        [2, 3, 7],
      ],
      cell,
    );
    assert.equal(lm.variables().length, 1 + 3 + 2); // table; Wx, Wh, b; W, b
    assert.ok(models.every((m) => m.variables().every((v) => v instanceof tf.Variable && v.trainable)));
    assert.equal(new Set(Object.keys(ed.namedVariables())).size, ed.variables().length);
    tf.dispose(out);
    for (const m of models) m.dispose();
  }
  assert.equal(tf.memory().numTensors, base);
});

test("padded rows with validLens give the same result as the unpadded rows", () => {
  for (const cell of CELLS) {
    const m = new ManyToOne({ vocabSize: 8, embedDim: 3, hiddenSize: 4, outputSize: 2, cell, seed: 3 });
    const short = m.apply([[5, 6]]);
    const long = m.apply([[1, 2, 3, 4]]);
    const padded = m.apply(
      [
        [5, 6, 0, 0],
        [1, 2, 3, 4],
      ],
      { validLens: [2, 4] },
    );
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(padded, tf.concat([short, long], 0)))).dataSync()[0]);
    assert.ok(d < 1e-5, `${cell}: ${d}`);
    const unmasked = m.apply([[5, 6, 0, 0]]);
    assert.ok(
      tf.tidy(() => tf.max(tf.abs(tf.sub(unmasked, short))).dataSync()[0]) > 1e-4,
      `${cell}: padding must matter without validLens`,
    );
    tf.dispose([short, long, padded, unmasked]);
    m.dispose();
  }
});

test("sampling reads the prefix once and carries the state; greedy equals re-running the prefix", () => {
  const lm = new LanguageModel({ vocabSize: 9, embedDim: 5, hiddenSize: 8, cell: "gru", seed: 7 });
  const runs: number[] = [];
  const run = lm.rnn.run.bind(lm.rnn);
  lm.rnn.run = (xs, s, l) => (runs.push(xs.shape[1]), run(xs, s, l));
  const prefix = [1, 2, 3, 4];
  const fast = lm.sample(prefix, 12, { greedy: true });
  assert.deepEqual(runs, [3], "the prefix (but its last token) is run once; every new token is one step");
  assert.equal(fast.length, 12);
  // the slow way: re-run the whole sequence for every new token
  const seq = [...prefix];
  for (let i = 0; i < 12; i++) {
    const next = tf.tidy(() => {
      const { logits } = lm.apply([seq]);
      return tf.argMax(tf.squeeze(tf.slice(logits, [0, seq.length - 1, 0], [1, 1, 9]))).dataSync()[0];
    });
    seq.push(next);
  }
  assert.deepEqual(fast, seq.slice(prefix.length));
  // seeded sampling repeats from its seed
  const a = lm.sample(prefix, 20, { temperature: 2, seed: 1 });
  assert.deepEqual(lm.sample(prefix, 20, { temperature: 2, seed: 1 }), a);
  assert.notDeepEqual(lm.sample(prefix, 20, { temperature: 2, seed: 2 }), a);
  assert.ok(a.every((i) => Number.isInteger(i) && i >= 0 && i < 9));
  lm.dispose();
});

test("predict: d2l's predict_ch8 with a Vocab (28 characters, hidden 32)", () => {
  const vocab = new Vocab([..."abcdefghijklmnopqrstuvwxyz "], { reserved: [] }); // <unk> + 27 = 28
  assert.equal(vocab.size, 28);
  const lm = new LanguageModel({ vocabSize: vocab.size, hiddenSize: 32, cell: "rnn" });
  const base = tf.memory().numTensors;
  const text = lm.predict("time traveller ", 10, vocab, { greedy: true });
  assert.equal(tf.memory().numTensors, base);
  assert.ok(text.startsWith("time traveller "));
  assert.equal(text.length, 25);
  lm.dispose();
});

test("a tiny many-to-one LSTM learns to carry its first token (loss falls by a clear margin)", async () => {
  const task = longRangeTask(64, { length: 6, numClasses: 2, numNoise: 3, seed: 1 });
  const B = 16,
    T = 6;
  const batches = Array.from({ length: 4 }, (_, i) => ({
    x: task.x.subarray(i * B * T, (i + 1) * B * T),
    y: task.y.subarray(i * B, (i + 1) * B),
    shape: [B, T],
  }));
  const model = new ManyToOne({ vocabSize: task.vocabSize, embedDim: 8, hiddenSize: 16, outputSize: 2, cell: "lstm", seed: 1 });
  const h = await train({ model, batches, optimizer: "adam", learningRate: 0.05, epochs: 10, quiet: true });
  const first = h.epochs[0].loss;
  const last = h.epochs[h.epochs.length - 1].loss;
  assert.ok(last < 0.3 * first, `epoch losses ${h.epochs.map((e) => e.loss.toFixed(3)).join(" ")}`);
  model.dispose();
});

test("a tiny encoder-decoder learns 1-digit addition with teacher forcing; greedy decoding gives strings", async () => {
  const vocab = new Vocab([..."0123456789+="]);
  const pairs = additionTask(128, { maxDigits: 1, seed: 2 });
  const batches = Array.from({ length: 4 }, (_, i) =>
    seq2seqBatch(pairs.slice(i * 32, (i + 1) * 32), { srcVocab: vocab, srcLen: 4, tgtLen: 3 }),
  );
  const b0 = batches[0];
  assert.deepEqual(b0.srcShape, [32, 4]);
  assert.equal(vocab.decode([b0.tgtIn[0]])[0], "<bos>");
  const model = new EncoderDecoder({ srcVocabSize: vocab.size, tgtVocabSize: vocab.size, embedDim: 8, hiddenSize: 16, seed: 1 });
  const h = await train({ model, batches, optimizer: "adam", learningRate: 0.05, epochs: 6, quiet: true });
  const first = h.epochs[0].loss;
  const last = h.epochs[h.epochs.length - 1].loss;
  assert.ok(last < 0.6 * first, `epoch losses ${h.epochs.map((e) => e.loss.toFixed(3)).join(" ")}`);
  const out = model.translate(["3+4=", "9+9="], { srcVocab: vocab, maxLen: 4 });
  assert.equal(out.length, 2);
  assert.ok(
    out.every((s) => /^[0-9+=]*$/.test(s)),
    JSON.stringify(out),
  );
  model.dispose();
});

test("languageModel.loss with carry continues from the previous batch's final state (sequential batches)", async () => {
  const start = tf.memory().numTensors;
  const lm = new LanguageModel({ vocabSize: 5, embedDim: 3, hiddenSize: 4, cell: "lstm", seed: 2 });
  const b1 = {
    x: [
      [1, 2, 3],
      [4, 0, 1],
    ],
    y: [
      [2, 3, 4],
      [0, 1, 2],
    ],
  };
  const b2 = {
    x: [
      [4, 0, 1],
      [2, 3, 4],
    ],
    y: [
      [0, 1, 2],
      [3, 4, 0],
    ],
  };
  const read = (t: tf.Scalar) => {
    const v = t.dataSync()[0];
    t.dispose();
    return v;
  };
  const fresh2 = read(lm.loss(b2));
  const { logits, state } = lm.apply(b1.x);
  const continued2 = read(lm.loss(b2, { state }));
  tf.dispose([logits, state.h, state.c!]);
  assert.notEqual(continued2, fresh2);
  read(lm.loss(b1, { carry: true, reset: true }));
  const base = tf.memory().numTensors;
  assert.ok(Math.abs(read(lm.loss(b2, { carry: true })) - continued2) < 1e-6);
  assert.equal(tf.memory().numTensors, base, "the carried state is replaced, not added to");
  assert.ok(Math.abs(read(lm.loss(b2, { carry: true, reset: true })) - fresh2) < 1e-6);
  // through train: the context says when an epoch starts
  const starts: boolean[] = [];
  const h = await train({
    params: lm,
    loss: (b, ctx) => (starts.push(ctx.firstOfEpoch), lm.loss(b, { carry: true, reset: ctx.firstOfEpoch })),
    batches: [b1, b2],
    epochs: 2,
    quiet: true,
  });
  assert.deepEqual(starts, [true, false, true, false]);
  lm.dispose();
  h.optimizer!.dispose();
  assert.equal(tf.memory().numTensors, start, "dispose frees the carried state too");
});

test("decoding stops each row at <eos>; seq2seqBatch pads, masks and can reverse sources", () => {
  const vocab = new Vocab([..."0123456789+="]);
  const b = seq2seqBatch(
    [
      { source: "12+3=", target: "15" },
      { source: "1+1=", target: "2" },
    ],
    { srcVocab: vocab, reverseSource: true },
  );
  assert.deepEqual(b.srcShape, [2, 5]);
  assert.deepEqual(b.tgtShape, [2, 3]);
  assert.deepEqual(vocab.decode(b.src.subarray(0, 5)), [..."=3+21"]);
  assert.deepEqual(Array.from(b.srcLens), [5, 4]);
  assert.deepEqual(vocab.decode(b.tgtIn.subarray(3, 6)), ["<bos>", "2", "<pad>"]);
  assert.deepEqual(vocab.decode(b.tgtOut.subarray(3, 6)), ["2", "<eos>", "<pad>"]);
  assert.deepEqual(Array.from(b.tgtMask), [1, 1, 1, 1, 1, 0]);

  const ed = new EncoderDecoder({ srcVocabSize: vocab.size, tgtVocabSize: vocab.size, embedDim: 4, hiddenSize: 6, cell: "gru" });
  const plain = new EncoderDecoder({
    srcVocabSize: vocab.size,
    tgtVocabSize: vocab.size,
    embedDim: 4,
    hiddenSize: 6,
    cell: "gru",
    context: false,
  });
  assert.deepEqual(ed.namedVariables()["decoder/gru/Wx"].shape, [4 + 6, 18], "the decoder reads the context beside each token");
  assert.deepEqual(plain.namedVariables()["decoder/gru/Wx"].shape, [4, 18]);
  const loss = ed.loss(b);
  assert.ok(loss.dataSync()[0] > 0);
  loss.dispose();
  // make <eos> the most likely token everywhere: every row stops at once, with nothing
  const bias = ed.decoder.head.b!;
  bias.assign(tf.oneHot(vocab.eosId, vocab.size).mul(100).cast("float32") as tf.Tensor1D);
  assert.deepEqual(ed.generate(b.src, { srcShape: b.srcShape, srcLens: b.srcLens, bosId: vocab.bosId, eosId: vocab.eosId, maxLen: 5 }), [
    [],
    [],
  ]);
  assert.deepEqual(ed.translate(["1+1="], { srcVocab: vocab }), [""]);
  // and "7": rows run to maxLen
  bias.assign(tf.oneHot(vocab.id("7"), vocab.size).mul(100).cast("float32") as tf.Tensor1D);
  assert.deepEqual(ed.translate(["1+1=", "2+2="], { srcVocab: vocab, maxLen: 3 }), ["777", "777"]);
  const om = new OneToMany({ inputSize: 2, vocabSize: 5, hiddenSize: 4, cell: "rnn" });
  om.decoder.head.b!.assign(tf.tensor1d([0, 0, 0, 50, 0]));
  assert.deepEqual(
    om.generate(
      [
        [1, 0],
        [0, 1],
      ],
      { bosId: 0, eosId: 3, maxLen: 4 },
    ),
    [[], []],
  );
  assert.deepEqual(om.generate([[1, 0]], { bosId: 0, maxLen: 2 }), [[3, 3]]);
  for (const m of [ed, plain, om]) m.dispose();
});
