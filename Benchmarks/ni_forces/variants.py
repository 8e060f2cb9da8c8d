#!/usr/bin/env python3
"""Writes the Ni config variants tried on 2026-12-04 (second pass; BENCHMARKS.md, "Nickel forces").

Each variant is configs/zuo2020/Ni.json (as shipped before this pass) with some settings
changed, written as OUT_DIR/NAME.json with `train_files` and `output` replaced (absolute paths),
so the same variant can be fitted on one fold's training file (screening) or on the whole
training split (`gap-cv`).

Usage: variants.py BASE_CONFIG TRAIN_FILE OUT_DIR [NAME...]   (no names: all variants)
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from config_variants import write_variants  # noqa: E402

SOAP, PAIR, BISPECTRUM = 0, 1, 2
# The short-ranged SOAP term, fourth in the config shipped after the second pass.
SHORT = 3

# name -> list of (path, value); a path is a tuple of keys and indices into the config.
VARIANTS = {
    "base": [],
    "sp2000": [((("descriptors", SOAP, "n_sparse")), 2000)],
    "sp3000": [((("descriptors", SOAP, "n_sparse")), 3000)],
    "fs02": [(("default_sigma", "forces"), 0.02)],
    "n8l8": [(("descriptors", SOAP, "n_max"), 8), (("descriptors", SOAP, "l_max"), 8)],
    "as035": [(("descriptors", SOAP, "atom_sigma"), 0.35)],
    "as03": [(("descriptors", SOAP, "atom_sigma"), 0.3)],
    "cut55": [(("descriptors", SOAP, "cutoff"), 5.5)],
    "cut6": [(("descriptors", SOAP, "cutoff"), 6.0)],
    "z2": [(("descriptors", SOAP, "zeta"), 2)],
    "z6": [(("descriptors", SOAP, "zeta"), 6)],
    "bi2000": [(("descriptors", BISPECTRUM, "n_sparse"), 2000)],
    # A sharper 2-body term: the out-of-fold force error is largest on atoms with a neighbour
    # closer than 2.2 Å (the repulsive wall, sampled only in the MD snapshots).
    "pair_sharp": [(("descriptors", PAIR, "theta_uniform"), 0.5), (("descriptors", PAIR, "n_sparse"), 40)],
    "pair_sharper": [(("descriptors", PAIR, "theta_uniform"), 0.3), (("descriptors", PAIR, "n_sparse"), 60)],
    "fps": [(("descriptors", SOAP, "sparse_method"), "fps")],
    # Third pass (base: the shipped config with the short SOAP term): the short term's weight,
    # sharpness and reach.
    "short_d1": [(("descriptors", SHORT, "delta"), 1.0)],
    "short_d01": [(("descriptors", SHORT, "delta"), 0.1)],
    "short_z2": [(("descriptors", SHORT, "zeta"), 2)],
    "short_z6": [(("descriptors", SHORT, "zeta"), 6)],
    "short_cut36": [(("descriptors", SHORT, "cutoff"), 3.6)],
    "short_as025": [(("descriptors", SHORT, "atom_sigma"), 0.25)],
    # Fourth pass: Willatt et al.'s radial scaling c / (c + (r/r0)^m) on the 5 Å SOAP term (and
    # on the bispectrum term), which weights the near neighbours above the far ones.
    "rs_r3m4": [(("descriptors", SOAP, "radial_scaling"), {"c": 1.0, "r0": 3.0, "m": 4.0})],
    "rs_r25m6": [(("descriptors", SOAP, "radial_scaling"), {"c": 1.0, "r0": 2.5, "m": 6.0})],
    "rs_r35m6": [(("descriptors", SOAP, "radial_scaling"), {"c": 1.0, "r0": 3.5, "m": 6.0})],
    "rs_r3m2": [(("descriptors", SOAP, "radial_scaling"), {"c": 1.0, "r0": 3.0, "m": 2.0})],
    "bi_rs_r3m4": [(("descriptors", BISPECTRUM, "radial_scaling"), {"c": 1.0, "r0": 3.0, "m": 4.0})],
    "bi_rs_r25m4": [(("descriptors", BISPECTRUM, "radial_scaling"), {"c": 1.0, "r0": 2.5, "m": 4.0})],
    "bi_rs_r25m6": [(("descriptors", BISPECTRUM, "radial_scaling"), {"c": 1.0, "r0": 2.5, "m": 6.0})],
    "bi_rs_r35m4": [(("descriptors", BISPECTRUM, "radial_scaling"), {"c": 1.0, "r0": 3.5, "m": 4.0})],
    "bi_rs_r3m2": [(("descriptors", BISPECTRUM, "radial_scaling"), {"c": 1.0, "r0": 3.0, "m": 2.0})],
    "bi_rs_r2m4": [(("descriptors", BISPECTRUM, "radial_scaling"), {"c": 1.0, "r0": 2.0, "m": 4.0})],
    "bi_rs_r2m6": [(("descriptors", BISPECTRUM, "radial_scaling"), {"c": 1.0, "r0": 2.0, "m": 6.0})],
    "bi_rs_r25m8": [(("descriptors", BISPECTRUM, "radial_scaling"), {"c": 1.0, "r0": 2.5, "m": 8.0})],
    "bi_rs_r25m12": [(("descriptors", BISPECTRUM, "radial_scaling"), {"c": 1.0, "r0": 2.5, "m": 12.0})],
    "bi_rs_r28m8": [(("descriptors", BISPECTRUM, "radial_scaling"), {"c": 1.0, "r0": 2.8, "m": 8.0})],
    "bi_rs_r24m16": [(("descriptors", BISPECTRUM, "radial_scaling"), {"c": 1.0, "r0": 2.4, "m": 16.0})],
    "bi_as03": [(("descriptors", BISPECTRUM, "atom_sigma"), 0.3)],
    "bi_n6": [(("descriptors", BISPECTRUM, "n_max"), 6)],
    "bi_d1": [(("descriptors", BISPECTRUM, "delta"), 1.0)],
    "bi_d2": [(("descriptors", BISPECTRUM, "delta"), 2.0)],
    "bi_z3": [(("descriptors", BISPECTRUM, "zeta"), 3)],
    "bi_sp2000": [(("descriptors", BISPECTRUM, "n_sparse"), 2000)],
    "bi_l5": [(("descriptors", BISPECTRUM, "l_max"), 5)],
    # The scaled bispectrum is nearly a first-shell one: the same by a shorter cutoff instead.
    "bi_cut32": [(("descriptors", BISPECTRUM, "cutoff"), 3.2), (("descriptors", BISPECTRUM, "cutoff_transition_width"), 0.6)],
    # Fifth pass (base: the shipped config after the fourth pass): the 5 Å SOAP term's zeta,
    # the bispectrum's l_max, and the energy sigma (the energy error has slack against its goal).
    "z3": [(("descriptors", SOAP, "zeta"), 3)],
    "bi_l6": [(("descriptors", BISPECTRUM, "l_max"), 6)],
    "es004": [(("default_sigma", "energy"), 0.004)],
    "es001": [(("default_sigma", "energy"), 0.001)],
    # The fold-1 model fits its own training forces to 0.0091 eV/Å (0.0108 out of fold) with a
    # force sigma of 0.05: the fit is held by the prior, so less label noise (all three sigmas
    # scaled together, keeping their ratios) and more sparse points in every many-body term.
    "sig_half": [(("default_sigma",), {"energy": 0.001, "forces": 0.025, "virial": 0.025})],
    "sig_quarter": [(("default_sigma",), {"energy": 0.0005, "forces": 0.0125, "virial": 0.0125})],
    "bi_l7": [(("descriptors", BISPECTRUM, "l_max"), 7)],
    # Or fewer radial functions for more angular ones: n_max 3 with l_max 6 has 580 features
    # (n_max 4, l_max 4: 548), with l_max 7 814.
    "bi_n3": [(("descriptors", BISPECTRUM, "n_max"), 3)],
    "sp_all2000": [(("descriptors", SOAP, "n_sparse"), 2000), (("descriptors", BISPECTRUM, "n_sparse"), 2000),
                   (("descriptors", SHORT, "n_sparse"), 2000)],
}

# Terms appended to the descriptor list (after the base's three).
EXTRA_TERMS = {
    # A short-ranged SOAP term (first neighbour shell only) with a sharper density.
    "short_soap": {
        "type": "soap", "cutoff": 3.2, "cutoff_transition_width": 0.6, "atom_sigma": 0.3,
        "n_max": 6, "l_max": 6, "radial_basis": "optimal", "n_max_primitive": 20, "basis_sample": 10000,
        "central_weight": 1.0, "normalise": True, "zeta": 4, "delta": 0.3, "n_sparse": 1000,
        "sparse_method": "cur",
    },
    # Third pass: a second 2-body term for the repulsive wall alone (first-neighbour distances
    # are 2.3-2.6 Å in the snapshots; the closest contacts are near 2.0 Å).
    "wall_pair": {
        "type": "distance_2b", "cutoff": 3.0, "cutoff_transition_width": 0.5, "delta": 0.5,
        "theta_uniform": 0.2, "n_sparse": 60, "sparse_method": "uniform",
    },
    # QUIP's angle_3b 3-body term (third pass, issue 19 item 3), on the shipped config: the first
    # two neighbour shells (fcc Ni: 2.49 and 3.52 Å) ...
    "angle3b_40": {
        "type": "angle_3b", "cutoff": 4.0, "cutoff_transition_width": 0.5, "theta_uniform": 1.0,
        "delta": 0.2, "n_sparse": 300, "sparse_method": "uniform",
    },
    # ... or the first shell only, with a sharper kernel, aimed at the repulsive wall.
    "angle3b_30": {
        "type": "angle_3b", "cutoff": 3.0, "cutoff_transition_width": 0.5, "theta_uniform": 0.5,
        "delta": 0.2, "n_sparse": 300, "sparse_method": "uniform",
    },
}


def main():
    write_variants(sys.argv[1:], "Ni", "Benchmarks/ni_forces/variants.py", VARIANTS, EXTRA_TERMS, VARIANTS)


if __name__ == "__main__":
    main()
