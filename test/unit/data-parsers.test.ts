// Parsers (CSV, chatbot, KoCoNovel, names), d2l's Time Machine numbers, and the synthetic tasks.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as fs from "fs";
import * as path from "path";
import {
  additionTask,
  copyTask,
  longRangeTask,
  parseChatbotCsv,
  parseCsv,
  parseKoCoNovel,
  parseNames,
  preprocessTimeMachine,
  reverseTask,
  SeededRandom,
  splitChatbotByLabel,
} from "../../src/data";
import { CharTokenizer, Vocab } from "../../src/text";
import { corpusMirror, noMirror, testNeeding } from "../support/prereq";

const read = (file: string) => fs.readFileSync(path.join(corpusMirror()!, file), "utf8");

test("CSV: quoted fields with commas, doubled quotes and line breaks; CRLF; BOM", () => {
  assert.deepEqual(parseCsv('Q,A,label\n"a, b","say ""hi""",0\r\n"two\nlines",,1'), [
    ["Q", "A", "label"],
    ["a, b", 'say "hi"', "0"],
    ["two\nlines", "", "1"],
  ]);
  assert.deepEqual(parseCsv("\ufeffx,y\n"), [["x", "y"]]);
  assert.deepEqual(parseCsv("a,\n"), [["a", ""]]);
  assert.throws(() => parseCsv('"open\n'), /never closed/);
  assert.throws(() => parseCsv('"a"b,c'), /closing quote/);
});

test("CSV round trip: any table written with quoting parses back (fast-check)", () => {
  const field = fc.string({ unit: fc.constantFrom("a", "가", ",", '"', "\n", "\r\n", " ") });
  fc.assert(
    fc.property(fc.array(fc.array(field, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 5 }), (rows) => {
      const width = rows[0].length;
      const table = rows.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? ""));
      const csv = table.map((r) => r.map((f) => `"${f.replace(/"/g, '""')}"`).join(",")).join("\n");
      assert.deepEqual(parseCsv(csv), table);
    }),
  );
});

test("chatbot CSV: rows of Q, A and label 0/1/2; bad labels and headers are errors", () => {
  const pairs = parseChatbotCsv('Q,A,label\n12시 땡!,하루가 또 가네요.,0\n가족 있어?,"부모님, 친구요",2\n');
  assert.deepEqual(pairs, [
    { q: "12시 땡!", a: "하루가 또 가네요.", label: 0 },
    { q: "가족 있어?", a: "부모님, 친구요", label: 2 },
  ]);
  assert.throws(() => parseChatbotCsv("Q,A,label\nx,y,3\n"), /row 2: the label must be 0, 1 or 2/);
  assert.throws(() => parseChatbotCsv("Q,A\nx,y\n"), /header Q,A,label/);
  const [daily, neg, pos] = splitChatbotByLabel([...pairs, { q: "q", a: "a", label: 1 as const }]);
  assert.deepEqual([daily.length, neg.length, pos.length], [1, 1, 1]);
  assert.equal(pos[0].a, "부모님, 친구요");
});

testNeeding("the chatbot corpus: 11,823 pairs in three labels", noMirror("ChatbotData.csv"), () => {
  const pairs = parseChatbotCsv(read("ChatbotData.csv"));
  assert.equal(pairs.length, 11823);
  const groups = splitChatbotByLabel(pairs);
  assert.deepEqual(
    groups.map((g) => g.length),
    [5290, 3570, 2963],
  );
  assert.ok(
    pairs.some((p) => p.a.includes(",")),
    "quoted answers with commas are kept whole",
  );
  assert.ok(groups[1].every((p) => p.label === 1));
});

test("KoCoNovel JSONL and names: one record a line; bad lines are errors naming the line", () => {
  assert.deepEqual(parseKoCoNovel('{"novel": "1_A", "doc_id": "1_0", "text": "가\\n나"}\n\n'), [
    { novel: "1_A", doc_id: "1_0", text: "가\n나" },
  ]);
  assert.throws(() => parseKoCoNovel('{"novel": "1_A"}\n'), /line 1: expected an object/);
  assert.throws(() => parseKoCoNovel("\nok\n"), /line 2/);
  assert.deepEqual(parseNames("emma\r\n olivia \n\nava"), ["emma", "olivia", "ava"]);
});

testNeeding("the KoCoNovel corpus: 50 novels, 873 documents, 706,230 characters", noMirror("koconovel.jsonl"), () => {
  const docs = parseKoCoNovel(read("koconovel.jsonl"));
  assert.equal(docs.length, 873);
  assert.equal(new Set(docs.map((d) => d.novel)).size, 50);
  assert.equal(
    docs.reduce((n, d) => n + d.text.length, 0),
    706230,
  );
  assert.equal(docs[0].novel, "1_Ms._B_and_Love_Letters");
});

testNeeding("the names corpus: 32,033 names", noMirror("names.txt"), () => {
  const names = parseNames(read("names.txt"));
  assert.equal(names.length, 32033);
  assert.deepEqual([names[0], names[names.length - 1]], ["emma", "zzyzx"]);
});

test("d2l v1.0 Time Machine preprocessing: non-letters become one space, lower case", () => {
  assert.equal(preprocessTimeMachine("The Time Machine, by H. G. Wells [1898]\n\n\nI"), "the time machine by h g wells i");
  assert.equal(preprocessTimeMachine("Ünïcode--42"), " n code ");
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 40 }), (s) => {
      const p = preprocessTimeMachine(s);
      assert.match(p, /^[a-z ]*$/);
      assert.doesNotMatch(p, / {2}/);
    }),
  );
});

