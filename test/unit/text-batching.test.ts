// Batching (d2l's random and sequential partitioning, nanoGPT's random windows, padding, splits) and
// Korean word spacing labels.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { SeededRandom } from "../../src/data";
import {
  applySpacing,
  chunkRanges,
  lengthBatches,
  padSequences,
  randomWindowBatches,
  randomWindows,
  seqDataIterRandom,
  seqDataIterSequential,
  SeqDataLoader,
  spacingLabels,
  trainValidSplit,
  windowBatch,
  WindowSplit,
} from "../../src/text";

const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const row = (a: Int32Array, r: number, steps: number) => Array.from(a.subarray(r * steps, (r + 1) * steps));

test("random partitioning: shapes, targets shifted by one, disjoint subsequences on one offset grid", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer(),
      (n, batch, steps, seed) => {
        const batches = [...seqDataIterRandom(range(n), batch, steps, { seed })];
        const starts: number[] = [];
        for (const b of batches) {
          assert.deepEqual(b.shape, [batch, steps]);
          assert.equal(b.x.length, batch * steps);
          for (let i = 0; i < b.x.length; i++) assert.equal(b.y[i], b.x[i] + 1);
          for (let r = 0; r < batch; r++) {
            const xs = row(b.x, r, steps);
            xs.forEach((v, t) => assert.equal(v, xs[0] + t));
            starts.push(xs[0]);
          }
        }
        if (!starts.length) return;
        const offset = starts[0] % steps;
        assert.ok(offset < steps);
        for (const s of starts) assert.equal(s % steps, offset);
        assert.equal(new Set(starts).size, starts.length, "no subsequence twice");
        const numSubseqs = Math.floor((n - offset - 1) / steps);
        assert.equal(batches.length, Math.floor(numSubseqs / batch));
      },
    ),
  );
});

test("sequential partitioning: row i of each batch continues row i of the previous one", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer(),
      (n, batch, steps, seed) => {
        const batches = [...seqDataIterSequential(range(n), batch, steps, { seed })];
        batches.forEach((b, k) => {
          assert.deepEqual(b.shape, [batch, steps]);
          for (let i = 0; i < b.x.length; i++) assert.equal(b.y[i], b.x[i] + 1);
          for (let r = 0; r < batch; r++) {
            const xs = row(b.x, r, steps);
            xs.forEach((v, t) => assert.equal(v, xs[0] + t));
            if (k > 0) assert.equal(xs[0], row(batches[k - 1].x, r, steps)[steps - 1] + 1);
          }
        });
        if (batches.length) {
          const offset = batches[0].x[0];
          assert.ok(offset >= 0 && offset <= steps);
          const rowLen = Math.floor((n - offset - 1) / batch);
          assert.equal(batches.length, Math.floor(rowLen / steps));
          if (batch > 1) assert.equal(batches[0].x[steps], offset + rowLen, "rows are consecutive stretches of the stream");
        }
      },
    ),
  );
});

test("partitioning is seeded: same seed, same batches; one loader gives different epochs, reproducibly", () => {
  const corpus = range(1000);
  const a = [...seqDataIterRandom(corpus, 4, 5, { seed: 11 })];
  assert.deepEqual(a, [...seqDataIterRandom(corpus, 4, 5, { seed: 11 })]);
  assert.notDeepEqual(a, [...seqDataIterRandom(corpus, 4, 5, { seed: 12 })]);
  const loader = new SeqDataLoader(corpus, { batchSize: 4, numSteps: 5, seed: 11 });
  const e1 = [...loader];
  const e2 = [...loader];
  assert.notDeepEqual(e1, e2);
  const again = new SeqDataLoader(corpus, { batchSize: 4, numSteps: 5, seed: 11 });
  assert.deepEqual([[...again], [...again]], [e1, e2]);
  const seq = new SeqDataLoader(corpus, { batchSize: 4, numSteps: 5, random: false, seed: new SeededRandom(3) });
  assert.equal([...seq][0].x[5] - [...seq][0].x[0] > 5, true);
  assert.throws(() => [...seqDataIterRandom(corpus, 0, 5)], /batchSize must be a positive integer/);
});

