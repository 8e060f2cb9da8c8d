#!/usr/bin/env python3
"""Issue 8's bounded-memory fit: the whole GAP-18 training split with the GAP-18 SOAP at
n_sparse 4000 plus a 2-body term (configs/gap18_streaming.json), then test errors on the split's
test frames.

Measures wall and CPU time and peak RSS with /usr/bin/time -v, keeps gap-train's own phase
timings and memory estimate, and writes Benchmarks/results/gap18_streaming.json plus a markdown
summary on stdout. Needs ../shared (the GAP-18 files and the split).

    python3 Benchmarks/gap18_streaming.py [--threads 2] [--skip-train]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
OUT = os.path.join(ROOT, "bench-out")
CONFIG = os.path.join(ROOT, "configs", "gap18_streaming.json")
MODEL = os.path.join(OUT, "gap18_streaming.gapjson")
KEYS = ["--energy-key", "dft_energy", "--energy-key", "DFT_energy", "--forces-key", "dft_force",
        "--forces-key", "DFT_force", "--virial-key", "dft_virial", "--virial-key", "DFT_virial"]


def frames_of(path):
    """The raw text of each frame of an extended XYZ file, byte for byte."""
    with open(path) as f:
        lines = f.read().split("\n")
    frames, i = [], 0
    while i < len(lines) and lines[i].strip():
        n = int(lines[i])
        frames.append("\n".join(lines[i:i + n + 2]) + "\n")
        i += n + 2
    return frames


def write_test_frames(path):
    split = json.load(open(os.path.join(SHARED, "datasets", "splits", "si_gap18_80_20.json")))
    cache = {}
    with open(path, "w") as out:
        for index in split["test"]:
            file, frame = split["frames"][index]
            if file not in cache:
                cache[file] = frames_of(os.path.join(SHARED, file))
            out.write(cache[file][frame])
    return len(split["test"])


def time_v(command, log):
    """Runs command under /usr/bin/time -v; returns (wall s, cpu s, peak RSS bytes, stderr)."""
    start = time.time()
    result = subprocess.run(["/usr/bin/time", "-v"] + command, capture_output=True, text=True)
    wall = time.time() - start
    with open(log, "w") as f:
        f.write(result.stderr)
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-3000:]}")
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", result.stderr).group(1))
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", result.stderr).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1)) * 1024
    return wall, user + system, rss, result.stdout, result.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-train", action="store_true", help="reuse bench-out/gap18_streaming.gapjson")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True, capture_output=True)
    binary = os.path.join(ROOT, ".build", "release")
    load_before = os.getloadavg()

    record = {"config": os.path.relpath(CONFIG, ROOT), "threads": args.threads, "load_average_before": load_before}
    if not args.skip_train:
        wall, cpu, rss, _, stderr = time_v(
            [os.path.join(binary, "gap-train"), CONFIG, "--threads", str(args.threads), "--output", MODEL],
            os.path.join(OUT, "gap18_streaming_train.log"))
        estimate = re.search(r"^\s*([\d.]+ [kMG]?B)\s+peak$", stderr, re.M)
        wrote = re.search(r"wrote .*", stderr)
        record["train"] = {"wall_seconds": wall, "cpu_seconds": cpu, "peak_rss_bytes": rss,
                           "estimated_peak": estimate.group(1) if estimate else None,
                           "summary": wrote.group(0) if wrote else None}
    test_path = os.path.join(OUT, "gap18_test.xyz")
    record["test_frames"] = write_test_frames(test_path)
    wall, cpu, rss, stdout, _ = time_v(
        [os.path.join(binary, "gap-predict"), "--model", MODEL, test_path, "--threads", str(args.threads)] + KEYS,
        os.path.join(OUT, "gap18_streaming_predict.log"))
    record["predict"] = {"wall_seconds": wall, "cpu_seconds": cpu, "peak_rss_bytes": rss, "table": stdout}
    record["load_average_after"] = os.getloadavg()
    os.makedirs(os.path.join(ROOT, "Benchmarks", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "Benchmarks", "results", "gap18_streaming.json"), "w") as f:
        json.dump(record, f, indent=2)
    if "train" in record:
        t = record["train"]
        print(f"gap-train: {t['wall_seconds']:.0f} s wall, {t['cpu_seconds']:.0f} s CPU, peak RSS "
              f"{t['peak_rss_bytes'] / 1e9:.2f} GB (estimated {t['estimated_peak']})")
    print(f"gap-predict on {record['test_frames']} test frames: {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(stdout)


if __name__ == "__main__":
    main()
