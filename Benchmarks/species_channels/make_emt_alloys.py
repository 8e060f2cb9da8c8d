#!/usr/bin/env python3
"""A synthetic 7-element alloy training set labelled by ASE's EMT (issue 18, item 2).

The many-species regime alchemical compression (`species_channels: K`, K << S) is for: Al, Cu,
Ag, Au, Ni, Pd, Pt (every element ASE's EMT parametrises for metals), 200 frames of 31 to 54
atoms, each with the EMT energy, forces and virial (−stress × volume):

  fcc_bulk   60  fcc 2x2x2 (32 atoms), random composition, random strain (±3 %), rattle 0.03-0.10 Å
  bcc_bulk   20  bcc 3x3x3 (54), strained and rattled
  hcp_bulk   20  hcp 3x3x2 x 2 atoms (36), strained and rattled
  md         50  Langevin MD of fcc 2x2x3 (48) cells at 300, 800 and 1500 K, snapshots every 40 steps
  vacancy    25  fcc 2x2x3 with 1 or 2 atoms removed (47, 46), strained ±2 %, rattled 0.05 Å
  surface    25  fcc(111) 3x3x4 slabs (36) with 6 Å of vacuum each side, rattled 0.05 Å

Compositions: a third near-pure (one element ≥ 85 %), a third high-entropy (all 7 in near-equal
shares, randomly assigned), a third of 2-4 random elements with Dirichlet fractions. Lattice
constants follow Vegard's law on EMT's fcc constants (hcp/bcc at the fcc nearest-neighbour
distance / equal volume). Everything is drawn from one numpy Generator seeded by --seed, so the
file is regenerated bit for bit (same ASE and numpy versions).

Keys: header `energy` (eV), `virial` (9 numbers, eV), `config_type`; column `forces` (eV/Å).
EMT's isolated-atom energies (e0) are printed as JSON for the training configs' `e0`.

  python3 Benchmarks/species_channels/make_emt_alloys.py [--seed 18] [--output emt_alloys.xyz]
"""
import argparse
import json

import numpy as np
from ase import Atoms
from ase.build import bulk, fcc111
from ase.calculators.emt import EMT
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
from ase import units

ELEMENTS = ["Al", "Cu", "Ag", "Au", "Ni", "Pd", "Pt"]
# fcc lattice constants (Å) near EMT's equilibrium ones.
FCC_A = {"Al": 4.05, "Cu": 3.61, "Ag": 4.09, "Au": 4.08, "Ni": 3.52, "Pd": 3.89, "Pt": 3.92}


def composition(rng, kind):
    """Fractions over ELEMENTS for one frame."""
    if kind == "pure":
        major = rng.integers(len(ELEMENTS))
        fractions = np.zeros(len(ELEMENTS))
        fractions[major] = rng.uniform(0.85, 1.0)
        minors = rng.choice([i for i in range(len(ELEMENTS)) if i != major], size=2, replace=False)
        fractions[minors] = (1 - fractions[major]) * rng.dirichlet([1, 1])
        return fractions
    if kind == "hea":
        return rng.dirichlet([20.0] * len(ELEMENTS))
    chosen = rng.choice(len(ELEMENTS), size=rng.integers(2, 5), replace=False)
    fractions = np.zeros(len(ELEMENTS))
    fractions[chosen] = rng.dirichlet([1.5] * len(chosen))
    return fractions


def decorate(rng, atoms, fractions):
    """Assigns species to the sites: counts from the fractions (largest remainders), shuffled."""
    n = len(atoms)
    raw = fractions * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    symbols = [ELEMENTS[i] for i in range(len(ELEMENTS)) for _ in range(counts[i])]
    atoms.set_chemical_symbols([symbols[i] for i in rng.permutation(n)])
    return atoms


def vegard_fcc(fractions):
    return float(sum(f * FCC_A[e] for f, e in zip(fractions, ELEMENTS)))


def strain(rng, atoms, amplitude):
    eps = rng.uniform(-amplitude, amplitude, size=(3, 3))
    eps = 0.5 * (eps + eps.T)
    atoms.set_cell(atoms.cell[:] @ (np.eye(3) + eps), scale_atoms=True)
    return atoms


def rattle(rng, atoms, stdev):
    atoms.positions = atoms.positions + rng.normal(0.0, stdev, size=atoms.positions.shape)
    return atoms


