// The learner's language (SEQLAB_LANG): the text a learner reads from the library (charts' and
// diagrams' text twins, summaries of tensors, models, vocabularies and training runs, the progress
// line) is English by default and Korean with SEQLAB_LANG=ko, from the same call. The English
// edition must stay English: each twin is checked in both languages.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { toBundle } from "../../src/display/display";
import { histogramSpec, lossChartSpec, heatmapSpec, barSpec, embeddingPlotSpec } from "../../src/plot/charts";
import { lstmDiagram, rnnDiagram } from "../../src/plot/diagrams";
import { showModel } from "../../src/show/model";
import { showTensor } from "../../src/show/tensor";
import { showVocab } from "../../src/show/vocab";
import { LiveLoss } from "../../src/show/live";
import { Vocab } from "../../src/text/vocab";
import { NonFiniteLossError, train, TrainHistory } from "../../src/train/loop";
import { inLang, lang, tr } from "../../src/lang";
import { inLanguage } from "../support/lang";

const HANGUL = /[\uac00-\ud7a3]/;

const plain = (v: unknown) => String(toBundle(v).data["text/plain"]);

/** The twins a learner reads, computed in the current language. */
function twins(): Record<string, string> {
  const x = tf.tensor2d([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const model = {
    name: "char_lstm",
    layers: [{ name: "emb", getClassName: () => "Embedding", outputShape: [null, 5, 8], countParams: () => 80 }],
  };
  const history = new TrainHistory();
  history.steps.push(
    { step: 1, epoch: 0, loss: 2.5, gradNorm: 1, clipped: false },
    { step: 2, epoch: 0, loss: 2, gradNorm: 1, clipped: false },
  );
  const live = new LiveLoss({ total: 4, clock: () => 0, stream: { write: () => true } as unknown as NodeJS.WritableStream });
  live.update({ step: 0, loss: 2.5 });
  const out = {
    loss: lossChartSpec({ train: [3, 2, 1], val: [2.5, 2] }).text,
    perplexity: lossChartSpec({ train: [3, 2, 1] }, { metric: "perplexity" }).text,
    histogram: histogramSpec([1, 2, 3, 4]).text,
    heatmap: heatmapSpec([
      [0, 1],
      [1, 0],
    ]).text,
    bar: barSpec(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`b${i}`, i]))).text,
    embedding: embeddingPlotSpec(
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [1, 1, 1],
      ],
      ["a", "b", "c", "d"],
    ).text,
    rnn: rnnDiagram("many-to-one", { steps: 3 }).text,
    lstm: lstmDiagram().text,
    tensor: plain(showTensor(x)),
    model: plain(showModel(model)),
    vocab: plain(
      showVocab({
        size: 2,
        entries: [
          ["a", 2],
          ["b", 1],
        ],
      }),
    ),
    Vocab: plain(new Vocab(["a", "b", "a"])),
    history: history.toString(),
    progress: String((live as unknown as { progressLine(final: boolean): string }).progressLine(true)),
  };
  x.dispose();
  return out;
}

test("lang(), inLang() and tr() follow SEQLAB_LANG (en unless it is ko)", () => {
  assert.equal(inLanguage(undefined, lang), "en");
  assert.equal(inLanguage("fr", lang), "en");
  assert.equal(inLanguage("ko", lang), "ko");
  assert.equal(
    inLanguage("ko", () => tr("epoch", "에폭")),
    "에폭",
  );
  assert.equal(
    inLanguage("en", () => inLang({ en: "epoch", ko: "에폭" })),
    "epoch",
  );
  assert.equal(inLang("same"), "same");
});

