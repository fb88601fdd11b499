// seqlab's wasm kernels on several threads (src/backend/threads.ts, jobs.ts) and with fused
// multiply-adds (simd-gemm.ts), against the cpu backend: products in every layout the single-thread
// tests cover (backend-wasm.test.ts), the LSTM and attention kernels, the same results on 1 and 3
// threads (bit for bit: a share of the work is computed in the same order as the whole), leaks over
// 30 training steps (tensors, wasm mallocs and frees, workers' heaps), a worker's failure, a main
// thread stopped in the middle of a job, and processes that end with their workers.
//
// Three threads whatever the machine has (SEQLAB_THREADS is read when the backend starts, below):
// on a 2-core machine they take turns, which changes nothing but the time.
process.env.SEQLAB_THREADS = "3";
// The LSTM kernels share their passes among threads unless the machine is oversubscribed (lstm-kernels.ts,
// lstmThreadsEnabled): asked for here, so that these tests run the threaded passes under any load.
process.env.SEQLAB_LSTM_THREADS = "1";
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as path from "path";
import * as vm from "vm";
import * as tf from "@tensorflow/tfjs";
import { fmaAvailable, setFma, setThreadCount, threadCount, useBackend, workerStats } from "../../src/backend";
import { BUSY_LOAD_PER_CORE, LSTM_PASS_FACTOR, lstmPassPlan, machineOversubscribed } from "../../src/backend/lstm-kernels";
import { ATTENTION_KERNELS, attentionKernelsUsable } from "../../src/backend/attention-kernels";
import { NORM_KERNELS } from "../../src/backend/norm-kernels";
import { LSTM_KERNELS, lstmKernelsUsable } from "../../src/backend/lstm-kernels";
import { lstmByRows } from "../../src/backend/jobs";
import {
  BACKOFF_MAX_MS,
  BACKOFF_MS,
  BACKOFF_PER_LOST,
  HELD_UP_MS,
  heldUp,
  MIN_PARALLEL_WORK,
  parallelThreshold,
  poolState,
  recordThreadedJob,
  runJob,
  setParallelThreshold,
  threadBackoff,
  threadsFor,
  threadsForWork,
} from "../../src/backend/threads";
import { usableCores } from "../../src/backend/cores";
import { mulberry32 } from "../../src/data/random";
import { GPT } from "../../src/models/gpt";
import { attention, fusedLstm, gelu, layerNorm, lstmParams, type LstmParams } from "../../src/nn";
import { AdamW } from "../../src/train/adamw";
import { markEngine, restoreEngine } from "../../kernel/server/tensor-engine";
import { randomTensor } from "../support/tensors";

before(async () => {
  await useBackend({ backend: "cpu", quiet: true });
  await useBackend({ backend: "wasm", quiet: true });
});

const memory = () => (tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory;
const FMA = [false, ...(fmaAvailable() ? [true] : [])];

function randomValues(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => 2 * r() - 1);
}

/** f's output on a backend (threads and FMA as set), as plain values. */
function on(backend: "cpu" | "wasm", f: () => tf.Tensor | tf.Tensor[]): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const y = f();
    return (Array.isArray(y) ? y : [y]).map((t) => Float32Array.from(t.dataSync()));
  });
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  assert.equal(a.length, b.length);
  let m = 0;
  a.forEach((x, i) => {
    assert.equal(x.length, b[i].length);
    for (let j = 0; j < x.length; j++) m = Math.max(m, Math.abs(x[j] - b[i][j]));
  });
  return m;
}

/** Run f with each thread count and FMA setting; restores 3 threads and the default FMA. */
function eachSetting(f: (threads: number, fma: boolean) => void) {
  try {
    for (const fma of FMA) {
      setFma(fma);
      for (const threads of [1, 3]) {
        setThreadCount(threads);
        f(threads, fma);
      }
    }
  } finally {
    setThreadCount(3);
    setFma(fmaAvailable());
  }
}

test("the wasm heap is shared and large products take 3 threads; small ones stay on one", () => {
  tf.setBackend("wasm");
  assert.equal(threadCount(), 3);
  assert.ok(memory().buffer instanceof SharedArrayBuffer, "useBackend made tfjs's heap shared");
  assert.equal(threadsFor(memory(), 3 * MIN_PARALLEL_WORK).nt, 3);
  assert.equal(threadsFor(memory(), MIN_PARALLEL_WORK).nt, 2, "a share of at least half the threshold each");
  assert.equal(threadsFor(memory(), MIN_PARALLEL_WORK - 1).nt, 1);
  assert.equal(poolState(memory())?.threads, 3, "two workers and the main thread");
});

