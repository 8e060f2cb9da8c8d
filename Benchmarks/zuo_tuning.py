"""Tuning of the shipped default config (configs/default.json) on the Zuo et al. (2020) silicon
training split by 5-fold cross-validation, against the published GAP targets (energy MAE
2.91 meV/atom, force-component MAE 0.07 eV/Å; those are test-split figures, the test split is not
in the repository, so the numbers here are CV estimates on the training split only).

Every run starts from a template config (default: Benchmarks/zuo_tuning_base.json, the shipped
configs/default.json as it was before this tuning: QUIP basis n_max 8, l_max 6, atom_sigma 0.5 Å,
cutoff 5 Å, ζ 4, 1,000 CUR sparse points, distance_2b, σ_E 0.002, σ_F 0.05), applies `--set`
overrides (config paths as for `gap-cv --sweep`, e.g. `descriptors[0].n_max=6`,
`default_sigma.energy=0.002`, `descriptors[0].radial_basis="optimal"`), and runs

  gap-cv CONFIG --folds 5 --seed 1 --threads 2 --sweep KEY=V1,V2,...

with the release binary, so the points of one sweep share folds and descriptor caches. The
pooled out-of-fold energy (meV/atom) and force-component (eV/Å) MAE and RMSE, and the spread of
the per-fold values, are read from report.json and stored in OUTDIR/results.json (resumable: a run
whose report exists is not repeated). `table` prints every stored point as a Markdown table.

Usage (from the package root):
  python3 Benchmarks/zuo_tuning.py run --set 'descriptors[0].radial_basis="optimal"' \
      --set 'descriptors[0].n_max=6' --set default_sigma.energy=0.002 \
      --sweep default_sigma.forces=0.03,0.05,0.08
  python3 Benchmarks/zuo_tuning.py table
Options: --out bench-out/zuo  --template Benchmarks/zuo_tuning_base.json  --folds 5  --seed 1  --threads 2
         --no-build
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from optimal_basis_benchmark import load_template  # noqa: E402  (comment-stripping JSON loader)


def set_path(config, path, value):
    """Sets `a.b[0].c` in a nested dict/list config."""
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    node = config
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        key = int(part[1:-1]) if part.startswith("[") else part
        if last:
            node[key] = value
        else:
            node = node[key]


def parse_assignment(text):
    key, _, value = text.partition("=")
    if not key or not value:
        raise SystemExit(f"expected KEY=VALUE, got {text!r}")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value  # bare strings, e.g. optimal
    return key, parsed


def summarise(run):
    pooled, folds = run["pooled"]["all"], run["across_folds"]["all"]
    out = {}
    for name, key in (("energy", "energy"), ("force", "force_components")):
        out[f"{name}_mae"] = pooled[key]["mae"]
        out[f"{name}_rmse"] = pooled[key]["rmse"]
        out[f"{name}_mae_fold_std"] = folds[key]["mae"]["std"]
        out[f"{name}_rmse_fold_std"] = folds[key]["rmse"]["std"]
        out[f"{name}_mae_per_fold"] = folds[key]["mae"]["per_fold"]
        out[f"{name}_rmse_per_fold"] = folds[key]["rmse"]["per_fold"]
    return out


def run_command(args):
    if not args.no_build:
        subprocess.run(["swift", "build", "-c", "release"], check=True, stdout=subprocess.DEVNULL)
    os.makedirs(args.out, exist_ok=True)
    config = load_template(args.template)
    overrides = [parse_assignment(s) for s in args.set]
    for key, value in overrides:
        set_path(config, key, value)
    name = "_".join(re.sub(r"[^A-Za-z0-9.]+", "", f"{k}{v}") for k, v in overrides) or "base"
    sweep_key = args.sweep.partition("=")[0]
    name += "__" + re.sub(r"[^A-Za-z0-9.,]+", "", args.sweep) + (f"__seed{args.seed}" if args.seed != 1 else "")
    config["output"] = os.path.abspath(os.path.join(args.out, name + ".gapjson"))
    config_path = os.path.join(args.out, name + ".json")
    with open(config_path, "w") as f:
        json.dump(config, f, indent=2)
    report_dir = os.path.join(args.out, name + "-cv")
    report_path = os.path.join(report_dir, "report.json")
    load = os.getloadavg()[0]
    start = time.monotonic()
    if not os.path.exists(report_path):
        with open(os.path.join(args.out, name + ".cv.log"), "w") as log:
            subprocess.run([".build/release/gap-cv", config_path, "--folds", str(args.folds), "--seed", str(args.seed),
                            "--threads", str(args.threads), "--report", report_dir, "--sweep", args.sweep],
                           check=True, stdout=log, stderr=subprocess.STDOUT)
    wall = time.monotonic() - start
    with open(report_path) as f:
        report = json.load(f)
    results_path = os.path.join(args.out, "results.json")
    results = {}
    if os.path.exists(results_path):
        with open(results_path) as f:
            results = json.load(f)
    for point in report["sweep"]["points"]:
        if point["result"]["failure"]:
            print("failed:", point["result"]["label"], point["result"]["failure"])
            continue
        settings = dict(overrides)
        settings[sweep_key] = point["value"]
        if args.seed != 1:
            settings["cv_seed"] = args.seed  # other fold assignments: a robustness check
        key = json.dumps(settings, sort_keys=True)
        results[key] = {"settings": settings, "cv": summarise(point["result"]), "report": report_path,
                        "run_wall_seconds": wall, "load_average_start": load,
                        "created": report["provenance"]["created"]}
        print(key, json.dumps(results[key]["cv"]), flush=True)
    with open(results_path, "w") as f:
        json.dump(results, f, indent=1)


def get_path(config, path):
    node = config
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        key = int(part[1:-1]) if part.startswith("[") else part
        try:
            node = node[key]
        except (KeyError, IndexError):
            return ""
    return node


TABLE_KEYS = [("cv_seed", "CV seed"), ("descriptors[0].radial_basis", "radial basis"), ("descriptors[0].n_max", "n_max"),
              ("descriptors[0].l_max", "l_max"), ("descriptors[0].atom_sigma", "atom_sigma (Å)"),
              ("descriptors[0].cutoff", "SOAP cutoff (Å)"), ("descriptors[1].cutoff", "2b cutoff (Å)"),
              ("descriptors[0].delta", "SOAP δ (eV)"), ("descriptors[0].n_sparse", "n_sparse"),
              ("default_sigma.energy", "σ_E (eV/atom)"), ("default_sigma.forces", "σ_F (eV/Å)")]


def table_command(args):
    with open(os.path.join(args.out, "results.json")) as f:
        results = json.load(f)
    template = load_template(args.template)
    template["cv_seed"] = 1
    template["descriptors"][0].setdefault("radial_basis", "gap")
    print("| " + " | ".join(label for _, label in TABLE_KEYS)
          + " | E MAE (meV/atom) | E RMSE | F MAE (eV/Å) | F RMSE | E MAE fold sd | F MAE fold sd |")
    print("|" + "---|" * len(TABLE_KEYS) + "---:|---:|---:|---:|---:|---:|")
    rows, seen = [], set()
    for entry in results.values():
        values = [entry["settings"].get(k, get_path(template, k)) for k, _ in TABLE_KEYS]
        if json.dumps(values) in seen:
            continue  # the same point reached through different runs (e.g. a sweep's own value)
        seen.add(json.dumps(values))
        rows.append((values, entry["cv"]))
    rows.sort(key=lambda r: [str(v) for v in r[0]])
    for values, cv in rows:
        cells = [str(v) for v in values]
        cells += [f"{cv['energy_mae']:.2f}", f"{cv['energy_rmse']:.2f}", f"{cv['force_mae']:.4f}",
                  f"{cv['force_rmse']:.4f}", f"{cv['energy_mae_fold_std']:.2f}", f"{cv['force_mae_fold_std']:.4f}"]
        print("| " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run", "table"])
    parser.add_argument("--set", action="append", default=[], help="KEY=VALUE override (JSON value)")
    parser.add_argument("--sweep", help="KEY=V1,V2,... passed to gap-cv --sweep")
    parser.add_argument("--out", default="bench-out/zuo")
    parser.add_argument("--template", default="Benchmarks/zuo_tuning_base.json")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if args.command == "run":
        if not args.sweep:
            raise SystemExit("run needs --sweep")
        run_command(args)
    else:
        table_command(args)


if __name__ == "__main__":
    main()
