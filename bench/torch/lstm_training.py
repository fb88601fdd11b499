#!/usr/bin/env python3
"""PyTorch side of `npm run bench -- lstm-training` (bench/lstm-training.ts).

A character LSTM language model (nn.Embedding -> nn.LSTM(batch_first) -> nn.Linear, Adam,
cross-entropy over every step), served over stdin/stdout so that the Node benchmark can interleave
it with its own contenders: the model is built once, then each command line on stdin is answered
with one JSON line on stdout.

  python3 bench/torch/lstm_training.py --tokens FILE.i32 --vocab 65 [--emb 64 --hidden 256
                                        --seq 64 --batch 32 --lr 2e-3 --seed 0 --threads 1]

  commands:  info                 -> torch version, threads, BLAS (config and the libraries mapped
                                     into this process, from /proc/self/maps)
             train N              -> N training steps; {"ms": wall time of the N steps, "loss": last}
             sample N SEED START  -> N characters sampled one step at a time (temperature 1, the
                                     LSTM state carried), from token START; {"ms", "tokens"}
             quit

FILE.i32 holds the token ids as little-endian int32 (written by the Node side, so that both train on
the same tokens). Threads: torch.set_num_threads(THREADS); set OMP_NUM_THREADS as well before start.
Which BLAS is used is decided by the dynamic loader (LD_LIBRARY_PATH), per process.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from common import process_info, reply  # bench/torch/common.py


class CharLSTM(nn.Module):
    def __init__(self, vocab, emb, hidden):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        h, state = self.lstm(self.emb(x), state)
        return self.out(h), state


def blas_config():
    lines = [l.strip() for l in torch.__config__.show().splitlines()]
    return [l for l in lines if "BLAS" in l or "LAPACK" in l or "MKL" in l]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--vocab", type=int, required=True)
    ap.add_argument("--emb", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(a.seed)
    tokens = torch.from_numpy(np.fromfile(a.tokens, dtype="<i4").astype(np.int64))
    n = tokens.numel()
    B, T, V = a.batch, a.seq, a.vocab
    if n < T + 2:
        raise SystemExit(f"lstm_training.py: {n} tokens, need more than {T + 1}")

    model = CharLSTM(V, a.emb, a.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    loss_fn = nn.CrossEntropyLoss()  # mean over all B*T positions
    rng = np.random.default_rng(a.seed)
    offsets = torch.arange(T + 1)

    def train_step():
        starts = torch.from_numpy(rng.integers(0, n - T - 1, size=B))
        win = tokens[starts[:, None] + offsets]  # [B, T+1]
        x, y = win[:, :-1], win[:, 1:]
        opt.zero_grad(set_to_none=True)
        logits, _ = model(x)
        loss = loss_fn(logits.reshape(-1, V), y.reshape(-1))
        loss.backward()
        opt.step()
        return loss.item()

    @torch.no_grad()
    def sample(count, seed, start):
        g = torch.Generator().manual_seed(seed)
        tok = torch.tensor([[start]])
        state = None
        out = []
        for _ in range(count):
            logits, state = model(tok, state)  # one step, [1, 1, V]; state (h, c) carried
            probs = torch.softmax(logits[0, -1] / 1.0, dim=-1)  # temperature 1
            nxt = int(torch.multinomial(probs, 1, generator=g))
            out.append(nxt)
            tok = torch.tensor([[nxt]])
        return out

    reply({"ready": True})
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        try:
            if cmd[0] == "info":
                reply(process_info(interop_threads=torch.get_num_interop_threads(), blas_config=blas_config(),
                                   omp_num_threads=os.environ.get("OMP_NUM_THREADS", "")))
            elif cmd[0] == "train":
                steps = int(cmd[1])
                model.train()
                t0 = time.perf_counter()
                loss = float("nan")
                for _ in range(steps):
                    loss = train_step()
                ms = (time.perf_counter() - t0) * 1e3
                reply({"ms": ms, "steps": steps, "loss": loss})
            elif cmd[0] == "sample":
                count, seed, start = int(cmd[1]), int(cmd[2]), int(cmd[3])
                model.eval()
                t0 = time.perf_counter()
                out = sample(count, seed, start)
                ms = (time.perf_counter() - t0) * 1e3
                reply({"ms": ms, "count": count, "tokens": out})
            elif cmd[0] == "quit":
                break
            else:
                reply({"error": f"unknown command {cmd[0]!r}"})
        except Exception as e:  # report and keep serving; the Node side decides
            reply({"error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()
