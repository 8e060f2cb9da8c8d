#!/usr/bin/env python3
"""Prediction cost per atom (energy + forces + virial) beside its arithmetic bound and the peers.

Structures (Benchmarks/soap_structures.py, deterministic): diamond512 (512-atom diamond Si,
0.05 Å noise) and liquid216 (216 Si atoms at liquid density). Models, trained here by gap-train
on the shipped Zuo et al. silicon data with the configs of Benchmarks/md_cost.py:
  * default       configs/default.json (optimal radial basis n 6 l 6, M 1,000, + 2-body M 20)
  * default_quip  the same with QUIP's radial basis (for quippy, which cannot express the optimal one)
  * gap18_size    GAP-18's descriptor size: SOAP n 10 l 12 (715 features), M 4,000, zeta 4
For each model and structure, in the same run:
  * ours: `gap-bench predict MODEL FILE --threads T --repeats R --json` (reverse mode; neighbour
    list included, file reading excluded), fastest of R, median over --trials runs; 1 and 2 threads;
  * the kernel bound: the two matrix products the kernel needs per block of rows, (B x F)(F x M)
    and (B x M)(M x F) with B = 256 rows, timed with the same OpenBLAS the package links and the
    same CPU kernels (Benchmarks/blas_kernels.py; ctypes, one thread): 4 F M flops per atom that no exact fp64 evaluation of a zeta-power kernel against M
    sparse points avoids; plus the SOAP's multiply-adds per atom counted from its sizes;
  * quippy's Potential (quippy-ase, OMP_NUM_THREADS=1) on the GAP XML export of the QUIP-basis
    models: energy, forces and virial (calculate() timed, best of --quippy-repeats);
  * featomic's SoapPowerSpectrum (GTO basis, same n, l, cutoff, widths) with position and strain
    gradients, one thread (RAYON_NUM_THREADS=1): the descriptor alone, for scale.
Writes Benchmarks/results/predict_benchmark.json and prints a Markdown table. From the package
root after `swift build -c release`:

  nice python3 Benchmarks/predict_benchmark.py [--model-dir DIR] [--trials 5] [--repeats 10]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("RAYON_NUM_THREADS", "1")

import numpy as np
from ase.io import write

PACKAGE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PACKAGE / "Benchmarks"))
import blas_kernels  # noqa: E402
import md_cost  # noqa: E402  (the models' configs)
import soap_structures  # noqa: E402

BLOCK_ROWS = 256  # the reverse-mode block (Sources/Kernels/ReverseModePrediction.swift)


def model_sizes(model_path):
    model = json.loads(Path(model_path).read_text())
    soap = [t for t in model["terms"] if t.get("type") == "soap"][0]
    d = soap["descriptor"]
    return {"n_max": d["n_max"], "l_max": d["l_max"], "sparse": soap["sparse_count"], "features": soap["feature_count"],
            "pair_sparse": sum(t.get("sparse_count", 0) for t in model["terms"] if t.get("type") == "distance_2b")}


def kernel_product_seconds_per_row(lib, features, sparse, repeats=20):
    """Fastest time of the two products for one block, divided by the block's rows."""
    rng = np.random.default_rng(0)
    p = rng.random((BLOCK_ROWS, features))
    x = rng.random((sparse, features))
    k = np.zeros((BLOCK_ROWS, sparse))
    g = np.zeros((BLOCK_ROWS, features))
    row_major, no, yes = 101, 111, 112
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        # K = P Xᵀ, then G = W X (W = K here: the values do not change the time)
        lib.cblas_dgemm(row_major, no, yes, BLOCK_ROWS, sparse, features, 1.0, p.ctypes.data, features,
                        x.ctypes.data, features, 0.0, k.ctypes.data, sparse)
        lib.cblas_dgemm(row_major, no, no, BLOCK_ROWS, features, sparse, 1.0, k.ctypes.data, sparse,
                        x.ctypes.data, features, 0.0, g.ctypes.data, features)
        best = min(best, time.perf_counter() - start)
    return best / BLOCK_ROWS


