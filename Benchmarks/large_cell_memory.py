#!/usr/bin/env python3
"""Peak memory of gap-predict on a 101,568-atom cell (issue 15, item 3: within ~1 GB).

Trains configs/default.json with gap-train (release build), builds a 23 x 23 x 24 supercell of
cubic diamond silicon (101,568 atoms, rattled 0.05 Å, seeded) with ASE, and runs
`gap-predict --output` under /usr/bin/time -v with 1 and 2 threads. Records gap-predict's own
printed memory estimate, the peak resident set size of the whole process (reading the input,
the neighbour list, the prediction and writing the output) and the time per atom.
Writes Benchmarks/results/large_cell_memory.json. From the package root, after
`swift build -c release`:

  python3 Benchmarks/large_cell_memory.py
"""
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from ase.build import bulk
from ase.io import write

PACKAGE = Path(__file__).resolve().parents[1]
RELEASE = PACKAGE / ".build" / "release"


def main():
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        model = work / "default.gapjson"
        subprocess.run([str(RELEASE / "gap-train"), str(PACKAGE / "configs" / "default.json"),
                        "--output", str(model), "--quiet"], check=True, cwd=PACKAGE)
        atoms = bulk("Si", "diamond", a=5.43, cubic=True).repeat((23, 23, 24))
        atoms.rattle(0.05, seed=2)
        cell = work / "si101568.xyz"
        write(cell, atoms)
        rows = []
        for threads in (1, 2):
            run = subprocess.run(
                ["/usr/bin/time", "-v", str(RELEASE / "gap-predict"), "--model", str(model), str(cell),
                 "--threads", str(threads), "--output", str(work / "predicted.xyz")],
                capture_output=True, text=True, check=True)
            err = run.stderr
            estimate = re.search(r"memory: estimated (.+?) for prediction", err).group(1)
            rate = float(re.search(r"\(([\d.,]+) µs/atom, energy \+ forces \+ virial\)", err).group(1).replace(",", ""))
            peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
            rows.append({"threads": threads, "atoms": len(atoms), "printed_estimate": estimate,
                         "peak_rss_mb": round(peak_kb / 1024, 1), "us_per_atom": rate})
            print(f"| {threads} | {len(atoms):,} | {estimate} | {peak_kb / 1024:.0f} MB | {rate:g} |")
            if peak_kb > 1024 * 1024:
                print("peak above 1 GB", file=sys.stderr)
                sys.exit(1)
        out = PACKAGE / "Benchmarks" / "results" / "large_cell_memory.json"
        out.write_text(json.dumps({"model": "configs/default.json", "structure": "101,568-atom diamond Si, rattled 0.05 Å",
                                   "runs": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
