#!/usr/bin/env bash
# 5-fold CV (seed 1, 2 threads) of the optimal and supervised radial bases on the shipped silicon
# data at n_max 2, 3, 4 (l_max 6, otherwise configs/default.json). Release build first:
#   swift build -c release --product gap-cv
# Usage: bash Benchmarks/supervised_basis/run_cv.sh [BIN_DIR] [CONFIG...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../.build/release}
shift || true
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(optimal supervised_a05 supervised_a01 supervised_a05_forces supervised_a01_forces)
out=${OUT:-$here/../../bench-out/supervised_basis}
mkdir -p "$out"
for c in "${configs[@]}"; do
    /usr/bin/time -v "$bin/gap-cv" "$here/$c.json" --folds 5 --seed 1 --threads 2 \
        --sweep 'descriptors[0].n_max=3,4' --report "$out/$c" --quiet 2> "$out/$c.time"
done
python3 "$here/table.py" "$out" "${configs[@]}"
