"""The system OpenBLAS loaded through ctypes with the CPU kernels the package itself runs.

A DYNAMIC_ARCH OpenBLAS picks its kernels by CPU model and falls back to generic SSE3 ones on a
model it does not know; the package then re-selects (Sources/COpenBLASCore, `gap-bench blas`).
A benchmark that times the same library through ctypes as an arithmetic bound must use the same
kernels, so this asks gap-bench which ones it runs and loads the library with them.
"""
import ctypes
import json
import os
import subprocess
from pathlib import Path


def package_kernels(bin_dir):
    """`gap-bench blas --json` of the release build in bin_dir: library, kernels, replaced, best_for_cpu."""
    out = subprocess.run([str(Path(bin_dir) / "gap-bench"), "blas", "--json"], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


def openblas_like_package(bin_dir):
    """(ctypes library with one thread and cblas_dgemm typed, the package's kernel record)."""
    record = package_kernels(bin_dir)
    saved = os.environ.get("OPENBLAS_CORETYPE")
    os.environ["OPENBLAS_CORETYPE"] = record["kernels"]  # read once, when the library initialises
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
    finally:
        if saved is None:
            os.environ.pop("OPENBLAS_CORETYPE")
        else:
            os.environ["OPENBLAS_CORETYPE"] = saved
    lib.openblas_get_corename.restype = ctypes.c_char_p
    loaded = lib.openblas_get_corename().decode()
    if loaded.lower() != record["kernels"].lower():
        raise SystemExit(f"ctypes OpenBLAS runs {loaded} kernels, the package {record['kernels']}: bound not comparable")
    lib.openblas_set_num_threads(1)
    lib.cblas_dgemm.argtypes = [ctypes.c_int] * 6 + [ctypes.c_double, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                                                     ctypes.c_int, ctypes.c_double, ctypes.c_void_p, ctypes.c_int]
    return lib, record
