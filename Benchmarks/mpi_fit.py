#!/usr/bin/env python3
"""gap-train over MPI ranks (issue 20): the same config on 1, 2, 3, 4 ranks of Open MPI's
mpirun (oversubscribed on a small machine: CPU seconds per rank matter, wall time less), with
each rank's CPU seconds, bytes communicated, seconds in communication and peak memory as
gap-train reports them, the phase times of rank 0, and the largest prediction difference of
each N against the single-process model on test frames.

Needs the MPI build (`swift build -c release --traits MPI --build-path .build-mpi --product
gap-train`), the default release build (`gap-predict`) and, for the default config, ../shared.

    python3 Benchmarks/mpi_fit.py [--config configs/gap18_streaming.json] [--ranks 1,2,3,4]
        [--frames N] [--name gap18_split]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gap18_streaming import write_test_frames, KEYS  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench-out", "mpi")
MPI_TRAIN = os.path.join(ROOT, ".build-mpi", "release", "gap-train")
PREDICT = os.path.join(ROOT, ".build", "release", "gap-predict")
MPIRUN = shutil.which("mpirun.openmpi") or "mpirun"


def size_bytes(text):
    number, unit = re.match(r"([\d.]+)\s*(\w+)", text).groups()
    return float(number) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}[unit]


def fit(config, ranks, threads, extra=()):
    model = os.path.join(OUT, f"ranks{ranks}.gapjson")
    command = [MPI_TRAIN, config, "--threads", str(threads), "--no-checkpoint", "--output", model, *extra]
    if ranks > 1:
        command = [MPIRUN, "--oversubscribe", "-np", str(ranks)] + (["--allow-run-as-root"] if os.geteuid() == 0 else []) + command
    before = os.times()
    start = time.time()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.time() - start
    after = os.times()
    with open(os.path.join(OUT, f"ranks{ranks}.log"), "w") as f:
        f.write(result.stderr)
    if result.returncode != 0:
        sys.exit(f"gap-train on {ranks} ranks failed:\n{result.stderr[-3000:]}")
    text = result.stderr
    wrote = re.search(r"wrote .*?\((\d+) observations; (.*); peak memory ([^,]+), estimated ([^)]+)\)", text)
    phases = {}
    for item in wrote.group(2).split(", "):
        name, duration = re.match(r"(.+?) ((?:\d+ h )?(?:\d+ min )?[\d.]+ (?:s|min))$", item).groups()
        seconds = 0.0
        for value, unit in re.findall(r"([\d.]+) (h|min|s)", duration):
            seconds += float(value) * {"h": 3600, "min": 60, "s": 1}[unit]
        phases[name] = seconds
    per_rank = []
    for m in re.finditer(r"rank (\d+): CPU ([\d.]+) s, sent ([^,]+), received ([^,]+), communication ([\d.]+) s, peak memory (.+)", text):
        per_rank.append({"rank": int(m.group(1)), "cpu_s": float(m.group(2)), "sent_bytes": size_bytes(m.group(3)),
                         "received_bytes": size_bytes(m.group(4)), "communication_s": float(m.group(5)),
                         "peak_bytes": size_bytes(m.group(6))})
    if ranks == 1:
        per_rank = [{"rank": 0, "cpu_s": (after.children_user + after.children_system) - (before.children_user + before.children_system),
                     "sent_bytes": 0, "received_bytes": 0, "communication_s": 0.0, "peak_bytes": size_bytes(wrote.group(3))}]
    estimate = re.search(r"(\S+ \w+)\s+peak per rank", text)
    total = re.search(r"(\S+ \w+)\s+total over", text)
    return {
        "ranks": ranks, "threads_per_rank": threads, "wall_s": wall, "observations": int(wrote.group(1)),
        "rank0_phases_s": phases, "per_rank": per_rank,
        "estimate_per_rank_bytes": size_bytes(estimate.group(1)) if estimate else size_bytes(wrote.group(4)),
        "estimate_total_bytes": size_bytes(total.group(1)) if total else size_bytes(wrote.group(4)),
        "model": model,
    }


def predictions(model, frames):
    out = model + ".predicted.xyz"
    subprocess.run([PREDICT, "--model", model, frames, "--output", out, "--quiet"] + KEYS, check=True)
    from ase.io import read
    structures = read(out, index=":")
    return (np.array([s.get_potential_energy() / len(s) for s in structures]),
            np.concatenate([s.get_forces() for s in structures]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=os.path.join(ROOT, "configs", "gap18_streaming.json"))
    parser.add_argument("--ranks", default="1,2,3,4")
    parser.add_argument("--threads", type=int, default=1, help="threads per rank")
    parser.add_argument("--test-frames", type=int, default=60, help="GAP-18 split test frames predicted for the comparison")
    parser.add_argument("--name", default="gap18_split")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    test = os.path.join(OUT, "test_frames.xyz")
    write_test_frames(test)
    with open(test) as f:
        lines = f.read().split("\n")
    kept, i = [], 0
    for _ in range(args.test_frames):
        n = int(lines[i])
        kept += lines[i:i + n + 2]
        i += n + 2
    with open(test, "w") as f:
        f.write("\n".join(kept) + "\n")

    runs = []
    for ranks in [int(r) for r in args.ranks.split(",")]:
        run = fit(os.path.abspath(args.config), ranks, args.threads)
        print(f"{ranks} ranks: wall {run['wall_s']:.1f} s, CPU per rank {[round(r['cpu_s'], 1) for r in run['per_rank']]}", file=sys.stderr)
        runs.append(run)
    e1, f1 = predictions(runs[0]["model"], test)
    for run in runs[1:]:
        e, f = predictions(run["model"], test)
        run["max_energy_difference_eV_per_atom"] = float(np.max(np.abs(e - e1)))
        run["max_force_difference_eV_per_A"] = float(np.max(np.abs(f - f1)))
    for run in runs:
        del run["model"]
    result = {"config": os.path.relpath(args.config, ROOT), "command": " ".join(sys.argv), "runs": runs,
              "cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    path = os.path.join(ROOT, "Benchmarks", "results", f"mpi_fit_{args.name}.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    print("| ranks | wall s | CPU s per rank | sent per rank | communication s per rank | peak per rank | estimate per rank | max ΔE eV/atom | max ΔF eV/Å |")
    print("|---:|---:|---|---|---|---|---:|---:|---:|")
    for run in runs:
        pr = run["per_rank"]
        cpu = ", ".join("%.0f" % r["cpu_s"] for r in pr)
        sent = ", ".join("%.0f MB" % (r["sent_bytes"] / 1e6) for r in pr)
        communication = ", ".join("%.1f" % r["communication_s"] for r in pr)
        peak = ", ".join("%.2f" % (r["peak_bytes"] / 1e9) for r in pr)
        print(f"| {run['ranks']} | {run['wall_s']:.0f} | {cpu} | {sent} | {communication} | {peak} GB | "
              f"{run['estimate_per_rank_bytes'] / 1e9:.2f} GB | {run.get('max_energy_difference_eV_per_atom', 0):.1e} | "
              f"{run.get('max_force_difference_eV_per_A', 0):.1e} |")

if __name__ == "__main__":
    main()
