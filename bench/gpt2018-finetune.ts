// gpt2018-finetune: notebook 11's §11.5 (OpenAI GPT 2018: a small Transformer LM pretrained on the
// unlabelled chatbot text, then fine-tuned on 1,000 labels with the extract token and the auxiliary
// LM loss, against the same GPT trained from scratch), in full mode, without the notebook's LSTM
// sections (which take over an hour on the shared machine). The data, the model, the pretraining and
// the fine-tuning are the notebook's cells 4, 9, 21 and 22, copied (keep them in step); the numbers
// are those the notebook's full mode prints for the GPT arms, since every run draws only from its
// own seeds (the pretrained LM is copied, never changed, by GPTClassifier.fromPretrained).
//
//   SEQLAB_DATA=../shared/corpora npm run bench -- gpt2018-finetune \
//     [--arms scratch,pretrained] [--seeds 5,6,7] [--quick] [--save FILE | --load FILE]
//
// --quick: the notebook's quick mode (SEQLAB_QUICK=1), to check the copy against the notebook.
// Each arm and seed can run in its own process (--arms scratch --seeds 6): the scratch arm does
// not pretrain. --save FILE writes the pretrained GPT's weights (JSON, exact float32 values) after
// pretraining; --load FILE waits for that file and fine-tunes from it instead of pretraining again.
// Prints progress every 100 steps (wall and CPU seconds) to stderr, one line per run, and a JSON
// line per run ("result ...") for bench/reference.
import { existsSync, readFileSync, writeFileSync, renameSync } from "fs";
import {
  tf,
  useBackend,
  loadChatbot,
  Vocab,
  SyllableTokenizer,
  trainValidSplit,
  lengthBatches,
  SeededRandom,
  GPT,
  GPTClassifier,
  gptRows,
  nextTokenBatch,
  AdamW,
  BestWeights,
  train,
  crossEntropy,
  classifierInputs,
  type GPTTokenRows,
} from "../src";

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

