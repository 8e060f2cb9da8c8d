#!/usr/bin/env python3
"""Issue 20 item 3: a fit whose triangular factor is spread over MPI ranks (ScaLAPACK), at
M = 8,000 on 4 ranks (Benchmarks/mpi_large_m.json, the shipped silicon data), against the
same config fitted by one process: wall and CPU time, peak memory per rank against the printed
estimate, and the largest prediction differences on 30 training frames.

Needs the MPI release build (`swift build -c release --traits MPI --build-path .build-mpi
--product gap-train`) and the default release build (gap-predict).

    python3 Benchmarks/mpi_distributed_factor.py [--ranks 4] [--threads 2]
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpi_fit  # noqa: E402

ROOT = mpi_fit.ROOT
CONFIG = os.path.join(ROOT, "Benchmarks", "mpi_large_m.json")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ranks", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="threads of the single-process fit")
    args = parser.parse_args()
    os.makedirs(mpi_fit.OUT, exist_ok=True)
    frames = os.path.join(mpi_fit.OUT, "large_m_frames.xyz")
    lines = open(os.path.join(ROOT, "datasets", "si_zuo2020", "Si_train.xyz")).read().split("\n")
    kept, i = [], 0
    for _ in range(30):
        n = int(lines[i])
        kept += lines[i:i + n + 2]
        i += n + 2
    open(frames, "w").write("\n".join(kept) + "\n")

    single = mpi_fit.fit(CONFIG, 1, args.threads)
    print(f"1 process: wall {single['wall_s']:.0f} s", file=sys.stderr)
    os.replace(single["model"], os.path.join(mpi_fit.OUT, "large_m_single.gapjson"))
    spread = mpi_fit.fit(CONFIG, args.ranks, 1, extra=["--distributed-factor"])
    print(f"{args.ranks} ranks: wall {spread['wall_s']:.0f} s", file=sys.stderr)
    e1, f1 = mpi_fit.predictions(os.path.join(mpi_fit.OUT, "large_m_single.gapjson"), frames)
    e, f = mpi_fit.predictions(spread["model"], frames)
    spread["max_energy_difference_eV_per_atom"] = float(np.max(np.abs(e - e1)))
    spread["max_force_difference_eV_per_A"] = float(np.max(np.abs(f - f1)))
    for run in (single, spread):
        del run["model"]
    result = {"config": os.path.relpath(CONFIG, ROOT), "command": " ".join(sys.argv), "single_process": single,
              "distributed_factor": spread, "cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    with open(os.path.join(ROOT, "Benchmarks", "results", "mpi_distributed_factor.json"), "w") as out:
        json.dump(result, out, indent=1)
    print(json.dumps({k: spread[k] for k in ("wall_s", "max_energy_difference_eV_per_atom", "max_force_difference_eV_per_A")}))
    for r in spread["per_rank"]:
        print(f"rank {r['rank']}: CPU {r['cpu_s']:.0f} s, peak {r['peak_bytes'] / 1e9:.2f} GB (estimate {spread['estimate_per_rank_bytes'] / 1e9:.2f} GB), communication {r['communication_s']:.1f} s")
    print(f"one process: wall {single['wall_s']:.0f} s, CPU {single['per_rank'][0]['cpu_s']:.0f} s, peak {single['per_rank'][0]['peak_bytes'] / 1e9:.2f} GB (estimate {single['estimate_per_rank_bytes'] / 1e9:.2f} GB)")


if __name__ == "__main__":
    main()
