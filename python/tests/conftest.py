"""Shared pieces of the Python tests: the repository, its built tools and test models."""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "GAPXMLTests" / "Fixtures"


def tool(name):
    """A gap-* executable: $SWIFTGAP_BIN/name, else the release build, else the debug build."""
    directories = [os.environ.get("SWIFTGAP_BIN"), ROOT / ".build" / "release", ROOT / ".build" / "debug"]
    for directory in directories:
        if directory and (Path(directory) / name).is_file():
            return str(Path(directory) / name)
    pytest.fail(f"{name} is not built: run `swift build` in {ROOT} first")


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def silicon_model():
    """A SOAP + distance_2b silicon model (n_max 4, l_max 3, 30 + 10 sparse points) shipped with the tests."""
    return str(FIXTURES / "ours_si.gapjson")


@pytest.fixture(scope="session")
def tial_model():
    """A two-species (Ti, Al) SOAP + distance_2b model."""
    return str(FIXTURES / "ours_tial.gapjson")


def rattled_silicon(repeat=2, amplitude=0.1, seed=1):
    atoms = bulk("Si", "diamond", a=5.43, cubic=True).repeat(repeat)
    atoms.positions += np.random.default_rng(seed).uniform(-amplitude, amplitude, atoms.positions.shape)
    return atoms


# Every kind of term the shipped configs (configs/zuo2020/*.json, configs/tial.json) use, at toy
# sizes: SOAP on the optimal radial basis with radial scaling (one term per centre species, as
# configs/tial.json, when `centre_species` are given), a second SOAP of another cutoff on QUIP's
# basis, the bispectrum (nu = 3, optimal basis), the radial spectrum (nu = 1), distance_2b (one
# term per species pair) and the 3-body angle_3b (one per centre species and neighbour pair).
def every_term_kind(centre_species=()):
    optimal_soap = {"type": "soap", "cutoff": 4.5, "cutoff_transition_width": 1.0, "n_max": 3, "l_max": 3,
                    "atom_sigma": 0.5, "radial_basis": "optimal", "n_max_primitive": 6,
                    "radial_scaling": {"c": 1.0, "r0": 3.0, "m": 2}, "delta": 0.5, "zeta": 2, "n_sparse": 15,
                    "sparse_method": "cur"}
    per_centre = [dict(optimal_soap, Z=[z]) for z in centre_species] or [optimal_soap]
    return per_centre + [
        {"type": "soap", "cutoff": 3.4, "cutoff_transition_width": 0.8, "n_max": 3, "l_max": 2, "atom_sigma": 0.5,
         "delta": 0.2, "zeta": 2, "n_sparse": 15, "sparse_method": "cur"},
        {"type": "bispectrum", "cutoff": 4.0, "cutoff_transition_width": 1.0, "n_max": 2, "l_max": 2, "atom_sigma": 0.5,
         "radial_basis": "optimal", "n_max_primitive": 5, "delta": 0.2, "zeta": 2, "n_sparse": 15, "sparse_method": "cur"},
        {"type": "radial_spectrum", "cutoff": 5.0, "cutoff_transition_width": 1.0, "n_max": 4, "atom_sigma": 0.5,
         "delta": 0.2, "zeta": 2, "n_sparse": 15, "sparse_method": "cur"},
        {"type": "distance_2b", "cutoff": 5.0, "cutoff_transition_width": 1.0, "theta_uniform": 0.8, "delta": 1.0,
         "n_sparse": 8, "sparse_method": "uniform"},
        {"type": "angle_3b", "cutoff": 3.3, "cutoff_transition_width": 0.6, "theta_uniform": 0.5, "delta": 0.1,
         "n_sparse": 10, "sparse_method": "uniform"},
    ]


EVERY_TERM_TYPE = {"soap", "bispectrum", "radial_spectrum", "distance_2b", "angle_3b"}


