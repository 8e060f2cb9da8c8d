"""Recomputes every error statistic of a gap-cv report from its predictions.xyz with ASE.

Usage: python3 recompute_cv_report.py REPORT_DIR

Reads REPORT_DIR/predictions.xyz with ase.io (not SwiftGAP's reader) and REPORT_DIR/report.json,
recomputes RMSE, MAE, max and counts of energy (meV/atom), force components and per-atom force
vectors (eV/Å) and virials (6 components, meV/atom), pooled per config type and for all frames,
and per fold, plus the mean and sample standard deviation over folds; exits 1 on any
disagreement beyond 1e-9 relative. Prints one line per check group.
"""
import json
import sys

import ase.io
import numpy as np

VIRIAL = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]


def errors(atoms):
    """Error values of one frame by quantity."""
    out = {"energy": [], "force_components": [], "force_vectors": [], "virial": []}
    n = len(atoms)
    results = atoms.calc.results if atoms.calc is not None else {}
    if "ref_energy" in atoms.info:
        out["energy"].append(1000 * (results["energy"] - atoms.info["ref_energy"]) / n)
    if "ref_forces" in atoms.arrays:
        d = results["forces"] - atoms.arrays["ref_forces"]
        out["force_components"] += list(d.ravel())
        out["force_vectors"] += list(np.linalg.norm(d, axis=1))
    if "ref_virial" in atoms.info:
        pred = np.reshape(atoms.info["virial"], (3, 3))
        ref = np.reshape(atoms.info["ref_virial"], (3, 3))
        out["virial"] += [1000 * (pred[a, b] - ref[a, b]) / n for a, b in VIRIAL]
    return out


def statistics(frames):
    values = {"energy": [], "force_components": [], "force_vectors": [], "virial": []}
    for atoms in frames:
        for k, v in errors(atoms).items():
            values[k] += v
    out = {}
    for k, v in values.items():
        e = np.abs(np.array(v, dtype=float))
        out[k] = {"count": len(v)} if not v else {
            "count": len(v), "rmse": float(np.sqrt(np.mean(e**2))), "mae": float(np.mean(e)), "max": float(np.max(e))}
    return out


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def check(name, ours, reported, failures):
    for quantity, s in ours.items():
        r = reported[quantity]
        if r["count"] != s["count"]:
            failures.append(f"{name} {quantity}: count {r['count']} reported, {s['count']} recomputed")
            continue
        for key in ("rmse", "mae", "max"):
            if key in s and not close(r[key], s[key]):
                failures.append(f"{name} {quantity} {key}: {r[key]} reported, {s[key]} recomputed")


def main(directory):
    frames = ase.io.read(f"{directory}/predictions.xyz", ":")
    with open(f"{directory}/report.json") as f:
        report = json.load(f)
    cv = report["cross_validation"]
    failures = []
    types = sorted({a.info.get("config_type", "(none)") for a in frames})
    for t in types:
        group = [a for a in frames if a.info.get("config_type", "(none)") == t]
        check(f"pooled {t}", statistics(group), cv["pooled"]["by_config_type"][t], failures)
    check("pooled all", statistics(frames), cv["pooled"]["all"], failures)
    per_fold = []
    for fold in cv["folds"]:
        group = [a for a in frames if a.info["cv_fold"] == fold["fold"]]
        s = statistics(group)
        check(f"fold {fold['fold']}", s, fold["errors"]["all"], failures)
        per_fold.append(s)
    for quantity in ("energy", "force_components", "force_vectors", "virial"):
        values = [s[quantity]["rmse"] for s in per_fold if "rmse" in s[quantity]]
        reported = cv["across_folds"]["all"][quantity]["rmse"]
        if values:
            if not close(reported["mean"], float(np.mean(values))):
                failures.append(f"across folds {quantity} rmse mean: {reported['mean']} vs {np.mean(values)}")
            if len(values) > 1 and not close(reported["std"], float(np.std(values, ddof=1))):
                failures.append(f"across folds {quantity} rmse std: {reported['std']} vs {np.std(values, ddof=1)}")
    print(f"checked {len(frames)} frames, {len(types)} config types, {len(per_fold)} folds")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("all numbers agree")


if __name__ == "__main__":
    main(sys.argv[1])
