"""Reference covariance spectrum for the optimal radial basis tests (RadialContractionTests).

Run from this directory with quippy-ase 0.10.3 and numpy installed (the tests never need them):

    python make_optimal_basis_fixture.py

An independent route to the numbers RadialContraction.fit computes: QUIP's `soap` descriptor
(normalise=F) gives the unnormalised power spectrum p[(A, B, l)] = s_AB / sqrt(2l+1) Σ_m c_Alm c_Blm
with s_AB = sqrt(2) for A != B; its same-species blocks A = (a, n), B = (a, n') therefore hold
Σ_m c_anlm c_an'lm, whose average over environments is the uncentred covariance C^{a l}[n, n'].
numpy's eigh diagonalises each C^{a l}; the fixture stores the eigenvalues (descending) and the
cumulative retained-variance fractions per (species, l).

Writes optimal_basis_reference.json: structures, hyper-parameters (gap_fit names, n_max = the
primitive count P), per (species, l) `eigenvalues` and `retained` (`blocks`), and the same per l
for the combined-species covariance over every channel pair (`combined_blocks`).
"""

import json
import math
import os

import numpy as np
from quippy.descriptors import Descriptor

from make_quippy_fixtures import random_cell, quippy_args, structure_json

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    h = dict(cutoff=4.5, cutoff_transition_width=1.0, n_max=8, l_max=4, atom_sigma=0.5, central_weight=1.0,
             normalise=False, species_Z=[8, 14], Z=[8, 14], radial_scaling=None)
    cells = [
        np.array([[4.6, 0.2, 0.0], [-0.3, 4.4, 0.1], [0.4, 0.0, 4.8]]),
        np.array([[5.0, 0.0, 0.0], [0.8, 4.7, 0.0], [-0.4, 0.3, 5.2]]),
        np.array([[4.9, -0.2, 0.3], [0.1, 5.1, -0.4], [0.0, 0.6, 4.5]]),
    ]
    structures = [random_cell("Si2O4", 101, cells[0], 1.55), random_cell("Si3O5", 102, cells[1], 1.5),
                  random_cell("Si4O4", 103, cells[2], 1.6)]
    species = h["species_Z"]
    p = h["n_max"]
    lcount = h["l_max"] + 1
    channels = len(species) * p
    sums = np.zeros((len(species), lcount, p, p))
    environments = 0
    D = Descriptor(quippy_args(h))
    for atoms in structures:
        data = np.asarray(D.calc(atoms)["data"])
        for row in data:
            environments += 1
            for a in range(channels):
                for b in range(a + 1):
                    if a // p != b // p:
                        continue
                    s = a // p
                    for l in range(lcount):
                        value = row[(a * (a + 1) // 2 + b) * lcount + l]
                        scale = (1.0 if a == b else math.sqrt(2.0)) / math.sqrt(2 * l + 1)
                        c = value / scale
                        sums[s, l, a % p, b % p] = sums[s, l, a % p, b % p] + c
                        if a != b:
                            sums[s, l, b % p, a % p] = sums[s, l, b % p, a % p] + c
    # Combined species: one covariance per l over every channel (a, n), cross-species included.
    combined = np.zeros((lcount, channels, channels))
    for atoms in structures:
        data = np.asarray(D.calc(atoms)["data"])
        for row in data:
            for a in range(channels):
                for b in range(a + 1):
                    for l in range(lcount):
                        value = row[(a * (a + 1) // 2 + b) * lcount + l]
                        c = value / ((1.0 if a == b else math.sqrt(2.0)) / math.sqrt(2 * l + 1))
                        combined[l, a, b] += c
                        if a != b:
                            combined[l, b, a] += c
    combined_records = []
    for l in range(lcount):
        values = np.linalg.eigh(combined[l] / environments)[0][::-1]
        clamped = np.clip(values, 0, None)
        combined_records.append({"l": l, "eigenvalues": values.tolist(), "retained": (np.cumsum(clamped) / clamped.sum()).tolist()})
    records = []
    for s, z in enumerate(species):
        for l in range(lcount):
            covariance = sums[s, l] / environments
            values = np.linalg.eigh(covariance)[0][::-1]
            clamped = np.clip(values, 0, None)
            retained = np.cumsum(clamped) / clamped.sum()
            records.append({"species": z, "l": l, "eigenvalues": values.tolist(), "retained": retained.tolist()})
    out = {
        "generator": "make_optimal_basis_fixture.py (quippy-ase 0.10.3 soap normalise=F, numpy eigh)",
        "hypers": h,
        "quippy_args": quippy_args(h),
        "environments": environments,
        "structures": [structure_json(a) for a in structures],
        "blocks": records,
        "combined_blocks": combined_records,
    }
    with open(os.path.join(HERE, "optimal_basis_reference.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
    for r in records:
        print(r["species"], r["l"], " ".join("%.4f" % x for x in r["retained"]))


if __name__ == "__main__":
    main()
