"""bench/products.ts's peer: GFLOP/s of torch.mm (float32, one thread, the BLAS LD_LIBRARY_PATH gives)
on each shape of argv[1] (JSON: [[name, M, K, N, "n"|"t"], ...]; "t": A stored transposed, as
A = X.t() of a [K, M] tensor), about argv[2] seconds each. One JSON line on stdout."""
import json
import sys
import time

import torch

from common import blas_libraries

torch.set_num_threads(1)
shapes = json.loads(sys.argv[1])
seconds = float(sys.argv[2])
out = {}
for name, M, K, N, layout in shapes:
    a = torch.randn(K, M).t() if layout == "t" else torch.randn(M, K)
    b = torch.randn(K, N)
    c = torch.empty(M, N)
    for _ in range(3):
        torch.mm(a, b, out=c)
    reps = max(3, int(seconds * 40e9 / (2 * M * K * N)))
    t = time.perf_counter()
    for _ in range(reps):
        torch.mm(a, b, out=c)
    out[name] = 2 * M * K * N * reps / (time.perf_counter() - t) / 1e9
print(json.dumps({"gflops": out, "torch": torch.__version__, "blas": blas_libraries()}))
