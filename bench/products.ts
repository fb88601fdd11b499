// products: GFLOP/s of seqlab's matrix product (src/backend/simd-gemm.ts: gemm.wat's 4 x 8 blocks of
// 4-lane WebAssembly SIMD, with and without fused multiply-adds) against PyTorch-OpenBLAS's torch.mm,
// both on one thread, on the shapes of the course's models: what bounds the training benchmarks at
// one thread (lstm-training, gpt-training), since the products are most of a step.
//
//   npm run bench -- products [--rounds 3] [--seconds 0.3] [--python /usr/bin/python3]
//
// seqlab runs on a WebAssembly.Memory of its own (as on tfjs's heap: the same kernel, the same
// blocking and packing as blockedMm does for tfjs's products); PyTorch in a process with OpenBLAS
// (bench/torch/products.py, LD_LIBRARY_PATH as the training benchmarks set it). The rounds alternate
// seqlab and PyTorch; each figure is the median over rounds. Last line:
//   products: seqlab_fma_gflops=.. seqlab_plain_gflops=.. torch_gflops=.. ratio=..
// each the geometric mean over the shapes; ratio = seqlab (FMA where the engine has it) / PyTorch.
import { spawnSync } from "child_process";
import * as path from "path";
import { blockedMm, fmaAvailable, gemmExports } from "../src/backend/simd-gemm";
import { geomean, loadavg, median } from "./support/common";
import { OPENBLAS_DIR, torchEnv } from "./support/torch-server";

/** [name, M, K, N, layout of A ("t": stored transposed, read in place)] */
type Shape = [string, number, number, number, "n" | "t"];
const SHAPES: Shape[] = [
  // the character LSTM of lstm-training (batch 32, 64 steps, embedding 64, hidden 256, 65 symbols)
  ["LSTM h·W_h (each step)", 32, 256, 1024, "n"],
  ["LSTM dZ·W_hᵀ (each step)", 32, 1024, 256, "n"],
  ["LSTM dW_h = H_prevᵀ·dZ", 256, 2048, 1024, "t"],
  ["LSTM X·W_x", 2048, 64, 1024, "n"],
  ["LSTM dense V", 2048, 256, 72, "n"],
  // the tiny GPT of gpt-training (2048 tokens a step, width 128)
  ["GPT qkv", 2048, 128, 384, "n"],
  ["GPT MLP up", 2048, 128, 512, "n"],
  ["GPT MLP down", 2048, 512, 128, "n"],
  ["GPT dW up = xᵀ·dy", 128, 2048, 512, "t"],
];

function options(args: string[]) {
  const o = { rounds: 3, seconds: 0.3, python: "/usr/bin/python3" };
  for (let i = 0; i < args.length; i++) {
    const [a, v] = [args[i], args[i + 1]];
    if (a === "--rounds" && Number(v) >= 1) o.rounds = Number(v);
    else if (a === "--seconds" && Number(v) > 0) o.seconds = Number(v);
    else if (a === "--python" && v) o.python = v;
    else throw new Error(`products: unknown argument ${JSON.stringify(a)}; accepted: --rounds N --seconds S --python PATH`);
    i++;
  }
  return o;
}

/** GFLOP/s of blockedMm on each shape, on a memory of its own. */
function seqlab(fma: boolean, seconds: number): Record<string, number> {
  const memory = new WebAssembly.Memory({ initial: 1600 }); // 100 MB
  const ex = gemmExports(memory, { fma });
  if (!ex) throw new Error("products: this engine has no WebAssembly SIMD");
  const f = new Float32Array(memory.buffer);
  for (let i = 0; i < f.length; i += 3) f[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  const MB = 1 << 20;
  const out: Record<string, number> = {};
  for (const [name, M, K, N, layout] of SHAPES) {
    const [a, b, c, scratch] = [0, 24 * MB, 48 * MB, 72 * MB];
    const [sai, sak] = layout === "t" ? [1, M] : [K, 1];
    const run = () => blockedMm(ex, memory, a, b, c, M, K, N, sai, sak, { scratch });
    for (let r = 0; r < 3; r++) run();
    const reps = Math.max(3, Math.floor((seconds * 40e9) / (2 * M * K * N)));
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < reps; r++) run();
    out[name] = (2 * M * K * N * reps) / (Number(process.hrtime.bigint() - t0) / 1e9) / 1e9;
  }
  return out;
}

function torch(python: string, seconds: number): { gflops: Record<string, number>; blas: string[] } {
  const script = path.join(__dirname, "..", "..", "bench", "torch", "products.py");
  const r = spawnSync(python, [script, JSON.stringify(SHAPES), String(seconds)], { env: torchEnv(OPENBLAS_DIR, 1), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`products: ${python} ${script} failed: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

export async function main(args: string[]): Promise<void> {
  const o = options(args);
  const fma = fmaAvailable();
  const load0 = loadavg();
  console.log(`products: ${new Date().toISOString()}, Node ${process.version}, load average ${load0}; one thread each, ${o.rounds} rounds`);
  const runs: { plain: Record<string, number>[]; fma: Record<string, number>[]; torch: Record<string, number>[] } = {
    plain: [],
    fma: [],
    torch: [],
  };
  let blas: string[] = [];
  for (let r = 0; r < o.rounds; r++) {
    runs.plain.push(seqlab(false, o.seconds));
    if (fma) runs.fma.push(seqlab(true, o.seconds));
    const t = torch(o.python, o.seconds);
    runs.torch.push(t.gflops);
    blas = t.blas;
    console.log(`round ${r + 1}/${o.rounds} done; load ${loadavg()}`);
  }
  console.log(`PyTorch BLAS: ${blas.join(", ") || "(none mapped)"}`);
  const med = (rs: Record<string, number>[], name: string) => (rs.length ? median(rs.map((x) => x[name])) : NaN);
  const rows = SHAPES.map(([name, M, K, N, layout]) => {
    const [p, f, t] = [med(runs.plain, name), med(runs.fma, name), med(runs.torch, name)];
    return { name, dims: `${M}x${K} · ${K}x${N}${layout === "t" ? " (A transposed)" : ""}`, p, f, t };
  });
  console.log("");
  console.log(`${"product".padEnd(28)} ${"M x K · K x N".padEnd(32)} seqlab plain  seqlab FMA  PyTorch   seqlab/PyTorch   (GFLOP/s)`);
  for (const r of rows) {
    const best = fma ? r.f : r.p;
    console.log(
      `${r.name.padEnd(28)} ${r.dims.padEnd(32)} ${r.p.toFixed(1).padStart(12)} ${(fma ? r.f.toFixed(1) : "n/a").padStart(11)} ${r.t.toFixed(1).padStart(8)} ${(best / r.t).toFixed(2).padStart(16)}`,
    );
  }
  const gp = geomean(rows.map((r) => r.p));
  const gf = fma ? geomean(rows.map((r) => r.f)) : NaN;
  const gt = geomean(rows.map((r) => r.t));
  console.log(`load average: ${load0} before, ${loadavg()} after`);
  console.log(
    `products: seqlab_fma_gflops=${fma ? gf.toFixed(1) : "NA"} seqlab_plain_gflops=${gp.toFixed(1)} torch_gflops=${gt.toFixed(1)} ratio=${((fma ? gf : gp) / gt).toFixed(3)}`,
  );
}
