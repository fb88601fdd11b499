// The corpus registry and loader: reading and verifying the mirror, checksum failures, unknown
// names, no network, and downloads through an injected fetch (atomic and verified).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  CORPORA,
  corpusInfo,
  corpusNames,
  ChecksumError,
  CorpusInfo,
  CorpusUnavailableError,
  dataDir,
  downloadCorpus,
  FetchLike,
  koconovelFolders,
  loadCorpus,
  loadCorpusSync,
  parseCsv,
} from "../../src/data";
import { corpusMirror, noMirror, testNeeding } from "../support/prereq";

// The mirror: SEQLAB_DATA when set (CI), else ../shared/corpora beside the repository when it exists
// (set for the whole process, so loadCorpus's default folder is the mirror too).
const MIRROR = corpusMirror();
if (MIRROR) process.env.SEQLAB_DATA = MIRROR;

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "seqlab-data-"));
after(() => fs.rmSync(ROOT, { recursive: true, force: true }));
let dirs = 0;
const tmpDir = () => fs.mkdirSync(path.join(ROOT, String(dirs++)), { recursive: true })!;
const sink = () => {
  const out: string[] = [];
  return { out, write: (s: string) => out.push(s) };
};
/** A fetch that fails the way Node's does without a network. */
const offline: FetchLike = async () => {
  throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ENOTFOUND" } });
};
/** A fetch serving a map of URL → body (404 otherwise), in chunks, with a content-length. */
function fakeFetch(files: Record<string, Uint8Array | string>, log: string[] = []): FetchLike {
  return async (url) => {
    log.push(url);
    const body = files[url];
    if (body === undefined) return new Response("not found", { status: 404, statusText: "Not Found" });
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= bytes.length) return c.close();
        c.enqueue(bytes.subarray(at, (at += 4096)));
      },
    });
    return new Response(stream, { headers: { "content-length": String(bytes.length) } });
  };
}