test("padding and truncation to a fixed length, with valid lengths", () => {
  const p = padSequences([[5, 6, 7], [8], [1, 2, 3, 4, 9]], 4, 0);
  assert.deepEqual(p.shape, [3, 4]);
  assert.deepEqual(Array.from(p.data), [5, 6, 7, 0, 8, 0, 0, 0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(p.validLens), [3, 1, 4]);
  const pre = padSequences(
    [
      [5, 6, 7],
      [1, 2, 3, 4, 9],
    ],
    4,
    -1,
    { padding: "pre", truncating: "pre" },
  );
  assert.deepEqual(Array.from(pre.data), [-1, 5, 6, 7, 2, 3, 4, 9]);
  assert.throws(() => padSequences([[1]], 2, -1.5), /padId must be an integer/);
});

test("train/validation split: a seeded partition of the items, stratified on request", () => {
  const items = Array.from({ length: 100 }, (_, i) => ({ i, label: i % 10 === 0 ? 1 : 0 }));
  const { train, valid } = trainValidSplit(items, { validFraction: 0.2, seed: 5 });
  assert.equal(valid.length, 20);
  assert.equal(train.length, 80);
  assert.deepEqual(
    [...train, ...valid].map((x) => x.i).sort((a, b) => a - b),
    items.map((x) => x.i),
  );
  assert.deepEqual(trainValidSplit(items, { validFraction: 0.2, seed: 5 }), { train, valid });
  assert.notDeepEqual(trainValidSplit(items, { validFraction: 0.2, seed: 6 }).valid, valid);
  const strat = trainValidSplit(items, { validFraction: 0.2, seed: 5, stratify: (x) => x.label });
  assert.equal(strat.valid.filter((x) => x.label === 1).length, 2, "20% of the 10 rare items");
  const plain = trainValidSplit(items, { validFraction: 0.1, shuffle: false });
  assert.deepEqual(
    plain.valid.map((x) => x.i),
    [90, 91, 92, 93, 94, 95, 96, 97, 98, 99],
  );
  assert.throws(() => trainValidSplit(items, { validFraction: 1.5 }), RangeError);
});

test("Korean word spacing labels: syllables without spaces, 1 where a space follows", () => {
  const ex = spacingLabels("아버지가 방에  들어가신다 ");
  assert.deepEqual(ex.syllables, [..."아버지가방에들어가신다"]);
  assert.deepEqual(Array.from(ex.labels), [0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
  assert.equal(applySpacing(ex.syllables, ex.labels), "아버지가 방에 들어가신다");
  assert.equal(applySpacing("아버지가방에", [0, 0, 0, 0, 0, 1]), "아버지가방에");
  assert.throws(() => applySpacing("가나", [1]), /2 syllables but 1 labels/);
  const word = fc.string({
    unit: fc.oneof(
      fc.integer({ min: 0xac00, max: 0xd7a3 }).map((c) => String.fromCharCode(c)),
      fc.constantFrom("A", "1", "."),
    ),
    minLength: 1,
  });
  fc.assert(
    fc.property(fc.array(word, { minLength: 1, maxLength: 8 }), (words) => {
      const s = words.join(" ");
      const { syllables, labels } = spacingLabels(s);
      assert.equal(syllables.join(""), words.join(""));
      assert.equal(
        labels.reduce((a, b) => a + b, 0),
        words.length - 1,
      );
      assert.equal(applySpacing(syllables, labels), s);
    }),
  );
});

test("length batches: every index once, each batch a run of similar lengths, seeded order", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 200 }),
      fc.integer({ min: 1, max: 17 }),
      fc.integer(),
      (lengths, size, seed) => {
        const batches = lengthBatches(lengths, size, new SeededRandom(seed));
        assert.deepEqual(
          batches.flat().sort((a, b) => a - b),
          lengths.map((_, i) => i),
        );
        assert.ok(batches.every((b) => b.length >= 1 && b.length <= size));
        // sorted by length before cutting: no two batches' length ranges overlap beyond a shared end
        const ranges = batches
          .map((b) => [Math.min(...b.map((i) => lengths[i])), Math.max(...b.map((i) => lengths[i]))])
          .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        for (let k = 1; k < ranges.length; k++)
          assert.ok(ranges[k][0] >= ranges[k - 1][1], `batch ranges overlap: ${JSON.stringify(ranges)}`);
        assert.deepEqual(lengthBatches(lengths, size, new SeededRandom(seed)), batches, "the same seed gives the same batches");
      },
    ),
  );
  assert.throws(() => lengthBatches([1, 2], 0, new SeededRandom(0)), /size must be a positive integer/);
});

