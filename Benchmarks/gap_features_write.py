#!/usr/bin/env python3
"""`gap-features --gradients` against the time of its parts (issue 17, item 4).

    python3 Benchmarks/gap_features_write.py [--runs 10] [--rounds 3] [--threads 1 2] [--baseline OLD_GAP_FEATURES]

The goal: exporting descriptors with gradients takes at most 1.5x the time to compute the
gradients plus the time to write the same number of bytes with a plain sequential write. Measured
in one run, on the 512-atom distorted diamond Si cell of soap_structures.py, SOAP n_max 8,
l_max 6 (cutoff 5 Å, transition 1 Å, atom_sigma 0.5 Å); release binaries in .build-release
(`swift build -c release --product gap-features --scratch-path .build-release`, the same for gap-bench):

* T_export: `gap-features CONFIG diamond512.xyz --output F.npy --gradients G.npz`, whole process
  (start-up, reading, features, gradients, files written atomically: fsync and rename over the
  previous output), median of --runs, paired with
* T_values: the same without --gradients (everything the export does besides the gradients);
* T_gradients: `gap-bench soap` (fastest of --runs calls, fresh output) of values + position and
  strain gradients, minus values alone: the gradients as a call that returns them computes them
  (also given with one output reused across calls: the arithmetic alone, no page faults);
* T_write: the .npz's byte count written sequentially (4 MiB write calls from one pre-touched
  array) to a temporary file in the same directory, then fsync, rename over the previous file and
  directory fsync: the same durability steps as the export; median of --runs. Also given without
  fsync and rename (write calls alone).

Bound = T_values + T_gradients + T_write; the ratio is T_export / bound (also against the bound
with the write calls alone, and against the strictest: reused-output gradients and write calls
alone). Paired runs use farm-bench (A and B alternate; medians quoted). With
--baseline, an older gap-features binary is timed against the current one, paired, and its files
are compared byte for byte. Results go to Benchmarks/results/gap_features_write.json.
"""

import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

DESCRIPTOR = {"type": "soap", "cutoff": 5.0, "cutoff_transition_width": 1.0, "n_max": 8, "l_max": 6, "atom_sigma": 0.5}


def farm_bench(a, b, runs):
    """farm-bench's min/median/max of wall, cpu and peak for A and B (paired) and of A/B wall."""
    command = ["farm-bench", "-n", str(runs), "--timeout", "600", "--vs", shlex.join(b), "--"] + a
    text = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures = {}
    for line in text.splitlines():
        m = re.match(r"^(A|B|A/B) (wall|cpu|peak)( s| MiB)?\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", line)
        if m:
            figures.setdefault(m.group(1), {})[m.group(2)] = [float(m.group(k)) for k in (4, 5, 6)]
        if re.match(r"^(A|B) exit", line) and not re.match(r"^(A|B) exit 0 ", line):
            sys.exit("farm-bench: a command failed:\n" + text)
    if "A" not in figures or "B" not in figures:
        sys.exit("farm-bench output not understood:\n" + text)
    return figures


def gradient_seconds(gap_bench, structure, threads, runs):
    """Fastest of `runs` calls: values alone, and values + position and strain gradients, with a
    fresh output per call and with one output reused (no page faults)."""
    out = subprocess.run(
        [gap_bench, "soap", structure, "--n-max", "8", "--l-max", "6", "--cutoff", "5", "--transition-width", "1",
         "--atom-sigma", "0.5", "--threads", str(threads), "--repeats", str(runs), "--modes", "values", "strain", "--reuse",
         "--json"],
        check=True, capture_output=True, text=True).stdout
    seconds = {}
    for line in out.splitlines():
        d = json.loads(line)
        seconds[d["mode"]] = d["us_per_atom"] * d["atoms"] * 1e-6
    return (seconds["values"], seconds["values+gradients+strain"],
            seconds["values (reused output)"], seconds["values+gradients+strain (reused output)"])


