#!/usr/bin/env python3
"""Writes a copy of an extended XYZ file whose surface-slab frames carry their own energy sigma.

Usage: slab_sigma.py TRAIN_XYZ OUT_XYZ SIGMA_EV_PER_ATOM

A frame is a slab when its volume per atom exceeds 30 Å^3 (as in Benchmarks/tuning/
cv_error_groups.py). Its header gets `energy_sigma=SIGMA·sqrt(N)` (per-frame sigmas from the data
are absolute, docs/config.md `sigma_keys`, so the per-atom value is scaled as `sigma_per_atom`
scales the default). Every other line is copied unchanged.
"""
import math
import re
import sys

import numpy as np

source, target, sigma_per_atom = sys.argv[1], sys.argv[2], float(sys.argv[3])
lines = open(source).read().splitlines(keepends=True)
out, index, n_slabs = [], 0, 0
while index < len(lines):
    n_atoms = int(lines[index])
    header = lines[index + 1]
    lattice = np.array(re.search(r'Lattice="([^"]*)"', header).group(1).split(), dtype=float).reshape(3, 3)
    volume = abs(np.linalg.det(lattice))
    if volume / n_atoms > 30:
        header = header.rstrip("\n") + f" energy_sigma={sigma_per_atom * math.sqrt(n_atoms):.8g}\n"
        n_slabs += 1
    out.append(lines[index])
    out.append(header)
    out.extend(lines[index + 2:index + 2 + n_atoms])
    index += 2 + n_atoms
open(target, "w").writelines(out)
print(f"{n_slabs} slab frames given energy_sigma {sigma_per_atom} eV/atom x sqrt(N)", file=sys.stderr)
