#!/usr/bin/env python3
"""GAP XML interoperability benchmark: SwiftGAP <-> QUIP/GAP (quippy-ase 0.10.3).

Export: trains SwiftGAP models with gap-train (release build), writes them with gap-export as
GAP XML, loads them in quippy and compares quippy's energies, forces and virials with
gap-predict's on periodic bulk, slab and cluster structures; times both on a large cell.
  * si_zuo_gap: configs/default.json with "radial_basis": "gap" (the default config's optimal
    basis with normalise is not exportable; the script records gap-export's refusal)
  * tial: two species (TiAl_train.xyz, first 120 frames), soap with both centre species +
    distance_2b per pair
Import: gap_fit fits (Si_tiny subset; TiAl with add_species), read by gap-predict directly and
after `gap-export --format gapjson`, compared with quippy.

Writes Benchmarks/results/gap_xml_interop.json and prints a summary. Run from the package root
after `swift build -c release`:

  nice python3 Benchmarks/gap_xml_interop.py [--bin .build/release]

Needs quippy-ase, ase, numpy and ../shared/datasets. The machine is shared: timings are
indicative; prediction times use one thread on both sides (OMP_NUM_THREADS=1, --threads 1).
"""

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
from ase.build import bulk
from ase.io import read, write

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(HERE)
SHARED = os.path.join(PACKAGE, "..", "shared", "datasets")
os.environ["OMP_NUM_THREADS"] = "1"


