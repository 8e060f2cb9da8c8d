#!/usr/bin/env python3
"""Make the GAP XML interoperability fixtures (Tests/GAPXMLTests/Fixtures).

Two directions, each checked against real QUIP (quippy-ase 0.10.3):

* Import: gap_fit fits two small models and quippy predicts with them.
    gap_fit_si.xml (+ side files)  Si: distance_2b + soap (n_max 4, l_max 3, zeta 4), soap sparse
                                   points by cur_points (rnd_seed 1), written with print_sparse_index
                                   to gap_fit_si_soap.idx (gap_fit's one-line format)
    gap_fit_tial.xml               TiAl: distance_2b + soap (zeta 2) with gap_fit's defaults for two
                                   species (add_species: one soap per centre species,
                                   species_Z={22 13}, 2b per species pair), sparse points inline
                                   (sparse_separate_file=F, sliced <sparseX> lines)
* Refusal: gap_fit_core_lj.xml, a gap_fit model with a core potential (core_param_file with a
  Lennard-Jones IP, as GAP-18 adds its Glue core): the importer must refuse it, naming the core.
* Export: gap-train fits SwiftGAP models from the ours_*.json configs, gap-export writes them as
  XML (side files or --inline), and quippy predicts with those XML files:
    ours_si               soap + distance_2b, QUIP radial basis
    ours_tial             two species, radial scaling, 2b per pair; exported --inline
    ours_si_optimal       optimal radial basis + n_features, normalise false (exported on the
                          primitive basis, zero-padded)
    ours_tial_combined    optimal basis with combine_species, normalise false

reference.json holds, per model, quippy's energy (eV), forces (eV/Å) and virial (eV, 3x3, periodic
frames only) on structures_si.xyz / structures_tial.xyz: bulk frames, a slab (periodic in x, y) and
a cluster (no periodicity). The Swift tests compare gap-predict's predictions with them and the
exporter's output with the committed XML byte for byte.

Run once from anywhere, after `swift build` (or pass --bin DIR with gap-train and gap-export):

  python3 Tests/GAPXMLTests/Fixtures/make_gap_xml_fixtures.py [--bin .build/debug]

Needs quippy-ase 0.10.3 (gap_fit and quippy), ase, numpy and ../shared/datasets.
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np
from ase.io import read, write

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
SHARED = os.path.join(PACKAGE, "..", "shared", "datasets")


def bare(atoms):
    """Positions, species, cell and periodicity only."""
    a = atoms.copy()
    a.calc = None
    a.info = {}
    for key in list(a.arrays):
        if key not in ("numbers", "positions"):
            del a.arrays[key]
    return a


def slab_and_cluster(atoms, repeat):
    big = bare(atoms).repeat(repeat)
    slab = big.copy()
    slab.pbc = [True, True, False]
    cluster = big.copy()
    cluster.pbc = False
    cluster.cell = [0, 0, 0]
    return slab, cluster


def write_data():
    si = read(os.path.join(SHARED, "si_gap18_tiny", "Si_tiny.xyz"), ":")
    # Isolated atom, 13 diamond and 13 beta-tin cells, one 64-atom liquid frame.
    train = [si[0]] + si[1:14] + si[26:39] + [si[51]]
    write(os.path.join(HERE, "si_train.xyz"), train)
    slab, cluster = slab_and_cluster(si[20], (2, 2, 2))
    write(os.path.join(HERE, "structures_si.xyz"), [bare(si[20]), bare(si[45]), bare(si[52]), slab, cluster])
    tial = read(os.path.join(SHARED, "tial_ace", "TiAl_train.xyz"), ":")
    write(os.path.join(HERE, "tial_train.xyz"), tial[:40])
    slab, cluster = slab_and_cluster(tial[100], (2, 2, 2))
    write(os.path.join(HERE, "structures_tial.xyz"), [bare(tial[100]), bare(tial[200]), slab, cluster])


def run(command, cwd):
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0 or "SYSTEM ABORT" in proc.stdout:
        raise RuntimeError(f"{command[0]} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def gap_fit_models():
    common = ["default_sigma={0.002 0.1 0.05 0}", "sparse_jitter=1e-8", "rnd_seed=1", "do_copy_at_file=F"]
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(os.path.join(HERE, "si_train.xyz"), tmp)
        shutil.copy(os.path.join(HERE, "tial_train.xyz"), tmp)
        run(["gap_fit", "at_file=si_train.xyz", "gp_file=gap_fit_si.xml", "e0_method=isolated",
             "energy_parameter_name=dft_energy", "force_parameter_name=dft_force", "virial_parameter_name=dft_virial",
             "gap={distance_2b cutoff=5.0 cutoff_transition_width=1.0 covariance_type=ard_se delta=2.0 "
             "theta_uniform=0.5 n_sparse=8 sparse_method=uniform : soap cutoff=5.0 cutoff_transition_width=1.0 "
             "n_max=4 l_max=3 atom_sigma=0.5 zeta=4 delta=1.0 covariance_type=dot_product n_sparse=20 "
             "sparse_method=cur_points print_sparse_index=gap_fit_si_soap.idx}"] + common, tmp)
        run(["gap_fit", "at_file=tial_train.xyz", "gp_file=gap_fit_tial.xml", "e0_method=average",
             "energy_parameter_name=energy", "force_parameter_name=force", "virial_parameter_name=virial",
             "sparse_separate_file=F",
             "gap={distance_2b cutoff=4.5 covariance_type=ard_se delta=1.0 theta_uniform=0.7 n_sparse=6 "
             "sparse_method=uniform : soap cutoff=4.5 n_max=3 l_max=3 atom_sigma=0.5 zeta=2 delta=0.5 "
             "covariance_type=dot_product n_sparse=15 sparse_method=random}"] + common, tmp)
        for old in glob.glob(os.path.join(HERE, "gap_fit_*.xml*")):
            os.remove(old)
        for path in glob.glob(os.path.join(tmp, "gap_fit_*")):
            shutil.copy(path, HERE)


LJ_CORE = """<LJ_params n_types="1" label="default">
<per_type_data type="1" atomic_num="14" />
<per_pair_data type1="1" type2="1" sigma="2.1" eps6="0.1" eps12="0.1" cutoff="4.0" energy_shift="T" linear_force_shift="F" />
</LJ_params>
"""


def gap_fit_core_model():
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(os.path.join(HERE, "si_train.xyz"), tmp)
        with open(os.path.join(tmp, "lj.xml"), "w") as f:
            f.write(LJ_CORE)
        run(["gap_fit", "at_file=si_train.xyz", "gp_file=gap_fit_core_lj.xml", "core_param_file=lj.xml", "core_ip_args={IP LJ}",
             "e0_method=isolated", "energy_parameter_name=dft_energy", "force_parameter_name=dft_force",
             "virial_parameter_name=dft_virial", "sparse_separate_file=F", "default_sigma={0.002 0.1 0.05 0}",
             "rnd_seed=1", "do_copy_at_file=F",
             "gap={distance_2b cutoff=5.0 covariance_type=ard_se delta=2.0 theta_uniform=0.5 n_sparse=5 sparse_method=uniform}"], tmp)
        shutil.copy(os.path.join(tmp, "gap_fit_core_lj.xml"), HERE)


def our_models(bin_dir):
    for name in ["ours_si", "ours_tial", "ours_si_optimal", "ours_tial_combined"]:
        for old in glob.glob(os.path.join(HERE, name + ".xml*")):
            os.remove(old)
        run([os.path.join(bin_dir, "gap-train"), "--quiet", name + ".json"], HERE)
        inline = ["--inline"] if name == "ours_tial" else []
        run([os.path.join(bin_dir, "gap-export"), "--quiet", name + ".gapjson", "--format", "gap-xml",
             "--output", name + ".xml"] + inline, HERE)


def quippy_reference(models):
    from quippy.potential import Potential

    reference = {}
    for model, structures in models:
        pot = Potential(param_filename=os.path.join(HERE, model))
        frames = []
        for atoms in read(os.path.join(HERE, structures), ":"):
            atoms.calc = pot
            energy = float(atoms.get_potential_energy())
            forces = atoms.get_forces().tolist()
            virial = np.array(pot.get_virial(atoms)).reshape(3, 3).tolist() if atoms.pbc.all() else None
            frames.append({"energy": energy, "forces": forces, "virial": virial})
        reference[model] = {"structures": structures, "frames": frames}
    return reference


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.path.join(PACKAGE, ".build", "debug"), help="directory with gap-train and gap-export")
    parser.add_argument("--only-core", action="store_true", help="only (re)make gap_fit_core_lj.xml")
    args = parser.parse_args()
    if args.only_core:
        gap_fit_core_model()
        return
    write_data()
    gap_fit_models()
    gap_fit_core_model()
    our_models(os.path.abspath(args.bin))
    models = [("gap_fit_si.xml", "structures_si.xyz"), ("gap_fit_tial.xml", "structures_tial.xyz"),
              ("ours_si.xml", "structures_si.xyz"), ("ours_tial.xml", "structures_tial.xyz"),
              ("ours_si_optimal.xml", "structures_si.xyz"), ("ours_tial_combined.xml", "structures_tial.xyz")]
    reference = quippy_reference(models)
    reference["producer"] = "quippy-ase 0.10.3 (QUIP/GAP 0.10.3): Potential(param_filename=...), full precision"
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