test("a job takes as many threads as get half the threshold each; an LSTM pass has its own threshold", () => {
  const m = MIN_PARALLEL_WORK;
  assert.deepEqual(
    [m - 1, m, 1.49 * m, 1.5 * m, 4 * m, 100 * m].map((w) => threadsForWork(w, 16)),
    [1, 2, 2, 3, 8, 16],
  );
  assert.equal(threadsForWork(100 * m, 1), 1, "one thread wanted");
  try {
    setParallelThreshold(0);
    assert.equal(threadsForWork(1, 4), 4, "threshold 0: all of them");
  } finally {
    setParallelThreshold(undefined);
  }
  // passes below LSTM_PASS_FACTOR thresholds stay on one thread; above, by sequences from 8 a thread,
  // else by hidden units when a step's h·W_h has the threshold's work (and at most one thread per 8 units)
  const pass = (T: number, B: number, D: number, H: number) => T * B * 4 * H * (H + D);
  assert.ok(pass(16, 32, 8, 16) < LSTM_PASS_FACTOR * m);
  assert.deepEqual(lstmPassPlan(16, 32, 8, 16, 2), { nt: 1, byRows: 0 });
  assert.deepEqual(lstmPassPlan(64, 32, 64, 128, 2), { nt: 2, byRows: 1 });
  assert.deepEqual(lstmPassPlan(64, 8, 64, 128, 2), { nt: 2, byRows: 0 });
  assert.deepEqual(lstmPassPlan(64, 8, 64, 128, 64), { nt: 16, byRows: 0 }, "128 units: 16 panels of 8");
  assert.ok(8 * 32 * 4 * 32 < m && pass(512, 8, 32, 32) >= LSTM_PASS_FACTOR * m);
  assert.deepEqual(lstmPassPlan(512, 8, 32, 32, 2), { nt: 1, byRows: 0 }, "a long pass of small steps by hidden units: one thread");
});

test("setParallelThreshold moves the size from which jobs take threads; undefined restores MIN_PARALLEL_WORK", () => {
  tf.setBackend("wasm");
  try {
    setParallelThreshold(4096);
    assert.equal(parallelThreshold(), 4096);
    assert.equal(threadsFor(memory(), 3 * 4096).nt, 3);
    assert.equal(threadsFor(memory(), 4096).nt, 2);
    assert.equal(threadsFor(memory(), 4095).nt, 1);
    setParallelThreshold(0);
    assert.equal(threadsFor(memory(), 1).nt, 3, "0: every job is shared out");
    for (const bad of [-1, NaN, Infinity])
      assert.throws(() => setParallelThreshold(bad), /expected a number of multiply-adds, 0 or more, got/);
    assert.equal(parallelThreshold(), 0, "a refused value changes nothing");
  } finally {
    setParallelThreshold(undefined);
  }
  assert.equal(parallelThreshold(), MIN_PARALLEL_WORK);
  assert.equal(threadsFor(memory(), MIN_PARALLEL_WORK - 1).nt, 1);
});

