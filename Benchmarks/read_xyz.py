#!/usr/bin/env python3
"""Extended XYZ reading speed: `gap-bench read-xyz` (release build) against ase.io.read.

Reads all GAP-18 files (../shared/datasets/si_gap18_bartok2018, 24 files) with both tools and
prints a markdown table. Ours is timed from outside, as a whole process (start-up included),
best of 5; ASE is timed inside Python (interpreter and import not included), best of 3, with
`ase.io.read(f, ":", format="extxyz")` on each file. Both read every frame and every column.

Usage (from the package root):  python3 Benchmarks/read_xyz.py [--skip-build]
"""
import argparse
import datetime
import glob
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "datasets", "si_gap18_bartok2018")


def best_of(runs, function):
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-build", action="store_true", help="use the existing release build")
    args = parser.parse_args()

    files = sorted(glob.glob(os.path.join(DATA, "*.xyz")))
    if len(files) != 24:
        sys.exit(f"expected 24 GAP-18 files in {DATA}, found {len(files)}")
    megabytes = sum(os.path.getsize(f) for f in files) / 1e6

    if not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "gap-bench"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    binary = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    command = [os.path.join(binary, "gap-bench"), "read-xyz", "--json"] + files

    def run_ours():
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        return json.loads(out)

    run_ours()  # warm the page cache
    ours_seconds, inside_seconds, ours = None, None, None
    for _ in range(5):  # best of 5, whole process and the reading time it reports itself
        start = time.perf_counter()
        ours = run_ours()
        elapsed = time.perf_counter() - start
        ours_seconds = elapsed if ours_seconds is None else min(ours_seconds, elapsed)
        inside_seconds = ours["seconds"] if inside_seconds is None else min(inside_seconds, ours["seconds"])

    startup_command = [os.path.join(binary, "gap-bench"), "read-xyz", os.path.join(DATA, "isolated_atom.xyz")]
    startup_seconds, _ = best_of(5, lambda: subprocess.run(startup_command, check=True, capture_output=True))

    import ase
    import ase.io

    def run_ase():
        frames = atoms = 0
        for f in files:
            images = ase.io.read(f, ":", format="extxyz")
            frames += len(images)
            atoms += sum(len(a) for a in images)
        return frames, atoms

    ase_seconds, (ase_frames, ase_atoms) = best_of(3, run_ase)
    if (ours["frames"], ours["atoms"]) != (ase_frames, ase_atoms):
        sys.exit(f"frame/atom counts differ: ours {ours['frames']}/{ours['atoms']}, ASE {ase_frames}/{ase_atoms}")

    print(f"Extended XYZ reading, {len(files)} GAP-18 files, {megabytes:.1f} MB, "
          f"{ase_frames} frames, {ase_atoms} atoms ({datetime.date.today()}, {platform.machine()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, ASE {ase.__version__}, "
          f"Python {platform.python_version()})")
    print()
    print("| reader | seconds | MB/s | speed-up vs ASE |")
    print("|---|---:|---:|---:|")
    print(f"| ase.io.read (in-process, best of 3) | {ase_seconds:.3f} | {megabytes / ase_seconds:.0f} | 1.0x |")
    print(f"| gap-bench read-xyz (whole process, best of 5) | {ours_seconds:.3f} | {megabytes / ours_seconds:.0f} | "
          f"{ase_seconds / ours_seconds:.1f}x |")
    print(f"| gap-bench read-xyz (reading only, best of 5) | {inside_seconds:.3f} | {megabytes / inside_seconds:.0f} | "
          f"{ase_seconds / inside_seconds:.1f}x |")
    print(f"| gap-bench read-xyz on the 1-atom file (process start-up, best of 5) | {startup_seconds:.3f} | | |")
    print()
    print("Command: " + " ".join(["gap-bench", "read-xyz", "--json", os.path.join(DATA, "*.xyz")]))


if __name__ == "__main__":
    main()
