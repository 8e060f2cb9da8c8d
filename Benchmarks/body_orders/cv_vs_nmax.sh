#!/usr/bin/env bash
# Cross-validated energy and force RMSE against n_max for body orders ν = 1 (radial_spectrum),
# 2 (soap) and 3 (bispectrum), each with the QUIP and with the optimal radial basis: the
# regression side of Goscinski et al. 2021's silicon comparisons, beside gfre_vs_nmax.sh's GFRE
# (same descriptor settings). One 5-fold gap-cv (seed 1, 2 threads) per (ν, basis, n_max) on the
# shipped silicon data, so each row has its own wall and CPU time; configs in cv/ (n_max 2 there,
# replaced per run). ν = 3 with the optimal basis at n_max 8 is not run: with n_max equal to its
# 8 primitive functions the contraction is a rotation and the kernel is the QUIP basis's.
# Run from the package root after `swift build -c release --product gap-cv`; prints a table.
# On a CPU that OpenBLAS 0.3.21 misdetects, set OPENBLAS_CORETYPE (e.g. SkylakeX) first.
# Usage: bash Benchmarks/body_orders/cv_vs_nmax.sh [REPORT_DIR]   (default bench-out/body_orders_cv)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$root/.build/release/gap-cv
out=${1:-$root/bench-out/body_orders_cv}
mkdir -p "$out"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for config in nu1_quip nu1_optimal nu2_quip nu2_optimal nu3_quip nu3_optimal; do
    for n_max in 2 3 4 6 8; do
        [ "$config" = nu3_optimal ] && [ "$n_max" = 8 ] && continue
        run=$out/${config}_n$n_max
        # The config with this n_max and its data path made absolute (it is relative to cv/).
        python3 - "$here/cv/$config.json" "$n_max" "$root" > "$run.json" <<'EOF'
import json, os, re, sys
path, n_max, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
config = json.loads(re.sub(r"^\s*//.*$", "", open(path).read(), flags=re.M))
config["train_files"] = [os.path.normpath(os.path.join(os.path.dirname(path), f)) for f in config["train_files"]]
config["descriptors"][0]["n_max"] = n_max
print(json.dumps(config, indent=1))
EOF
        /usr/bin/time -v nice -n 10 "$bin" "$run.json" --folds 5 --seed 1 --threads 2 \
            --report "$run" --quiet > /dev/null 2> "$run.time"
    done
done
echo "# finished $(date -u '+%H:%M UTC'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$out" <<'EOF'
# One row per (ν, n_max, basis): pooled out-of-fold RMSE over all 214 frames, (per-fold sd),
# features, and the gap-cv run's wall and CPU (user + system) time and peak memory.
import json, os, re, sys
out = sys.argv[1]
print("| ν | n_max | radial basis | features | E RMSE meV/atom (fold sd) | F RMSE eV/Å (fold sd) | wall s | CPU s | peak GB |")
print("|---|---|---|---|---|---|---|---|---|")
for nu in (1, 2, 3):
    for n_max in (2, 3, 4, 6, 8):
        for basis, label in (("quip", "QUIP"), ("optimal", "optimal")):
            run = os.path.join(out, f"nu{nu}_{basis}_n{n_max}")
            if not os.path.exists(os.path.join(run, "report.json")):
                continue
            report = json.load(open(os.path.join(run, "report.json")))
            cv = report["cross_validation"]
            if cv.get("failure"):
                print(f"| {nu} | {n_max} | {label} | | failed: {cv['failure']} | | | | |")
                continue
            e, f = cv["pooled"]["all"]["energy"]["rmse"], cv["pooled"]["all"]["force_components"]["rmse"]
            across = cv["across_folds"]["all"]
            e_sd, f_sd = across["energy"]["rmse"]["std"], across["force_components"]["rmse"]["std"]
            d = report["config"]["descriptors"][0]
            l_max = d.get("l_max", 0)
            if nu == 1:
                features = n_max
            elif nu == 2:
                features = n_max * (n_max + 1) // 2 * (l_max + 1)
            else:  # symmetry-unique slot triples (docs/config.md)
                slots = [l for _ in range(n_max) for l in range(l_max + 1)]
                features = sum(1 for i in range(len(slots)) for j in range(i, len(slots)) for k in range(j, len(slots))
                               if abs(slots[i] - slots[j]) <= slots[k] <= slots[i] + slots[j] and (slots[i] + slots[j] + slots[k]) % 2 == 0)
            t = open(run + ".time").read()
            wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
            seconds = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall.split(":"))))
            cpu = float(re.search(r"User time \(seconds\): (\S+)", t).group(1)) + float(re.search(r"System time \(seconds\): (\S+)", t).group(1))
            peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1e6
            print(f"| {nu} | {n_max} | {label} | {features} | {e:.2f} ({e_sd:.2f}) | {f:.4f} ({f_sd:.4f}) | {seconds:.0f} | {cpu:.0f} | {peak:.1f} |")
EOF