test("with the thread count not set, a held-up job keeps jobs on one thread for a while (doubling); a set count is used as given", () => {
  tf.setBackend("wasm");
  // held up: the main thread slept over half the job, and at least HELD_UP_MS
  assert.equal(heldUp(10, 6), true);
  assert.equal(heldUp(4, 2.2), true);
  assert.equal(heldUp(10, 4), false, "slept less than half");
  assert.equal(heldUp(0.9 * HELD_UP_MS, 0.8 * HELD_UP_MS), false, "too short to tell from a wake-up");
  try {
    setThreadCount(undefined);
    assert.equal(threadCount(), Math.min(64, usableCores()), "undefined: the cores again");
    const before = threadBackoff();
    assert.equal(before.now, false);
    if (threadCount() > 1) assert.ok(threadsFor(memory(), 100 * MIN_PARALLEL_WORK).nt > 1, "a large job, on threads");
    recordThreadedJob(10, 1);
    assert.equal(threadBackoff().ms, 0, "a job that was not held up");
    recordThreadedJob(4, 2.2);
    let b = threadBackoff();
    assert.deepEqual([b.now, b.ms, b.heldUp], [true, BACKOFF_MS, before.heldUp + 1]);
    if (threadCount() > 1) assert.equal(threadsFor(memory(), 100 * MIN_PARALLEL_WORK).nt, 1, "a large job, on one thread meanwhile");
    recordThreadedJob(4, 2.2);
    assert.equal(threadBackoff().ms, 2 * BACKOFF_MS, "held up again: twice as long");
    for (let i = 0; i < 12; i++) recordThreadedJob(4, 2.2);
    assert.equal(threadBackoff().ms, BACKOFF_MAX_MS, "at most BACKOFF_MAX_MS");
    recordThreadedJob(10, 1);
    assert.equal(threadBackoff().ms, BACKOFF_MAX_MS / 2, "a job that was not held up halves it");
    for (let i = 0; i < 7; i++) recordThreadedJob(10, 1);
    assert.equal(threadBackoff().ms, 0, "halved below BACKOFF_MS: none");
    recordThreadedJob(100, 60);
    assert.equal(threadBackoff().ms, BACKOFF_PER_LOST * 60, "a job that lost 60 ms: 100 times that");
    // a count that was set is used as given, held up or not
    setThreadCount(3);
    b = threadBackoff();
    assert.equal(b.now, false);
    assert.equal(threadsFor(memory(), 3 * MIN_PARALLEL_WORK).nt, 3);
    recordThreadedJob(4, 2.2);
    assert.equal(threadBackoff().heldUp, b.heldUp, "not counted");
  } finally {
    setThreadCount(3);
  }
});

test("threaded and FMA BatchMatMul equal the cpu backend for every transpose and batch combination, and 1 thread bit for bit", () => {
  // Sizes past MIN_PARALLEL_WORK, shared out by columns ([136, 72, 120]: few rows for their columns),
  // by rows ([600, 40, 48]), padded columns ([136, 72, 125]: B packed whole first), and rows beyond the
  // 4-row blocks in one thread's share ([301, 64, 56]).
  const sizes = [
    [136, 72, 120],
    [600, 40, 48],
    [136, 72, 125],
    [301, 64, 56],
  ];
  const batches: [number[], number[]][] = [
    [[], []],
    [[2], [2]],
    [[2], []],
    [[], [2]],
  ];
  let cases = 0;
  for (const [M, K, N] of sizes) {
    for (const [ba, bb] of batches) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const aShape = [...ba, ...(tA ? [K, M] : [M, K])];
          const bShape = [...bb, ...(tB ? [N, K] : [K, N])];
          const av = randomValues(
            aShape.reduce((p, d) => p * d, 1),
            2 * cases + 1,
          );
          const bv = randomValues(
            bShape.reduce((p, d) => p * d, 1),
            2 * cases + 2,
          );
          const f = () => tf.matMul(tf.tensor(av, aShape), tf.tensor(bv, bShape), tA, tB);
          const ref = on("cpu", f);
          const one: Record<string, Float32Array[]> = {};
          eachSetting((threads, fma) => {
            const got = on("wasm", f);
            const what = `matMul ${aShape}${tA ? "ᵀ" : ""} · ${bShape}${tB ? "ᵀ" : ""}, ${threads} thread(s)${fma ? ", FMA" : ""}`;
            assert.ok(maxDiff(got, ref) <= 1e-4, `${what}: max |wasm - cpu| = ${maxDiff(got, ref)}`);
            if (threads === 1) one[String(fma)] = got;
            else assert.equal(maxDiff(got, one[String(fma)]), 0, `${what}: the same as on 1 thread`);
          });
          cases++;
        }
      }
    }
  }
  tf.setBackend("wasm");
  assert.equal(cases, 64);
});

test("threaded and FMA _FusedMatMul (bias, transposes) equal the cpu backend", () => {
  let seed = 500;
  for (const [M, K, N] of [
    [300, 64, 72],
    [129, 256, 64],
  ]) {
    for (const withBias of [true, false]) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const [av, bv, biasv] = [randomValues(M * K, seed++), randomValues(K * N, seed++), randomValues(N, seed++)];
          const f = () =>
            tf.fused.matMul({
              a: tf.tensor2d(av, tA ? [K, M] : [M, K]),
              b: tf.tensor2d(bv, tB ? [N, K] : [K, N]),
              transposeA: tA,
              transposeB: tB,
              bias: withBias ? tf.tensor1d(biasv) : undefined,
            });
          const ref = on("cpu", f);
          eachSetting((threads, fma) => {
            const d = maxDiff(on("wasm", f), ref);
            assert.ok(
              d <= 1e-4,
              `fused ${M}x${K}x${N} bias=${withBias} tA=${tA} tB=${tB}, ${threads} thread(s)${fma ? ", FMA" : ""}: ${d}`,
            );
          });
        }
      }
    }
  }
});