def plain_write(path, byte_count, chunk=4 << 20):
    """Seconds for the write calls alone, and for write + fsync + rename + directory fsync."""
    data = np.arange((byte_count + 7) // 8, dtype=np.float64).view(np.uint8)[:byte_count]  # touched
    view = memoryview(data)
    temporary = path + ".tmp-plain"
    start = time.perf_counter()
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    offset = 0
    while offset < byte_count:
        offset += os.write(fd, view[offset:min(offset + chunk, byte_count)])
    written = time.perf_counter()
    os.fsync(fd)
    os.close(fd)
    os.rename(temporary, path)
    directory = os.open(os.path.dirname(path), os.O_RDONLY)
    os.fsync(directory)
    os.close(directory)
    return written - start, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1, help="repeat the whole measurement (a noisy machine)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1])
    parser.add_argument("--gap-features", default=os.path.join(ROOT, ".build-release/release/gap-features"))
    parser.add_argument("--gap-bench", default=os.path.join(ROOT, ".build-release/release/gap-bench"))
    parser.add_argument("--baseline", help="an older gap-features binary to time against (paired) and compare files with")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench-out", "gap_features_write"))
    parser.add_argument("--results", default=os.path.join(HERE, "results", "gap_features_write.json"))
    args = parser.parse_args()

    from ase.io import write
    from soap_structures import diamond512

    os.makedirs(args.out, exist_ok=True)
    structure = os.path.join(args.out, "diamond512.xyz")
    write(structure, diamond512(), format="extxyz")
    config = os.path.join(args.out, "soap_n8_l6.json")
    with open(config, "w") as f:
        json.dump(DESCRIPTOR, f)

    def export(binary, tag, threads, gradients=True):
        command = [binary, config, structure, "--output", os.path.join(args.out, f"{tag}.npy"), "--threads", str(threads), "--quiet"]
        if gradients:
            command += ["--gradients", os.path.join(args.out, f"{tag}.npz")]
        return command

    def measure(threads):
        """One round: every part of the bound and the export, measured back to back."""
        paired = farm_bench(export(args.gap_features, "g", threads), export(args.gap_features, "v", threads, gradients=False), args.runs)
        npz = os.path.join(args.out, "g.npz")
        byte_count = os.path.getsize(npz)
        np.load(npz)["values"]  # loads in numpy
        values, strain, values_reused, strain_reused = gradient_seconds(args.gap_bench, structure, threads, args.runs)
        writes = [plain_write(os.path.join(args.out, "plain.bin"), byte_count) for _ in range(args.runs)]
        write_calls = sorted(w for w, _ in writes)
        write_synced = sorted(s for _, s in writes)
        t_export, t_values = paired["A"]["wall"][1], paired["B"]["wall"][1]
        t_gradients = strain - values
        t_write, t_write_calls = statistics.median(write_synced), statistics.median(write_calls)
        bound = t_values + t_gradients + t_write
        bound_calls = t_values + t_gradients + t_write_calls
        # The strictest: the gradients' arithmetic alone (no page faults) and the write calls alone.
        bound_strict = t_values + (strain_reused - values_reused) + t_write_calls
        row = {
            "npz_bytes": byte_count,
            "export_wall_s": paired["A"]["wall"], "export_cpu_s": paired["A"]["cpu"], "export_peak_mib": paired["A"]["peak"],
            "values_only_wall_s": paired["B"]["wall"], "values_only_cpu_s": paired["B"]["cpu"],
            "soap_values_s": values, "soap_values_gradients_strain_s": strain, "gradients_s": t_gradients,
            "soap_values_reused_s": values_reused, "soap_values_gradients_strain_reused_s": strain_reused,
            "plain_write_synced_s": [write_synced[0], t_write, write_synced[-1]],
            "plain_write_calls_s": [write_calls[0], t_write_calls, write_calls[-1]],
            "bound_s": bound, "ratio": t_export / bound,
            "bound_write_calls_only_s": bound_calls, "ratio_write_calls_only": t_export / bound_calls,
            "bound_strict_s": bound_strict, "ratio_strict": t_export / bound_strict,
        }
        if args.baseline:
            old = farm_bench(export(args.gap_features, "g", threads), export(args.baseline, "old", threads), args.runs)
            row["current_paired_wall_s"] = old["A"]["wall"]
            row["baseline_wall_s"] = old["B"]["wall"]
            row["baseline_cpu_s"] = old["B"]["cpu"]
            row["baseline_peak_mib"] = old["B"]["peak"]
            row["current_over_baseline_wall"] = old["A/B"]["wall"]
            for suffix in (".npy", ".npz"):
                with open(os.path.join(args.out, "g" + suffix), "rb") as a, open(os.path.join(args.out, "old" + suffix), "rb") as b:
                    if a.read() != b.read():
                        sys.exit(f"the baseline's {suffix} differs from the current one")
            row["baseline_files_identical"] = True
        return row

    results = {"structure": "diamond512 (soap_structures.py), 512 atoms", "descriptor": DESCRIPTOR, "runs": args.runs,
               "rounds": args.rounds, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "threads": {}}
    for threads in args.threads:
        rounds = [measure(threads) for _ in range(args.rounds)]
        results["threads"][str(threads)] = rounds
        print(f"\n--threads {threads}: .npz {rounds[0]['npz_bytes'] / 1e6:.1f} MB; seconds, medians of {args.runs} runs "
              f"(gap-bench: fastest of {args.runs}); one row per round")
        print("| T_export (min-max) | T_values | T_gradients | T_write | write calls | bound | **ratio** | ratio, write calls | ratio, strictest | CPU, peak MiB |"
              + (" baseline (paired): wall, CPU, peak MiB; current/baseline |" if args.baseline else ""))
        print("|---" * (11 if args.baseline else 10) + "|")
        for r in rounds:
            line = (f"| {r['export_wall_s'][1]:.3f} ({r['export_wall_s'][0]:.3f}-{r['export_wall_s'][2]:.3f}) | {r['values_only_wall_s'][1]:.3f} "
                    f"| {r['gradients_s']:.3f} | {r['plain_write_synced_s'][1]:.3f} | {r['plain_write_calls_s'][1]:.3f} | {r['bound_s']:.3f} "
                    f"| **{r['ratio']:.2f}** | {r['ratio_write_calls_only']:.2f} | {r['ratio_strict']:.2f} "
                    f"| {r['export_cpu_s'][1]:.3f}, {r['export_peak_mib'][1]:.0f} |")
            if args.baseline:
                line += (f" {r['baseline_wall_s'][1]:.3f}, {r['baseline_cpu_s'][1]:.3f}, {r['baseline_peak_mib'][1]:.0f}; "
                         f"{r['current_over_baseline_wall'][1]:.2f} |")
            print(line)
        if args.rounds > 1:
            median = {k: statistics.median(r[k] for r in rounds) for k in ("ratio", "ratio_write_calls_only", "ratio_strict")}
            print(f"median over rounds: ratio {median['ratio']:.2f}, with the write calls alone {median['ratio_write_calls_only']:.2f}, "
                  f"strictest {median['ratio_strict']:.2f}")

    os.makedirs(os.path.dirname(args.results), exist_ok=True)
    with open(args.results, "w") as f:
        json.dump(results, f, indent=2)
    print(f"\nwrote {args.results}")


if __name__ == "__main__":
    main()
