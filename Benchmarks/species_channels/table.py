"""Markdown table of run_all.sh's outputs: features, pooled out-of-fold RMSE, gap-cv cost, prediction cost.

Usage: python3 table.py OUT_DIR CONFIG...   (OUT_DIR/CONFIG/report.json, CONFIG.cv.time, CONFIG.predict.json)
"""
import json
import os
import re
import sys

out, configs = sys.argv[1], sys.argv[2:]


def time_field(text, name):
    return re.search(name + r": (\S+)", text).group(1)


def wall_seconds(text):
    parts = [float(p) for p in time_field(text, r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\)").split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))


print("| descriptor | features | E RMSE meV/atom | F RMSE eV/Å | V RMSE meV/atom | gap-cv wall / CPU s | peak RSS | predict CPU / wall µs/atom (1 thread) |")
print("|---|---|---|---|---|---|---|---|")
rows = {}
for c in configs:
    report = json.load(open(os.path.join(out, c, "report.json")))
    term = next(t for t in report["config"]["descriptors"] if t["type"] == "soap")
    label = term.get("species_channels")
    label = f"`species_channels: {label}`" if label else "uncompressed (7 × 6 channels)"
    if term.get("species_mixing") == "supervised":
        label += f" supervised, α = {term['supervised_mixing']}"
    errors = report["cross_validation"]["pooled"]["all"]
    text = open(os.path.join(out, c + ".cv.time")).read()
    cpu = float(time_field(text, r"User time \(seconds\)")) + float(time_field(text, r"System time \(seconds\)"))
    rss = int(time_field(text, r"Maximum resident set size \(kbytes\)")) / 1024
    predict = json.load(open(os.path.join(out, c + ".predict.json")))
    features = predict["soap_features"][0]
    print(f"| {label} | {features:,} | {errors['energy']['rmse']:.1f} | {errors['force_components']['rmse']:.3f} | "
          f"{errors['virial']['rmse']:.0f} | {wall_seconds(text):.0f} / {cpu:.0f} | {rss:,.0f} MB | {predict['cpu_us_per_atom']:.0f} / {predict['wall_us_per_atom']:.0f} |")
    rows[c] = report

# Per-fold differences against the first config (same folds): mean ± sd over folds of (config − first).
base = configs[0]
print()
print(f"Per-fold RMSE differences against {base} (same folds; mean ± sd over the folds, folds better):")
print()
print("| config | ΔE RMSE meV/atom | E better in | ΔF RMSE eV/Å | F better in |")
print("|---|---|---|---|---|")
def per_fold(report):
    a = report["cross_validation"]["across_folds"]["all"]
    return a["energy"]["rmse"]["per_fold"], a["force_components"]["rmse"]["per_fold"]
be, bf = per_fold(rows[base])
for c in configs[1:]:
    e, f = per_fold(rows[c])
    def ms(v):
        m = sum(v) / len(v)
        return m, (sum((t - m) ** 2 for t in v) / (len(v) - 1)) ** 0.5
    de = [x - y for x, y in zip(e, be)]
    df = [x - y for x, y in zip(f, bf)]
    (me, se), (mf, sf) = ms(de), ms(df)
    print(f"| {c} | {me:+.1f} ± {se:.1f} | {sum(d < 0 for d in de)}/{len(de)} | {mf:+.3f} ± {sf:.3f} | {sum(d < 0 for d in df)}/{len(df)} |")