test("the LSTM kernels on 3 threads, by hidden units and by sequences: the same values and gradients as on 1 (bit for bit), and as the cpu backend's", () => {
  // B 16: shared out by hidden units (a barrier per step); B 32: by sequences (8 or more rows a thread)
  for (const [B, T, D, H] of [
    [16, 16, 16, 128],
    [32, 8, 16, 128],
  ]) {
    tf.setBackend("wasm");
    assert.ok(lstmKernelsUsable(B, D, H));
    assert.deepEqual(lstmPassPlan(T, B, D, H, 3), { nt: 3, byRows: B === 32 ? 1 : 0 }, "large enough for 3 threads");
    assert.equal(lstmByRows(B, 3), B === 32);
    const p = tf.tidy(() => {
      const q = lstmParams(D, H, 3);
      return { Wx: tf.keep(q.Wx.clone()), Wh: tf.keep(q.Wh.clone()), b: tf.keep(randomTensor([4 * H], 4, 0.5)) };
    });
    const xs = randomValues(B * T * D, 5);
    const R = randomValues(B * T * H, 6);
    const [h0, c0] = [randomValues(B * H, 7), randomValues(B * H, 8)];
    const run = () => {
      const x = tf.tensor3d(xs, [B, T, D]);
      const loss = (x3: tf.Tensor, Wx: tf.Tensor, Wh: tf.Tensor, b: tf.Tensor, h: tf.Tensor, c: tf.Tensor) => {
        const out = fusedLstm({ Wx, Wh, b } as unknown as LstmParams, x3 as tf.Tensor3D, { h: h as tf.Tensor2D, c: c as tf.Tensor2D });
        return tf.addN([tf.sum(tf.mul(out.hs, tf.tensor3d(R, [B, T, H]))), tf.sum(out.c)]) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(loss)([x, p.Wx, p.Wh, p.b, tf.tensor2d(h0, [B, H]), tf.tensor2d(c0, [B, H])]);
      return [value, ...grads];
    };
    const ref = on("cpu", run);
    eachSetting((threads, fma) => {
      const got = on("wasm", run);
      const d = maxDiff(got.slice(1), ref.slice(1));
      assert.ok(d < 1e-4, `B ${B}: gradients, ${threads} thread(s)${fma ? ", FMA" : ""}: max |wasm - cpu| = ${d}`);
      assert.ok(Math.abs(got[0][0] - ref[0][0]) < 1e-3 * Math.abs(ref[0][0]) + 1e-3, `loss ${got[0][0]} vs ${ref[0][0]}`);
    });
    const by = (threads: number) => {
      setThreadCount(threads);
      try {
        return on("wasm", run);
      } finally {
        setThreadCount(3);
      }
    };
    assert.equal(maxDiff(by(3), by(1)), 0, `B ${B}: 3 threads compute what 1 does`);
    tf.dispose(Object.values(p));
  }
});

test("causal attention as one wasm kernel: values and gradients as attention.ts's tfjs ops on cpu, on 1 and 3 threads", () => {
  for (const [B, T, C, H] of [
    [2, 16, 32, 4],
    [4, 64, 64, 4],
  ]) {
    tf.setBackend("wasm");
    assert.ok(attentionKernelsUsable(T, C, H), `[${B}, ${T}, ${C}] with ${H} heads runs the kernel`);
    const [xv, wv, bv, pv, pbv, rv] = [
      randomValues(B * T * C, 1),
      randomValues(C * 3 * C, 2),
      randomValues(3 * C, 3),
      randomValues(C * C, 4),
      randomValues(C, 5),
      randomValues(B * T * C, 6),
    ];
    const run = () => {
      const x = tf.tensor3d(xv, [B, T, C]);
      const W = tf.tensor2d(wv, [C, 3 * C]);
      const b = tf.tensor1d(bv);
      const loss = (x: tf.Tensor, W: tf.Tensor, b: tf.Tensor) => {
        const { y } = attention({ qkv: { W, b }, proj: { W: tf.tensor2d(pv, [C, C]), b: tf.tensor1d(pbv) } }, x, { nHead: H });
        return tf.sum(tf.mul(y, tf.tensor3d(rv, [B, T, C]))) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(loss)([x, W, b]);
      const { att } = attention({ qkv: { W, b }, proj: { W: tf.tensor2d(pv, [C, C]), b: tf.tensor1d(pbv) } }, x, { nHead: H });
      return [value, att, ...grads];
    };
    const ref = on("cpu", run);
    const one: Record<string, Float32Array[]> = {};
    eachSetting((threads, fma) => {
      const got = on("wasm", run);
      const what = `[${B}, ${T}, ${C}] ${H} heads, ${threads} thread(s)${fma ? ", FMA" : ""}`;
      // float32 rounding relative to the largest entry (gradients reach tens here); a wrong index would be O(scale)
      const scale = Math.max(...ref.slice(1).map((v) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0)));
      const d = maxDiff(got.slice(1), ref.slice(1));
      assert.ok(d < 1e-5 * scale, `${what}: weights and gradients, max |wasm - cpu| = ${d} (largest entry ${scale})`);
      assert.ok(Math.abs(got[0][0] - ref[0][0]) < 1e-4 * Math.abs(ref[0][0]) + 1e-4, `${what}: loss ${got[0][0]} vs ${ref[0][0]}`);
      if (threads === 1) one[String(fma)] = got;
      else assert.equal(maxDiff(got, one[String(fma)]), 0, `${what}: the same as on 1 thread`);
    });
  }
});

test("LayerNorm, GELU and Sum over leading axes as wasm kernels: values and gradients as the cpu backend's tfjs ops, on 1 and 3 threads", () => {
  // [300, 128]: LayerNorm rows shared out; GELU over 300·128 (threaded) and 7·9 = 63 values (three
  // of them past the SIMD lanes, finished in JavaScript); C = 6 takes the tfjs ops on wasm too.
  for (const [rows, C] of [
    [300, 128],
    [7, 9],
    [5, 6],
  ]) {
    const [xv, gv, bv, rv] = [randomValues(rows * C, 31), randomValues(C, 32), randomValues(C, 33), randomValues(rows * C, 34)];
    const run = () => {
      const loss = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const y = gelu(layerNorm({ g, b }, tf.mul(x, 3)));
        return tf.sum(tf.mul(y, tf.tensor2d(rv, [rows, C]))) as tf.Scalar;
      };
      const x = tf.tensor2d(xv, [rows, C]);
      const { value, grads } = tf.valueAndGrads(loss)([x, tf.tensor1d(gv), tf.tensor1d(bv)]);
      return [
        value,
        gelu(x),
        layerNorm({ g: tf.tensor1d(gv), b: tf.tensor1d(bv) }, x),
        tf.sum(tf.reshape(x, [rows, 1, C]), [0, 1]),
        ...grads,
      ];
    };
    const ref = on("cpu", run);
    const names = ["loss", "gelu", "layerNorm", "sum over rows", "d/dx", "d/dg", "d/db"];
    eachSetting((threads, fma) => {
      const got = on("wasm", run);
      ref.forEach((r, i) => {
        // float32 rounding relative to each output's largest entry (sums over 300 rows or 38,400 terms)
        const scale = r.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        const d = maxDiff([got[i]], [r]);
        assert.ok(
          d <= 4e-6 * scale + 1e-6,
          `[${rows}, ${C}] ${names[i]}, ${threads} thread(s)${fma ? ", FMA" : ""}: max |wasm - cpu| = ${d} (largest ${scale})`,
        );
      });
    });
  }
  tf.setBackend("wasm");
});

