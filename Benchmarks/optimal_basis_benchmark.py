"""Optimal radial basis against QUIP's (gap) basis on the shipped silicon data (issue 6).

For each n_max and each radial basis (`gap`, `optimal` contracted from n_max_primitive QUIP
functions), from the template Benchmarks/zuo_tuning_base.json (the shipped default config before
its tuning: SOAP l_max 6, atom_sigma 0.5 + distance_2b; Zuo et al. Si, 214 frames, 13,233 atoms),
with the release binaries:

  1. `gap-cv CONFIG --folds 5`: 5-fold cross-validated energy RMSE (meV/atom) and force-component
     RMSE (eV/Å), pooled over the folds (report.json);
  2. `gap-train CONFIG` on all frames, then `gap-bench predict MODEL TRAINING_FILES`: single-thread
     prediction time (energy + forces) per atom over the training frames, CPU and wall, best of 3;
  3. the retained-variance curve of the optimal basis per l (from the eigenvalues stored in the
     model with n_max = n_max_primitive);
  4. optionally (--n-features), feature selection (CUR, n_features kept) at one n_max
     (--selection-n-max) for both bases: the same CV errors and prediction times.

Prints Markdown tables and writes every number to OUTDIR/optimal_basis.json.

Usage (from the package root):
  python3 Benchmarks/optimal_basis_benchmark.py [--n-max 2,3,4,5,6,8,10,12] [--primitive 20]
      [--folds 5] [--threads 2] [--out bench-out/optimal] [--no-build] [--template Benchmarks/zuo_tuning_base.json]
      [--n-features 40,80,160 --selection-n-max 8]
"""
import argparse
import base64
import json
import os
import struct
import subprocess
import sys
import time


def strip_comments(text):
    """Removes // comments outside strings (the configs allow them, json.loads does not)."""
    out, i, in_string = [], 0, False
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def load_template(path):
    with open(path) as f:
        config = json.loads(strip_comments(f.read()))
    base = os.path.dirname(os.path.abspath(path))
    config["train_files"] = [os.path.normpath(os.path.join(base, p)) for p in config["train_files"]]
    return config


def make_config(template, basis, n_max, primitive, out_model, n_features=None):
    config = json.loads(json.dumps(template))
    soap = next(t for t in config["descriptors"] if t["type"] == "soap")
    soap["n_max"] = n_max
    if basis == "optimal":
        soap["radial_basis"] = "optimal"
        soap["n_max_primitive"] = primitive
    else:  # the template may itself use the optimal basis
        soap["radial_basis"] = "gap"
        soap.pop("n_max_primitive", None)
    if n_features is not None:
        soap["n_features"] = n_features
    config["output"] = out_model
    extra = f", {n_features} features" if n_features is not None else ""
    config["description"] = f"{config.get('description', '')} [{basis} basis, n_max {n_max}{extra}]"
    return config


def run(command, log):
    start = time.monotonic()
    with open(log, "w") as f:
        subprocess.run(command, check=True, stdout=f, stderr=subprocess.STDOUT)
    return time.monotonic() - start


