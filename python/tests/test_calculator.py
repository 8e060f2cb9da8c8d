"""swiftgap.Calculator against gap-predict, finite differences and its own contract."""
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.calculator import PropertyNotImplementedError
from ase.io import read, write

import swiftgap
from conftest import FIXTURES, every_term_system, opened, rattled_silicon, rattled_tial, run, tool


def structures():
    periodic = rattled_silicon(seed=2)
    slab = rattled_silicon(seed=3)
    slab.cell[2, 2] += 12.0
    slab.pbc = (True, True, False)
    cluster = rattled_silicon(seed=4)[:20]
    cluster.pbc = False
    cluster.cell = np.zeros((3, 3))
    return {"periodic": periodic, "slab": slab, "cluster": cluster}


def gap_predict_reference(tmp_path, model, atoms):
    """The structure as written to extended XYZ (the positions gap-predict reads) and gap-predict's
    result for it."""
    write(tmp_path / "in.xyz", atoms, format="extxyz")
    written = read(tmp_path / "in.xyz", format="extxyz")
    run([tool("gap-predict"), "--model", model, str(tmp_path / "in.xyz"), "--output", str(tmp_path / "out.xyz"), "--quiet"])
    return written, read(tmp_path / "out.xyz", format="extxyz")


def central_difference_forces(atoms, indices, h):
    """−∂E/∂r by central differences for the given atoms (rows in `indices` order)."""
    numerical = np.zeros((len(indices), 3))
    for row, atom in enumerate(indices):
        for a in range(3):
            energies = []
            for sign in (1, -1):
                atoms.positions[atom, a] += sign * h
                energies.append(atoms.get_potential_energy())
                atoms.positions[atom, a] -= sign * h
            numerical[row, a] = -(energies[0] - energies[1]) / (2 * h)
    return numerical


def strain_derivative_stress(atoms, h):
    """(∂E/∂ε)/V by central differences of a homogeneous strain; the cell and positions are restored."""
    cell0, positions0, volume = atoms.cell.array.copy(), atoms.positions.copy(), atoms.get_volume()
    numerical = np.zeros((3, 3))
    for a in range(3):
        for b in range(3):
            energies = []
            for sign in (1, -1):
                strain = np.eye(3)
                strain[a, b] += sign * h
                atoms.set_cell(cell0 @ strain, scale_atoms=False)
                atoms.positions = positions0 @ strain
                energies.append(atoms.get_potential_energy())
            numerical[a, b] = (energies[0] - energies[1]) / (2 * h) / volume
    atoms.set_cell(cell0)
    atoms.positions = positions0
    return numerical


@pytest.mark.parametrize("name", ["periodic", "slab", "cluster"])
def test_parity_with_gap_predict(tmp_path, silicon_model, name):
    atoms, reference = gap_predict_reference(tmp_path, silicon_model, structures()[name])  # positions to 8 decimals
    atoms.calc = swiftgap.Calculator(silicon_model)
    n = len(atoms)
    assert abs(atoms.get_potential_energy() - reference.get_potential_energy()) / n <= 1e-10
    assert np.max(np.abs(atoms.get_forces() - reference.get_forces())) <= 1e-9
    assert atoms.get_potential_energies().sum() == pytest.approx(atoms.get_potential_energy(), abs=1e-9)
    if name == "periodic":
        assert np.max(np.abs(atoms.get_stress() - reference.get_stress())) <= 1e-9
    else:
        with pytest.raises(PropertyNotImplementedError):
            atoms.get_stress()


@pytest.mark.parametrize("shape", ["orthogonal", "triclinic"])
@pytest.mark.parametrize("size", ["supercell", "small"])
@pytest.mark.parametrize("system", ["tial", "si"])
def test_every_term_kind_parity_with_gap_predict(tmp_path, request, system, size, shape):
    """SOAP (optimal basis, radial scaling; two cutoffs), bispectrum, radial spectrum, distance_2b
    and angle_3b (conftest.every_term_kind); `small` cells are smaller than twice the cutoffs."""
    model, atoms, _ = every_term_system(request, system, size, shape == "triclinic", seed=31)
    atoms, reference = gap_predict_reference(tmp_path, model, atoms)
    atoms.calc = swiftgap.Calculator(model)
    n = len(atoms)
    assert abs(atoms.get_potential_energy() - reference.get_potential_energy()) / n <= 1e-10
    assert np.max(np.abs(atoms.get_forces() - reference.get_forces())) <= 1e-9
    assert np.max(np.abs(atoms.get_stress() - reference.get_stress())) <= 1e-9
    assert atoms.get_potential_energies().sum() == pytest.approx(atoms.get_potential_energy(), abs=1e-9)
    assert np.max(np.abs(reference.get_forces())) > 0.05 and np.max(np.abs(reference.get_stress())) > 1e-3


@pytest.mark.parametrize("pbc", [(True, True, False), (False, False, False)], ids=["slab", "cluster"])
def test_every_term_kind_open_directions_equal_gap_predict(tmp_path, every_term_tial_model, pbc):
    atoms, reference = gap_predict_reference(tmp_path, every_term_tial_model, opened(rattled_tial(seed=41), pbc))
    atoms.calc = swiftgap.Calculator(every_term_tial_model)
    assert abs(atoms.get_potential_energy() - reference.get_potential_energy()) / len(atoms) <= 1e-10
    assert np.max(np.abs(atoms.get_forces() - reference.get_forces())) <= 1e-9
    assert np.max(np.abs(reference.get_forces())) > 0.05


