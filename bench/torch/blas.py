"""Which BLAS a benchmark's PyTorch process really uses (shared by the scripts in this folder)."""
import os


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
