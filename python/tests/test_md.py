"""ASE's own integrators and optimisers driving swiftgap.Calculator."""
import numpy as np
import pytest
from ase import units
from ase.build import bulk
from ase.eos import EquationOfState
from ase.filters import FrechetCellFilter
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
from ase.md.verlet import VelocityVerlet
from ase.optimize import BFGS

import swiftgap


def nve_energies(model, timestep_fs, duration_fs=1000.0):
    """Total energy per atom at every step of an NVE run of 64-atom diamond Si, velocities drawn
    at 1000 K (seeded), with ASE's VelocityVerlet."""
    atoms = bulk("Si", "diamond", a=5.43, cubic=True).repeat(2)
    atoms.calc = swiftgap.Calculator(model)
    MaxwellBoltzmannDistribution(atoms, temperature_K=1000, rng=np.random.default_rng(1))
    Stationary(atoms)
    dynamics = VelocityVerlet(atoms, timestep=timestep_fs * units.fs)
    energies = [atoms.get_total_energy() / len(atoms)]
    dynamics.attach(lambda: energies.append(atoms.get_total_energy() / len(atoms)), interval=1)
    dynamics.run(int(round(duration_fs / timestep_fs)))
    return np.array(energies), atoms


def test_nve_conserves_energy_and_the_error_scales_as_dt_squared(silicon_model):
    fine, atoms = nve_energies(silicon_model, 0.5)
    coarse, _ = nve_energies(silicon_model, 1.0)
    spread_fine, spread_coarse = np.ptp(fine), np.ptp(coarse)
    print(f"NVE 64 Si, 1 ps: spread {spread_fine:.3e} eV/atom at 0.5 fs, {spread_coarse:.3e} at 1 fs, "
          f"ratio {spread_coarse / spread_fine:.2f}, final T {atoms.get_temperature():.0f} K")
    assert spread_fine <= 5e-5
    # Velocity Verlet's energy error is O(dt²): forces consistent with the energy give ~4x.
    assert 3.0 <= spread_coarse / spread_fine <= 5.5
    # No drift: the fitted slope over the picosecond is far below the fluctuation.
    time_ps = np.arange(len(fine)) * 0.5e-3
    slope = np.polyfit(time_ps, fine, 1)[0]
    assert abs(slope) * 1.0 < 0.25 * spread_fine
    assert atoms.get_temperature() > 200  # the atoms really moved


def lattice_constant_by_optimisation(model):
    atoms = bulk("Si", "diamond", a=5.55, cubic=True)
    atoms.calc = swiftgap.Calculator(model)
    BFGS(FrechetCellFilter(atoms), logfile=None).run(fmax=1e-5, steps=200)
    cell = atoms.cell.array
    assert np.allclose(cell, np.diag(np.diag(cell)), atol=1e-6)  # stays cubic
    return float(np.mean(np.diag(cell)))


def energy_at(model, a):
    atoms = bulk("Si", "diamond", a=a, cubic=True)
    atoms.calc = swiftgap.Calculator(model)
    return atoms.get_potential_energy()


def test_optimisation_and_equation_of_state_give_the_models_lattice_constant(silicon_model):
    a_optimised = lattice_constant_by_optimisation(silicon_model)
    lattice = np.linspace(a_optimised - 0.08, a_optimised + 0.08, 9)
    volumes = lattice ** 3
    energies = [energy_at(silicon_model, a) for a in lattice]
    v0, e0, b = EquationOfState(volumes, energies, eos="birchmurnaghan").fit()
    a_eos = v0 ** (1 / 3)
    # A direct scan of the energy, refined by a parabola through the three lowest points.
    scan = np.linspace(a_optimised - 0.01, a_optimised + 0.01, 21)
    scan_energies = np.array([energy_at(silicon_model, a) for a in scan])
    k = int(np.argmin(scan_energies))
    assert 0 < k < len(scan) - 1
    c = np.polyfit(scan[k - 1:k + 2], scan_energies[k - 1:k + 2], 2)
    a_scan = -c[1] / (2 * c[0])
    print(f"lattice constant: optimised {a_optimised:.5f} Å, EOS {a_eos:.5f} Å, scan {a_scan:.5f} Å, "
          f"bulk modulus {b / units.GPa:.1f} GPa")
    assert abs(a_optimised - a_eos) < 1e-3
    assert abs(a_optimised - a_scan) < 1e-3
    assert 5.2 < a_optimised < 5.7  # silicon
