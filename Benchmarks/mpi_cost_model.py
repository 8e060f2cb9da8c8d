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
    rate = calibration["dtpqrt_flops_per_s"]
    # Pass 2 per design row, one core: the row formation a + b·M (descriptor gradients, kernel
    # contraction) plus the QR fold 2M² flops at the measured dtpqrt rate, taken as not
    # overlapping (conservative: gap-train folds on a second thread). a, b fitted on M = 1,000,
    # 2,000, 4,000 (least squares), checked at 3,000.
    def fold(m):
        return 2.0 * m * m / rate

    fit_runs = [r for r in runs if r["m"] != 3000]
    formation = [r["phases_s"]["design matrix and QR"] / r["rows"] - fold(r["m"]) for r in fit_runs]
    (a, b), *_ = np.linalg.lstsq(np.array([[1, r["m"]] for r in fit_runs], float), np.array(formation), rcond=None)

    def per_row(m):
        return a + b * m + fold(m)

    check = next(r for r in runs if r["m"] == 3000)
    lines = ["Calibration (Zuo Si, 13,233 atoms, 39,913 rows, GAP-18 SOAP, one core): pass 2 per row = %.3g s + %.3g s x M (formation) + 2M² / %.1f GFLOP/s (dtpqrt fold); M = 3,000: model %.0f s, measured %.0f s"
             % (a, b, rate / 1e9, per_row(3000) * check["rows"], check["phases_s"]["design matrix and QR"])]
    measured = json.load(open(os.path.join(RESULTS, "mpi_fit_gap18_split.json")))
    one = measured["runs"][0]
    rows, m, atoms = one["observations"], 4020, 78770
    desc_per_atom = np.mean([r["descriptors_s"] / 13233 for r in runs])
    root_serial = one["rank0_phases_s"]["descriptors and sparse points"] - desc_per_atom * atoms + one["rank0_phases_s"]["sparse covariance"] + one["rank0_phases_s"]["solve"]
    lines.append("GAP-18 split (other data, same SOAP): pass 2 at one rank measured %.0f s, model %.0f s" % (one["rank0_phases_s"]["design matrix and QR"], per_row(m) * rows))
    merge = (2.0 / 3.0) * m ** 3 / rate + 8 * m * m / 2 / 1e9
    # One rank keeps 1.15 cores busy (the fold thread beside the row formation): CPU = work x that.
    concurrency = one["per_rank"][0]["cpu_s"] / one["wall_s"]
    lines.append("")
    lines.append(f"| ranks | model CPU per rank, s (work x {concurrency:.2f} cores) | measured CPU per rank minus communication, max, s | model wall on 2 cores, s | measured wall, s |")
    lines.append("|---:|---:|---:|---:|---:|")
    for run in measured["runs"]:
        n = run["ranks"]
        work = root_serial + (desc_per_atom * atoms + per_row(m) * rows) / n + math.ceil(math.log2(n)) * merge
        cpu = max(r["cpu_s"] - r["communication_s"] for r in run["per_rank"])
        lines.append(f"| {n} | {work * concurrency:.0f} | {cpu:.0f} | {work * max(1.0, concurrency * n / 2.0):.0f} | {run['wall_s']:.0f} |")

    def project(name, atoms, rows, m, nodes, cores=64, node_memory=256e9, efficiency=0.7, bandwidth=10e9):
        replicated_bytes = 3.5 * 8 * m * m + 2 * 64e6
        ranks_per_node = max(1, min(cores, int(node_memory * 0.8 // replicated_bytes)))
        threads = cores // ranks_per_node
        out = [f"{name}: {atoms:,} atoms, {rows:,} rows, M = {m:,}. Node: {cores} cores at {efficiency:.0%} of this machine's per-core rates, "
               f"{node_memory / 1e9:.0f} GB, {bandwidth / 1e9:.0f} GB/s. Replicated factor (TSQR): {ranks_per_node} ranks per node "
               f"({replicated_bytes / 1e9:.1f} GB each), {threads} thread(s) per rank forming rows, the fold on one core per rank."]
        out.append("| nodes | ranks | pass 2 | TSQR (one core per merge, as now) | TSQR (node's cores per merge) | rank 0: CUR + K_MM | total | memory per node | distributed factor instead: pass 2 | its memory per rank |")
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for n in nodes:
            ranks = n * ranks_per_node
            speed = efficiency
            formation = (a + b * m) / (threads * speed)
            t_pass2 = rows / ranks * max(formation, fold(m) / speed) + desc_per_atom * atoms / (ranks * threads * speed)
            levels = math.ceil(math.log2(ranks))
            t_merge_one = levels * ((2.0 / 3.0) * m ** 3 / (rate * speed) + 8 * m * m / 2 / bandwidth)
            t_merge_node = levels * ((2.0 / 3.0) * m ** 3 / (rate * speed * cores) + 8 * m * m / 2 / bandwidth)
            t_root = root_serial * (atoms / 78770) * (m / 4020) + (m ** 3 / 3) / (rate * speed * cores)
            total = t_pass2 + t_merge_one + t_root
            all_ranks = n * cores
            # pdgeqrf on the stack: 4/3 the ideal flops (2M rows per round) at half the dtpqrt rate
            # (measured: M = 8,000 on 4 ranks ran at about 10 GFLOP/s per core here).
            spread_pass2 = rows * (a + b * m) / (all_ranks * speed) + 1.33 * 2 * m * m * rows / (0.5 * rate * speed * all_ranks)
            spread_memory = 9 * 8 * m * m / all_ranks + 2 * 64e6
            out.append(f"| {n} | {ranks} | {t_pass2 / 60:.1f} min | {t_merge_one / 60:.1f} min | {t_merge_node:.0f} s | {t_root / 60:.1f} min | "
                       f"{total / 60:.1f} min | {ranks_per_node * replicated_bytes / 1e9:.0f} GB | {spread_pass2 / 60:.1f} min | {spread_memory / 1e9:.2f} GB |")
        out.append(f"Rank 0 also holds every environment's descriptor for CUR ({atoms * 715 * 8 / 1e9:.1f} GB at 715 features) and forms K_MM with its factor ({2 * 8 * m * m / 1e9:.1f} GB) in the replicated mode.")
        return out

    lines.append("")
    lines += project("(a) Full GAP-18 database", 171815, 171815 * 3 + 2475 + 6 * 1887, 9000, [1, 16, 64, 256])
    lines.append("")
    lines += project("(b) One million atoms", 1_000_000, 3_000_000 + 20000, 20000, [16, 64, 256])
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(RESULTS, "mpi_cost_model.md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