def soap_multiply_adds(n, l, pairs_per_atom):
    """Multiply-adds per atom of the reverse-mode SOAP: per pair the expansion (n (l+1)²), the
    two contractions h, h′ (2 n (l+1)²) and the harmonic contraction (~6 (l+1)²); per centre the
    power spectrum and its adjoint (2 · n(n+1)/2 · (l+1)²)."""
    lm = (l + 1) ** 2
    return pairs_per_atom * (3 * n * lm + 6 * lm) + 2 * (n * (n + 1) // 2) * lm


def time_ours(gap_bench, model, structure_file, threads, repeats, trials):
    walls = []
    for _ in range(trials):
        out = subprocess.run([gap_bench, "predict", model, structure_file, "--threads", str(threads), "--repeats",
                              str(repeats), "--json"], capture_output=True, text=True, check=True).stdout
        walls.append(json.loads(out)["wall_us_per_atom"])
    return {"median": float(np.median(walls)), "min": float(np.min(walls)), "max": float(np.max(walls))}


def time_quippy(xml, atoms, repeats):
    from ase.calculators.calculator import all_changes
    from quippy.potential import Potential
    potential = Potential("IP GAP", param_filename=str(xml))
    best = float("inf")
    for _ in range(repeats):
        a = atoms.copy()
        a.calc = potential
        potential.reset()  # an ASE calculator keeps results for unchanged atoms
        start = time.perf_counter()
        # One Fortran call for all three (ASE's getters would call it once each).
        potential.calculate(a, properties=["energy", "forces", "stress"], system_changes=list(all_changes))
        assert "stress" in potential.results and "forces" in potential.results
        best = min(best, time.perf_counter() - start)
    return best / len(atoms) * 1e6


def time_featomic(n, l, atoms, repeats):
    from featomic import SoapPowerSpectrum
    calculator = SoapPowerSpectrum(
        cutoff={"radius": 5.0, "smoothing": {"type": "ShiftedCosine", "width": 1.0}},
        density={"type": "Gaussian", "width": 0.5},
        basis={"type": "TensorProduct", "max_angular": l, "radial": {"type": "Gto", "max_radial": n - 1}})
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        calculator.compute(atoms, gradients=["positions", "strain"])
        best = min(best, time.perf_counter() - start)
    return best / len(atoms) * 1e6


def pairs_per_atom(atoms, cutoff=5.0):
    from ase.neighborlist import neighbor_list
    return len(neighbor_list("i", atoms, cutoff)) / len(atoms)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=str(PACKAGE / ".build" / "release"))
    parser.add_argument("--model-dir", help="where trained models are kept (trained there if missing)")
    parser.add_argument("--models", default="default,default_quip,gap18_size")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--quippy-repeats", type=int, default=2)
    parser.add_argument("--featomic-repeats", type=int, default=3)
    args = parser.parse_args()
    work = Path(args.model_dir) if args.model_dir else Path(tempfile.mkdtemp(prefix="predict-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    gap_bench = str(Path(args.bin) / "gap-bench")
    structures = {name: make() for name, make in soap_structures.STRUCTURES.items()}
    files = {}
    for name, atoms in structures.items():
        files[name] = str(work / f"{name}.xyz")
        write(files[name], atoms, format="extxyz")
    lib, blas = blas_kernels.openblas_like_package(args.bin)
    results = {"date": time.strftime("%Y-%m-%d"), "unit": "µs per atom (wall), energy + forces + virial",
               "block_rows": BLOCK_ROWS, "blas": blas, "models": {}}
    for name, config in md_cost.configs(work).items():
        if name not in args.models.split(","):
            continue
        model = config["output"]
        if not Path(model).exists():
            path = work / f"{name}.json"
            path.write_text(json.dumps(config))
            subprocess.run([str(Path(args.bin) / "gap-train"), str(path), "--quiet", "--threads", "2"], check=True)
        sizes = model_sizes(model)
        n, l, m = sizes["n_max"], sizes["l_max"], sizes["sparse"]
        features = sizes["features"]
        kernel_us = kernel_product_seconds_per_row(lib, features, m) * 1e6
        row = {"sizes": sizes, "features": features, "kernel_flops_per_atom": 4 * features * m,
               "kernel_products_us_per_atom": kernel_us,
               "kernel_gflops": 4 * features * m / kernel_us / 1e3, "structures": {}}
        xml = None
        if name != "default":
            xml = work / f"{name}.xml"
            subprocess.run([str(Path(args.bin) / "gap-export"), model, "--format", "gap-xml", "--output", str(xml),
                            "--quiet"], check=True)
        for sname, atoms in structures.items():
            entry = {"pairs_per_atom": pairs_per_atom(atoms)}
            entry["soap_multiply_adds_per_atom"] = soap_multiply_adds(n, l, entry["pairs_per_atom"])
            entry["ours_1_thread"] = time_ours(gap_bench, model, files[sname], 1, args.repeats, args.trials)
            entry["ours_2_threads"] = time_ours(gap_bench, model, files[sname], 2, args.repeats, args.trials)
            entry["ours_over_kernel_bound"] = entry["ours_1_thread"]["median"] / kernel_us
            if xml is not None:
                entry["quippy_1_thread"] = time_quippy(xml, atoms, args.quippy_repeats)
                entry["quippy_over_ours"] = entry["quippy_1_thread"] / entry["ours_1_thread"]["median"]
            entry["featomic_soap_gradients_1_thread"] = time_featomic(n, l, atoms, args.featomic_repeats)
            row["structures"][sname] = entry
            print(name, sname, json.dumps(entry), flush=True)
        results["models"][name] = row
    out = PACKAGE / "Benchmarks" / "results" / "predict_benchmark.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print("\n| model | structure | ours 1 thread (min-max) | ours 2 threads | kernel products (bound) | ours / bound | "
          "quippy Potential | quippy / ours | featomic SOAP + gradients |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results["models"].items():
        for sname, e in r["structures"].items():
            o1, o2 = e["ours_1_thread"], e["ours_2_threads"]
            q = e.get("quippy_1_thread")
            print(f"| {name} | {sname} | {o1['median']:.1f} ({o1['min']:.1f}-{o1['max']:.1f}) | {o2['median']:.1f} | "
                  f"{r['kernel_products_us_per_atom']:.1f} ({r['kernel_gflops']:.0f} GFLOP/s) | {e['ours_over_kernel_bound']:.2f} | "
                  f"{'%.0f' % q if q else '-'} | {'%.0fx' % e['quippy_over_ours'] if q else '-'} | "
                  f"{e['featomic_soap_gradients_1_thread']:.0f} |")


if __name__ == "__main__":
    main()
