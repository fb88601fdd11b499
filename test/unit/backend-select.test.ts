import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { backendOrder, TFJS_NODE_PACKAGES } from "../../src/backend";

const backendModule = path.join(__dirname, "../../src/backend");

/** Run useBackend() in a fresh process (the backend is process-global) and return its result. */
function choose(env: Record<string, string | undefined>): {
  ok: boolean;
  choice?: { backend: string; patched: string[]; message: string; reason: string };
  error?: string;
  stdout: string;
} {
  const script = `
    require(${JSON.stringify(backendModule)}).useBackend().then(
      (c) => { const tf = require("@tensorflow/tfjs"); console.log("RESULT " + JSON.stringify({ ok: true, choice: c, active: tf.getBackend() })); },
      (e) => console.log("RESULT " + JSON.stringify({ ok: false, error: e.message })));`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.SEQLAB_BACKEND;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  const r = spawnSync(process.execPath, ["-e", script], {
    cwd: path.join(__dirname, "../../.."),
    env: childEnv,
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  assert.ok(line, `no result from the child: ${r.stderr}`);
  const res = JSON.parse(line.slice(7));
  if (res.ok) assert.equal(res.active, res.choice.backend, "tf.getBackend() is the reported backend");
  return { ...res, stdout: r.stdout };
}

const tfjsNodeInstalled = TFJS_NODE_PACKAGES.some((id) => {
  try {
    require.resolve(id);
    return true;
  } catch {
    return false;
  }
});

test("backendOrder: tensorflow first only when tfjs-node resolves; an override is the only candidate", () => {
  assert.deepEqual(backendOrder(undefined, false), ["wasm", "cpu"]);
  assert.deepEqual(backendOrder(undefined, true), ["tensorflow", "wasm", "cpu"]);
  assert.deepEqual(backendOrder("", true), ["tensorflow", "wasm", "cpu"]);
  assert.deepEqual(backendOrder(" CPU ", true), ["cpu"]);
  assert.deepEqual(backendOrder("tensorflow", false), ["tensorflow"]);
  assert.throws(() => backendOrder("webgl", false), /SEQLAB_BACKEND=webgl is not one of tensorflow, wasm, cpu/);
});

test("SEQLAB_BACKEND=cpu selects cpu and reports it in one line", () => {
  const r = choose({ SEQLAB_BACKEND: "cpu" });
  assert.equal(r.ok, true, r.error);
  assert.equal(r.choice!.backend, "cpu");
  assert.deepEqual(r.choice!.patched, []);
  assert.match(r.stdout, /^seqlab: TensorFlow.js backend "cpu"; SEQLAB_BACKEND=cpu$/m);
  assert.doesNotMatch(r.stdout, /looks like you are running TensorFlow.js in Node/);
});

test("SEQLAB_BACKEND=wasm selects wasm with its kernels patched", () => {
  const r = choose({ SEQLAB_BACKEND: "wasm", SEQLAB_THREADS: "1" });
  assert.equal(r.ok, true, r.error);
  assert.equal(r.choice!.backend, "wasm");
  assert.deepEqual(r.choice!.patched, [
    "BatchMatMul",
    "_FusedMatMul",
    "Slice",
    "SplitV",
    "Unpack",
    "UnsortedSegmentSum",
    "Identity",
    "Exp",
    "GatherV2",
    "Sum",
    "SeqlabLstm",
    "SeqlabLstmGrad",
    "SeqlabAttention",
    "SeqlabAttentionGrad",
    "SeqlabLayerNorm",
    "SeqlabLayerNormGrad",
    "SeqlabGelu",
    "SeqlabGeluGrad",
  ]);
  assert.match(
    r.choice!.message,
    /^seqlab: TensorFlow.js backend "wasm" \(SIMD (on|off), 1 thread(, FMA)?; patched BatchMatMul, .*UnsortedSegmentSum, Identity, Exp, GatherV2, Sum, SeqlabLstm, .*, SeqlabGeluGrad\); SEQLAB_BACKEND=wasm$/,
  );
});

test("SEQLAB_THREADS sets the threads (the wasm heap then shared); a bad value fails clearly", () => {
  const three = choose({ SEQLAB_BACKEND: "wasm", SEQLAB_THREADS: "3" });
  assert.equal(three.ok, true, three.error);
  assert.equal((three.choice as { threads?: number }).threads, 3);
  assert.match(three.choice!.message, /\(SIMD on, 3 threads(, FMA)?; patched /);
  const bad = choose({ SEQLAB_BACKEND: "wasm", SEQLAB_THREADS: "two" });
  assert.equal(bad.ok, false);
  assert.match(bad.error!, /SEQLAB_THREADS=two: expected a whole number of threads, 1 or more/);
});

test(
  "SEQLAB_BACKEND=tensorflow fails clearly when tfjs-node is missing; a bad name fails",
  { skip: tfjsNodeInstalled && "tfjs-node is installed here" },
  () => {
    const r = choose({ SEQLAB_BACKEND: "tensorflow" });
    assert.equal(r.ok, false);
    assert.match(
      r.error!,
      /backend "tensorflow" \(SEQLAB_BACKEND\) cannot be used: tensorflow: none of @tensorflow\/tfjs-node-gpu, @tensorflow\/tfjs-node is installed/,
    );
    const bad = choose({ SEQLAB_BACKEND: "gpu" });
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /is not one of/);
  },
);

test("without SEQLAB_BACKEND: tensorflow if tfjs-node is installed, else wasm, saying why", () => {
  const r = choose({});
  assert.equal(r.ok, true, r.error);
  if (tfjsNodeInstalled) {
    assert.equal(r.choice!.backend, "tensorflow");
  } else {
    assert.equal(r.choice!.backend, "wasm");
    assert.match(r.choice!.message, /; tensorflow: @tensorflow\/tfjs-node is not installed$/);
  }
});

/** A stand-in @tensorflow/tfjs-node (found through NODE_PATH) whose index.js is `body`. */
function fakeTfjsNode(body: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seqlab-fake-tfjs-node-"));
  const pkg = path.join(dir, "node_modules", "@tensorflow", "tfjs-node");
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(
    path.join(pkg, "package.json"),
    JSON.stringify({ name: "@tensorflow/tfjs-node", version: "0.0.0-fake", main: "index.js" }),
  );
  fs.writeFileSync(path.join(pkg, "index.js"), body);
  return path.join(dir, "node_modules");
}

test(
  "an installed tfjs-node is loaded by a guarded require: used when it registers, skipped with the reason when it fails",
  { skip: tfjsNodeInstalled && "tfjs-node is installed here" },
  () => {
    const nodePath = (fake: string) => [fake, path.join(__dirname, "../../../node_modules")].join(path.delimiter);
    // loads and registers a "tensorflow" backend (a cpu backend under that name, for the test)
    const works = fakeTfjsNode(
      `const tf = require("@tensorflow/tfjs"); const { MathBackendCPU } = require("@tensorflow/tfjs-backend-cpu"); tf.registerBackend("tensorflow", () => new MathBackendCPU(), 3);`,
    );
    const ok = choose({ NODE_PATH: nodePath(works) });
    assert.equal(ok.ok, true, ok.error);
    assert.equal(ok.choice!.backend, "tensorflow");
    assert.match(ok.choice!.message, /backend "tensorflow"; the fastest available$/);
    // its install script failed (no native binary): fall back to wasm, saying why
    const broken = fakeTfjsNode(`throw new Error("The specified module could not be found: tfjs_binding.node");`);
    const fb = choose({ NODE_PATH: nodePath(broken) });
    assert.equal(fb.ok, true, fb.error);
    assert.equal(fb.choice!.backend, "wasm");
    assert.match(fb.choice!.reason, /tensorflow: @tensorflow\/tfjs-node failed to load: The specified module could not be found/);
    // loads but into another copy of tfjs (a version mismatch): nothing registered here
    const stray = fakeTfjsNode(`module.exports = {};`);
    const st = choose({ NODE_PATH: nodePath(stray) });
    assert.equal(st.choice!.backend, "wasm");
    assert.match(st.choice!.reason, /registered no "tensorflow" backend with this @tensorflow\/tfjs 4\.22\.0/);
    // forced, a broken one is an error
    const forced = choose({ NODE_PATH: nodePath(broken), SEQLAB_BACKEND: "tensorflow" });
    assert.equal(forced.ok, false);
    assert.match(forced.error!, /failed to load/);
    for (const d of [works, broken, stray]) fs.rmSync(path.dirname(d), { recursive: true, force: true });
  },
);
