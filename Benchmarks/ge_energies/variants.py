#!/usr/bin/env python3
"""Writes the Ge config variants of the third and fourth passes (BENCHMARKS.md, "Germanium
energies, second pass", its last paragraphs): configs/zuo2020/Ge.json with one term appended or
one setting changed, training file and output given by absolute path, for `gap-cv NAME.json
--folds 5 --seed 1`.

Usage: variants.py BASE_CONFIG TRAIN_FILE OUT_DIR [NAME...]   (no names: all variants)
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from config_variants import write_variants  # noqa: E402


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


# Fourth pass: Willatt et al.'s radial scaling c / (c + (r/r0)^m) on an existing term (index into
# the base's descriptors: 0 the 5 Å SOAP term, 3 the bispectrum term).
def scaled(term, r0, m):
    return [(("descriptors", term, "radial_scaling"), {"c": 1.0, "r0": r0, "m": m})]


VARIANTS = {
    "base": [],
    "rs_r3m4": scaled(0, 3.0, 4.0),
    "rs_r25m6": scaled(0, 2.5, 6.0),
    "rs_r35m6": scaled(0, 3.5, 6.0),
    "rs_r3m2": scaled(0, 3.0, 2.0),
    "bi_rs_r3m4": scaled(3, 3.0, 4.0),
    # Fifth pass: the bispectrum's angular resolution (the change that helps nickel most).
    "bi_l6": [(("descriptors", 3, "l_max"), 6)],
    # The supervised (PCovR on the training energies) radial basis of Goscinski et al. 2021 for
    # the 5 Å SOAP term, aimed at the energy error.
    "sup": [(("descriptors", 0, "radial_basis"), "supervised")],
}


def main():
    write_variants(sys.argv[1:], "Ge", "Benchmarks/ge_energies/variants.py", VARIANTS, EXTRA_TERMS,
                   list(EXTRA_TERMS) + list(VARIANTS))


if __name__ == "__main__":
    main()
