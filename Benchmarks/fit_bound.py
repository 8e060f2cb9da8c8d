#!/usr/bin/env python3
"""The fit against its BLAS bound and against gap_fit (issue 17, item 3), one thread each.

The run: the first 120 frames of the shipped Zuo et al. silicon training set (7,217 atoms,
energies and forces), SOAP with QUIP's radial basis (n_max 8, l_max 6, cutoff 5 Å, σ 0.5 Å,
ζ 4, 1,000 CUR points) + a 2-body term (20 uniform points), e0 average.

The bound counts the dense products a sparse-GP fit of this kind cannot avoid in fp64:
  * the design rows: each force row of the SOAP term is Σ_i ζ k_im^(ζ−1) x_m · ∂p_i/∂r, so every
    descriptor-gradient entry (centre i, atom j, 3 directions, F features) meets all M sparse
    points: 6 F M flops per entry (the entries are counted here with ASE's neighbour list);
  * the QR of the N x M weighted design matrix (plus M rows of U): 2 N M² − 2 M³/3 flops;
these at the single-core dgemm rate of the OpenBLAS the package links, with the kernels it runs
(Benchmarks/blas_kernels.py; timed here, ctypes, a
(1,024 x F)(F x M) product), plus the SOAP descriptors with gradients (timed by gap-bench soap).
gap_fit (quippy-ase wheel, OMP_NUM_THREADS=1) fits the same data with the same settings.
Writes Benchmarks/results/fit_bound.json. From the package root after `swift build -c release`:

  nice python3 Benchmarks/fit_bound.py [--repeats 3] [--skip-gap-fit] [--gap-fit-kernels package|as-installed]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from ase.io import read, write
from ase.neighborlist import neighbor_list

PACKAGE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PACKAGE / "Benchmarks"))
import blas_kernels  # noqa: E402

N_MAX, L_MAX, N_SPARSE, PAIR_SPARSE = 8, 6, 1000, 20
SOAP = {"cutoff": 5.0, "cutoff_transition_width": 1.0, "n_max": N_MAX, "l_max": L_MAX, "atom_sigma": 0.5,
        "delta": 1.0, "zeta": 4}


def timed(command, cwd, env=None):
    """CPU (user + sys) and wall seconds of a command, from /usr/bin/time -v."""
    time_file = Path(cwd) / "time.txt"
    start = time.monotonic()
    result = subprocess.run(["/usr/bin/time", "-v", "-o", str(time_file)] + command, cwd=cwd, capture_output=True,
                            text=True, env=dict(os.environ, **(env or {})))
    wall = time.monotonic() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    text = time_file.read_text()
    user = float(re.search(r"User time \(seconds\): (\S+)", text).group(1))
    system = float(re.search(r"System time \(seconds\): (\S+)", text).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    return {"cpu_seconds": user + system, "wall_seconds": wall, "peak_rss_mb": rss / 1024}


def dgemm_rate(lib, features, sparse):
    rows = 1024
    rng = np.random.default_rng(0)
    a, b, c = rng.random((rows, features)), rng.random((sparse, features)), np.zeros((rows, sparse))
    best = float("inf")
    for _ in range(10):
        start = time.perf_counter()
        lib.cblas_dgemm(101, 111, 112, rows, sparse, features, 1.0, a.ctypes.data, features, b.ctypes.data, features,
                        0.0, c.ctypes.data, sparse)
        best = min(best, time.perf_counter() - start)
    return 2 * rows * features * sparse / best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=str(PACKAGE / ".build" / "release"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-gap-fit", action="store_true")
    parser.add_argument("--gap-fit-kernels", choices=["package", "as-installed"], default="package",
                        help="package: gap_fit's bundled (DYNAMIC_ARCH) OpenBLAS runs the CPU kernels ours runs "
                             "(OPENBLAS_CORETYPE); as-installed: whatever it detects by itself")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fit-bound-"))
    frames = read(PACKAGE / "datasets" / "si_zuo2020" / "Si_train.xyz", ":120")
    for f in frames:  # only what both fitters read: energy and forces (ASE may hold them in a calculator)
        energy = f.calc.get_potential_energy() if f.calc is not None else f.info["energy"]
        forces = f.arrays["force"].copy() if "force" in f.arrays else f.calc.get_forces()
        f.calc = None
        for key in list(f.arrays):
            if key not in ("numbers", "positions"):
                del f.arrays[key]
        f.info = {"energy": energy}
        f.arrays["force"] = forces
    write(work / "train.xyz", frames, format="extxyz")
    atoms = sum(len(f) for f in frames)
    entries = sum(len(neighbor_list("i", f, SOAP["cutoff"])) + len(f) for f in frames)
    features = N_MAX * (N_MAX + 1) // 2 * (L_MAX + 1)
    m = N_SPARSE + PAIR_SPARSE
    rows = 3 * atoms + len(frames)
    config = {
        "description": "issue 17 item 3: 120 Zuo Si frames, QUIP basis n8 l6, M 1,000 + 20",
        "train_files": ["train.xyz"], "label_keys": {"energy": ["energy"], "forces": ["force"]}, "e0": "average",
        "descriptors": [dict(type="soap", n_sparse=N_SPARSE, sparse_method="cur", **SOAP),
                        {"type": "distance_2b", "cutoff": 5.0, "cutoff_transition_width": 1.0, "theta_uniform": 1.0,
                         "delta": 0.5, "n_sparse": PAIR_SPARSE, "sparse_method": "uniform"}],
        "default_sigma": {"energy": 0.002, "forces": 0.05, "virial": 0.05}, "sparse_jitter": 1e-8, "seed": 1,
        "output": "ours.gapjson"}
    (work / "config.json").write_text(json.dumps(config))
    ours = [timed([str(Path(args.bin) / "gap-train"), "config.json", "--threads", "1", "--quiet"], work)
            for _ in range(args.repeats)]
    best = min(ours, key=lambda r: r["cpu_seconds"])
    # SOAP values with position gradients of the same frames, one thread (gap-bench soap times the
    # first frame of each file, so each frame gets its own file).
    (work / "frames").mkdir()
    names = []
    for k, f in enumerate(frames):
        names.append(f"frames/{k:03d}.xyz")
        write(work / names[-1], f, format="extxyz")
    soap_run = subprocess.run([str(Path(args.bin) / "gap-bench"), "soap", *names, "--n-max", str(N_MAX),
                               "--l-max", str(L_MAX), "--threads", "1", "--repeats", "3", "--modes", "gradients",
                               "--json"], cwd=work, capture_output=True, text=True, check=True)
    soap_seconds = sum(r["us_per_atom"] * r["atoms"] / 1e6 for r in map(json.loads, soap_run.stdout.splitlines()))
    lib, blas = blas_kernels.openblas_like_package(args.bin)
    rate = dgemm_rate(lib, features, N_SPARSE)
    contraction_flops = 6.0 * features * N_SPARSE * entries
    qr_flops = 2.0 * (rows + m) * m * m - 2.0 * m ** 3 / 3
    bound = (contraction_flops + qr_flops) / rate + soap_seconds
    result = {"date": time.strftime("%Y-%m-%d"), "frames": len(frames), "atoms": atoms, "rows": rows,
              "gradient_entries": entries, "features": features, "sparse_points": m,
              "contraction_gflop": contraction_flops / 1e9, "qr_gflop": qr_flops / 1e9,
              "dgemm_gflops_one_core": rate / 1e9, "blas": blas, "soap_with_gradients_seconds": soap_seconds,
              "bound_seconds": bound, "ours": ours, "ours_best_cpu_seconds": best["cpu_seconds"],
              "ours_over_bound": best["cpu_seconds"] / bound}
    if not args.skip_gap_fit:
        soap = " ".join(f"{k}={v}" for k, v in SOAP.items())
        gap = ("gap={soap " + soap + f" n_sparse={N_SPARSE} covariance_type=dot_product sparse_method=cur_points"
               " : distance_2b cutoff=5.0 cutoff_transition_width=1.0 covariance_type=ard_se delta=0.5"
               f" theta_uniform=1.0 sparse_method=uniform n_sparse={PAIR_SPARSE}" + "}")
        gap_fit_env = {"OMP_NUM_THREADS": "1"}
        if args.gap_fit_kernels == "package":
            gap_fit_env["OPENBLAS_CORETYPE"] = blas["kernels"]
        gap_fit = timed(["gap_fit", "at_file=train.xyz", gap, "default_sigma={0.002 0.05 0.05 0.0}",
                         "energy_parameter_name=energy", "force_parameter_name=force", "e0_method=average",
                         "sparse_jitter=1e-8", "do_copy_at_file=F", "sparse_separate_file=T", "gp_file=gap_fit.xml"],
                        work, env=gap_fit_env)
        gap_fit["openblas_coretype"] = gap_fit_env.get("OPENBLAS_CORETYPE", "(detected)")
        result["gap_fit"] = gap_fit
        result["gap_fit_over_ours_cpu"] = gap_fit["cpu_seconds"] / best["cpu_seconds"]
    out = PACKAGE / "Benchmarks" / "results" / "fit_bound.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
