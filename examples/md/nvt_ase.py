"""Silicon at 1000 K in ASE with a SwiftGAP model: Langevin NVT, 216 atoms, 0.5 fs steps.

    python3 -m pip install ./python                     # once, from the repository root
    .build/release/gap-train configs/default.json       # the shipped silicon model (README)
    python3 examples/md/nvt_ase.py [MODEL] [STEPS]

Writes the trajectory to nvt_ase.traj and prints the temperature and energies every 100 steps.
"""
import sys

import numpy as np
from ase import units
from ase.build import bulk
from ase.io.trajectory import Trajectory
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary

from swiftgap import Calculator

model = sys.argv[1] if len(sys.argv) > 1 else "model-si-zuo2020.gapjson"
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 4000

atoms = bulk("Si", "diamond", a=5.43, cubic=True).repeat(3)
atoms.calc = Calculator(model, threads=2)
MaxwellBoltzmannDistribution(atoms, temperature_K=1000, rng=np.random.default_rng(7))
Stationary(atoms)

dynamics = Langevin(atoms, timestep=0.5 * units.fs, temperature_K=1000, friction=0.01 / units.fs, rng=np.random.default_rng(8))
trajectory = Trajectory("nvt_ase.traj", "w", atoms)
dynamics.attach(trajectory.write, interval=100)


def report():
    n = len(atoms)
    print(f"step {dynamics.nsteps:6d}  T {atoms.get_temperature():7.1f} K  "
          f"E_pot {atoms.get_potential_energy() / n:.5f} eV/atom  E_tot {atoms.get_total_energy() / n:.5f} eV/atom", flush=True)


dynamics.attach(report, interval=100)
dynamics.run(steps)
