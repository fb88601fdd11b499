import { test } from "node:test";
import assert from "node:assert/strict";
import { BRIDGE } from "../../src/display/bridge";
import { DISPLAY, display, clearOutput, isMimeBundle, toBundle } from "../../src/display/display";

test("plain values display as readable text", () => {
  assert.deepEqual(toBundle({ a: [1, 2] }).data, { "text/plain": "{ a: [ 1, 2 ] }" });
  assert.deepEqual(toBundle("펼침").data, { "text/plain": "'펼침'" });
});

test("a value with a Jupyter.display hook renders itself, with metadata when it gives some", () => {
  const v = { [DISPLAY]: () => ({ "text/html": "<b>x</b>", "text/plain": "x" }) };
  assert.deepEqual(toBundle(v).data, { "text/html": "<b>x</b>", "text/plain": "x" });
  const w = { [DISPLAY]: () => ({ data: { "image/png": new Uint8Array([137, 80]) }, metadata: { "image/png": { width: 10 } } }) };
  assert.deepEqual(toBundle(w), { data: { "image/png": "iVA=" }, metadata: { "image/png": { width: 10 } } });
});

test("a hook that returns no bundle is a clear error", () => {
  const bad = { [DISPLAY]: () => 42 };
  assert.throws(() => toBundle(bad), /must return a mime bundle/);
});

test("mime bundles are told apart from ordinary objects", () => {
  assert.ok(isMimeBundle({ "text/plain": "x", "application/vnd.vegalite.v5+json": {} }));
  assert.ok(!isMimeBundle({ plain: "x" }));
  assert.ok(!isMimeBundle({}));
  assert.ok(!isMimeBundle(new Map()));
});

test("display sends one message with every mimetype, JSON kept as objects, and updates by id", () => {
  const sent: any[] = [];
  (globalThis as any)[BRIDGE] = {
    display: (m: any, update: boolean) => sent.push({ ...m, update }),
    clearOutput: (w: boolean) => sent.push({ clear: w }),
  };
  try {
    display({ "application/json": { a: 1 }, "text/plain": "a" }, { displayId: "d1" });
    display({ "text/plain": "b" }, { displayId: "d1", update: true, metadata: { k: 1 } });
    clearOutput({ wait: true });
    assert.throws(() => display(1, { update: true }), /needs the displayId/);
  } finally {
    delete (globalThis as any)[BRIDGE];
  }
  assert.deepEqual(sent, [
    { data: { "application/json": { a: 1 }, "text/plain": "a" }, metadata: {}, transient: { display_id: "d1" }, update: false },
    { data: { "text/plain": "b" }, metadata: { k: 1 }, transient: { display_id: "d1" }, update: true },
    { clear: true },
  ]);
});

test("a hook that returns an empty object has nothing to show: an empty bundle, and display sends nothing", () => {
  const shown = { [DISPLAY]: () => ({}) };
  assert.deepEqual(toBundle(shown), { data: {}, metadata: {} });
  const sent: any[] = [];
  (globalThis as any)[BRIDGE] = { display: (m: any) => sent.push(m), clearOutput: () => {} };
  try {
    display(shown);
    display({ [DISPLAY]: () => ({ "text/plain": "x" }) });
  } finally {
    delete (globalThis as any)[BRIDGE];
  }
  assert.deepEqual(
    sent.map((m) => m.data),
    [{ "text/plain": "x" }],
  );
  assert.throws(() => toBundle({ [DISPLAY]: () => new Map() }), /must return a mime bundle/);
});
