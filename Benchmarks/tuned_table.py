#!/usr/bin/env python3
"""Tables of BENCHMARKS.md, "Tuned configs": CV errors of each tuned config (from gap-tune's
report.json) beside the published test errors, with fit time and prediction cost (from
Benchmarks/tuned_configs.sh's bench-out/tuned/results.jsonl).

    python3 Benchmarks/tuned_table.py bench-out/tune
"""
import json
import os
import statistics
import sys

# Zuo et al., J. Phys. Chem. A 124, 731 (2020): test MAE, energy meV/atom / force eV/Å.
PUBLISHED = {
    "Ni": ((0.42, 0.02), (0.48, 0.01)), "Cu": ((0.46, 0.01), (0.41, 0.01)), "Li": ((0.49, 0.01), (0.49, 0.01)),
    "Mo": ((2.24, 0.09), (2.83, 0.09)), "Si": ((2.91, 0.07), (2.21, 0.06)), "Ge": ((2.06, 0.05), (1.79, 0.05)),
}
GOALS = {"TiAl": (2.0, 0.12)}
for el, ((ge, gf), (me, mf)) in PUBLISHED.items():
    GOALS[el] = (round(0.9 * min(ge, me), 2), min(gf, mf))


def spread(values):
    values = [v for v in values if v is not None]
    if len(values) < 2:
        return values[0] if values else None, None
    return statistics.mean(values), statistics.stdev(values)


def errors(point):
    e = [f["energy_mae_meV_per_atom"] for f in point["per_fold"]]
    f = [f["force_component_mae_eV_per_A"] for f in point["per_fold"]]
    return point["pooled"], spread(e), spread(f)


def cell(pooled, s, decimals):
    if pooled is None:
        return "-"
    text = f"{pooled:.{decimals}f}"
    if s[1] is not None:
        text += f" ({s[0]:.{decimals}f} ± {s[1]:.{decimals}f})"
    return text


def main(directory):
    timings = {}
    path = "bench-out/tuned/results.jsonl"
    if os.path.exists(path):
        for line in open(path):
            r = json.loads(line)
            timings[r["config"]] = r
    print("| data | config | CV E MAE (meV/atom) | CV F MAE (eV/Å) | base config: E / F | goal E / F | GAP test E / F | MTP test E / F | fits | fit wall (s) | predict (µs/atom) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in ["Ni", "Cu", "Li", "Mo", "Si", "Ge", "TiAl"]:
        report = os.path.join(directory, f"{name}-report", "report.json")
        if name == "TiAl" and os.path.exists(os.path.join(directory, "TiAl2-report", "report.json")):
            report = os.path.join(directory, "TiAl2-report", "report.json")  # the second pass is shipped
        if not os.path.exists(report):
            continue
        r = json.load(open(report))
        best = r["points"][r["best"]]
        base = r["points"][0]
        (pooled, es, fs) = errors(best)
        (bpooled, _, _) = errors(base)
        config = "tial" if name == "TiAl" else name
        t = timings.get(config, {})
        gap, mtp = PUBLISHED.get(name, ((None, None), (None, None)))
        goal = GOALS[name]
        print(f"| {name} | `{'configs/tial.json' if name == 'TiAl' else 'configs/zuo2020/' + name + '.json'}` "
              f"| {cell(pooled['energy_mae_meV_per_atom'], es, 2)} | {cell(pooled['force_component_mae_eV_per_A'], fs, 4)} "
              f"| {bpooled['energy_mae_meV_per_atom']:.2f} / {bpooled['force_component_mae_eV_per_A']:.4f} "
              f"| ≤ {goal[0]} / ≤ {goal[1]} | {gap[0] or '-'} / {gap[1] or '-'} | {mtp[0] or '-'} / {mtp[1] or '-'} "
              f"| {r['fits']} | {t.get('fit_wall_s', '-')} | {t['predict']['cpu_us_per_atom']:.0f} |" if t else
              f"| {name} | `{'configs/tial.json' if name == 'TiAl' else 'configs/zuo2020/' + name + '.json'}` | {cell(pooled['energy_mae_meV_per_atom'], es, 2)} | {cell(pooled['force_component_mae_eV_per_A'], fs, 4)} "
              f"| {bpooled['energy_mae_meV_per_atom']:.2f} / {bpooled['force_component_mae_eV_per_A']:.4f} | ≤ {goal[0]} / ≤ {goal[1]} "
              f"| {gap[0] or '-'} / {gap[1] or '-'} | {mtp[0] or '-'} / {mtp[1] or '-'} | {r['fits']} | - | - |")
        print(f"<!-- {name} changes: {'; '.join(best['changes']) or 'none'} -->")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench-out/tune")
