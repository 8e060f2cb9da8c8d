"""Out-of-fold energy errors of a gap-cv report, grouped by kind of frame.

Usage: python3 cv_error_groups.py REPORT_DIR TRAIN_XYZ

Groups frames by atom count, volume per atom (0.1 Å^3) and mean |F| of the labels (MD snapshot
> 0.3 eV/Å, relaxing > 0.02, else near equilibrium); frames above 30 Å^3/atom (slabs with vacuum)
are listed one by one. Prints each group's MAE and its share of the pooled MAE, which is how the
Ge paragraph of BENCHMARKS.md ("Germanium energies, second pass") splits the error.
"""
import collections
import sys

import numpy as np
from ase.io import read

report, train_file = sys.argv[1], sys.argv[2]
predicted = read(f"{report}/predictions.xyz", ":")
labelled = read(train_file, ":")
force_key = "force" if "force" in labelled[0].arrays else "forces"

groups = collections.defaultdict(list)
slabs = []
for index, (frame, reference) in enumerate(zip(predicted, labelled)):
    n_atoms = len(frame)
    error_mev_per_atom = (frame.get_potential_energy() - frame.info["ref_energy"]) / n_atoms * 1000
    volume_per_atom = reference.get_volume() / n_atoms
    mean_abs_force = np.abs(reference.arrays[force_key]).mean()
    if volume_per_atom > 30:
        slabs.append((index, n_atoms, volume_per_atom, error_mev_per_atom))
        key = ("slab", 0, 0.0)
    else:
        kind = "md" if mean_abs_force > 0.3 else ("relaxing" if mean_abs_force > 0.02 else "equilibrium")
        key = (kind, n_atoms, round(volume_per_atom, 1))
    groups[key].append(error_mev_per_atom)

n_frames = len(predicted)
total = sum(np.abs(v).sum() for v in groups.values())
print(f"pooled energy MAE {total / n_frames:.3f} meV/atom over {n_frames} frames")
print(f"{'group':<34}{'frames':>7}{'MAE':>9}{'mean':>9}{'share':>8}")
for key in sorted(groups, key=lambda k: -np.abs(groups[k]).sum()):
    errors = np.array(groups[key])
    label = "slabs (> 30 Å^3/atom)" if key[0] == "slab" else f"{key[0]}, {key[1]} atoms, {key[2]} Å^3/atom"
    print(f"{label:<34}{len(errors):>7}{np.abs(errors).mean():>9.2f}{errors.mean():>9.2f}"
          f"{np.abs(errors).sum() / total:>8.0%}")
print("slabs: frame, atoms, volume per atom, error (meV/atom)")
for index, n_atoms, volume, error in sorted(slabs, key=lambda s: -abs(s[3])):
    print(f"  {index:4d} {n_atoms:4d} {volume:6.1f} {error:8.2f}")
