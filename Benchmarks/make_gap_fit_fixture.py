#!/usr/bin/env python3
"""Make the gap_fit reference fixture for the training agreement test.

Fits QUIP's gap_fit (quippy-ase 0.10.3) on 28 small silicon frames from the GAP-18 database
(isolated atom + 13 diamond + 13 beta-tin 2-atom cells + one 64-atom liquid cell), with a
distance_2b + SOAP model and sparse points given by index files, then predicts 5 held-out
frames with QUIP. Writes, into Tests/TrainingTests/Fixtures/:

  gap_fit_small_train.xyz     the exact file gap_fit was run on
  gap_fit_small_test.xyz      the held-out frames
  gap_fit_small_2b.idx        1-based sparse indices for distance_2b (index_file format)
  gap_fit_small_soap.idx      1-based sparse indices for soap (index_file format)
  gap_fit_small.json          hyper-parameters, e0, alpha, sparse points, the dumped linear
                              system (K_MM, K_NM as N rows of M, y, lambda) and the predictions

A Swift test can then check agreement without quippy installed. Conventions (row order, signs,
sigma scaling) are documented in docs/gap_fit.md. Run from anywhere:

  python3 Benchmarks/make_gap_fit_fixture.py

Needs quippy-ase 0.10.3 (gap_fit, quippy), ase, numpy, scipy. Deterministic: no random
sparsification is used, so re-running gives the same numbers (up to OpenBLAS round-off).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from ase.io import read, write

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gap_fit_tools import (  # noqa: E402
    GAP18_LABEL_ARGUMENTS,
    farthest_point_rows,
    keep_gap18_labels,
    parse_gap_xml, quippy_predict, read_linear_system, run_gap_fit, run_quip, solve_like_gap_fit)

PACKAGE = os.path.dirname(HERE)
SOURCE = os.path.join(PACKAGE, "..", "shared", "datasets", "si_gap18_tiny", "Si_tiny.xyz")
FIXTURES = os.path.join(PACKAGE, "Tests", "TrainingTests", "Fixtures")

# Si_tiny.xyz: frame 0 isolated atom, 1-25 dia (2 atoms), 26-50 bt (2 atoms), 51-52 liq (64 atoms).
TRAIN = [0] + list(range(1, 14)) + list(range(26, 39)) + [51]
TEST = [20, 24, 45, 49, 52]

CUTOFF = 5.0
WIDTH = 1.0
TWO_BODY = dict(delta=2.0, theta_uniform=float(os.environ.get('FIXTURE_THETA', 0.5)))
SOAP = dict(n_max=4, l_max=3, atom_sigma=0.5, zeta=4, delta=1.0)
DEFAULT_SIGMA = [0.002, 0.1, 0.05, 0.0]
SPARSE_JITTER = 1.0e-8
SOAP_SPARSE_COUNT = int(os.environ.get("FIXTURE_SOAP_SPARSE", 20))  # farthest-point picks among training atoms
TWO_BODY_TARGETS = np.linspace(2.2, 4.8, int(os.environ.get("FIXTURE_2B_SPARSE", 8)))  # nearest data distances


def gap_strings():
    two = (f"distance_2b cutoff={CUTOFF} cutoff_transition_width={WIDTH} covariance_type=ard_se "
           f"delta={TWO_BODY['delta']} theta_uniform={TWO_BODY['theta_uniform']} "
           f"sparse_method=index_file sparse_file=gap_fit_small_2b.idx")
    soap = (f"soap cutoff={CUTOFF} cutoff_transition_width={WIDTH} n_max={SOAP['n_max']} l_max={SOAP['l_max']} "
            f"atom_sigma={SOAP['atom_sigma']} zeta={SOAP['zeta']} delta={SOAP['delta']} central_weight=1.0 "
            f"covariance_type=dot_product sparse_method=index_file sparse_file=gap_fit_small_soap.idx")
    return two, soap


def descriptor_table(descriptor_string, frames):
    """Values, covariance cutoffs and (frame, atoms) of every descriptor, in gap_fit's order.

    gap_fit builds each frame's neighbour list with cutoff = the largest descriptor cutoff, and
    distance_2b pairs come out in that list's order; quippy's default (cutoff + 1) gives another
    order, so the connectivity cutoff is passed explicitly.
    """
    from quippy.descriptors import Descriptor

    d = Descriptor(descriptor_string)
    values, cutoffs, owners = [], [], []
    for f, at in enumerate(frames):
        r = d.calc(at, cutoff=CUTOFF)
        if r["data"].size == 0:
            continue
        n = r["data"].shape[0]
        values.append(r["data"])
        cutoffs.append(np.array(r["covariance_cutoff"]).reshape(-1))
        centres = np.array(r["ci"]).reshape(n, -1) - 1
        owners += [[f] + c.tolist() for c in centres]
    return np.vstack(values), np.concatenate(cutoffs), owners


def farthest_points(x, count):
    """1-based indices (gap_fit's index files) of `count` rows chosen by farthest-point sampling."""
    return [i + 1 for i in farthest_point_rows(x, count)]


def main():
    frames = read(SOURCE, ":", format="extxyz")
    train = [keep_gap18_labels(frames[i]) for i in TRAIN]
    test = [keep_gap18_labels(frames[i]) for i in TEST]
    work = tempfile.mkdtemp(prefix="gap_fit_fixture_")
    write(os.path.join(work, "gap_fit_small_train.xyz"), train, format="extxyz")
    write(os.path.join(work, "gap_fit_small_test.xyz"), test, format="extxyz")
    # Re-read what was written so the descriptors below see exactly gap_fit's input.
    train = read(os.path.join(work, "gap_fit_small_train.xyz"), ":", format="extxyz")
    test = read(os.path.join(work, "gap_fit_small_test.xyz"), ":", format="extxyz")

    two_string, soap_string = gap_strings()
    # Descriptor strings with the species keys gap_fit adds (Z1/Z2 for 2b, Z/species for soap).
    two_desc = two_string.split(" sparse_method")[0] + " Z1=14 Z2=14"
    soap_desc = soap_string.split(" sparse_method")[0] + " n_species=1 Z=14 species_Z={14}"
    x2, c2, own2 = descriptor_table(two_desc, train)
    xs, cs, owns = descriptor_table(soap_desc, train)
    idx2 = sorted({int(np.argmin(np.abs(x2[:, 0] - t))) + 1 for t in TWO_BODY_TARGETS})
    idxs = farthest_points(xs, SOAP_SPARSE_COUNT)
    with open(os.path.join(work, "gap_fit_small_2b.idx"), "w") as f:
        f.write("\n".join(map(str, idx2)) + "\n")
    with open(os.path.join(work, "gap_fit_small_soap.idx"), "w") as f:
        f.write("\n".join(map(str, idxs)) + "\n")

    args = [
        "at_file=gap_fit_small_train.xyz",
        "gap={" + two_string + " : " + soap_string + "}",
        "default_sigma={" + " ".join(str(s) for s in DEFAULT_SIGMA) + "}",
        f"sparse_jitter={SPARSE_JITTER}",
        *GAP18_LABEL_ARGUMENTS,
        "linear_system_dump_file=ls",
        "rnd_seed=1",
        "gp_file=gap.xml",
    ]
    log = run_gap_fit(args, work, env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
    model = parse_gap_xml(os.path.join(work, "gap.xml"))
    ls = read_linear_system(os.path.join(work, "ls"))
    two, soap = model["coordinates"]

    # Sanity: sparse points are the indexed descriptors; our QR of the dump reproduces alpha.
    assert np.allclose(two["sparse_x"][:, 0], x2[np.array(idx2) - 1, 0], rtol=0, atol=1e-12)
    assert np.allclose(soap["sparse_x"], xs[np.array(idxs) - 1], rtol=0, atol=1e-12)
    alpha = np.concatenate([two["alpha"], soap["alpha"]])
    alpha_qr = solve_like_gap_fit(ls)
    qr_rel = float(np.max(np.abs(alpha_qr - alpha)) / np.max(np.abs(alpha)))
    assert qr_rel < 1e-10, f"numpy QR of the dumped system differs from gap_fit alpha by {qr_rel}"

    # Conditioning of the weighted least-squares matrix, and how far alpha moves when K_NM is
    # perturbed by 1e-12 relative noise: the agreement a re-implementation can hope for.
    import scipy.linalg as sl
    w = 1.0 / np.sqrt(ls["lam"])
    a_matrix = np.vstack([ls["Kmn"].T * w[:, None], sl.cholesky(ls["Kmm"])])
    cond = float(np.linalg.cond(a_matrix))
    rng = np.random.default_rng(0)
    perturbed = dict(ls, Kmn=ls["Kmn"] * (1 + 1e-12 * rng.standard_normal(ls["Kmn"].shape)))
    sensitivity = float(np.max(np.abs(solve_like_gap_fit(perturbed) - alpha_qr)) / np.max(np.abs(alpha_qr)))

    # Predictions on held-out frames: quippy Potential (full precision), cross-checked with quip.
    model_xml = os.path.join(work, "gap.xml")
    pred = quippy_predict(test, model_xml)
    quip_out = run_quip("gap_fit_small_test.xyz", "gap.xml", os.path.join(work, "quip_out.xyz"),
                        cache_dir=os.path.join(work, "bin"), cwd=work)
    quip_vs_quippy = max(
        max(abs(p["energy"] - q["energy"]) for p, q in zip(pred, quip_out)),
        max(float(np.max(np.abs(p["forces"] - q["forces"]))) for p, q in zip(pred, quip_out)),
        max(float(np.max(np.abs(p["virial"] - q["virial"]))) for p, q in zip(pred, quip_out)))
    assert quip_vs_quippy < 1e-7, quip_vs_quippy

    # Row layout of the dumped system: energies of all frames, then per frame forces + virial.
    n_frames = len(train)
    layout, row = [], n_frames
    for f, at in enumerate(train):
        entry = {"frame": f, "energy_row": f, "force_rows": [row, row + 3 * len(at)]}
        row += 3 * len(at)
        if "dft_virial" in at.info:
            entry["virial_rows"] = [row, row + 6]
            row += 6
        layout.append(entry)
    assert row == len(ls["y"])
    def fl(a):
        return np.asarray(a, dtype=float).tolist()

    version = subprocess.run(["gap_fit"], capture_output=True, text=True, cwd=work).stdout
    version = next((l.split("git version")[1].strip() for l in version.splitlines() if "git version" in l), "unknown")
    fixture = {
        "description": "gap_fit reference: distance_2b + SOAP sparse GP on 28 Si frames; see docs/gap_fit.md",
        "generator": "Benchmarks/make_gap_fit_fixture.py",
        "gap_fit_version": version,
        "gap_fit_command_line": model["command_line"],
        "train_file": "gap_fit_small_train.xyz",
        "test_file": "gap_fit_small_test.xyz",
        "source_frames": {"file": "shared/datasets/si_gap18_tiny/Si_tiny.xyz (0-based frame indices)",
                          "train": TRAIN, "test": TEST},
        "labels": {"energy": "dft_energy", "forces": "dft_force", "virial": "dft_virial"},
        "default_sigma": {"energy": DEFAULT_SIGMA[0], "force": DEFAULT_SIGMA[1], "virial": DEFAULT_SIGMA[2],
                          "hessian": DEFAULT_SIGMA[3], "per_atom_scaling": "lambda = sigma^2 * n_atoms for energy and virial"},
        "sparse_jitter": SPARSE_JITTER,
        "e0": {"method": "isolated", "Si": model["e0"][14]},
        "two_body": {
            "descriptor": two["descriptor"], "cutoff": CUTOFF, "cutoff_transition_width": WIDTH,
            "covariance": "ard_se", "delta": two["delta"], "theta": fl(two["theta"]),
            "index_file": "gap_fit_small_2b.idx", "sparse_indices_1based": idx2,
            "sparse_pairs_0based": [own2[i - 1] for i in idx2],
            "sparse_distance": fl(two["sparse_x"][:, 0]), "sparse_cutoff": fl(two["sparse_cutoff"]),
            "alpha": fl(two["alpha"]),
        },
        "soap": {
            "descriptor": soap["descriptor"], "cutoff": CUTOFF, "cutoff_transition_width": WIDTH,
            "n_max": SOAP["n_max"], "l_max": SOAP["l_max"], "atom_sigma": SOAP["atom_sigma"],
            "central_weight": 1.0, "covariance": "dot_product", "zeta": soap["zeta"], "delta": soap["delta"],
            "dimensions": soap["dimensions"],
            "index_file": "gap_fit_small_soap.idx", "sparse_indices_1based": idxs,
            "sparse_atoms_0based": [owns[i - 1] for i in idxs],
            "sparse_x": fl(soap["sparse_x"]), "sparse_cutoff": fl(soap["sparse_cutoff"]),
            "alpha": fl(soap["alpha"]),
        },
        "linear_system": {
            "note": ("gap_fit linear_system_dump_file. Columns: 2b sparse points then soap sparse points. "
                     "Rows: energies of all frames (y = E - sum e0), then per frame forces atom-major x,y,z "
                     "(y = -F, K row = +dE/dr) and, if present, virial xx,xy,xz,yy,yz,zz "
                     "(y = -V, K row = +dE/dstrain). alpha = argmin ||[lam^-1/2 K_NM; U] a - [lam^-1/2 y; 0]||, "
                     "K_MM = U^T U (K_MM includes sparse_jitter on its diagonal)."),
            "n_rows": len(ls["y"]), "n_columns": int(ls["Kmm"].shape[0]),
            "layout": layout,
            "y": fl(ls["y"]), "lambda": fl(ls["lam"]),
            "K_MM": fl(ls["Kmm"]),
            "K_NM": fl(ls["Kmn"].T),
            "condition_number": cond,
            "alpha_relative_change_for_1e-12_K_NM_noise": sensitivity,
            "alpha_numpy_qr_vs_gap_fit_relative": qr_rel,
        },
        "predictions": {
            "source": "quippy.potential.Potential on the gap_fit XML (full precision); quip binary agrees to "
                      f"{quip_vs_quippy:.1e} (it prints 8 decimals)",
            "virial_convention": "V = -dE/d(strain), 3x3 row by row, eV; ASE stress = -V/volume",
            "frames": [{"energy": p["energy"], "forces": fl(p["forces"]), "virial": fl(p["virial"])} for p in pred],
        },
    }
    os.makedirs(FIXTURES, exist_ok=True)
    for name in ("gap_fit_small_train.xyz", "gap_fit_small_test.xyz", "gap_fit_small_2b.idx", "gap_fit_small_soap.idx"):
        shutil.copyfile(os.path.join(work, name), os.path.join(FIXTURES, name))
    out = os.path.join(FIXTURES, "gap_fit_small.json")
    with open(out, "w") as f:
        json.dump(fixture, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {out} ({os.path.getsize(out) / 1024:.0f} KB); work dir {work}")
    print(f"M = {ls['Kmm'].shape[0]} ({two['n_sparse']} 2b + {soap['n_sparse']} soap), N = {len(ls['y'])} rows, "
          f"cond = {cond:.2e}, alpha QR vs gap_fit {qr_rel:.1e}, sensitivity {sensitivity:.1e}, "
          f"quip vs quippy {quip_vs_quippy:.1e}")
    timers = [l for l in log.splitlines() if l.startswith("TIMER: GP sparsify")]
    if timers:
        print(timers[0])


if __name__ == "__main__":
    main()