test("the library's text twins are English by default: no Hangul beyond the slides' terms", () => {
  const en = inLanguage(undefined, twins);
  assert.match(en.loss, /^loss chart: train 3 points, 3 → 1 \(min 1 at step 2\); validation 2 points/);
  assert.match(en.perplexity, /^perplexity chart: train/);
  assert.match(en.histogram, /^histogram: 4 values in \d+ bins, mean 2\.5/);
  assert.match(en.heatmap, /^heatmap: 2×2, values 0 to 1/);
  assert.match(en.bar, /^bar chart: .*… \(10 bars\)$/);
  assert.match(en.embedding, /^embedding plot: 4 vectors, PCA from 3 dimensions, [\d.]+% of the variance$/);
  assert.match(en.rnn, /^RNN unrolled \(many-to-one, 다대일\): 3 step\(s\), 3 input\(s\), 1 output\(s\)$/);
  assert.match(en.lstm, /^LSTM cell diagram \(forget\/input\/output gates/);
  assert.match(en.tensor, /^Tensor float32 \[2, 3\] · min 1, max 6, mean 3\.5, std /);
  assert.match(en.model, /^char_lstm: 1 layers, 80 parameters \(trainable 80, non-trainable 0\)\nlayer/);
  assert.match(en.vocab, /^vocabulary: 2 types, 3 tokens; 1 singletons \(50\.0% of types\)\n#\s+token\s+count/);
  assert.match(en.Vocab, /^Vocab: \d+ tokens \(\d+ reserved: .*\), 3 counted, minFreq 1\n\s+id\s+token\s+freq/);
  assert.equal(en.history, "TrainHistory: 2 steps, 0 epochs, loss 2.500 → 2.000; completed");
  assert.match(en.progress, /^1\/4 \(25%\) · done in 0:00 · loss 2\.5$/);
  for (const [k, v] of Object.entries(en)) {
    if (k === "rnn") continue; // the shape's Korean name (the slides' term)
    assert.doesNotMatch(v, HANGUL, `${k}: ${v}`);
  }
});

test("with SEQLAB_LANG=ko the same calls give Korean text twins", () => {
  const ko = inLanguage("ko", twins);
  assert.match(ko.loss, /^손실 차트: 학습 점 3개, 3 → 1 \(최솟값 1, 스텝 2\); 검증 점 2개/);
  assert.match(ko.perplexity, /^퍼플렉서티 차트: 학습/);
  assert.match(ko.histogram, /^히스토그램: 값 4개, 구간 \d+개, 평균 2\.5/);
  assert.match(ko.heatmap, /^히트맵: 2×2, 값 0 ~ 1/);
  assert.match(ko.bar, /^막대 그래프: .*… \(막대 10개\)$/);
  assert.match(ko.embedding, /^임베딩 그림: 벡터 4개, 3차원에서 PCA, 분산의 [\d.]+%$/);
  assert.match(ko.rnn, /^펼친 RNN \(many-to-one, 다대일\): 3스텝, 입력 3개, 출력 1개$/);
  assert.match(ko.lstm, /^LSTM 셀 그림 \(망각\/입력\/출력 게이트/);
  assert.match(ko.tensor, /^텐서 float32 \[2, 3\] · 최솟값 1, 최댓값 6, 평균 3\.5, 표준편차 /);
  assert.match(ko.model, /^char_lstm: 층 1개, 매개변수 80개 \(학습 가능 80, 학습 불가 0\)\n층/);
  assert.match(ko.vocab, /^어휘: 타입 2개, 토큰 3개; 한 번만 나온 타입 1개 \(타입의 50\.0%\)\n#\s+토큰\s+빈도/);
  assert.match(ko.Vocab, /^Vocab \(어휘\): 토큰 \d+개 .*센 토큰 3개, minFreq 1\n\s+id\s+토큰\s+빈도/);
  assert.equal(ko.history, "TrainHistory (학습 기록): 스텝 2개, 에폭 0개, 손실 2.500 → 2.000; 완료");
  assert.match(ko.progress, /^1\/4 \(25%\) · 0:00에 끝남 · 손실 2\.5$/);
  // every twin says something in Korean beyond the numbers and names
  for (const [k, v] of Object.entries(ko)) assert.match(v, HANGUL, k);
});

test("a finished run's history says how it ended in the learner's language", async () => {
  const w = tf.variable(tf.scalar(1));
  const run = (l: string | undefined) => {
    if (l === undefined) delete process.env.SEQLAB_LANG;
    else process.env.SEQLAB_LANG = l;
    return train({ params: [w], loss: () => tf.mul(w, 0), batches: [0, 1], optimizer: "sgd", quiet: true });
  };
  const before = process.env.SEQLAB_LANG;
  try {
    assert.equal(String(await run(undefined)), "TrainHistory: 2 steps, 1 epochs, loss 0.00 → 0.00; completed 2 steps (to step 2)");
    assert.equal(String(await run("ko")), "TrainHistory (학습 기록): 스텝 2개, 에폭 1개, 손실 0.00 → 0.00; 2 스텝 완료 (스텝 2까지)");
  } finally {
    if (before === undefined) delete process.env.SEQLAB_LANG;
    else process.env.SEQLAB_LANG = before;
    w.dispose();
  }
});

test("a diverged run's message (a learner prints it in notebook 03) is Korean with SEQLAB_LANG=ko", async () => {
  const w = tf.variable(tf.tensor1d([0.5, -0.5]));
  const before = process.env.SEQLAB_LANG;
  process.env.SEQLAB_LANG = "ko";
  try {
    await assert.rejects(
      train({
        params: [w],
        loss: (_b, { step }) => tf.mul(tf.sum(tf.square(w)), step === 2 ? NaN : 1),
        batches: [0, 1, 2],
        optimizer: "sgd",
        quiet: true,
      }),
      (e: unknown) => {
        assert.ok(e instanceof NonFiniteLossError);
        assert.match(e.message, /^train: 스텝 2 \(에폭 0\)에서 손실이 NaN이 되었습니다; .*매개변수는 스텝 1의 것입니다/);
        return true;
      },
    );
  } finally {
    if (before === undefined) delete process.env.SEQLAB_LANG;
    else process.env.SEQLAB_LANG = before;
    w.dispose();
  }
});
