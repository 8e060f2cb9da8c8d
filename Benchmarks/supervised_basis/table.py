"""Markdown table of run_cv.sh's reports: pooled out-of-fold errors per radial basis and n_max.

Usage: python3 table.py REPORT_DIR CONFIG...   (REPORT_DIR/CONFIG/report.json, CONFIG.time)
"""
import json
import os
import re
import sys

out, configs = sys.argv[1], sys.argv[2:]


def basis_label(basis):
    """The radial basis, its mixing α and (if not the energies) its regression target."""
    label = basis["radial_basis"] + (f" α = {basis['supervised_mixing']}" if "supervised_mixing" in basis else "")
    if basis.get("supervised_target") == "energy_forces":
        label += ", E + F target"
    return label


rows = []
for c in configs:
    report = json.load(open(os.path.join(out, c, "report.json")))
    basis = report["config"]["descriptors"][0]
    label = basis_label(basis)
    points = [(basis["n_max"], report["cross_validation"]["pooled"]["all"])]
    points += [(p["value"], p["result"]["pooled"]["all"]) for p in report["sweep"]["points"]]
    wall = ""
    try:
        text = open(os.path.join(out, c + ".time")).read()
        wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    except (OSError, AttributeError):
        pass
    for n, a in points:
        rows.append((n, label, a["energy"]["rmse"], a["energy"]["mae"], a["force_components"]["rmse"], a["force_components"]["mae"], wall))

print("| n_max | radial basis | E RMSE meV/atom | E MAE meV/atom | F RMSE eV/Å | F MAE eV/Å | gap-cv wall (3 n_max) |")
print("|---|---|---|---|---|---|---|")
for n, label, er, em, fr, fm, wall in sorted(rows, key=lambda r: r[0]):
    print(f"| {n} | {label} | {er:.2f} | {em:.2f} | {fr:.4f} | {fm:.4f} | {wall} |")

# Paired per-fold differences against the first config (same folds): mean ± sd over the 5 folds
# of (config − first) for the E and F RMSE, and how many folds improved.
def folds(report, n_max):
    basis = report["config"]["descriptors"][0]
    if basis["n_max"] == n_max:
        cv = report["cross_validation"]
    else:
        cv = next(p["result"] for p in report["sweep"]["points"] if p["value"] == n_max)
    a = cv["across_folds"]["all"]
    return list(zip(a["energy"]["rmse"]["per_fold"], a["force_components"]["rmse"]["per_fold"]))

reports = {c: json.load(open(os.path.join(out, c, "report.json"))) for c in configs}
base = configs[0]
print()
print(f"Per-fold differences against {base} (same folds; mean ± sd over folds, folds improved):")
print()
print("| n_max | radial basis | ΔE RMSE meV/atom | E better in | ΔF RMSE eV/Å | F better in |")
print("|---|---|---|---|---|---|")
for n in sorted({r[0] for r in rows}):
    b = folds(reports[base], n)
    for c in configs[1:]:
        x = folds(reports[c], n)
        de = [a[0] - o[0] for a, o in zip(x, b)]
        df = [a[1] - o[1] for a, o in zip(x, b)]
        def ms(v):
            m = sum(v) / len(v)
            s = (sum((t - m) ** 2 for t in v) / (len(v) - 1)) ** 0.5
            return m, s
        me, se = ms(de)
        mf, sf = ms(df)
        basis = reports[c]["config"]["descriptors"][0]
        label = basis_label(basis)
        print(f"| {n} | {label} | {me:+.2f} ± {se:.2f} | {sum(d < 0 for d in de)}/{len(de)} | {mf:+.4f} ± {sf:.4f} | {sum(d < 0 for d in df)}/{len(df)} |")
