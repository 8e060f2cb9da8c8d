"""Markdown table of run_cv.sh's reports: pooled out-of-fold errors per radial basis and n_max.

Usage: python3 table.py REPORT_DIR CONFIG...   (REPORT_DIR/CONFIG/report.json, CONFIG.time)
"""
import json
import os
import re
import sys

out, configs = sys.argv[1], sys.argv[2:]
rows = []
for c in configs:
    report = json.load(open(os.path.join(out, c, "report.json")))
    basis = report["config"]["descriptors"][0]
    label = basis["radial_basis"] + (f" α = {basis['supervised_mixing']}" if "supervised_mixing" in basis else "")
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
