import { test } from "node:test";
import assert from "node:assert/strict";
import { decode, encode, newHeader, Signer, WireError, Message } from "../../kernel/server/wire";

const signer = new Signer("secret-key");
const msg = (): Message => ({
  identities: [Buffer.from("client-1")],
  header: newHeader("execute_request", "s1"),
  parent_header: {},
  metadata: {},
  content: { code: "1 + 1", 한글: "펼침" },
  buffers: [Buffer.from([1, 2, 3])],
});

test("encode then decode gives the same message, identities and buffers", () => {
  const m = msg();
  const back = decode(encode(m, signer), signer);
  assert.deepEqual(back.header, m.header);
  assert.deepEqual(back.content, m.content);
  assert.deepEqual(back.identities.map(String), ["client-1"]);
  assert.deepEqual([...back.buffers[0]], [1, 2, 3]);
});

test("the signature is HMAC-SHA256 of the four JSON parts, hex", () => {
  const frames = encode(msg(), signer);
  const i = frames.findIndex((f) => f.toString() === "<IDS|MSG>");
  const { createHmac } = require("crypto");
  const h = createHmac("sha256", "secret-key");
  for (const p of frames.slice(i + 2, i + 6)) h.update(p);
  assert.equal(frames[i + 1].toString(), h.digest("hex"));
});

test("a wrong signature, a missing one, a tampered body are all refused", () => {
  const frames = encode(msg(), signer);
  const i = frames.findIndex((f) => f.toString() === "<IDS|MSG>");
  assert.throws(() => decode(encode(msg(), new Signer("other-key")), signer), /invalid signature/);
  const missing = [...frames];
  missing[i + 1] = Buffer.from("");
  assert.throws(() => decode(missing, signer), /missing signature/);
  const tampered = [...frames];
  tampered[i + 5] = Buffer.from(JSON.stringify({ code: "evil()" }));
  assert.throws(() => decode(tampered, signer), WireError);
});

test("an empty key disables signing, as the protocol says", () => {
  const none = new Signer("");
  const frames = encode(msg(), none);
  assert.equal(frames[frames.findIndex((f) => f.toString() === "<IDS|MSG>") + 1].toString(), "");
  assert.equal(decode(frames, none).content.code, "1 + 1");
});

test("malformed frames: no delimiter, too few frames, bad JSON, no msg_type", () => {
  assert.throws(() => decode([Buffer.from("x")], signer), /delimiter/);
  assert.throws(() => decode([Buffer.from("<IDS|MSG>"), Buffer.from("")], signer), /at least/);
  const none = new Signer("");
  const parts = ["{not json", "{}", "{}", "{}"].map((s) => Buffer.from(s));
  assert.throws(() => decode([Buffer.from("<IDS|MSG>"), Buffer.from(""), ...parts], none), /bad JSON in header/);
  const noType = ["{}", "{}", "{}", "{}"].map((s) => Buffer.from(s));
  assert.throws(() => decode([Buffer.from("<IDS|MSG>"), Buffer.from(""), ...noType], none), /msg_type/);
});
