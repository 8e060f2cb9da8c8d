#!/usr/bin/env python3
"""Out-of-sample errors of Ni predictions, all frames and split by the frame's mean |F|.

Reads an extended XYZ written by `gap-predict --output` or a `gap-cv` report's predictions.xyz
(`energy`/`ref_energy` in the header, `forces`/`ref_forces` per atom), and reports the frames in
three groups by their mean reference |F|: above 1 eV/Å (107 of the 263 training frames, 107- and
108-atom MD snapshots), 0.3 to 1 eV/Å (37, also 108-atom snapshots) and below 0.3 eV/Å (119,
near-equilibrium cells, surfaces and strained bulk; all below 0.02 eV/Å). Energy MAE in meV/atom,
force MAE per component in eV/Å.

Usage: error_split.py PREDICTIONS.xyz [...]
"""
import re
import sys

import numpy as np

from xyz_blocks import frame_blocks

GROUPS = ((1.0, "mean|F|>1"), (0.3, "0.3-1"), (0.0, "mean|F|<0.3"))  # eV/Å, mean |F_ref| of a frame


def columns(header):
    """Start column of each per-atom property named in Properties=."""
    spec = re.search(r"Properties=(\S+)", header).group(1).split(":")
    start, out = 0, {}
    for k in range(0, len(spec), 3):
        out[spec[k]] = start
        start += int(spec[k + 2])
    return out


def summarise(path):
    groups = {"all": ([], [])}
    groups.update({name: ([], []) for _, name in GROUPS})
    for block in frame_blocks(path):
        header, atoms = block[1], block[2:]
        col = columns(header)
        table = np.array([line.split()[1:] for line in atoms], dtype=float)
        f_pred = table[:, col["forces"] - 1:col["forces"] + 2]
        f_ref = table[:, col["ref_forces"] - 1:col["ref_forces"] + 2]
        e_pred = float(re.search(r"\benergy=(\S+)", header).group(1))
        e_ref = float(re.search(r"\bref_energy=(\S+)", header).group(1))
        e_error = abs(e_pred - e_ref) / len(atoms) * 1000
        mean_force = np.linalg.norm(f_ref, axis=1).mean()
        group = next(name for threshold, name in GROUPS if mean_force > threshold or threshold == 0.0)
        for name in ("all", group):
            groups[name][0].append(e_error)
            groups[name][1].append(np.abs(f_pred - f_ref).ravel())
    print(path)
    for name, (e, f) in groups.items():
        if e:
            print(f"  {name:13s} frames {len(e):4d}  E MAE {np.mean(e):.3f} meV/atom  F MAE {np.concatenate(f).mean():.4f} eV/Å")


if __name__ == "__main__":
    for p in sys.argv[1:]:
        summarise(p)