test("the registry knows each corpus's upstream address, licence and checksum", () => {
  assert.deepEqual(corpusNames(), ["timemachine", "tinyshakespeare", "names", "koconovel", "koconovel_novels", "chatbot"]);
  for (const name of corpusNames()) {
    const c = CORPORA[name];
    assert.match(c.sha256, /^[0-9a-f]{64}$/, name);
    assert.match(c.url, /^https?:\/\//, name);
    assert.ok(c.licence.length > 3, name);
  }
  assert.equal(corpusInfo("timemachine").url, "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt");
  assert.equal(corpusInfo("chatbot").file, "ChatbotData.csv");
  assert.equal(corpusInfo("koconovel").url, "https://github.com/storidient/KoCoNovel");
});

test("the cache folder is SEQLAB_DATA when set, else the user's cache folder", () => {
  assert.equal(dataDir({ SEQLAB_DATA: "/some/mirror" }), "/some/mirror");
  if (process.platform === "linux") {
    assert.equal(dataDir({ XDG_CACHE_HOME: "/x/cache" }), "/x/cache/seqlab");
    assert.equal(dataDir({}), path.join(os.homedir(), ".cache", "seqlab"));
  }
});

for (const name of corpusNames()) {
  const info = CORPORA[name];
  testNeeding(`the mirror's ${info.file} loads and verifies (SEQLAB_DATA)`, noMirror(info.file), async () => {
    const before = fs.readdirSync(MIRROR!).sort();
    const text = await loadCorpus(name, { fetch: offline }); // default folder: SEQLAB_DATA
    assert.equal(Buffer.byteLength(text), info.bytes);
    assert.equal(sha256(Buffer.from(text)), info.sha256);
    assert.equal(loadCorpusSync(name), text);
    assert.deepEqual(fs.readdirSync(MIRROR!).sort(), before, "reading leaves the (read-only) folder untouched");
  });
}

test("a corrupt file fails with a checksum error naming the file", async () => {
  const dir = tmpDir();
  const file = path.join(dir, "timemachine.txt");
  if (!noMirror("timemachine.txt")) {
    const bytes = fs.readFileSync(path.join(MIRROR!, "timemachine.txt"));
    bytes[1000] ^= 0x20; // one byte altered
    fs.writeFileSync(file, bytes);
  } else {
    fs.writeFileSync(file, "not the time machine");
  }
  let fetched = false;
  const err = await loadCorpus("timemachine", { dir, fetch: async () => ((fetched = true), offline("")) }).then(
    () => assert.fail("a corrupt file loaded"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ChecksumError, String(err));
  assert.ok(err.message.includes(file), err.message);
  assert.ok(err.message.includes(CORPORA.timemachine.sha256), err.message);
  assert.equal(fetched, false, "a corrupt cached file is an error, not a reason to download");
  assert.throws(() => loadCorpusSync("timemachine", { dir }), ChecksumError);
});

test("an unknown corpus fails naming the known ones", async () => {
  await assert.rejects(loadCorpus("shakespeare"), (e: Error) => {
    assert.match(e.message, /unknown corpus "shakespeare"/);
    for (const n of corpusNames()) assert.ok(e.message.includes(n), `${n} in ${e.message}`);
    return true;
  });
  assert.throws(() => corpusInfo("toString"), /unknown corpus/);
});

test("a missing file without network fails naming the corpus, the address and SEQLAB_DATA", async () => {
  const dir = tmpDir();
  for (const name of ["timemachine", "koconovel"]) {
    await assert.rejects(loadCorpus(name, { dir, fetch: offline, progress: false }), (e: Error) => {
      assert.ok(e instanceof CorpusUnavailableError, String(e));
      assert.ok(e.message.includes(`"${name}"`), e.message);
      assert.ok(e.message.includes(CORPORA[name].url), e.message);
      assert.ok(e.message.includes("SEQLAB_DATA"), e.message);
      assert.match(e.message, /fetch failed/);
      return true;
    });
  }
  await assert.rejects(loadCorpus("names", { dir, fetch: fakeFetch({}), progress: false }), /HTTP 404 Not Found[\s\S]*SEQLAB_DATA/);
  assert.throws(
    () => loadCorpusSync("names", { dir }),
    (e: Error) => e.message.includes("names.txt") && e.message.includes("SEQLAB_DATA"),
  );
  assert.deepEqual(fs.readdirSync(dir), [], "nothing is left behind");
});

test("a simulated download lands atomically (temp file, verified, renamed) with a progress bar on stderr", async () => {
  const dir = path.join(tmpDir(), "cache"); // created on demand
  const payload = Buffer.from("the time traveller ".repeat(3000));
  const info: CorpusInfo = {
    ...CORPORA.timemachine,
    name: "fake",
    file: "fake.txt",
    url: "https://example.test/fake.txt",
    sha256: sha256(payload),
    bytes: payload.length,
  };
  const target = path.join(dir, info.file);
  const renames: string[] = [];
  const rename = fs.promises.rename;
  fs.promises.rename = async (from: fs.PathLike, to: fs.PathLike) => {
    // At the moment of the rename: the target is absent and the temp file is complete.
    assert.equal(fs.existsSync(target), false);
    assert.equal(path.dirname(String(from)), dir);
    assert.match(path.basename(String(from)), /^\.fake\.txt\..*\.tmp$/);
    assert.equal(sha256(fs.readFileSync(from)), info.sha256);
    renames.push(String(to));
    return rename(from, to);
  };
  const err = sink();
  try {
    const bytes = await downloadCorpus(info, { dir, fetch: fakeFetch({ [info.url]: payload }), stderr: err });
    assert.ok(bytes.equals(payload));
  } finally {
    fs.promises.rename = rename;
  }
  assert.deepEqual(renames, [target]);
  assert.ok(fs.readFileSync(target).equals(payload));
  assert.deepEqual(fs.readdirSync(dir), ["fake.txt"], "no temp file left");
  const bar = err.out.join("");
  assert.match(bar, /\rfake\.txt \[#+\] 100% /);
  assert.ok(bar.endsWith("\n"));

  // A download whose bytes are wrong is refused, and nothing lands.
  const bad = path.join(tmpDir(), "bad");
  await assert.rejects(
    downloadCorpus(info, { dir: bad, fetch: fakeFetch({ [info.url]: Buffer.concat([payload, Buffer.from("!")]) }), progress: false }),
    (e: Error) => e instanceof ChecksumError && e.message.includes(info.url),
  );
  assert.equal(fs.existsSync(path.join(bad, "fake.txt")), false);
  assert.deepEqual(fs.existsSync(bad) ? fs.readdirSync(bad) : [], []);

  // A folder that cannot be written is a clear error.
  await assert.rejects(
    downloadCorpus(info, { dir: path.join(target, "sub"), fetch: fakeFetch({ [info.url]: payload }), progress: false }),
    /could not be saved[\s\S]*SEQLAB_DATA to a writable folder/,
  );
});

testNeeding(
  "loadCorpus downloads a missing corpus into the cache once, then reads it from there",
  noMirror("timemachine.txt"),
  async () => {
    const dir = tmpDir();
    const bytes = fs.readFileSync(path.join(MIRROR!, "timemachine.txt"));
    const log: string[] = [];
    const [a, b] = await Promise.all([
      loadCorpus("timemachine", { dir, fetch: fakeFetch({ [CORPORA.timemachine.url]: bytes }, log), progress: false }),
      loadCorpus("timemachine", { dir, fetch: fakeFetch({ [CORPORA.timemachine.url]: bytes }, log), progress: false }),
    ]);
    assert.equal(a, bytes.toString("utf8"));
    assert.equal(b, a);
    assert.deepEqual(log, [CORPORA.timemachine.url], "concurrent loads share one download");
    assert.equal(await loadCorpus("timemachine", { dir, fetch: offline }), a);
    assert.deepEqual(fs.readdirSync(dir), ["timemachine.txt"]);
  },
);

/** Fake GitHub for KoCoNovel: the contents API, raw text.jsonl files and list_of_novels.csv. */
function fakeKoCoNovel(docs: { novel: string; doc_id: string; text: string }[], listCsv: string | undefined, apiWorks: boolean) {
  const files: Record<string, string> = {};
  const novels = [...new Set(docs.map((d) => d.novel))];
  if (apiWorks) {
    const entries = [...novels].reverse().map((name) => ({ name, type: "dir" }));
    entries.push({ name: "README.md", type: "file" });
    files["https://api.github.com/repos/storidient/KoCoNovel/contents/data/jsonl?ref=main"] = JSON.stringify(entries);
  }
  if (listCsv !== undefined) files["https://raw.githubusercontent.com/storidient/KoCoNovel/main/list_of_novels.csv"] = listCsv;
  for (const n of novels) {
    // Upstream lines are {"doc_id", "text"} as Python's json.dumps writes them.
    files[`https://raw.githubusercontent.com/storidient/KoCoNovel/main/data/jsonl/${encodeURIComponent(n)}/text.jsonl`] = docs
      .filter((d) => d.novel === n)
      .map((d) => `{"doc_id": ${JSON.stringify(d.doc_id)}, "text": ${JSON.stringify(d.text)}}\n`)
      .join("");
  }
  return files;
}

test("KoCoNovel is assembled from the repository's text.jsonl files in novel order (fake fetch)", async () => {
  const docs = [
    { novel: "2_B", doc_id: "2_0", text: '둘째 "소설"\n끝' },
    { novel: "10_C", doc_id: "10_0", text: "열째" },
    { novel: "1_A", doc_id: "1_0", text: "첫째" },
    { novel: "1_A", doc_id: "1_1", text: "tab\there" },
  ];
  const order = ["1_A", "2_B", "10_C"];
  const expected = order
    .flatMap((n) => docs.filter((d) => d.novel === n))
    .map((d) => `{"novel": ${JSON.stringify(d.novel)}, "doc_id": ${JSON.stringify(d.doc_id)}, "text": ${JSON.stringify(d.text)}}\n`)
    .join("");
  const info: CorpusInfo = {
    ...CORPORA.koconovel,
    name: "kfake",
    file: "kfake.jsonl",
    sha256: sha256(expected),
    bytes: Buffer.byteLength(expected),
  };
  const dir = tmpDir();
  const log: string[] = [];
  const out = await downloadCorpus(info, { dir, fetch: fakeFetch(fakeKoCoNovel(docs, undefined, true), log), progress: false });
  assert.equal(out.toString("utf8"), expected);
  assert.equal(fs.readFileSync(path.join(dir, "kfake.jsonl"), "utf8"), expected);
  assert.deepEqual(
    log.slice(1).map((u) => u.split("/").slice(-2, -1)[0]),
    order,
    "one request per novel, in numeric order",
  );
});

testNeeding(
  "KoCoNovel assembled from fake upstream files reproduces the mirror's checksum, via the API or the novel list",
  noMirror("koconovel.jsonl", "koconovel_novels.csv"),
  async () => {
    const mirror = fs.readFileSync(path.join(MIRROR!, "koconovel.jsonl"), "utf8");
    const docs = mirror
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const listCsv = fs.readFileSync(path.join(MIRROR!, "koconovel_novels.csv"), "utf8");
    assert.deepEqual(koconovelFolders(listCsv), [...new Set(docs.map((d) => d.novel))], "folder names from list_of_novels.csv");
    for (const apiWorks of [true, false]) {
      const dir = tmpDir();
      const text = await loadCorpus("koconovel", { dir, fetch: fakeFetch(fakeKoCoNovel(docs, listCsv, apiWorks)), progress: false });
      assert.equal(sha256(Buffer.from(text)), CORPORA.koconovel.sha256);
      assert.equal(text, mirror);
    }
    assert.equal(parseCsv(listCsv).length, 51);
  },
);
