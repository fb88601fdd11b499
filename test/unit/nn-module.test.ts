// The module contract (src/nn/module.ts) on every model and objective of the course: variables by
// stable, unique names (each variable once, shared ones too), dispose() frees every tensor the
// model made, and a checkpoint written from one instance loads into another built with another seed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { EncoderDecoder, GPT, LanguageModel, ManyToMany, ManyToOne, OneToMany, OneToOne, RecurrentStack } from "../../src/models";
import type { Module } from "../../src/nn";
import { BiLM, Context2Vec, ScalarMixProbe, SequenceClassifier, Word2Vec, sequenceAutoencoder } from "../../src/objectives";
import { loadCheckpoint, saveCheckpoint } from "../../src/train";

let tmp: string;
before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "seqlab-module-"));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const MODELS: Record<string, (seed: number) => Module> = {
  OneToOne: (seed) => new OneToOne({ inputSize: 3, hiddenSize: 4, outputSize: 2, seed }),
  OneToMany: (seed) => new OneToMany({ inputSize: 3, vocabSize: 7, embedDim: 4, hiddenSize: 5, seed }),
  ManyToOne: (seed) => new ManyToOne({ vocabSize: 7, embedDim: 4, hiddenSize: 5, outputSize: 3, cell: "gru", seed }),
  ManyToMany: (seed) => new ManyToMany({ vocabSize: 7, hiddenSize: 5, outputSize: 3, cell: "rnn", seed }),
  LanguageModel: (seed) => new LanguageModel({ vocabSize: 9, embedDim: 4, hiddenSize: 6, seed }),
  RecurrentStack: (seed) => new RecurrentStack({ vocabSize: 9, embedDim: 4, hiddenSize: 6, numLayers: 3, seed }),
  EncoderDecoder: (seed) => new EncoderDecoder({ srcVocabSize: 8, tgtVocabSize: 9, embedDim: 4, hiddenSize: 6, seed }),
  "sequenceAutoencoder (one embedding)": (seed) => sequenceAutoencoder({ vocabSize: 9, embedDim: 4, hiddenSize: 6, seed }),
  GPT: (seed) => new GPT({ vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8, tieWeights: false, seed }),
  BiLM: (seed) => new BiLM({ vocabSize: 10, dim: 4, numLayers: 2, seed }),
  ScalarMixProbe: (seed) => new ScalarMixProbe({ numLayers: 3, dim: 4, numClasses: 2, seed }),
  Word2Vec: (seed) => new Word2Vec({ vocabSize: 10, dim: 4, seed }),
  Context2Vec: (seed) => new Context2Vec({ vocabSize: 10, embedDim: 4, hiddenSize: 4, dim: 4, seed }),
  SequenceClassifier: (seed) =>
    SequenceClassifier.create({ vocabSize: 10, embedDim: 4, hiddenSize: 4, numClasses: 3, seed, dropout: { hidden: 0.2 } }),
};

test("every model and objective: each variable once, under one stable name; dispose frees all it made", () => {
  for (const [name, make] of Object.entries(MODELS)) {
    const n0 = tf.memory().numTensors;
    const m = make(1);
    const named = m.namedVariables();
    const vars = m.variables();
    assert.ok(vars.length > 0, name);
    assert.equal(Object.keys(named).length, vars.length, `${name}: a name per variable, a shared one once`);
    assert.deepEqual(new Set(Object.values(named)), new Set(vars), `${name}: the names cover the variables`);
    assert.equal(
      m.parameterCount(),
      vars.reduce((s, v) => s + v.size, 0),
    );
    const other = make(2);
    assert.deepEqual(Object.keys(other.namedVariables()), Object.keys(named), `${name}: the names do not depend on the seed`);
    other.dispose();
    m.dispose();
    assert.equal(tf.memory().numTensors, n0, `${name}: dispose leaves no tensor behind`);
  }
});

test("every model and objective: a checkpoint of one instance loads into another (other seed), variable for variable", async () => {
  for (const [name, make] of Object.entries(MODELS)) {
    const a = make(1);
    const b = make(2);
    const dir = path.join(tmp, name.replace(/\W+/g, "-"));
    await saveCheckpoint(dir, { params: a, step: 3 });
    const ck = await loadCheckpoint(dir, { params: b });
    assert.equal(ck.step, 3);
    const va = a.variables().map((v) => Array.from(v.dataSync()));
    assert.deepEqual(
      b.variables().map((v) => Array.from(v.dataSync())),
      va,
      name,
    );
    assert.deepEqual(b.randomState(), a.randomState(), `${name}: the random state travels too`);
    a.dispose();
    b.dispose();
  }
});
