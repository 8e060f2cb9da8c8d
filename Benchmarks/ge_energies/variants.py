#!/usr/bin/env python3
"""Writes the Ge config variants of the third pass (2026-12-04; BENCHMARKS.md, "Germanium
energies, second pass", its last paragraph): configs/zuo2020/Ge.json with one term appended,
training file and output given by absolute path, for `gap-cv NAME.json --folds 5 --seed 1`.

Usage: variants.py BASE_CONFIG TRAIN_FILE OUT_DIR [NAME...]   (no names: all variants)
"""
import json
import os
import sys


def short_soap(zeta, delta, n_sparse):
    # First neighbour shell only (Ge's nearest-neighbour distance is 2.49 Å, the second shell 4.07).
    return {"type": "soap", "cutoff": 3.2, "cutoff_transition_width": 0.5, "atom_sigma": 0.3,
            "n_max": 6, "l_max": 6, "radial_basis": "optimal", "n_max_primitive": 20,
            "basis_sample": 10000, "central_weight": 1.0, "normalise": True, "zeta": zeta,
            "delta": delta, "n_sparse": n_sparse, "sparse_method": "cur"}


EXTRA_TERMS = {
    # zeta 1: a kernel linear in the first-shell power spectrum, i.e. a linear three-body
    # (bond-angle) energy, the form that extrapolates in empirical potentials.
    "lin3b_32": short_soap(1, 1.0, 500),
    # QUIP's angle_3b term over the first shell.
    "a3b": {"type": "angle_3b", "cutoff": 3.4, "cutoff_transition_width": 0.6,
            "theta_uniform": 0.5, "delta": 0.2, "n_sparse": 300, "sparse_method": "uniform"},
}


def strip_comments(text):
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def main():
    base_path, train_file, out_dir = sys.argv[1:4]
    names = sys.argv[4:] or list(EXTRA_TERMS)
    with open(base_path) as f:
        base_text = strip_comments(f.read())
    os.makedirs(out_dir, exist_ok=True)
    for name in names:
        config = json.loads(base_text)
        config["descriptors"].append(dict(EXTRA_TERMS[name]))
        config["train_files"] = [os.path.abspath(train_file)]
        config["output"] = os.path.abspath(os.path.join(out_dir, name + ".gapjson"))
        config["description"] = f"Ge variant {name} of {os.path.basename(base_path)} (Benchmarks/ge_energies/variants.py)"
        path = os.path.join(out_dir, name + ".json")
        with open(path, "w") as f:
            json.dump(config, f, indent=2, sort_keys=True)
            f.write("\n")
        print(path)


if __name__ == "__main__":
    main()