def run(command, cwd=None):
    """Runs a command; returns it and its CPU seconds (user + system: the machine is shared)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0 or "SYSTEM ABORT" in proc.stdout:
        raise RuntimeError(f"{' '.join(command)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc, seconds


def bare(atoms):
    a = atoms.copy()
    a.calc = None
    a.info = {}
    for key in list(a.arrays):
        if key not in ("numbers", "positions"):
            del a.arrays[key]
    return a


def test_structures(periodic, repeat):
    """Bulk frames, plus a slab (periodic in x, y) and a cluster cut from the first."""
    big = bare(periodic[0]).repeat(repeat)
    slab = big.copy()
    slab.pbc = [True, True, False]
    cluster = big.copy()
    cluster.pbc = False
    cluster.cell = [0, 0, 0]
    return [bare(a) for a in periodic] + [slab, cluster]


def quippy_predict(model, structures):
    from quippy.potential import Potential

    start = time.perf_counter()
    pot = Potential(param_filename=model)
    load_seconds = time.perf_counter() - start
    out = []
    for atoms in structures:
        a = atoms.copy()
        a.calc = pot
        out.append({"energy": a.get_potential_energy(), "forces": a.get_forces().copy(),
                    "virial": np.array(pot.get_virial(a)).reshape(3, 3) if a.pbc.all() else None})
    return out, load_seconds


def gap_predict(bin_dir, model, xyz, workdir):
    out = os.path.join(workdir, "predicted.xyz")
    run([os.path.join(bin_dir, "gap-predict"), "--quiet", "--threads", "1", "--model", model, xyz, "--output", out])
    frames = read(out, ":")
    return [{"energy": f.calc.results["energy"], "forces": f.calc.results["forces"],
             "virial": np.array(f.info["virial"]).reshape(3, 3) if "virial" in f.info else None} for f in frames]


def differences(structures, ours, theirs):
    worst = {"energy_per_atom_eV": 0.0, "force_eV_per_A": 0.0, "virial_eV": 0.0}
    kinds = []
    for s, a, b in zip(structures, ours, theirs):
        worst["energy_per_atom_eV"] = max(worst["energy_per_atom_eV"], abs(a["energy"] - b["energy"]) / len(s))
        worst["force_eV_per_A"] = max(worst["force_eV_per_A"], float(np.abs(a["forces"] - b["forces"]).max()))
        if b["virial"] is not None:
            worst["virial_eV"] = max(worst["virial_eV"], float(np.abs(a["virial"] - b["virial"]).max()))
        kinds.append("bulk" if s.pbc.all() else ("slab" if s.pbc.any() else "cluster"))
    worst["structures"] = kinds
    return worst


def timing(bin_dir, model_json, model_xml, big, workdir):
    """µs/atom for energy + forces + virial of one large cell, one thread each."""
    path = os.path.join(workdir, "big.xyz")
    write(path, [big] * 3)
    proc, _ = run([os.path.join(bin_dir, "gap-predict"), "--threads", "1", "--model", model_json, path])
    ours = float(re.search(r"\(([0-9.]+) µs/atom", proc.stderr).group(1))
    from ase.calculators.calculator import all_changes
    from quippy.potential import Potential

    pot = Potential(param_filename=model_xml)
    a = big.copy()
    properties = ["energy", "forces", "stress"]  # one QUIP call computes all three
    pot.calculate(a, properties, all_changes)
    best = float("inf")
    for k in range(3):
        a.rattle(1e-4, seed=k + 1)  # quippy returns cached results for unchanged positions
        start = time.perf_counter()
        pot.calculate(a, properties, all_changes)
        best = min(best, time.perf_counter() - start)
    return {"atoms": len(big), "gap_predict_us_per_atom": ours, "quippy_us_per_atom": 1e6 * best / len(big)}


def export_case(name, config, structures, big, bin_dir, workdir):
    cfg_path = os.path.join(workdir, name + ".json")
    with open(cfg_path, "w") as f:
        json.dump(config, f)
    _, train_seconds = run([os.path.join(bin_dir, "gap-train"), "--quiet", cfg_path])
    model = os.path.join(workdir, config["output"])
    xml = os.path.join(workdir, name + ".xml")
    _, export_seconds = run([os.path.join(bin_dir, "gap-export"), "--quiet", model, "--format", "gap-xml", "--output", xml])
    xyz = os.path.join(workdir, name + "_structures.xyz")
    write(xyz, structures)
    structures = read(xyz, ":")  # the positions gap-predict reads (extended XYZ keeps 8 decimals)
    ours = gap_predict(bin_dir, model, xyz, workdir)
    theirs, load_seconds = quippy_predict(xml, structures)
    sizes = {p: os.path.getsize(os.path.join(workdir, p)) for p in os.listdir(workdir) if p.startswith(name + ".xml")}
    result = {"train_cpu_seconds": train_seconds, "export_cpu_seconds": export_seconds, "quippy_load_seconds": load_seconds,
              "model_bytes": os.path.getsize(model), "xml_bytes": sizes,
              "max_difference": differences(structures, ours, theirs),
              "timing": timing(bin_dir, model, xml, big, workdir)}
    return result


def import_case(name, gap_fit_args, train, structures, bin_dir, workdir):
    train_path = os.path.join(workdir, name + "_train.xyz")
    write(train_path, train)
    xml = os.path.join(workdir, name + "_gap_fit.xml")
    _, fit_seconds = run(["gap_fit", f"at_file={train_path}", f"gp_file={xml}", "rnd_seed=1", "do_copy_at_file=F"] + gap_fit_args, cwd=workdir)
    xyz = os.path.join(workdir, name + "_structures.xyz")
    write(xyz, structures)
    structures = read(xyz, ":")  # the positions gap-predict reads
    ours = gap_predict(bin_dir, xml, xyz, workdir)
    converted = os.path.join(workdir, name + "_converted.gapjson")
    run([os.path.join(bin_dir, "gap-export"), "--quiet", xml, "--format", "gapjson", "--output", converted])
    via_json = gap_predict(bin_dir, converted, xyz, workdir)
    identical = all(a["energy"] == b["energy"] and np.array_equal(a["forces"], b["forces"]) for a, b in zip(ours, via_json))
    theirs, _ = quippy_predict(xml, structures)
    return {"gap_fit_cpu_seconds": fit_seconds, "max_difference": differences(structures, ours, theirs),
            "converted_gapjson_bit_identical": identical}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.path.join(PACKAGE, ".build", "release"))
    args = parser.parse_args()
    bin_dir = os.path.abspath(args.bin)
    results = {"machine": "2 cores shared with other builds; one thread for both predictors",
               "load_average_at_start": os.getloadavg()[0],
               "quippy": "quippy-ase 0.10.3"}
    si_tiny = read(os.path.join(SHARED, "si_gap18_tiny", "Si_tiny.xyz"), ":")
    si_structures = test_structures([si_tiny[20], si_tiny[45], si_tiny[52]], (2, 2, 2))
    si_big = bare(bulk("Si", "diamond", 5.43).repeat((4, 4, 4)))
    si_big.rattle(0.05, seed=1)
    tial_all = read(os.path.join(SHARED, "tial_ace", "TiAl_train.xyz"), ":")
    tial_structures = test_structures([tial_all[150], tial_all[200], tial_all[250]], (3, 3, 2))
    tial_big = bare(tial_all[200]).repeat((6, 6, 4))
    tial_big.rattle(0.05, seed=1)

    with tempfile.TemporaryDirectory() as workdir:
        with open(os.path.join(PACKAGE, "configs", "default.json")) as f:
            text = re.sub(r"//[^\n]*", "", f.read())
        default = json.loads(text)
        default["train_files"] = [os.path.join(PACKAGE, "datasets", "si_zuo2020", "Si_train.xyz")]
        default["output"] = "si_default.gapjson"
        # The shipped default (optimal basis, normalised) is refused, with its reason.
        refused = {}
        cfg = os.path.join(workdir, "si_default.json")
        with open(cfg, "w") as f:
            json.dump(default, f)
        run([os.path.join(bin_dir, "gap-train"), "--quiet", cfg])
        proc = subprocess.run([os.path.join(bin_dir, "gap-export"), os.path.join(workdir, "si_default.gapjson"),
                               "--format", "gap-xml", "--output", os.path.join(workdir, "refused.xml")], capture_output=True, text=True)
        refused = {"exit_status": proc.returncode, "message": proc.stderr.strip()}
        results["default_config_export"] = refused
        gap = json.loads(json.dumps(default))
        soap = gap["descriptors"][0]
        soap["radial_basis"] = "gap"
        gap["output"] = "si_zuo_gap.gapjson"
        results["export_si_zuo_gap"] = export_case("si_zuo_gap", gap, si_structures, si_big, bin_dir, workdir)
        tial_train = os.path.join(workdir, "tial_train.xyz")
        write(tial_train, tial_all[:120])
        tial = {
            "train_files": [tial_train], "label_keys": {"energy": ["energy"], "forces": ["force"], "virial": ["virial"]},
            "e0": "average",
            "descriptors": [
                {"type": "soap", "cutoff": 5.0, "cutoff_transition_width": 1.0, "n_max": 6, "l_max": 4,
                 "atom_sigma": 0.5, "delta": 1.0, "zeta": 4, "n_sparse": 200, "sparse_method": "cur"},
                {"type": "distance_2b", "cutoff": 5.0, "cutoff_transition_width": 1.0, "theta_uniform": 1.0,
                 "delta": 0.5, "n_sparse": 15, "sparse_method": "uniform"}],
            "default_sigma": {"energy": 0.002, "forces": 0.05, "virial": 0.05}, "seed": 1, "output": "tial.gapjson"}
        results["export_tial"] = export_case("tial", tial, tial_structures, tial_big, bin_dir, workdir)

        sigma = ["default_sigma={0.002 0.1 0.05 0}", "sparse_jitter=1e-8"]
        si_gap = ("gap={distance_2b cutoff=5.0 cutoff_transition_width=1.0 covariance_type=ard_se delta=2.0 theta_uniform=0.5 "
                  "n_sparse=15 sparse_method=uniform : soap cutoff=5.0 cutoff_transition_width=1.0 n_max=8 l_max=6 "
                  "atom_sigma=0.5 zeta=4 delta=1.0 covariance_type=dot_product n_sparse=100 sparse_method=cur_points}")
        results["import_si_gap_fit"] = import_case(
            "si", [si_gap, "e0_method=isolated", "energy_parameter_name=dft_energy", "force_parameter_name=dft_force",
                   "virial_parameter_name=dft_virial"] + sigma,
            [si_tiny[0]] + si_tiny[1:14] + si_tiny[26:39] + [si_tiny[51]], si_structures, bin_dir, workdir)
        tial_gap = ("gap={distance_2b cutoff=5.0 covariance_type=ard_se delta=0.5 theta_uniform=1.0 n_sparse=10 "
                    "sparse_method=uniform : soap cutoff=5.0 n_max=6 l_max=4 atom_sigma=0.5 zeta=4 delta=1.0 "
                    "covariance_type=dot_product n_sparse=100 sparse_method=cur_points}")
        results["import_tial_gap_fit"] = import_case(
            "tial", [tial_gap, "e0_method=average", "energy_parameter_name=energy", "force_parameter_name=force",
                     "virial_parameter_name=virial"] + sigma, tial_all[:120], tial_structures, bin_dir, workdir)

    results["load_average_at_end"] = os.getloadavg()[0]
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "gap_xml_interop.json"), "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    json.dump(results, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
