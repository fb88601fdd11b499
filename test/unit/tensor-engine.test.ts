// The kernel's repair of TensorFlow.js's engine after a cell stopped half way (kernel/server/tensor-engine.ts):
// the states an interrupt leaves are made by hand here (a terminated cell's finally blocks never run).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { inTensorOp, markEngine, restoreEngine } from "../../kernel/server/tensor-engine";

const engine = () => tf.engine() as any;

test("scopes left open are ended and their tensors freed; kept tensors and variables stay", async () => {
  await tf.setBackend("cpu");
  const v = tf.variable(tf.ones([2]));
  const mark = markEngine();
  const before = tf.memory().numTensors;
  engine().startScope("tidy cut short");
  engine().startScope("nested");
  tf.add(v, 1);
  const kept = tf.keep(tf.mul(v, 2));
  assert.equal(tf.memory().numTensors, before + 2);
  const fixed = restoreEngine(mark);
  assert.match(fixed ?? "", /2 scope\(s\) ended, 1 tensors freed/);
  assert.equal(engine().state.scopeStack.length, 0);
  assert.equal(tf.memory().numTensors, before + 1, "the kept tensor stays");
  assert.deepEqual(Array.from(v.dataSync()), [1, 1]);
  kept.dispose();
  v.dispose();
});

test("a tape left recording is dropped with its saved tensors, and so are tensors kept for it but not on it yet", async () => {
  await tf.setBackend("cpu");
  const x = tf.variable(tf.tensor1d([1, 2, 3]));
  const mark = markEngine();
  const before = tf.memory().numTensors;
  // A gradient computation stopped during its forward pass: the tape records, kernels save tensors.
  engine().startTape();
  engine().startScope("forward");
  const y = tf.square(x); // saves x for the backward pass (a kept clone on the tape)
  // A custom op that saved a tensor and was stopped before its tape node was written.
  engine().keep(engine().clone(y));
  assert.ok(tf.memory().numTensors >= before + 3);
  assert.ok(engine().state.activeTape.length > 0);
  const fixed = restoreEngine(mark);
  assert.match(fixed ?? "", /gradient depth 1 → 0/);
  assert.match(fixed ?? "", /tape dropped with \d+ saved tensors/);
  assert.match(fixed ?? "", /tensors kept for a tape freed/);
  assert.equal(engine().state.activeTape, null);
  assert.equal(tf.memory().numTensors, before, "nothing of the stopped step is left");
  // And gradients work again.
  const g = tf.grad((a: tf.Tensor) => tf.sum(tf.square(a)))(x);
  assert.deepEqual(Array.from(g.dataSync()), [2, 4, 6]);
  g.dispose();
  x.dispose();
});

test("nothing to repair says so; without tfjs's engine there is nothing to do", () => {
  const mark = markEngine();
  assert.equal(restoreEngine(mark), undefined);
});

test("after markEngine, trackTensor is the kernel's atomic one and keeps the engine's books as tfjs's did", async () => {
  await tf.setBackend("cpu");
  markEngine();
  const e = engine();
  assert.equal(Object.prototype.hasOwnProperty.call(e, "trackTensor"), true, "the engine's own trackTensor is replaced");
  assert.match(String(e.trackTensor), /one straight line/);
  const m0 = tf.memory() as any;
  let inScope!: tf.Tensor;
  let view!: tf.Tensor;
  const out = tf.tidy(() => {
    inScope = tf.tensor2d(new Float32Array(12), [3, 4]); // a new data buffer, tracked in the tidy
    view = tf.reshape(inScope, [12]); // the same buffer, a second tensor
    assert.equal(tf.memory().numTensors, m0.numTensors + 2);
    assert.equal((tf.memory() as any).numDataBuffers, m0.numDataBuffers + 1, "a reshape shares its buffer");
    assert.equal(tf.memory().numBytes, m0.numBytes + 96, "bytes are counted per tensor, as tfjs counts them");
    return tf.add(view, 1);
  });
  assert.ok(inScope.isDisposed && view.isDisposed, "the tidy freed what it tracked");
  assert.equal(tf.memory().numTensors, m0.numTensors + 1, "the result stays");
  const z = tf.zeros([2]);
  const v = tf.variable(z);
  assert.equal((v as any).scopeId, undefined, "a variable is on no scope's list");
  tf.dispose([out, v, z]);
  assert.equal(tf.memory().numTensors, m0.numTensors);
  assert.equal(tf.memory().numBytes, m0.numBytes);
});

test("an interrupted cell stops at its next top-level op with the gate's error, tidy unwinds, and an op in progress ends first", async () => {
  await tf.setBackend("cpu");
  let stop = false;
  class Stopped extends Error {}
  markEngine({ stopping: () => stop, error: () => new Stopped("stopped at an op") });
  const x = tf.tensor1d([1, 2, 3]);
  const before = tf.memory().numTensors;
  assert.equal(inTensorOp(1e9), false, "no op has run since the mark");
  // An op in progress (a custom op whose forward pass runs ops of its own) runs to its end.
  let inside = false;
  const custom = tf.customGrad((a) => {
    inside = inTensorOp(0);
    stop = true; // the interrupt comes in the middle of the op
    const value = tf.add(a as tf.Tensor, 1);
    return { value, gradFunc: (dy: tf.Tensor) => dy };
  });
  const y = custom(x);
  assert.equal(inside, true, "in an op while its forward pass runs");
  assert.deepEqual(Array.from(y.dataSync()), [2, 3, 4], "the op that was running when the interrupt came finished");
  assert.equal(inTensorOp(1e9), true, "an op ended moments ago: the next is near");
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(inTensorOp(1), false, "no op for longer than the gap");
  // The next op stops the cell; tf.tidy ends its scope as for any error.
  assert.throws(
    () =>
      tf.tidy(() => {
        tf.mul(x, 2);
        return tf.sub(x, 1);
      }),
    Stopped,
  );
  assert.equal(engine().state.scopeStack.length, 0);
  assert.equal(tf.memory().numTensors, before + 1, "only y is left");
  stop = false;
  assert.deepEqual(Array.from(tf.mul(y, 2).dataSync()), [4, 6, 8], "ops run again once the cell is no longer interrupted");
  // Without a gate (SEQLAB_INTERRUPT_AT_OPS=0, or a kernel before tfjs was loaded) ops never stop.
  markEngine();
  stop = true;
  assert.doesNotThrow(() => tf.dispose(tf.add(x, 1)));
  assert.equal(inTensorOp(1e9), false, "without a gate nothing waits for ops");
  tf.dispose([x, y]);
});
