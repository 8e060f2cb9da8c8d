#!/usr/bin/env python3
"""Predict with a GAP XML model in quippy: python3 quippy_predict.py MODEL.xml STRUCTURES.xyz

Prints JSON: one {"energy": eV, "forces": [[eV/Å]], "virial": [[eV]] or null} per frame (virial
for fully periodic frames only, V = -dE/dstrain as gap-predict writes it). Used by
QuippyLiveTests (CI installs quippy-ase).
"""
import json
import sys

import numpy as np
from ase.io import read
from quippy.potential import Potential

potential = Potential(param_filename=sys.argv[1])
frames = []
for atoms in read(sys.argv[2], ":"):
    atoms.calc = potential
    energy = float(atoms.get_potential_energy())
    forces = atoms.get_forces().tolist()
    virial = np.array(potential.get_virial(atoms)).reshape(3, 3).tolist() if atoms.pbc.all() else None
    frames.append({"energy": energy, "forces": forces, "virial": virial})
json.dump(frames, sys.stdout)