def train(directory, train_file, descriptors, name):
    """Trains a model with the built gap-train; returns the model's path."""
    config = Path(directory) / f"{name}.json"
    config.write_text(json.dumps({
        "train_files": [str(train_file)],
        "e0": "average", "descriptors": descriptors,
        "default_sigma": {"energy": 0.002, "forces": 0.1, "virial": 0.05},
        "seed": 1, "output": f"{name}.gapjson", "threads": 2}))
    run([tool("gap-train"), str(config), "--quiet"], cwd=directory)
    return str(Path(directory) / f"{name}.gapjson")


def train_every_term_kind(directory, train_file, centre_species, term_count):
    model = train(directory, train_file, every_term_kind(centre_species), "model")
    terms = json.loads(Path(model).read_text())["terms"]
    assert {term["type"] for term in terms} == EVERY_TERM_TYPE and len(terms) == term_count
    return model


@pytest.fixture(scope="session")
def every_term_tial_model(tmp_path_factory):
    """A Ti-Al model with every term kind (every_term_kind; 5 density terms + 3 distance_2b + 6 angle_3b), trained
    on the 40 two-atom frames of tial_train.xyz in about a second."""
    return train_every_term_kind(tmp_path_factory.mktemp("every_term_tial"), FIXTURES / "tial_train.xyz", [22, 13], 14)


@pytest.fixture(scope="session")
def every_term_silicon_model(tmp_path_factory):
    """A silicon model with every term kind (6 terms), trained on si_train.xyz in about a second."""
    return train_every_term_kind(tmp_path_factory.mktemp("every_term_si"), FIXTURES / "si_train.xyz", [], 6)


def rattled_tial(repeat=(3, 3, 2), amplitude=0.15, seed=1, triclinic=False):
    """A rattled supercell of the two-atom TiAl cell of the training frames (a 2.70 Å, c 3.90 Å,
    Al at the body centre), optionally sheared."""
    from ase import Atoms
    a, c = 2.70, 3.90
    atoms = Atoms("TiAl", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5)], cell=np.diag([a, a, c]), pbc=True).repeat(repeat)
    if triclinic:
        sheared(atoms)
    atoms.positions += np.random.default_rng(seed).uniform(-amplitude, amplitude, atoms.positions.shape)
    return atoms


def sheared(atoms):
    """Shears the cell (and the atoms with it) into a general triclinic one."""
    cell = atoms.cell.array.copy()
    cell[1] += 0.18 * cell[0]
    cell[2] += 0.11 * cell[0] - 0.07 * cell[1]
    atoms.set_cell(cell, scale_atoms=True)
    return atoms


# LAMMPS types in another order than the model's species (Al, Ti: ascending Z): type 1 is Al.
TIAL_TYPES = ["Al", "Ti"]
def every_term_system(request, system, size, triclinic, seed):
    """(model, rattled structure, element of each LAMMPS type) of the every-term models.
    `small` cells have every cutoff beyond half the box in some direction, so one neighbour list
    (and one angle_3b triplet) holds several images of one atom: TiAl 4 atoms in 5.4 x 2.7 x 3.9 Å,
    Si 8 atoms in 5.43 Å (cutoffs 3.3 to 5 Å)."""
    if system == "tial":
        atoms = rattled_tial(repeat=(3, 3, 2) if size == "supercell" else (2, 1, 1), seed=seed, triclinic=triclinic)
        return request.getfixturevalue("every_term_tial_model"), atoms, TIAL_TYPES
    atoms = rattled_silicon(repeat=2 if size == "supercell" else 1, seed=seed)
    if triclinic:
        sheared(atoms)
    return request.getfixturevalue("every_term_silicon_model"), atoms, ["Si"]


def opened(atoms, pbc):
    """The atoms with open directions (pbc False) padded by 6 Å of vacuum on each side."""
    atoms.center(vacuum=6.0, axis=[a for a in range(3) if not pbc[a]])
    atoms.pbc = pbc
    return atoms
