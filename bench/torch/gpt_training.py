#!/usr/bin/env python3
"""PyTorch side of `npm run bench -- gpt-training` (bench/gpt-training.ts).

The tiny GPT of nanoGPT's model.py (Karpathy), without flash attention or dropout, with GPT-2's tanh GELU
(as seqlab): token + position
embeddings, pre-LayerNorm blocks of causal multi-head self-attention and a GELU MLP (4x), a final
LayerNorm and an output layer tied to the token embedding; nanoGPT's initialisation (N(0, 0.02), the
residual projections N(0, 0.02/sqrt(2 * layers))). AdamW with weight decay on the matrices only,
gradients clipped to global norm 1. Served over stdin/stdout so that the Node benchmark can interleave
it with seqlab: the model is built once, then each command line on stdin is answered with one JSON line.

  python3 bench/torch/gpt_training.py --tokens FILE.i32 --vocab 65 [--layers 2 --heads 4 --embd 128
        --block 64 --batch 32 --lr 1e-3 --beta2 0.99 --weight-decay 0.1 --clip 1 --seed 0 --threads 1
        --no-bias]

  commands:  info                -> torch version, threads, the BLAS libraries mapped into this process
             train N             -> N training steps; {"ms": wall time of the N steps, "loss": last}
             reference ITERS MIN_LR WARMUP EVAL_INTERVAL EVAL_ITERS FINAL_EVAL_ITERS
                                 -> nanoGPT's training loop from a fresh model (cosine learning rate,
                                    first 90% of the tokens train, last 10% validation);
                                    {"log": [...], "val_last", "train", "val", "ms"}
             quit

FILE.i32 holds the token ids as little-endian int32 (written by the Node side). Threads:
torch.set_num_threads(THREADS); set OMP_NUM_THREADS as well before start. Which BLAS is used is
decided by the dynamic loader (LD_LIBRARY_PATH), per process.
"""
import argparse
import math
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from common import process_info, reply  # bench/torch/common.py


class Block(nn.Module):
    def __init__(self, C, H, T, bias):
        super().__init__()
        self.H = H
        self.ln_1 = nn.LayerNorm(C)
        self.c_attn = nn.Linear(C, 3 * C, bias=bias)
        self.attn_proj = nn.Linear(C, C, bias=bias)
        self.ln_2 = nn.LayerNorm(C)
        self.c_fc = nn.Linear(C, 4 * C, bias=bias)
        self.mlp_proj = nn.Linear(4 * C, C, bias=bias)
        self.register_buffer("mask", torch.tril(torch.ones(T, T, dtype=torch.bool)))

    def attn(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.H, C // self.H).transpose(1, 2) for t in (q, k, v))  # [B, H, T, hd]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(~self.mask[:T, :T], float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.attn_proj(y)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))  # GPT-2's GELU, as seqlab


class GPT(nn.Module):
    def __init__(self, V, T, L, H, C, bias):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(T, C)
        self.h = nn.ModuleList([Block(C, H, T, bias) for _ in range(L)])
        self.ln_f = nn.LayerNorm(C)
        self.lm_head = nn.Linear(C, V, bias=False)
        self.lm_head.weight = self.wte.weight  # tied
        self.apply(self._init)  # nanoGPT's _init_weights
        for name, p in self.named_parameters():
            if name.endswith("proj.weight"):  # the residual projections
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * L))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, idx):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.h:
            x = b(x)
        return self.lm_head(self.ln_f(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--vocab", type=int, required=True)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--embd", type=int, default=128)
    ap.add_argument("--block", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--beta2", type=float, default=0.99)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-bias", action="store_true")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    tokens = torch.from_numpy(np.fromfile(a.tokens, dtype="<i4").astype(np.int64))
    B, T, V = a.batch, a.block, a.vocab
    if tokens.numel() < T + 2:
        raise SystemExit(f"gpt_training.py: {tokens.numel()} tokens, need more than {T + 1}")
    offsets = torch.arange(T + 1)

    def make(seed):
        torch.manual_seed(seed)
        model = GPT(V, T, a.layers, a.heads, a.embd, not a.no_bias)
        # nanoGPT's configure_optimizers: decay the matrices, not the biases and LayerNorms
        decay = [p for p in model.parameters() if p.dim() >= 2]
        other = [p for p in model.parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay}, {"params": other, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, a.beta2))
        return model, opt

    def batch(data, rng, size=B):
        starts = torch.from_numpy(rng.integers(0, data.numel() - T - 1, size=size))
        win = data[starts[:, None] + offsets]  # [B, T+1]
        return win[:, :-1], win[:, 1:]

    def step(model, opt, data, rng):
        x, y = batch(data, rng)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if a.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        opt.step()
        return loss.item()

    @torch.no_grad()
    def estimate(model, data, iters, seed):
        model.eval()
        rng = np.random.default_rng(seed)
        total = 0.0
        for _ in range(iters):
            x, y = batch(data, rng)
            total += F.cross_entropy(model(x).reshape(-1, V), y.reshape(-1)).item()
        model.train()
        return total / iters

    def reference(iters, min_lr, warmup, interval, eval_iters, final_iters):
        model, opt = make(a.seed)
        n = int(0.9 * tokens.numel())
        train, val = tokens[:n], tokens[n:]
        rng = np.random.default_rng(a.seed)
        log = []
        t0 = time.perf_counter()
        val_last = float("nan")
        for it in range(iters + 1):
            if it % interval == 0 or it == iters:
                tl, vl = estimate(model, train, eval_iters, 10_000 + it), estimate(model, val, eval_iters, 20_000 + it)
                val_last = vl
                log.append(f"step {it}: train loss {tl:.4f}, val loss {vl:.4f}; {(time.perf_counter() - t0) / 60:.1f} min")
            if it == iters:
                break
            if it < warmup:
                lr = a.lr * (it + 1) / (warmup + 1)
            else:
                ratio = (it - warmup) / max(1, iters - warmup)
                lr = min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (a.lr - min_lr)
            for g in opt.param_groups:
                g["lr"] = lr
            step(model, opt, train, rng)
        tl, vl = estimate(model, train, final_iters, 999_999), estimate(model, val, final_iters, 1_999_999)
        return {"log": log, "val_last": val_last, "train": tl, "val": vl, "ms": (time.perf_counter() - t0) * 1e3}

    model, opt = make(a.seed)
    rng = np.random.default_rng(a.seed)

    reply({"ready": True})
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        try:
            if cmd[0] == "info":
                reply(process_info(params=sum(p.numel() for p in model.parameters())))
            elif cmd[0] == "train":
                steps = int(cmd[1])
                model.train()
                t0 = time.perf_counter()
                loss = float("nan")
                for _ in range(steps):
                    loss = step(model, opt, tokens, rng)
                reply({"ms": (time.perf_counter() - t0) * 1e3, "steps": steps, "loss": loss})
            elif cmd[0] == "reference":
                it, min_lr, warm, interval, ev, final = int(cmd[1]), float(cmd[2]), int(cmd[3]), int(cmd[4]), int(cmd[5]), int(cmd[6])
                reply(reference(it, min_lr, warm, interval, ev, final))
            elif cmd[0] == "quit":
                break
            else:
                reply({"error": f"unknown command {cmd[0]!r}"})
        except Exception as e:  # report and keep serving; the Node side decides
            reply({"error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()
