"""Writes configs/tial_train_split.json: every frame of ../shared/datasets/tial_ace/TiAl_train.xyz
for training except frame 254 (0-based), after checking the evidence that its labels are frame
253's.

Frames 253 and 254 (config type TiAl_T5000, 54 atoms) have the same fractional coordinates, the
same energy and bit-identical forces, and virials in the ratio of their volumes (the same stress),
but 254's cell is 3.9 % shorter (14.318 against 16.144 Å^3/atom). A structure compressed by 11 % in
volume at 5000 K cannot have the same energy, forces and stress: 254's labelled pressure (15.3 GPa)
and energy per atom are those of the 16.144 Å^3/atom frames, while the other frames at 14.318
Å^3/atom are at 32 to 34 GPa. So 254 carries 253's labels on a rescaled cell.

Run from the repository root (needs ASE): python3 Benchmarks/tuning/tial_split.py
"""
import json
import numpy as np
from ase.io import read

DATA = "../shared/datasets/tial_ace/TiAl_train.xyz"
BAD, TWIN = 254, 253


def pressure_gpa(atoms):
    return np.trace(atoms.info["virial"]) / 3 / atoms.get_volume() * 160.21766


frames = read(DATA, ":")
bad, twin = frames[BAD], frames[TWIN]
assert np.allclose(bad.get_scaled_positions(), twin.get_scaled_positions(), atol=1e-8)
assert bad.get_potential_energy() == twin.get_potential_energy()
assert np.array_equal(bad.arrays["force"], twin.arrays["force"])
assert not np.allclose(bad.cell, twin.cell)
hot = [i for i, a in enumerate(frames) if a.info["config_type"] == "TiAl_T5000"]
print("TiAl_T5000 frames: index, volume per atom (Å^3), energy per atom (eV), pressure from the virial (GPa)")
for i in hot:
    a = frames[i]
    print(f"  {i}  {a.get_volume() / len(a):7.3f}  {a.get_potential_energy() / len(a):10.4f}  {pressure_gpa(a):6.2f}"
          + ("   <- labels of frame 253" if i == BAD else ""))
same_volume = [i for i in hot if i != BAD and abs(frames[i].get_volume() / len(frames[i]) - bad.get_volume() / len(bad)) < 1e-3]
others = [pressure_gpa(frames[i]) for i in same_volume]
assert min(others) > 1.8 * pressure_gpa(bad), "frame 254's pressure is not out of line with its volume"

split = {
    "description": "TiAl_train.xyz (ACE tutorial Ti-Al set) for training without frame 254, whose energy, "
                   "forces and stress are frame 253's on a 3.9 % shorter cell (Benchmarks/tuning/tial_split.py)",
    "frames": [[DATA, i] for i in range(len(frames))],
    "train": [i for i in range(len(frames)) if i != BAD],
    "excluded": [BAD],
}
with open("configs/tial_train_split.json", "w") as f:
    json.dump(split, f, indent=None, separators=(", ", ": "))
    f.write("\n")
print(f"wrote configs/tial_train_split.json: {len(split['train'])} of {len(frames)} frames for training")