test("windowBatch builds inputs and next-token targets from a JS token array", () => {
  const tokens = Int32Array.from([10, 11, 12, 13, 14, 15]);
  const b = windowBatch(tokens, [0, 2], 3);
  assert.deepEqual(b.shape, [2, 3]);
  assert.deepEqual(Array.from(b.x), [10, 11, 12, 12, 13, 14]);
  assert.deepEqual(Array.from(b.y), [11, 12, 13, 13, 14, 15]);
  assert.throws(() => windowBatch(tokens, [3], 3), /needs tokens\[3..6\]/);
});

test("randomWindowBatches: nanoGPT's get_batch from a seed, windows inside the tokens, the same stream as randomWindows", () => {
  const tokens = range(50);
  const it = randomWindowBatches(tokens, 4, 8, { seed: 3 });
  const random = new SeededRandom(3);
  for (let k = 0; k < 20; k++) {
    const b = it.next().value!;
    const starts = randomWindows(random, 4, tokens.length, 8);
    assert.deepEqual(b, windowBatch(tokens, starts, 8));
    for (const s of starts) assert.ok(s >= 0 && s + 8 < 50);
  }
  assert.throws(() => randomWindowBatches(range(9), 1, 8).next(), /too few/);
});

test("WindowSplit: d2l's TimeMachine windows; each epoch shuffles exactly as notebooks 03 and 04 did", () => {
  const tokens = Int32Array.from({ length: 200 }, (_, i) => (i * 7) % 23);
  const split = new WindowSplit(tokens, { numSteps: 5, numTrain: 30, numVal: 12, batchSize: 8, valBatchSize: 5 });
  // The oracle: the notebooks' own Fisher–Yates loop over 0 … numTrain−1, batches of 8 (the last 6).
  const random = new SeededRandom(3),
    oracleRandom = new SeededRandom(3);
  for (let epoch = 0; epoch < 3; epoch++) {
    const order = Array.from({ length: 30 }, (_, k) => k);
    for (let k = order.length - 1; k > 0; k--) {
      const j = oracleRandom.int(k + 1);
      [order[k], order[j]] = [order[j], order[k]];
    }
    const batches = split.trainBatches(random);
    assert.deepEqual(
      batches.map((b) => b.shape[0]),
      [8, 8, 8, 6],
    );
    batches.forEach((b, i) => assert.deepEqual(b, windowBatch(tokens, order.slice(8 * i, 8 * i + 8), 5)));
  }
  // Validation: windows 30 … 41 in order, 5 at a time (the last 2); targets at numTrain + w + t + 1.
  assert.deepEqual(
    split.valBatches.map((b) => b.shape),
    [
      [5, 5],
      [5, 5],
      [2, 5],
    ],
  );
  assert.deepEqual(split.valBatches[2], windowBatch(tokens, [40, 41], 5));
  const targets = split.valTargetPositions();
  assert.equal(targets.length, 12 * 5);
  const ys = split.valBatches.flatMap((b) => Array.from(b.y));
  assert.deepEqual(
    Array.from(targets, (p) => tokens[p]),
    ys,
  );
  assert.deepEqual(split.trainSpan, [0, 35]);
  assert.throws(() => new WindowSplit(tokens, { numSteps: 5, numTrain: 150, numVal: 46, batchSize: 8 }), /need 201 tokens, there are 200/);
  assert.doesNotThrow(() => new WindowSplit(tokens, { numSteps: 5, numTrain: 150, numVal: 45, batchSize: 8 }));
});

test("chunkRanges: consecutive [start, end) batches covering 0 … n−1 once, the last one shorter", () => {
  assert.deepEqual(chunkRanges(5, 2), [
    [0, 2],
    [2, 4],
    [4, 5],
  ]);
  assert.deepEqual(chunkRanges(4, 2), [
    [0, 2],
    [2, 4],
  ]);
  assert.deepEqual(chunkRanges(0, 3), []);
  fc.assert(
    fc.property(fc.nat(200), fc.integer({ min: 1, max: 50 }), (n, size) => {
      const r = chunkRanges(n, size);
      const covered = r.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i));
      return (
        covered.length === n &&
        covered.every((x, i) => x === i) &&
        r.every(([a, b], i) => b - a === (i < r.length - 1 ? size : b - a) && b > a)
      );
    }),
  );
  assert.throws(() => chunkRanges(3, 0), /size/);
  assert.throws(() => chunkRanges(-1, 2), /n must/);
});
