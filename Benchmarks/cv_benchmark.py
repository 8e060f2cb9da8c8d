"""Cost of k-fold cross-validation (gap-cv) against independent fits (gap-train).

Runs, from the package root, with the release build:
  1. `gap-train CONFIG` five times (five independent fits of the whole data set);
  2. `gap-cv CONFIG` (descriptors and gradients computed once, kept in memory);
  3. `gap-cv CONFIG --max-memory 0` (descriptors recomputed in every fold);
and prints wall and CPU seconds (user + system of the child process, all threads), peak
resident memory, the featurisation time gap-cv reports, and the target of issue 5:
  T(5-fold CV) <= 1.5 x (5 T(fit) - 4 T(featurisation)).

Usage: python3 Benchmarks/cv_benchmark.py [CONFIG] [--no-build]
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def run(command):
    """Runs a command; returns wall seconds, CPU seconds and peak RSS (bytes) of the child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss * 1024


def load():
    return os.getloadavg()[0]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    config = args[0] if args else "configs/default.json"
    if "--no-build" not in sys.argv:
        subprocess.run(["swift", "build", "-c", "release"], check=True, stdout=subprocess.DEVNULL)
    binary = ".build/release/"
    scratch = tempfile.mkdtemp(prefix="cv-benchmark-")
    print(f"config {config}; load average at start {load():.1f}")

    fits = [run([binary + "gap-train", config, "--quiet", "--output", f"{scratch}/model.gapjson"]) for _ in range(5)]
    fit_wall = sum(f[0] for f in fits)
    fit_cpu = sum(f[1] for f in fits)

    results = {}
    for name, extra in [("cached", []), ("recomputed", ["--max-memory", "0"])]:
        directory = f"{scratch}/{name}"
        wall, cpu, _ = run([binary + "gap-cv", config, "--quiet", "--report", directory] + extra)
        with open(f"{directory}/report.json") as f:
            report = json.load(f)
        timings = {t["phase"]: t for t in report["timings_seconds"]}
        results[name] = (wall, cpu, report)
        results[name + "_timings"] = timings

    feat = results["cached_timings"]["featurisation (descriptors and gradients of every frame)"]
    cached_wall, cached_cpu, cached = results["cached"]
    recomputed_wall, recomputed_cpu, recomputed = results["recomputed"]
    target_wall = 1.5 * (fit_wall - 4 * feat["seconds"])
    target_cpu = 1.5 * (fit_cpu - 4 * feat["cpu_seconds"])
    memory = cached["memory_bytes"]

    print()
    print("| run | wall (s) | CPU (s) |")
    print("|---|---:|---:|")
    for i, (wall, cpu, _) in enumerate(fits):
        print(f"| gap-train, fit {i + 1} of 5 | {wall:.1f} | {cpu:.1f} |")
    print(f"| 5 independent fits, total | {fit_wall:.1f} | {fit_cpu:.1f} |")
    print(f"| featurisation in gap-cv (descriptors + gradients, all frames) | {feat['seconds']:.1f} | {feat['cpu_seconds']:.1f} |")
    print(f"| target: 1.5 x (5 fits - 4 featurisations) | {target_wall:.1f} | {target_cpu:.1f} |")
    print(f"| gap-cv, 5 folds, descriptors cached | {cached_wall:.1f} | {cached_cpu:.1f} |")
    print(f"| gap-cv, 5 folds, descriptors recomputed per fold | {recomputed_wall:.1f} | {recomputed_cpu:.1f} |")
    print()
    print(f"cached CV / target: wall {cached_wall / target_wall:.2f}, CPU {cached_cpu / target_cpu:.2f}; "
          f"cached CV / 5 fits: wall {cached_wall / fit_wall:.2f}, CPU {cached_cpu / fit_cpu:.2f}")
    print("gap-cv (cached) phases:")
    for t in cached["timings_seconds"]:
        print(f"  {t['phase']}: {t['seconds']:.1f} s wall, {t['cpu_seconds']:.1f} s CPU")
    for fold in cached["cross_validation"]["folds"]:
        phases = ", ".join(f"{k} {v:.1f}" for k, v in fold["seconds"].items())
        print(f"  fold {fold['fold']}: {phases} (s wall); {fold['cpu_seconds']:.1f} s CPU")
    print(f"memory: cache estimated {memory['descriptor_cache_estimate'] / 1e9:.2f} GB, measured "
          f"{memory['descriptor_cache_measured'] / 1e9:.2f} GB; peak RSS cached {memory['resident_peak'] / 1e9:.2f} GB, "
          f"recomputed {recomputed['memory_bytes']['resident_peak'] / 1e9:.2f} GB")
    same = cached["cross_validation"]["pooled"] == recomputed["cross_validation"]["pooled"]
    print(f"cached and recomputed runs report identical errors: {same}")
    print(f"load average at end {load():.1f}")


if __name__ == "__main__":
    main()
