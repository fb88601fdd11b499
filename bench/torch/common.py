"""What the benchmark scripts in this folder share: how they answer (one JSON line per command on
stdout, see bench/support/torch-server.ts) and what they report about the process they run in."""
import json
import os
import sys

import torch


def blas_libraries():
    """Shared libraries in this process whose name says BLAS/LAPACK/OpenMP (from /proc/self/maps)."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6:
                    name = os.path.basename(parts[5])
                    if any(k in name for k in ("blas", "lapack", "mkl", "gomp", "omp", "blis", "atlas")):
                        libs.add(os.path.realpath(parts[5]))
    except OSError:
        pass
    return sorted(libs)


def reply(obj):
    """One answer: a JSON line on stdout, flushed at once (the Node side waits for it)."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def process_info(**more):
    """The answer to "info": versions, threads, BLAS mapped, LD_LIBRARY_PATH, and the script's own fields."""
    torch.ones(64, 64) @ torch.ones(64, 64)  # make sure the BLAS is loaded
    return {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "blas_libraries": blas_libraries(),
        "ld_library_path": os.environ.get("LD_LIBRARY_PATH", ""),
        **more,
    }
