#!/usr/bin/env python3
"""Issue 20 item 6: a cost model of gap-train over MPI ranks, calibrated on this machine and
checked against the measured runs, then projected to (a) the full GAP-18 database at M = 9,000
and (b) one million atoms at M = 20,000 on 16, 64 and 256 nodes.

Calibration (one process, one thread, release build): the GAP-18 SOAP (n_max 10, l_max 12) on
the shipped Zuo et al. silicon training split (13,233 atoms, 39,913 rows) at M = 1,000, 2,000 and
4,000; pass 2's seconds per design row are fitted as a + b·M + c·M² (descriptor gradients, the
kernel contraction, the QR fold) and checked at M = 3,000. The model of N ranks is then

    T(N) = T_serial + T_parallel / N + ceil(log2 N) · t_merge(M)

with T_serial = reading + sparse-point choice on rank 0 + K_MM, T_parallel = descriptors + pass 2,
t_merge the fold of one M x M triangle into another (2/3 M³ flops at the measured dtpqrt rate
plus M²/2 doubles sent), checked against Benchmarks/results/mpi_fit_gap18_split.json (per-rank
CPU seconds; oversubscribed wall time on 2 cores).

    python3 Benchmarks/mpi_cost_model.py [--skip-calibration]
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench-out", "mpi")
TRAIN = os.path.join(ROOT, ".build-mpi", "release", "gap-train")
RESULTS = os.path.join(ROOT, "Benchmarks", "results")


def seconds(text):
    total = 0.0
    for value, unit in re.findall(r"([\d.]+) (h|min|s)\b", text):
        total += float(value) * {"h": 3600, "min": 60, "s": 1}[unit]
    return total


def calibrate(m):
    config = {
        "train_files": [os.path.join(ROOT, "datasets", "si_zuo2020", "Si_train.xyz")],
        "label_keys": {"energy": ["energy"], "forces": ["force"]},
        "e0": "average",
        "descriptors": [{"type": "soap", "cutoff": 5.0, "cutoff_transition_width": 1.0, "n_max": 10, "l_max": 12,
                         "atom_sigma": 0.5, "delta": 1.0, "zeta": 4, "n_sparse": m, "sparse_method": "cur"}],
        "default_sigma": {"energy": 0.002, "forces": 0.1, "virial": 0.1},
        "seed": 1,
    }
    path = os.path.join(OUT, f"calibrate_{m}.json")
    with open(path, "w") as f:
        json.dump(config, f)
    before = os.times()
    result = subprocess.run([TRAIN, path, "--threads", "1", "--no-checkpoint", "--output", path + ".gapjson"],
                            capture_output=True, text=True, check=True)
    after = os.times()
    wrote = re.search(r"\((\d+) observations; (.*); peak memory", result.stderr)
    phases = dict((name, seconds(value)) for name, value in
                  (re.match(r"(.+?) ((?:[\d.]+ (?:h|min|s) ?)+)$", item).groups() for item in wrote.group(2).split(", ")))
    descriptors = seconds(re.findall(r"descriptors: \d+/\d+ structures, [^,]+, (.+)$", result.stderr, re.M)[-1])
    return {"m": m, "rows": int(wrote.group(1)), "phases_s": phases, "descriptors_s": descriptors,
            "cpu_s": (after.children_user + after.children_system) - (before.children_user + before.children_system)}


def dtpqrt_rate(m=2000, b=512):
    """Flop rate of one triangle fold (scipy's dtpqrt, one thread), flop/s."""
    from scipy.linalg import lapack
    rng = np.random.default_rng(1)
    r = np.triu(rng.standard_normal((m, m)))
    block = rng.standard_normal((b, m))
    start = time.perf_counter()
    lapack.dtpqrt(0, 32, r, block)
    elapsed = time.perf_counter() - start
    return 2.0 * b * m * m / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-calibration", action="store_true", help="reuse results/mpi_cost_calibration.json")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    calibration_path = os.path.join(RESULTS, "mpi_cost_calibration.json")
    if args.skip_calibration:
        calibration = json.load(open(calibration_path))
    else:
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
        runs = [calibrate(m) for m in (1000, 2000, 3000, 4000)]
        calibration = {"runs": runs, "dtpqrt_flops_per_s": dtpqrt_rate(), "date": time.strftime("%Y-%m-%d")}
        with open(calibration_path, "w") as f:
            json.dump(calibration, f, indent=1)
    runs = calibration["runs"]
    # Pass 2 per row: a + b M + c M², fitted on M = 1,000, 2,000, 4,000, checked at 3,000.
    fit_runs = [r for r in runs if r["m"] != 3000]
    per_row = [(r["phases_s"]["design matrix and QR"] / r["rows"]) for r in fit_runs]
    a, b, c = np.linalg.solve(np.array([[1, r["m"], r["m"] ** 2] for r in fit_runs], float), np.array(per_row))
    check = next(r for r in runs if r["m"] == 3000)
    predicted = (a + b * 3000 + c * 3000 ** 2) * check["rows"]
    lines = ["Pass 2 per design row: %.3g s + %.3g s x M + %.3g s x M^2 (one core); at M = 3,000 predicted %.0f s, measured %.0f s"
             % (a, b, c, predicted, check["phases_s"]["design matrix and QR"])]
    rate = calibration["dtpqrt_flops_per_s"]
    lines.append("triangle fold (dtpqrt, one core): %.1f GFLOP/s" % (rate / 1e9))

    measured = json.load(open(os.path.join(RESULTS, "mpi_fit_gap18_split.json")))
    one = measured["runs"][0]
    rows, m = one["observations"], 4020
    atoms = 78770
    desc_per_atom = np.mean([r["descriptors_s"] / 13233 for r in runs])
    serial = one["rank0_phases_s"]["descriptors and sparse points"] - desc_per_atom * atoms + one["rank0_phases_s"]["sparse covariance"] + one["rank0_phases_s"]["solve"]
    pass2 = one["rank0_phases_s"]["design matrix and QR"]
    model_pass2 = (a + b * m + c * m * m) * rows
    lines.append("GAP-18 split, one rank: pass 2 measured %.0f s, model %.0f s (calibrated on other data at the same SOAP)" % (pass2, model_pass2))
    merge = (2.0 / 3.0) * m ** 3 / rate
    table = ["| ranks | model CPU s per rank (work) | measured CPU s per rank, max (minus communication) | model wall on 2 cores | measured wall |", "|---:|---:|---:|---:|---:|"]
    for run in measured["runs"]:
        n = run["ranks"]
        work = serial / 1 + (desc_per_atom * atoms + pass2) / n + (math.ceil(math.log2(n)) * merge if n > 1 else 0)
        cpu = max(r["cpu_s"] - r["communication_s"] for r in run["per_rank"])
        wall_model = work * max(1.0, n / 2.0)
        table.append(f"| {n} | {work:.0f} | {cpu:.0f} | {wall_model:.0f} | {run['wall_s']:.0f} |")
    lines += table

    def project(name, atoms, rows, m, nodes, cores=64, efficiency=0.7, bandwidth=10e9):
        per_row = a + b * m + c * m * m
        out = [f"{name}: {atoms:,} atoms, {rows:,} rows, M = {m:,}; a node = {cores} cores at {efficiency:.0%} of this machine's per-core rates, {bandwidth / 1e9:.0f} GB/s links"]
        out.append("| nodes | pass 2 | descriptors | TSQR | sparse points + K_MM (rank 0) | total | memory per node (R, merge) | rank 0 extra (descriptors gathered, K_MM) |")
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for n in nodes:
            speed = cores * efficiency
            t_pass2 = per_row * rows / (n * speed)
            t_desc = desc_per_atom * atoms / (n * speed)
            t_tsqr = math.ceil(math.log2(n)) * ((2.0 / 3.0) * m ** 3 / (rate * speed) + 8 * m * m / 2 / bandwidth)
            # CUR on the gathered matrix and K_MM (M² F + M³/3) on rank 0, scaled from the measured run.
            t_root = serial * (atoms / 78770) * (m / 4020) + (m ** 3 / 3) / (rate * speed)
            total = t_pass2 + t_desc + t_tsqr + t_root
            memory = 2.5 * 8 * m * m + 2 * 64e6 * cores
            root = atoms * 715 * 8 + 3 * 8 * m * m
            out.append(f"| {n} | {t_pass2 / 60:.1f} min | {t_desc / 60:.1f} min | {t_tsqr:.0f} s | {t_root / 60:.1f} min | {total / 60:.1f} min | {memory / 1e9:.1f} GB | {root / 1e9:.1f} GB |")
        return out

    lines.append("")
    lines += project("(a) full GAP-18 database", 171815, 171815 * 3 + 2475 + 6 * 1887, 9000, [1, 16, 64, 256])
    lines.append("")
    lines += project("(b) one million atoms", 1_000_000, 3_000_000 + 20000, 20000, [16, 64, 256])
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(RESULTS, "mpi_cost_model.md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