test("GPT runs the attention, LayerNorm and GELU kernels (no softmax, sigmoid, concat or mean of the tfjs ops)", async () => {
  tf.setBackend("wasm");
  const gpt = new GPT({ vocabSize: 16, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 32, seed: 1 });
  const ids = { ids: Int32Array.from({ length: 2 * 16 }, (_, i) => i % 16), shape: [2, 16] };
  const info = await tf.profile(() =>
    tf.tidy(() => tf.variableGrads(() => gpt.loss({ x: ids.ids, y: ids.ids, shape: ids.shape }), gpt.variables()).value),
  );
  const names = new Set(info.kernelNames);
  for (const k of [
    ATTENTION_KERNELS.forward,
    ATTENTION_KERNELS.backward,
    NORM_KERNELS.layerNorm,
    NORM_KERNELS.layerNormGrad,
    NORM_KERNELS.gelu,
    NORM_KERNELS.geluGrad,
  ]) {
    assert.ok(names.has(k), `${k} ran (kernels: ${[...names].join(", ")})`);
  }
  for (const k of ["Softmax", "Sigmoid", "Concat", "Square"])
    assert.ok(!names.has(k), `no ${k} of the tfjs ops (kernels: ${[...names].join(", ")})`);
  gpt.dispose();
});

test("30 training steps on 3 threads leak no tensors, wasm memory or worker memory", () => {
  tf.setBackend("wasm");
  // a GPT whose products and attention take the threads, and an LSTM whose steps do
  const gpt = new GPT({ vocabSize: 32, blockSize: 32, nLayer: 1, nHead: 4, nEmbd: 64, seed: 2 });
  const opt = new AdamW(gpt.variables(), { learningRate: 1e-3 });
  const r = mulberry32(8);
  const ids = Int32Array.from({ length: 8 * 33 }, () => Math.floor(32 * r()));
  const x = Int32Array.from({ length: 8 * 32 }, (_, i) => ids[Math.floor(i / 32) * 33 + (i % 32)]);
  const y = Int32Array.from({ length: 8 * 32 }, (_, i) => ids[Math.floor(i / 32) * 33 + (i % 32) + 1]);
  const lstm = lstmParams(16, 128, 9);
  const lstmOpt: tf.Optimizer = tf.train.adam(0.01);
  const xs = randomTensor([16, 6, 16], 10) as tf.Tensor3D;
  const target = randomTensor([16, 6, 128], 11, 0.5);
  const step = () => {
    const loss = tf.tidy(() => {
      const vars = gpt.variables();
      const { value, grads } = tf.variableGrads(() => gpt.loss({ x, y, shape: [8, 32] }), vars);
      const v = value.dataSync()[0];
      opt.update(
        vars.map((w) => grads[w.name]),
        { clipNorm: 1 },
      );
      return v;
    });
    tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => tf.losses.meanSquaredError(target, fusedLstm(lstm, xs).hs) as tf.Scalar,
        [lstm.Wx, lstm.Wh, lstm.b],
      );
      lstmOpt.applyGradients(grads);
    });
    return loss;
  };
  const wasm = (tf.backend() as unknown as { wasm: { _malloc(n: number): number; _free(p: number): void } }).wasm;
  const [malloc, free] = [wasm._malloc, wasm._free];
  const first = step();
  const tensors = tf.memory().numTensors;
  const bytes = tf.memory().numBytes;
  const heaps0 = workerStats();
  let outstanding = 0;
  let mallocs = 0;
  let last = first;
  wasm._malloc = (n: number) => (outstanding++, mallocs++, malloc(n));
  wasm._free = (ptr: number) => (outstanding--, free(ptr));
  try {
    for (let i = 0; i < 30; i++) last = step();
  } finally {
    [wasm._malloc, wasm._free] = [malloc, free];
  }
  const heaps1 = workerStats();
  assert.equal(tf.memory().numTensors, tensors, "tensors");
  assert.equal(tf.memory().numBytes, bytes, "tensor bytes");
  assert.ok(mallocs > 1000, "the steps did allocate (tensors and the kernels' scratch)");
  assert.equal(outstanding, 0, "as many frees as mallocs over 30 steps");
  assert.equal(heaps1.workers, 2, "the same two workers (none started per step)");
  assert.equal(heaps0.workers, 2);
  heaps1.heapBytes.forEach((h, i) =>
    assert.ok(h - heaps0.heapBytes[i] < 4 * 2 ** 20, `worker ${i + 1}'s heap grew from ${heaps0.heapBytes[i]} to ${h} bytes`),
  );
  assert.ok(last < first, `the GPT's loss fell from ${first} to ${last}`);
  opt.dispose();
  gpt.dispose();
  lstmOpt.dispose();
  tf.dispose([lstm.Wx, lstm.Wh, lstm.b, xs, target]);
});

