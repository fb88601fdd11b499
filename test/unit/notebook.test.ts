import { test } from "node:test";
import assert from "node:assert/strict";
import { OutputCollector, lines } from "../../kernel/tools/notebook";

const m = (msg_type: string, content: any): any => ({ header: { msg_type }, content });

test("streams merge, displays update in place, clear_output(wait) clears at the next output", () => {
  const displays = new Map();
  const c = new OutputCollector(displays);
  c.add(m("stream", { name: "stdout", text: "a\n" }));
  c.add(m("stream", { name: "stdout", text: "b\n" }));
  c.add(m("display_data", { data: { "text/plain": "v1" }, metadata: {}, transient: { display_id: "p" } }));
  c.add(m("update_display_data", { data: { "text/plain": "v2" }, metadata: {}, transient: { display_id: "p" } }));
  assert.deepEqual(c.final(), [
    { output_type: "stream", name: "stdout", text: ["a\n", "b\n"] },
    { output_type: "display_data", data: { "text/plain": ["v2"] }, metadata: {} },
  ]);
  c.add(m("clear_output", { wait: true }));
  assert.equal(c.final().length, 2, "wait=true keeps outputs until the next one");
  c.add(m("execute_result", { execution_count: 3, data: { "text/plain": "3" }, metadata: {} }));
  assert.deepEqual(c.final(), [{ output_type: "execute_result", execution_count: 3, data: { "text/plain": ["3"] }, metadata: {} }]);
});

test("lines keep their newlines", () => {
  assert.deepEqual(lines("a\nb"), ["a\n", "b"]);
  assert.deepEqual(lines(""), []);
});
