// The first-run estimate: recorded times scaled by cores and by this machine's speed now.
import { test } from "node:test";
import assert from "node:assert/strict";
import { estimate, speedScale, type Recorded } from "../../kernel/tools/course-estimate";

const rec: Recorded = { cores: 2, probe: 0.05, notebooks: { "a.ipynb": { quick: 20, full: 600 }, "b.ipynb": { quick: 40, full: 900 } } };

test("a machine whose probe takes half as long gets half the recorded time; twice as long, twice", () => {
  assert.equal(estimate("a.ipynb", "quick", {}, rec, 2, 0.025).seconds, 10);
  assert.equal(estimate("a.ipynb", "full", {}, rec, 2, 0.1).seconds, 1200);
  assert.equal(estimate("a.ipynb", "quick", {}, rec, 2, 0.05).seconds, 20);
  // no probe (or none recorded): the recorded time, scaled by cores only
  assert.equal(estimate("a.ipynb", "quick", {}, rec, 2).seconds, 20);
  assert.equal(estimate("a.ipynb", "quick", {}, { ...rec, probe: undefined }, 2, 0.01).seconds, 20);
  // this machine's last run wins over any scaling
  assert.deepEqual(estimate("a.ipynb", "quick", { "a.ipynb": 7 }, rec, 2, 0.5), { seconds: 7, from: "last run" });
  // an unrecorded notebook: the median, scaled the same way
  assert.deepEqual(estimate("c.ipynb", "quick", {}, rec, 2, 0.025), { seconds: 20, from: "guess" });
});

test("the speed scale is bounded to [1/3, 3], so one disturbed probe cannot promise an hour for a minute", () => {
  assert.equal(speedScale(rec, 5), 3);
  assert.equal(speedScale(rec, 0.0001), 1 / 3);
  assert.equal(speedScale(rec, 0), 1);
  assert.equal(speedScale(rec, Number.NaN), 1);
});