test("a worker that fails is reported as an error of the kernel, and the next job runs", () => {
  tf.setBackend("wasm");
  const mem = memory();
  const { nt, pool } = threadsFor(mem, 1 << 30);
  assert.equal(nt, 3);
  // An LSTM pass by sequences (B 24 on 3 threads) whose W_h lies at the very end of the heap: each
  // thread first packs its own fixed share of W_h's columns (0..7, 8..15, 16..31 of G = 32) from
  // every row, so the last thread alone reads past the end of the memory (a trap there), while the
  // others go on to their (valid) chunks of Z and wait at the barrier that follows.
  const [T, B, D, H] = [1, 24, 8, 8];
  const G = 4 * H;
  assert.ok(lstmByRows(B, nt));
  const wasm = (tf.backend() as unknown as { wasm: { _malloc(n: number): number; _free(p: number): void } }).wasm;
  const buf = wasm._malloc(4 * 4096) >>> 0;
  const end = mem.buffer.byteLength;
  const Wh = end - 4 * ((H - 1) * G + 16); // row H-1, column 16 starts exactly at the end
  const job = {
    x: buf,
    Wx: buf,
    Wh,
    b: buf,
    h0: buf,
    c0: buf,
    y: buf + 4 * 1024,
    act: buf + 4 * 2048,
    c: buf + 4 * 1024,
    tc: buf + 4 * 1024,
    whP: buf + 4 * 3072,
    T,
    B,
    D,
    H,
    byRows: 1,
    scratch: 0,
    scratchFloats: 0,
  };
  for (let i = 0; i < 3; i++) {
    assert.throws(
      () => runJob(mem, "lstmForward", job, nt, pool),
      /^Error: seqlab threads: thread 2: RuntimeError: memory access out of bounds/,
    );
    assert.equal(poolState(mem)?.busy, 0);
  }
  wasm._free(buf);
  const a = tf.randomNormal([512, 256], 0, 1, "float32", 1);
  const b = tf.randomNormal([256, 64], 0, 1, "float32", 2);
  const got = on("wasm", () => tf.matMul(a, b));
  const want = on("cpu", () => tf.matMul(tf.tensor(a.dataSync(), a.shape), tf.tensor(b.dataSync(), b.shape)));
  assert.ok(maxDiff(got, want) < 1e-4);
  assert.equal(poolState(mem)?.threads, 3, "the same pool runs on");
  tf.setBackend("wasm");
  tf.dispose([a, b]);
});