def doubles(text):
    data = base64.b64decode(text)
    return list(struct.unpack("<%dd" % (len(data) // 8), data))


def retained_curves(model_path):
    """Per (species, l): the cumulative retained-variance fractions of the stored eigenvalues."""
    with open(model_path) as f:
        model = json.load(f)
    soap = next(t for t in model["terms"] if t["type"] == "soap")
    d = soap["descriptor"]
    p, lcount = d["n_max_primitive"], d["l_max"] + 1
    values = doubles(d["radial_contraction"]["eigenvalues"])
    curves = {}
    for s, z in enumerate(d["species_Z"]):
        for l in range(lcount):
            block = [max(0.0, v) for v in values[(s * lcount + l) * p:(s * lcount + l + 1) * p]]
            total = sum(block)
            running, fractions = 0.0, []
            for v in block:
                running += v
                fractions.append(running / total if total > 0 else 1.0)
            curves[f"Z{z} l{l}"] = fractions
    return curves, d["radial_contraction"]["environments"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-max", default="2,3,4,5,6,8,10,12")
    parser.add_argument("--primitive", type=int, default=20)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="bench-out/optimal")
    parser.add_argument("--template", default="Benchmarks/zuo_tuning_base.json")
    parser.add_argument("--bases", default="gap,optimal")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--skip-cv", action="store_true", help="only train and time predictions")
    parser.add_argument("--n-features", default="", help="feature-selection points, comma-separated")
    parser.add_argument("--selection-n-max", type=int, default=8)
    args = parser.parse_args()
    if not args.no_build:
        subprocess.run(["swift", "build", "-c", "release"], check=True, stdout=subprocess.DEVNULL)
    binary = ".build/release/"
    os.makedirs(args.out, exist_ok=True)
    template = load_template(args.template)
    results_path = os.path.join(args.out, "optimal_basis.json")
    results = {}
    if os.path.exists(results_path):
        with open(results_path) as f:
            results = json.load(f)  # resume: finished points are kept
    n_values = [int(x) for x in args.n_max.split(",") if x]
    feature_values = [int(x) for x in args.n_features.split(",") if x]
    points = [(basis, n, None) for n in n_values for basis in args.bases.split(",")]
    points += [(basis, args.selection_n_max, k) for k in feature_values for basis in args.bases.split(",")]
    for basis, n_max, n_features in points:
        key = f"{basis} {n_max}" + (f" f{n_features}" if n_features is not None else "")
        if key in results and (args.skip_cv or "cv" in results[key]):
            continue
        name = f"{basis}-n{n_max}" + (f"-f{n_features}" if n_features is not None else "")
        model = os.path.abspath(os.path.join(args.out, name + ".gapjson"))
        config_path = os.path.join(args.out, name + ".json")
        with open(config_path, "w") as f:
            json.dump(make_config(template, basis, n_max, args.primitive, model, n_features), f, indent=2)
        entry = {"basis": basis, "n_max": n_max, "n_features": n_features, "load_average_start": os.getloadavg()[0]}
        train_seconds = run([binary + "gap-train", config_path, "--threads", str(args.threads)],
                            os.path.join(args.out, name + ".train.log"))
        entry["train_wall_seconds"] = train_seconds
        bench = subprocess.run([binary + "gap-bench", "predict", model] + template["train_files"] + ["--repeats", "3", "--no-virial", "--json"],
                               check=True, capture_output=True, text=True)
        entry["predict"] = json.loads(bench.stdout)
        if not args.skip_cv:
            report_dir = os.path.join(args.out, name + "-cv")
            entry["cv_wall_seconds"] = run(
                [binary + "gap-cv", config_path, "--folds", str(args.folds), "--report", report_dir,
                 "--threads", str(args.threads)], os.path.join(args.out, name + ".cv.log"))
            with open(os.path.join(report_dir, "report.json")) as f:
                report = json.load(f)
            entry["cv"] = summarise(report)
        results[key] = entry
        with open(results_path, "w") as f:
            json.dump(results, f, indent=1)
        print(key, json.dumps({k: entry[k] for k in entry if k in ("cv", "predict")}), flush=True)
    optimal_full = os.path.join(args.out, f"optimal-n{args.primitive}.gapjson")
    if not os.path.exists(optimal_full):
        config_path = os.path.join(args.out, f"optimal-n{args.primitive}.json")
        with open(config_path, "w") as f:
            json.dump(make_config(template, "optimal", args.primitive, args.primitive, os.path.abspath(optimal_full)), f, indent=2)
        run([binary + "gap-train", config_path, "--threads", str(args.threads)], os.path.join(args.out, "variance.train.log"))
    curves, environments = retained_curves(optimal_full)
    results["retained_variance"] = {"environments": environments, "curves": curves}
    with open(results_path, "w") as f:
        json.dump(results, f, indent=1)
    print_tables(results, n_values, args)
    print_config_type_table(results, n_values, args)
    if feature_values:
        print_selection_table(results, feature_values, args)


def summarise(report):
    """Pooled out-of-fold RMSEs (energy meV/atom, force components eV/Å) and their spread over
    the folds, from report.json."""
    cv = report["cross_validation"]
    pooled, folds = cv["pooled"]["all"], cv["across_folds"]["all"]
    return {"energy_rmse_mev_per_atom": pooled["energy"]["rmse"],
            "force_rmse_ev_per_a": pooled["force_components"]["rmse"],
            "energy_rmse_fold_std": folds["energy"]["rmse"]["std"],
            "force_rmse_fold_std": folds["force_components"]["rmse"]["std"],
            "energy_mae_mev_per_atom": pooled["energy"]["mae"],
            "force_mae_ev_per_a": pooled["force_components"]["mae"]}


def print_config_type_table(results, n_values, args):
    """Energy RMSE per config type (meV/atom), from each point's report.json, when the data has
    more than one config type."""
    rows = {}
    for n in n_values:
        for basis in args.bases.split(","):
            path = os.path.join(args.out, f"{basis}-n{n}-cv", "report.json")
            if not os.path.exists(path):
                continue
            with open(path) as f:
                by_type = json.load(f)["cross_validation"]["pooled"]["by_config_type"]
            for name, errors in by_type.items():
                rows.setdefault(name, {})[(basis, n)] = (errors["energy"]["rmse"], errors["force_components"]["rmse"])
    if len(rows) < 2:
        return
    columns = [(b, n) for n in n_values for b in args.bases.split(",")]
    print("\nPer config type: energy RMSE (meV/atom) / force RMSE (eV/Å), pooled over the folds\n")
    print("| config type | " + " | ".join(f"{b} {n}" for b, n in columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for name, values in sorted(rows.items()):
        cells = [f"{values[c][0]:.1f} / {values[c][1]:.3f}" if c in values and values[c][0] is not None else "-" for c in columns]
        print(f"| {name} | " + " | ".join(cells) + " |")


def print_selection_table(results, feature_values, args):
    n = args.selection_n_max
    print(f"\nFeature selection (CUR, n_features of the power spectrum) at n_max {n}, {args.folds}-fold CV\n")
    print("| n_features | E RMSE gap (meV/atom) | E RMSE optimal | F RMSE gap (eV/Å) | F RMSE optimal "
          "| predict gap (CPU µs/atom) | predict optimal (CPU µs/atom) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for k in feature_values + [None]:
        suffix = f" f{k}" if k is not None else ""
        g, o = results.get(f"gap {n}{suffix}", {}), results.get(f"optimal {n}{suffix}", {})

        def cv(e, key):
            v = e.get("cv", {}).get(key)
            return "-" if v is None else (f"{v:.2f}" if "energy" in key else f"{v:.4f}")

        def pt(e):
            v = e.get("predict", {}).get("cpu_us_per_atom")
            return "-" if v is None else f"{v:.0f}"
        label = str(k) if k is not None else "all " + str((g or o).get("predict", {}).get("soap_features", ["-"])[0])
        print(f"| {label} | {cv(g, 'energy_rmse_mev_per_atom')} | {cv(o, 'energy_rmse_mev_per_atom')} "
              f"| {cv(g, 'force_rmse_ev_per_a')} | {cv(o, 'force_rmse_ev_per_a')} | {pt(g)} | {pt(o)} |")


def print_tables(results, n_values, args):
    print(f"\n{args.folds}-fold CV (pooled out-of-fold RMSE) and prediction time, template {args.template}, "
          f"l_max fixed, optimal basis from {args.primitive} primitive functions\n")
    print("| n_max | SOAP features | E RMSE gap (meV/atom) | E RMSE optimal | F RMSE gap (eV/Å) | F RMSE optimal "
          "| predict gap (CPU µs/atom) | predict optimal (CPU µs/atom) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in n_values:
        g, o = results.get(f"gap {n}", {}), results.get(f"optimal {n}", {})

        def cv(e, k):
            v = e.get("cv", {}).get(k)
            return "-" if v is None else (f"{v:.2f}" if "energy" in k else f"{v:.4f}")

        def pt(e):
            v = e.get("predict", {}).get("cpu_us_per_atom")
            return "-" if v is None else f"{v:.0f}"
        features = (g or o).get("predict", {}).get("soap_features", ["-"])[0]
        print(f"| {n} | {features} | {cv(g, 'energy_rmse_mev_per_atom')} | {cv(o, 'energy_rmse_mev_per_atom')} "
              f"| {cv(g, 'force_rmse_ev_per_a')} | {cv(o, 'force_rmse_ev_per_a')} | {pt(g)} | {pt(o)} |")
    rv = results.get("retained_variance")
    if rv:
        ks = [1, 2, 3, 4, 5, 6, 8, 10, 12]
        print(f"\nRetained variance of the optimal basis ({rv['environments']} environments), cumulative fraction "
              f"for the first k functions\n")
        print("| species, l | " + " | ".join(f"k={k}" for k in ks) + " |")
        print("|---|" + "---:|" * len(ks))
        for name, fractions in rv["curves"].items():
            print(f"| {name} | " + " | ".join(f"{fractions[k - 1]:.4f}" for k in ks if k <= len(fractions)) + " |")


if __name__ == "__main__":
    sys.exit(main())
