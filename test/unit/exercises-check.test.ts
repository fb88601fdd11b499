import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { check } from "../../src/exercises/check";

const hint = { en: "add the two numbers", ko: "두 수를 더하세요" };

test("a right answer is correct; a wrong one is 'not yet' with the hint and never the reference", async () => {
  const right = await check("sum", () => 2 + 3, 5, { hint });
  assert.deepEqual(right, { ok: true, message: "✓ sum: correct" });
  const wrong = await check("sum", () => 2 * 3, 5, { hint });
  assert.equal(wrong.ok, false);
  assert.match(wrong.message, /not yet.*Hint: add the two numbers/);
  assert.ok(!wrong.message.includes("5"), "the reference leaked into the message");
});

test("an answer that throws (the student edition's stub) is 'not yet', and check itself never throws", async () => {
  const stub = await check(
    "sum",
    () => {
      throw new Error("your code here");
    },
    5,
    { hint },
  );
  assert.equal(stub.ok, false);
  assert.match(stub.message, /not answered yet/);
  const broken = await check(
    "sum",
    async () => {
      throw new TypeError("x is undefined");
    },
    5,
    { hint },
  );
  assert.match(broken.message, /the answer threw: x is undefined/);
});

test("numbers within the tolerance, nested arrays, objects and tensors compare by value", async () => {
  assert.equal((await check("a", () => 0.1 + 0.2, 0.3, { hint })).ok, true);
  assert.equal((await check("a", () => 0.31, 0.3, { hint })).ok, false);
  assert.equal((await check("a", () => 0.31, 0.3, { hint, tolerance: 0.05 })).ok, true);
  assert.equal(
    (
      await check(
        "a",
        () => [
          [1, 2],
          [3, 4],
        ],
        [
          [1, 2],
          [3, 4.0000001],
        ],
        { hint },
      )
    ).ok,
    true,
  );
  assert.equal((await check("a", () => [1, 2, 3], [1, 2], { hint })).ok, false);
  assert.equal((await check("a", () => ({ h: 1, c: [2] }), { c: [2], h: 1 }, { hint })).ok, true);
  const t = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  assert.equal(
    (
      await check(
        "a",
        () => t,
        [
          [1, 2],
          [3, 4],
        ],
        { hint },
      )
    ).ok,
    true,
  );
  assert.equal(
    (
      await check(
        "a",
        () => t,
        [
          [1, 2],
          [3, 5],
        ],
        { hint },
      )
    ).ok,
    false,
  );
  t.dispose();
});

test("a test function decides, and may give a more precise hint; Korean when SEQLAB_LANG=ko", async () => {
  const r = await check(
    "shape",
    () => [2, 3],
    (got) => (got[0] === 3 ? true : { en: "rows first", ko: "행이 먼저" }),
    { hint },
  );
  assert.match(r.message, /not yet \(rows first\)/);
  process.env.SEQLAB_LANG = "ko";
  try {
    const k = await check(
      "shape",
      () => [2, 3],
      (got) => (got[0] === 3 ? true : { en: "rows first", ko: "행이 먼저" }),
      { hint },
    );
    assert.match(k.message, /아직입니다 \(행이 먼저\)\. 힌트: 두 수를 더하세요/);
  } finally {
    delete process.env.SEQLAB_LANG;
  }
});

test("a check's result shows nothing more as a cell's value (its message was displayed once)", async () => {
  const { toBundle } = await import("../../src/display/display");
  const r = await check("sum", () => 5, 5, { hint });
  assert.deepEqual(toBundle(r).data, {});
  assert.deepEqual({ ...r }, { ok: true, message: "✓ sum: correct" });
});

test("when grading (SEQLAB_GRADING=1) a 'not yet' raises, so an autograder can count it; a right answer does not", async () => {
  process.env.SEQLAB_GRADING = "1";
  try {
    await assert.rejects(
      check("sum", () => 2 * 3, 5, { hint }),
      /✗ sum: not yet.*Hint: add the two numbers/,
    );
    await assert.rejects(
      check(
        "sum",
        () => {
          throw new Error("your code here");
        },
        5,
        { hint },
      ),
      /not answered yet/,
    );
    assert.equal((await check("sum", () => 2 + 3, 5, { hint })).ok, true);
    assert.equal((await check("demo", () => 2 * 3, 5, { hint, graded: false })).ok, false, "a demonstration never raises");
  } finally {
    delete process.env.SEQLAB_GRADING;
  }
  assert.equal((await check("sum", () => 2 * 3, 5, { hint })).ok, false, "without it, never raises");
});
