"""The two SOAP benchmark structures, deterministic (fixed seeds):

* diamond512: cubic diamond Si, a = 5.431 Å, 4x4x4 conventional cells (512 atoms), every Cartesian
  coordinate displaced by Gaussian noise of standard deviation 0.05 Å (seed 2024);
* liquid216: 216 Si atoms at random in a cubic periodic box at 2.33 g/cm³ (side 16.29 Å), placed
  by random sequential addition with a minimum image distance of 2.0 Å (seed 7).
"""

import numpy as np
from ase import Atoms
from ase.build import bulk

AVOGADRO = 6.02214076e23
SI_MASS = 28.0855  # g/mol


def diamond512():
    atoms = bulk("Si", "diamond", a=5.431, cubic=True).repeat((4, 4, 4))
    rng = np.random.default_rng(2024)
    atoms.positions += rng.normal(0.0, 0.05, size=atoms.positions.shape)
    return atoms


def liquid216(count=216, density=2.33, min_distance=2.0):
    volume = count * SI_MASS / (density * AVOGADRO) * 1e24  # Å^3
    side = volume ** (1.0 / 3.0)
    rng = np.random.default_rng(7)
    positions = np.zeros((0, 3))
    while len(positions) < count:
        p = rng.uniform(0.0, side, size=3)
        if len(positions):
            d = positions - p
            d -= side * np.round(d / side)
            if np.min(np.einsum("ij,ij->i", d, d)) < min_distance**2:
                continue
        positions = np.vstack([positions, p])
    return Atoms("Si%d" % count, positions=positions, cell=[side, side, side], pbc=True)


STRUCTURES = {"diamond512": diamond512, "liquid216": liquid216}