def structure(rng, kind, fractions):
    a = vegard_fcc(fractions)
    if kind == "fcc_bulk":
        atoms = bulk("Cu", "fcc", a=a, cubic=True).repeat((2, 2, 2))
    elif kind == "bcc_bulk":
        atoms = bulk("Cu", "bcc", a=a / 2 ** (1 / 3), cubic=True).repeat((3, 3, 3))  # fcc volume per atom
    elif kind == "hcp_bulk":
        atoms = bulk("Cu", "hcp", a=a / np.sqrt(2), c=a / np.sqrt(2) * np.sqrt(8 / 3)).repeat((3, 3, 2))
    elif kind in ("md", "vacancy"):
        atoms = bulk("Cu", "fcc", a=a, cubic=True).repeat((2, 2, 3))
    elif kind == "surface":
        atoms = fcc111("Cu", size=(3, 3, 4), a=a, vacuum=6.0, periodic=True)
    else:
        raise ValueError(kind)
    atoms.pbc = True
    return decorate(rng, atoms, fractions)


def label(atoms, config_type):
    """A calculator-free copy carrying EMT's energy, forces and virial."""
    atoms.calc = EMT()
    energy = atoms.get_potential_energy()
    forces = atoms.get_forces()
    virial = -atoms.get_stress(voigt=False) * atoms.get_volume()
    frame = Atoms(atoms.get_chemical_symbols(), positions=atoms.positions, cell=atoms.cell, pbc=True)
    frame.info["energy"] = float(energy)
    frame.info["virial"] = virial
    frame.info["config_type"] = config_type
    frame.arrays["forces"] = forces.copy()
    return frame


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--output", default="emt_alloys.xyz")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    kinds = ["pure", "hea", "mixed"]
    frames = []

    def composition_for(i):
        return composition(rng, kinds[i % 3])

    for config_type, count in [("fcc_bulk", 60), ("bcc_bulk", 20), ("hcp_bulk", 20)]:
        for i in range(count):
            atoms = structure(rng, config_type, composition_for(i))
            strain(rng, atoms, 0.03)
            rattle(rng, atoms, rng.uniform(0.03, 0.10))
            frames.append(label(atoms, config_type))
    # MD: 10 trajectories (temperatures cycling 300, 800, 1500 K), 5 snapshots each.
    for i in range(10):
        temperature = [300.0, 800.0, 1500.0][i % 3]
        atoms = structure(rng, "md", composition_for(i))
        strain(rng, atoms, 0.02)
        atoms.calc = EMT()
        MaxwellBoltzmannDistribution(atoms, temperature_K=temperature, rng=rng)
        dynamics = Langevin(atoms, 2.0 * units.fs, temperature_K=temperature, friction=0.02, fixcm=False, rng=rng)
        for _ in range(5):
            dynamics.run(40)
            frames.append(label(atoms.copy(), "md"))
    for i in range(25):
        atoms = structure(rng, "vacancy", composition_for(i))
        for _ in range(1 + i % 2):
            del atoms[int(rng.integers(len(atoms)))]
        strain(rng, atoms, 0.02)
        rattle(rng, atoms, 0.05)
        frames.append(label(atoms, "vacancy"))
    for i in range(25):
        atoms = structure(rng, "surface", composition_for(i))
        rattle(rng, atoms, 0.05)
        frames.append(label(atoms, "surface"))

    write_extxyz(args.output, frames)
    e0 = {}
    for element in ELEMENTS:
        atom = Atoms(element, positions=[[0, 0, 0]], cell=[20, 20, 20], pbc=False)
        atom.calc = EMT()
        e0[element] = round(float(atom.get_potential_energy()), 10)
    print(f"{len(frames)} frames, {sum(len(f) for f in frames)} atoms -> {args.output}")
    print("e0 (EMT isolated atoms, eV):", json.dumps(e0))


def write_extxyz(path, frames):
    """Plain extended XYZ with fixed formats (so the bytes do not depend on ASE's writer)."""
    with open(path, "w") as out:
        for frame in frames:
            cell = " ".join(f"{x:.10f}" for x in frame.cell[:].reshape(-1))
            virial = " ".join(f"{x:.10f}" for x in frame.info["virial"].reshape(-1))
            out.write(f"{len(frame)}\n")
            out.write(f'Lattice="{cell}" Properties=species:S:1:pos:R:3:forces:R:3 energy={frame.info["energy"]:.10f} '
                      f'virial="{virial}" config_type={frame.info["config_type"]} pbc="T T T"\n')
            for symbol, position, force in zip(frame.get_chemical_symbols(), frame.positions, frame.arrays["forces"]):
                out.write(f"{symbol:2s} " + " ".join(f"{x:16.10f}" for x in position) + " "
                          + " ".join(f"{x:16.10f}" for x in force) + "\n")


if __name__ == "__main__":
    main()
