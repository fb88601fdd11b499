// The resume property on the wasm backend (its own process: the backend is chosen once): 5 steps,
// a checkpoint, fresh objects, 3 more steps repeat 8 uninterrupted steps exactly.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/backend";
import { LanguageModel } from "../../src/models";
import { train, adam, saveCheckpoint, loadCheckpoint } from "../../src/train";
import { seqDataIterRandom } from "../../src/text";

let tmp: string;
before(async () => {
  await useBackend({ backend: "wasm", quiet: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "seqlab-wasm-"));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("wasm: save after 5 steps, load into fresh objects, 3 more = 8 straight", async () => {
  assert.equal(tf.getBackend(), "wasm");
  const corpus = Int32Array.from("sequence models carry a state from step to step ".repeat(2), (c) =>
    c === " " ? 0 : c.charCodeAt(0) - 96,
  );
  const opts = {
    batches: ({ random }: { random: import("../../src/data").SeededRandom }) => seqDataIterRandom(corpus, 4, 6, { seed: random }),
    clipNorm: 1,
    seed: 1,
    quiet: true,
  };
  const make = (seed: number) => new LanguageModel({ vocabSize: 27, embedDim: 4, hiddenSize: 8, cell: "lstm", seed });
  const a = make(1);
  const straight = await train({ ...opts, model: a, optimizer: adam(0.05), steps: 8 });
  const b = make(1);
  const optB = adam(0.05);
  const first = await train({ ...opts, model: b, optimizer: optB, steps: 5 });
  await saveCheckpoint(path.join(tmp, "ck"), { params: b, optimizer: optB, step: 5 });
  const c = make(2);
  const ck = await loadCheckpoint(path.join(tmp, "ck"), { params: c });
  const rest = await train({ ...opts, model: c, optimizer: ck.optimizer, steps: 8, startStep: ck.step });
  assert.deepEqual([...first.losses, ...rest.losses], straight.losses);
  assert.ok(straight.losses[7] < straight.losses[0]);
  for (const m of [a, b, c]) m.dispose();
});
