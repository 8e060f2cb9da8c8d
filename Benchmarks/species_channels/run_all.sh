#!/usr/bin/env bash
# Alchemical compression on the synthetic 7-element EMT alloy set (issue 18, item 2): for each config,
# 5-fold gap-cv (seed 1, 2 threads) under /usr/bin/time, gap-train on the whole set, and
# gap-bench predict (one thread, 3 repeats) of that model on the set; then prints the table.
# Release build first (swift build -c release). On this machine OpenBLAS 0.3.21 misdetects the CPU:
#   export OPENBLAS_CORETYPE=SkylakeX
# Usage: bash Benchmarks/species_channels/run_all.sh [CONFIG...]   (default: all the configs below; the
# per-fold differences are against the first). Outputs that exist are reused (delete them to rerun).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${BIN:-$here/../../.build/release}
out=${OUT:-$here/../../bench-out/species_channels}
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(emt_full emt_k1 emt_k2 emt_k3 emt_k4 emt_k1_supervised emt_k2_supervised emt_k3_supervised
                                     emt_k1_supervised_a01 emt_k1_supervised_a09)
mkdir -p "$out"
data=$here/emt_alloys.xyz
if [ ! -f "$data" ]; then
    (cd "$here" && python3 -W ignore make_emt_alloys.py --output emt_alloys.xyz)
fi
for c in "${configs[@]}"; do
    if [ ! -f "$out/$c/report.json" ]; then
        /usr/bin/time -v -o "$out/$c.cv.time" nice -n 10 "$bin/gap-cv" "$here/$c.json" --folds 5 --seed 1 --threads 2 \
            --report "$out/$c" --quiet > "$out/$c.cv.txt"
    fi
    if [ ! -f "$out/$c.predict.json" ]; then
        nice -n 10 "$bin/gap-train" "$here/$c.json" --threads 2 > "$out/$c.train.txt" 2>&1
        nice -n 10 "$bin/gap-bench" predict "$out/$c.gapjson" "$data" --repeats 3 --threads 1 --json > "$out/$c.predict.json"
    fi
done
python3 "$here/table.py" "$out" "${configs[@]}"