testNeeding(
  "d2l's Time Machine numbers: 173,428 characters and a 28-token char vocabulary (a-z, space, <unk>)",
  noMirror("timemachine.txt"),
  () => {
    const text = preprocessTimeMachine(read("timemachine.txt"));
    assert.ok(text.startsWith("the time machine by h g wells i the time traveller for so it"));
    const tokens = new CharTokenizer().tokenize(text);
    assert.equal(tokens.length, 173428);
    const vocab = new Vocab(tokens, { reserved: [] });
    assert.equal(vocab.size, 28);
    assert.deepEqual([...vocab.tokens].sort(), ["<unk>", " ", ..."abcdefghijklmnopqrstuvwxyz"].sort());
    assert.deepEqual(
      vocab.topK(3).map((e) => e.token),
      [" ", "e", "t"],
    );
  },
);

testNeeding("Tiny Shakespeare has 1,115,394 characters and 65 symbols", noMirror("tinyshakespeare.txt"), () => {
  const chars = new CharTokenizer().tokenize(read("tinyshakespeare.txt"));
  assert.equal(chars.length, 1115394);
  assert.equal(new Vocab(chars, { reserved: [] }).size, 65 + 1);
});

test("the seeded generator is deterministic, uniform enough, and its shuffles are permutations", () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(
    xs,
    Array.from({ length: 5 }, () => b.next()),
  );
  assert.notDeepEqual(
    xs,
    Array.from({ length: 5 }, () => new SeededRandom(43).next()),
  );
  const counts = new Array(10).fill(0);
  const r = new SeededRandom("counts");
  for (let i = 0; i < 10000; i++) counts[r.int(10)]++;
  for (const c of counts) assert.ok(c > 850 && c < 1150, `bucket ${c}`);
  for (let i = 0; i < 200; i++) {
    const v = r.randint(3, 5);
    assert.ok(v >= 3 && v <= 5 && Number.isInteger(v));
  }
  const perm = new SeededRandom(1).shuffle([...Array(50).keys()]);
  assert.deepEqual(
    [...perm].sort((x, y) => x - y),
    [...Array(50).keys()],
  );
  assert.notDeepEqual(perm, [...Array(50).keys()]);
});

test('addition task: "12+7=" → "19", seeded', () => {
  const ex = additionTask(500, { maxDigits: 2, seed: 3 });
  assert.equal(ex.length, 500);
  for (const { source, target } of ex) {
    const m = /^(\d{1,2})\+(\d{1,2})=$/.exec(source);
    assert.ok(m, source);
    assert.equal(target, String(Number(m[1]) + Number(m[2])));
  }
  assert.ok(
    ex.some((e) => e.target.length === 3),
    "carries into a third digit happen",
  );
  assert.deepEqual(additionTask(20, { seed: 3 }), additionTask(20, { seed: 3 }));
  assert.notDeepEqual(additionTask(20, { seed: 3 }), additionTask(20, { seed: 4 }));
  assert.throws(() => additionTask(1, { maxDigits: 0 }), RangeError);
});

test("copy and reverse tasks: targets are the source, or the source reversed", () => {
  const copy = copyTask(200, { alphabet: "xyz", minLength: 2, maxLength: 6, seed: 9 });
  const rev = reverseTask(200, { alphabet: "xyz", minLength: 2, maxLength: 6, seed: 9 });
  for (let i = 0; i < 200; i++) {
    assert.match(copy[i].source, /^[xyz]{2,6}$/);
    assert.equal(copy[i].target, copy[i].source);
    assert.equal(rev[i].source, copy[i].source, "same seed, same sources");
    assert.equal(rev[i].target, [...rev[i].source].reverse().join(""));
  }
  const lengths = new Set(copy.map((e) => e.source.length));
  assert.deepEqual([...lengths].sort(), [2, 3, 4, 5, 6]);
});

test("long-range task: the label is the first symbol; the rest is noise from other symbols", () => {
  const t = longRangeTask(400, { length: 30, numClasses: 3, numNoise: 5, seed: 1 });
  assert.deepEqual(t.shape, [400, 30]);
  assert.equal(t.x.length, 400 * 30);
  assert.equal(t.vocabSize, 8);
  const perClass = [0, 0, 0];
  for (let i = 0; i < 400; i++) {
    assert.equal(t.x[i * 30], t.y[i]);
    perClass[t.y[i]]++;
    for (let s = 1; s < 30; s++) assert.ok(t.x[i * 30 + s] >= 3 && t.x[i * 30 + s] < 8);
  }
  for (const c of perClass) assert.ok(c > 100, `classes are balanced: ${perClass}`);
  // Nothing after the first step tells the classes apart: noise statistics do not depend on the label.
  const mean = (cls: number) => {
    let s = 0;
    let n = 0;
    for (let i = 0; i < 400; i++)
      if (t.y[i] === cls)
        for (let j = 1; j < 30; j++) {
          s += t.x[i * 30 + j];
          n++;
        }
    return s / n;
  };
  assert.ok(Math.abs(mean(0) - mean(1)) < 0.2);
  assert.deepEqual(longRangeTask(5, { seed: 7 }), longRangeTask(5, { seed: 7 }));
});
