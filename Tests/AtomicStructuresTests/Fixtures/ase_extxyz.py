"""ASE side of the extended XYZ interoperability tests (ExtendedXYZInteropTests.swift).

    python3 ase_extxyz.py dump FILE    read FILE with ase.io.read(FILE, ":", format="extxyz")
                                       and print JSON describing every frame exactly
    python3 ase_extxyz.py write FILE   write a fixed set of ASE-made frames to FILE

In the JSON every float is written with float.hex (exact, including nan and inf). Values ASE moves
into a SinglePointCalculator (energy, forces, ...) are put back with the info or arrays, so the
dump shows everything ASE read from the file.
"""
import json
import sys

import numpy as np
import ase
import ase.io
from ase.calculators.singlepoint import SinglePointCalculator


def scalar(value):
    if isinstance(value, (bool, np.bool_)):
        return {"type": "bool", "value": bool(value)}
    if isinstance(value, (int, np.integer)):
        return {"type": "int", "value": int(value)}
    if isinstance(value, (float, np.floating)):
        return {"type": "float", "value": float(value).hex()}
    if isinstance(value, str):
        return {"type": "str", "value": value}
    raise TypeError(f"unexpected scalar {value!r} of type {type(value)}")


def sequence(values, kind):
    if kind == "b":
        return {"type": "bools", "value": [bool(v) for v in values]}
    if kind in "iu":
        return {"type": "ints", "value": [int(v) for v in values]}
    if kind == "f":
        return {"type": "floats", "value": [float(v).hex() for v in values]}
    if kind in "UOS":
        return {"type": "strs", "value": [str(v) for v in values]}
    raise TypeError(f"unexpected array kind {kind}")


def info_value(key, value):
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return scalar(value.item())
        # ASE reshapes 9-number Lattice/virial/stress values to 3x3 in Fortran order.
        flat = value.reshape(-1, order="F") if value.ndim == 2 else value
        return sequence(flat, value.dtype.kind)
    if isinstance(value, list):
        if all(isinstance(v, (bool, np.bool_)) for v in value):
            return sequence(value, "b")
        if all(isinstance(v, str) for v in value):
            return sequence(value, "U")
        raise TypeError(f"{key}: unexpected list {value!r}")
    return scalar(value)


def array_value(value):
    value = np.asarray(value)
    columns = 1 if value.ndim == 1 else value.shape[1]
    return dict(sequence(value.reshape(-1), value.dtype.kind), columns=columns)


def dump(path):
    frames = []
    for atoms in ase.io.read(path, ":", format="extxyz"):
        info = {key: info_value(key, value) for key, value in atoms.info.items()}
        arrays = {key: array_value(value) for key, value in atoms.arrays.items()
                  if key not in ("numbers", "positions")}
        if atoms.calc is not None:
            for key, value in atoms.calc.results.items():
                value = np.asarray(value)
                if value.ndim >= 1 and value.shape[0] == len(atoms) and key in ("forces", "energies", "charges", "magmoms"):
                    arrays[key] = array_value(value)
                else:
                    info[key] = info_value(key, value)
        frames.append({
            "numbers": [int(z) for z in atoms.numbers],
            "positions": [float(x).hex() for x in atoms.positions.reshape(-1)],
            "cell": [float(x).hex() for x in atoms.cell[:].reshape(-1)],
            "pbc": [bool(b) for b in atoms.pbc],
            "info": info,
            "arrays": arrays,
        })
    json.dump({"frames": frames}, sys.stdout)


def write(path):
    rng = np.random.default_rng(3)
    frames = []

    a = ase.Atoms("Si2O", positions=rng.normal(size=(3, 3)), cell=[[5.1, 0.2, 0.0], [0.3, 4.9, 0.1], [0.0, 0.2, 6.3]],
                  pbc=True)
    a.info.update({
        "config_type": "bulk", "comment": 'has "quotes" and spaces', "count": 7, "scale": 0.1,
        "flag": True, "off": False, "kpoints": np.array([4, 4, 2]), "weights": np.array([0.25, 1e-5, -3.5]),
        "mask": np.array([True, False, True]), "tags": ["a b", "c"], "tiny": 5e-324, "big": 1.7976931348623157e308,
        "virial": np.arange(9.0).reshape(3, 3) / 7.0, "negzero": -0.0, "unicode": "Å ångström",
    })
    a.arrays["tag"] = np.array([1, -2, 3])
    a.arrays["fixed"] = np.array([True, False, True])
    a.arrays["label"] = np.array(["x", "yy", "zzz"])
    a.arrays["vectors"] = rng.normal(size=(3, 3))
    a.calc = SinglePointCalculator(a, energy=-12.5, forces=rng.normal(size=(3, 3)))
    frames.append(a)

    b = ase.Atoms("H2", positions=[[0.0, 0.0, 0.0], [0.74, 0.0, 0.0]])  # isolated molecule, no cell
    b.info["note"] = "isolated"
    frames.append(b)

    c = ase.Atoms("C", positions=[[0.1, 0.2, 0.3]], cell=[[2.5, 0.0, 0.0], [0.0, 2.5, 0.0], [0.0, 0.0, 20.0]],
                  pbc=[True, True, False])  # slab
    c.info["energy_per_atom"] = -7.25
    frames.append(c)

    d = ase.Atoms("Ne", positions=[[1.0, 1.0, 1.0]], cell=[[10.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]],
                  pbc=False)  # a cell but not periodic
    frames.append(d)

    ase.io.write(path, frames, format="extxyz")


if __name__ == "__main__":
    command, path = sys.argv[1], sys.argv[2]
    {"dump": dump, "write": write}[command](path)