export async function main(args: string[]): Promise<void> {
  const QUICK = args.includes("--quick");
  const arms = arg(args, "--arms", "scratch,pretrained").split(",");
  const SEEDS = arg(args, "--seeds", QUICK ? "5,6" : "5,6,7")
    .split(",")
    .map(Number);
  await useBackend();
  const t0 = Date.now();
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const clock = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const progress = (what: string) => (r: { step: number; loss: number }) => {
    if ((r.step + 1) % 100 === 0)
      console.error(`${what} step ${r.step + 1} loss ` + `${r.loss.toFixed(3)}; wall ${clock()}, cpu ${cpu().toFixed(0)} s`);
  };

  // notebook cell 4
  const chat = await loadChatbot();
  const split = trainValidSplit(chat, { validFraction: 0.15, seed: 0, stratify: (p) => p.label });
  const pool = split.train;
  const test = QUICK ? split.valid.slice(0, 600) : split.valid;
  const syl = new SyllableTokenizer();
  const unlabelled = [...new Set(pool.flatMap((p) => [p.q, p.a]))];
  const vocab = new Vocab(
    unlabelled.map((t) => syl.tokenize(t)),
    { minFreq: 2 },
  );
  const MAX_LEN = 24;
  const encode = (text: string) => Array.from(vocab.encode(syl.tokenize(text))).slice(0, MAX_LEN);
  const textIds = (QUICK ? unlabelled.slice(0, 3000) : unlabelled).map(encode);
  const labelOrder = pool.slice();
  new SeededRandom(1).shuffle(labelOrder);
  console.log(
    `${QUICK ? "quick" : "full"} mode; test ${test.length}, pretraining text ` +
      `${textIds.length} sentences, vocabulary ${vocab.size}; arms ${arms.join(", ")}, seeds ${SEEDS}`,
  );

  // notebook cell 9
  function clfBatch(pairs: readonly { q: string; label: number }[]) {
    const rows = pairs.map((p) => [vocab.bosId, ...encode(p.q)]);
    const x = classifierInputs(rows, Math.max(...rows.map((r) => r.length)), vocab.padId);
    return {
      x,
      rows: gptRows(
        rows.map((r) => r.slice(1)),
        vocab,
      ),
      y: pairs.map((p) => p.label),
    };
  }
  type ClfBatch = ReturnType<typeof clfBatch>;
  type Labelled = readonly { q: string; label: number }[];
  const batchesOf = (pairs: Labelled, size: number, random: SeededRandom) =>
    lengthBatches(
      pairs.map((p) => encode(p.q).length),
      size,
      random,
    ).map((b) => clfBatch(b.map((i) => pairs[i])));
  function score(logits: (b: ClfBatch) => tf.Tensor2D, batches: readonly ClfBatch[]) {
    let loss = 0,
      right = 0,
      n = 0;
    for (const b of batches) {
      const z = logits(b);
      loss += tf.tidy(() => crossEntropy(z, Int32Array.from(b.y)).dataSync()[0]) * b.y.length;
      const pred = tf.tidy(() => tf.argMax(z, 1).dataSync());
      z.dispose();
      pred.forEach((p, i) => (right += p === b.y[i] ? 1 : 0));
      n += b.y.length;
    }
    return { loss: loss / n, accuracy: right / n };
  }
  const testBatches = batchesOf(test, 256, new SeededRandom(0));
  const labelled = (n: number) => trainValidSplit(labelOrder.slice(0, n), { validFraction: 0.2, seed: 2, stratify: (p) => p.label });

  // notebook cell 21
  const GPT18 = QUICK
    ? { nLayer: 1, nHead: 2, nEmbd: 32, pretrainSteps: 30, fineTuneSteps: 40 }
    : { nLayer: 2, nHead: 4, nEmbd: 128, pretrainSteps: 800, fineTuneSteps: 800 };
  const gptConfig = {
    vocabSize: vocab.size,
    blockSize: MAX_LEN + 2,
    nLayer: GPT18.nLayer,
    nHead: GPT18.nHead,
    nEmbd: GPT18.nEmbd,
    dropout: 0.1,
    seed: 0,
  };
  const rowsOf = (seqs: number[][]): GPTTokenRows => gptRows(seqs, vocab);
  const gptLm = new GPT(gptConfig);
  console.log(
    `GPT: ${GPT18.nLayer} layers, ${GPT18.nHead} heads, width ${GPT18.nEmbd}: ` + `${gptLm.parameterCount().toLocaleString()} parameters`,
  );
  const load = arg(args, "--load", ""),
    save = arg(args, "--save", "");
  if (arms.includes("pretrained") && load) {
    while (!existsSync(load)) await new Promise((r) => setTimeout(r, 10_000));
    const saved = JSON.parse(readFileSync(load, "utf8")) as number[][];
    gptLm.variables().forEach((v, i) => v.assign(tf.tensor(saved[i], v.shape, v.dtype)));
    console.log(`GPT language model: loaded from ${load} at ${clock()}`);
  } else if (arms.includes("pretrained")) {
    const lr = 1e-3,
      steps = GPT18.pretrainSteps;
    const h = await train({
      model: gptLm,
      clipNorm: 1,
      steps,
      seed: 0,
      quiet: true,
      optimizer: new AdamW(gptLm.variables(), { learningRate: lr, beta2: 0.99, weightDecay: 0.1 }),
      schedule: { learningRate: lr, minLr: lr / 10, warmupIters: Math.min(100, steps / 10), decayIters: steps },
      batches: ({ random }) =>
        lengthBatches(
          textIds.map((t) => t.length),
          64,
          random,
        ).map((b) => nextTokenBatch(rowsOf(b.map((i) => textIds[i])), vocab.padId)),
      onStep: progress("pretraining"),
    });
    if (save) {
      writeFileSync(`${save}.tmp`, JSON.stringify(gptLm.variables().map((v) => Array.from(v.dataSync()))));
      renameSync(`${save}.tmp`, save);
    }
    const tail = h.losses.slice(-20).reduce((a, b) => a + b, 0) / Math.min(20, h.losses.length);
    console.log(
      `GPT language model: ${steps} steps of 64 sentences; loss ` +
        `${h.losses[0].toFixed(2)} → ${tail.toFixed(2)} nats per syllable (mean of the last 20); ` +
        `at ${clock()}`,
    );
    console.log(
      `result ${JSON.stringify({ pretraining: { steps, first: h.losses[0], last20: tail, seconds: (Date.now() - t0) / 1000 } })}`,
    );
  }

  // notebook cell 22
  async function fineTuneGPT(pretrained: boolean, seed: number) {
    const subset = labelled(1000);
    const tr = subset.train,
      va = subset.valid;
    const opts = { numClasses: 3, seed, lmWeight: 0.5, dropout: 0.1 };
    const clf = pretrained
      ? GPTClassifier.fromPretrained(gptLm, { ...opts, config: { dropout: 0.1, seed } })
      : new GPTClassifier(new GPT({ ...gptConfig, seed: 100 + seed }), opts);
    const validBatches = batchesOf(va, 256, new SeededRandom(0));
    const best = new BestWeights(clf.variables());
    const lr = 5e-4,
      steps = GPT18.fineTuneSteps;
    let step = 0;
    await train({
      params: clf.variables(),
      clipNorm: 1,
      steps,
      seed,
      quiet: true,
      validateEvery: 25,
      optimizer: new AdamW(clf.variables(), { learningRate: lr, weightDecay: 0.01 }),
      schedule: { learningRate: lr, minLr: 0, warmupIters: Math.round(steps * 0.02), decayIters: steps },
      batches: ({ random }) => batchesOf(tr, 32, random),
      onStep: progress(`${pretrained ? "pretrained" : "scratch"} seed ${seed}`),
      loss: (b: ClfBatch, ctx) => {
        step = ctx.step;
        return clf.loss(b.rows, b.y);
      },
      validate: () => {
        const s = score((b) => clf.logits(b.rows), validBatches);
        best.offer(s.accuracy, step);
        return s;
      },
    });
    best.restore();
    const result = { seed, bestStep: best.step, valid: best.score, test: score((b) => clf.logits(b.rows), testBatches).accuracy };
    best.dispose();
    clf.dispose();
    return result;
  }

  // notebook cell 23 (the GPT arms only)
  for (const arm of arms) {
    const pretrained = arm === "pretrained";
    for (const seed of SEEDS) {
      const r = await fineTuneGPT(pretrained, seed);
      const name = pretrained ? "GPT, pretrained (2018)" : "GPT, scratch";
      console.log(
        `1000 labels  ${name.padEnd(22)}  seed ${seed}  test ${pct(r.test)}   ` +
          `(validation ${pct(r.valid)}, best at step ${r.bestStep}); at ${clock()}`,
      );
      console.log(`result ${JSON.stringify({ arm: name, ...r, seconds: (Date.now() - t0) / 1000 })}`);
    }
  }
  gptLm.dispose();
  console.log(`done in ${clock()}`);
}