def test_every_term_kind_forces_and_stress_are_energy_derivatives(every_term_tial_model):
    atoms = rattled_tial(repeat=(2, 2, 1), seed=34, triclinic=True)
    atoms.calc = swiftgap.Calculator(every_term_tial_model)
    forces, stress = atoms.get_forces(), atoms.get_stress(voigt=False)
    numerical_forces = central_difference_forces(atoms, range(len(atoms)), h=1e-4)
    assert np.max(np.abs(numerical_forces - forces)) < 1e-6
    assert np.max(np.abs(strain_derivative_stress(atoms, h=1e-5) - stress)) < 1e-6
    assert np.max(np.abs(forces)) > 0.05 and np.max(np.abs(stress)) > 1e-3


def test_two_species_model_and_threads(tial_model):
    atoms = read(FIXTURES / "structures_tial.xyz", index=0)
    one = swiftgap.Calculator(tial_model, threads=1)
    two = swiftgap.Calculator(tial_model, threads=2)
    e1 = one.get_potential_energy(atoms)
    f1 = one.get_forces(atoms)
    assert two.get_potential_energy(atoms) == e1  # bit for bit
    assert np.array_equal(two.get_forces(atoms), f1)
    assert sorted(one.model.species) == [13, 22]


def test_stress_is_minus_the_strain_derivative_over_volume(silicon_model):
    atoms = rattled_silicon(seed=5)
    atoms.calc = swiftgap.Calculator(silicon_model)
    stress = atoms.get_stress(voigt=False)
    assert np.max(np.abs(strain_derivative_stress(atoms, h=1e-5) - stress)) < 1e-6
    assert np.max(np.abs(stress)) > 1e-3  # a rattled cell is under stress: the test means something


def test_forces_are_minus_the_energy_gradient(silicon_model):
    atoms = rattled_silicon(seed=6)
    atoms.calc = swiftgap.Calculator(silicon_model)
    forces = atoms.get_forces()
    atoms_checked = [0, 17, 63]
    # h: round-off of energies of 1e4 eV against the O(h²) error
    numerical = central_difference_forces(atoms, atoms_checked, h=1e-4)
    assert np.max(np.abs(numerical - forces[atoms_checked])) < 1e-6


def test_errors_name_the_problem(tmp_path, silicon_model):
    with pytest.raises(swiftgap.SwiftGAPError, match="missing.gapjson") as error:
        swiftgap.Calculator(str(tmp_path / "missing.gapjson"))
    assert error.value.kind == "file"
    corrupt = tmp_path / "corrupt.gapjson"
    corrupt.write_text("{ not a model")
    with pytest.raises(swiftgap.SwiftGAPError, match="corrupt.gapjson") as error:
        swiftgap.Calculator(str(corrupt))
    assert error.value.kind == "model"
    atoms = bulk("C", "diamond", a=3.57)
    atoms.calc = swiftgap.Calculator(silicon_model)
    with pytest.raises(swiftgap.SwiftGAPError, match=r"\bC\b") as error:
        atoms.get_potential_energy()
    assert error.value.kind == "species"


def test_uncertainty_is_refused_without_a_posterior_factor(silicon_model):
    atoms = rattled_silicon()
    atoms.calc = swiftgap.Calculator(silicon_model)
    with pytest.raises(PropertyNotImplementedError, match="uncertainty"):
        atoms.calc.get_property("energy_std", atoms)


def test_uncertainty_matches_gap_predict(tmp_path):
    """A model trained with "uncertainty": true: energy_std and forces_std as gap-predict --uncertainty writes them."""
    config = tmp_path / "config.json"
    config.write_text(f"""{{"train_files": ["{FIXTURES}/si_train.xyz"], "e0": "isolated",
        "descriptors": [{{"type": "soap", "cutoff": 4.0, "cutoff_transition_width": 1.0, "n_max": 3, "l_max": 2,
                          "atom_sigma": 0.5, "delta": 1.0, "zeta": 2, "n_sparse": 15, "sparse_method": "cur"}}],
        "default_sigma": {{"energy": 0.002, "forces": 0.1, "virial": 0.05}},
        "uncertainty": true, "seed": 3, "output": "model.gapjson", "threads": 2}}""")
    run([tool("gap-train"), str(config), "--quiet"], cwd=tmp_path)
    model = str(tmp_path / "model.gapjson")
    write(tmp_path / "in.xyz", rattled_silicon(seed=7), format="extxyz")
    atoms = read(tmp_path / "in.xyz", format="extxyz")
    run([tool("gap-predict"), "--model", model, str(tmp_path / "in.xyz"), "--output", str(tmp_path / "out.xyz"), "--uncertainty", "--quiet"])
    reference = read(tmp_path / "out.xyz", format="extxyz")
    atoms.calc = swiftgap.Calculator(model)
    assert atoms.calc.get_property("energy_std", atoms) == pytest.approx(reference.info["energy_std"], rel=1e-9)
    assert np.allclose(atoms.calc.get_property("forces_std", atoms), reference.arrays["forces_std"], rtol=1e-9, atol=1e-12)