test("a main thread stopped in the middle of a threaded job (as the kernel's interrupt does) leaves the threads usable", () => {
  tf.setBackend("wasm");
  const [B, T, D, H] = [16, 3000, 16, 128]; // a long forward pass: 3,000 steps, each ending at a barrier
  const inputs = {
    x: tf.randomNormal([T, B, D]),
    Wx: tf.randomNormal([D, 4 * H], 0, 0.1),
    Wh: tf.randomNormal([H, 4 * H], 0, 0.1),
    b: tf.zeros([4 * H]),
    h0: tf.zeros([B, H]),
    c0: tf.zeros([B, H]),
  };
  (globalThis as Record<string, unknown>).__seqlabLongJob = () => tf.engine().runKernel(LSTM_KERNELS.forward, inputs, {});
  const be = tf.backend() as unknown as { numDataIds(): number; wasm: { _malloc(n: number): number; _free(p: number): void } };
  const [malloc, free] = [be.wasm._malloc, be.wasm._free];
  const tensors = tf.memory().numTensors;
  const dataIds = be.numDataIds();
  // vm's timeout stops the script by V8's TerminateExecution: no finally block runs, like the kernel's
  // stopNow. Stopped before the job began (a slow machine), it is tried again with longer.
  let left: { busy: number } | undefined;
  let repaired: string | undefined;
  let outstanding = 0;
  for (let timeout = 100; timeout <= 3200 && !(left && left.busy > 0); timeout *= 2) {
    const mark = markEngine();
    outstanding = 0;
    be.wasm._malloc = (n: number) => (outstanding++, malloc(n));
    be.wasm._free = (ptr: number) => (outstanding--, free(ptr));
    try {
      assert.throws(() => vm.runInThisContext("__seqlabLongJob()", { timeout }), /timed out/);
      left = poolState(memory());
      repaired = restoreEngine(mark); // as the Jupyter kernel does after an interrupted cell
    } finally {
      [be.wasm._malloc, be.wasm._free] = [malloc, free];
    }
  }
  delete (globalThis as Record<string, unknown>).__seqlabLongJob;
  assert.ok(left && left.busy > 0, "the workers were left in the job (waiting at a barrier for the stopped thread)");
  // the repair abandoned the job, waited for the workers, and freed the stopped kernel's scratch and outputs
  assert.match(repaired ?? "", /1 threaded job\(s\) abandoned, 1 stopped kernel\(s\): 2 scratch buffer\(s\) and 4 output\(s\) freed/);
  assert.equal(poolState(memory())?.busy, 0);
  assert.equal(outstanding, 0, "every buffer the stopped kernel allocated was freed");
  assert.equal(be.numDataIds(), dataIds, "no tensor data left in the backend");
  assert.equal(tf.memory().numTensors, tensors);
  // the next job abandons that one first, then runs as usual
  const a = tf.randomNormal([512, 256], 0, 1, "float32", 3);
  const b = tf.randomNormal([256, 64], 0, 1, "float32", 4);
  const got = on("wasm", () => tf.matMul(a, b));
  const want = on("cpu", () => tf.matMul(tf.tensor(a.dataSync(), a.shape), tf.tensor(b.dataSync(), b.shape)));
  assert.ok(maxDiff(got, want) < 1e-4);
  tf.setBackend("wasm");
  assert.equal(poolState(memory())?.busy, 0);
  tf.dispose([a, b, ...Object.values(inputs)]);
});

