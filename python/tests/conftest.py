"""Shared pieces of the Python tests: the repository, its built tools and test models."""
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