test("after a stopped cell, outputs any kernel made that no tensor holds are freed (a kernel stopped between makeOutput and its return)", () => {
  tf.setBackend("wasm");
  const be = tf.backend() as unknown as { numDataIds(): number; makeOutput(shape: number[], dtype: string): tf.TensorInfo };
  const kept = tf.tensor([1, 2, 3]);
  const dataIds = be.numDataIds();
  const mark = markEngine();
  // what TensorFlow.js's own Add kernel had done when it was stopped in its C++ (our kernels run in frames)
  be.makeOutput([128, 512], "float32");
  be.makeOutput([512], "float32");
  const live = tf.add(kept, 1); // made by a kernel too, and held by a tensor
  assert.equal(be.numDataIds(), dataIds + 3);
  assert.match(restoreEngine(mark) ?? "", /2 kernel output\(s\) that no tensor holds freed/);
  assert.equal(be.numDataIds(), dataIds + 1);
  assert.deepEqual(Array.from(live.dataSync()), [2, 3, 4]);
  tf.dispose([kept, live]);
});

test("the LSTM kernels share their passes among threads unless the machine is oversubscribed; SEQLAB_LSTM_THREADS and setLstmThreads decide over that", () => {
  const lstm = path.join(__dirname, "../../src/backend/lstm-kernels");
  // the default next to what the load says at the same moment (the load average changes every 5 s)
  const script = `const k = require(${JSON.stringify(lstm)}); const a = k.lstmThreadsEnabled(); const busy = k.machineOversubscribed();
    k.setLstmThreads(!a); const b = k.lstmThreadsEnabled(); k.setLstmThreads(undefined);
    console.log(a + " " + b + " " + k.lstmThreadsEnabled() + " " + busy);`;
  const env = { ...process.env };
  delete env.SEQLAB_LSTM_THREADS;
  for (const value of [undefined, "1", "0"] as const) {
    const r = spawnSync(process.execPath, ["-e", script], {
      env: value === undefined ? env : { ...env, SEQLAB_LSTM_THREADS: value },
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const [first, flipped, reset, busy] = r.stdout.trim().split(" ");
    const want = value === undefined ? String(busy === "false") : String(value === "1");
    assert.equal(first, want, `SEQLAB_LSTM_THREADS=${value} (machine oversubscribed: ${busy})`);
    assert.equal(flipped, String(want !== "true"), "setLstmThreads decides over the default");
    assert.equal(reset, want, "setLstmThreads(undefined) gives the default back");
  }
  assert.equal(machineOversubscribed(0, 2), false, "no load average (as on Windows): not oversubscribed");
  assert.equal(machineOversubscribed(BUSY_LOAD_PER_CORE * 2 - 0.01, 2), false);
  assert.equal(machineOversubscribed(BUSY_LOAD_PER_CORE * 2, 2), true);
  assert.equal(machineOversubscribed(17, 2), true, "the shared machine's load 17 on 2 cores");
  assert.equal(machineOversubscribed(17, 16), false, "the same load on 16 cores");
});

test("a process whose kernels used threads ends when its work does (the workers never keep it alive)", () => {
  const backend = path.join(__dirname, "../../src/backend");
  const script = `
    const tf = require("@tensorflow/tfjs");
    require(${JSON.stringify(backend)}).useBackend({ quiet: true }).then(() => {
      const c = tf.matMul(tf.ones([512, 256]), tf.ones([256, 256]));
      console.log("threads " + require(${JSON.stringify(backend)}).workerStats().workers + " value " + c.dataSync()[0]);
    });`;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ["-e", script], {
    cwd: path.join(__dirname, "../../.."),
    env: { ...process.env, SEQLAB_THREADS: "3" },
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /threads 2 value 256/);
  assert.ok(Date.now() - t0 < 60_000);
});
