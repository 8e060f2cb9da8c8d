#!/usr/bin/env bash
# Memory estimate printed by gap-train before a fit against the measured peak (VmHWM), for the
# shipped configs and a tiny one (issue 15, D10). Release build, 2 threads. Usage:
#   swift build -c release --product gap-train
#   bash Benchmarks/memory_estimates.sh [config.json ...]     (default: tiny, ci, default, gap18_streaming)
# gap18_streaming needs ../shared and takes about 15 CPU minutes; configs/gap18.json (M = 9,000)
# takes hours and is left out by default. Prints one line per config: estimated, measured, ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# A tiny config: the first 8 frames of the shipped data, a small SOAP and a 2-body term.
python3 - "$out/tiny.xyz" <<'PY'
import sys
lines, kept = open("datasets/si_zuo2020/Si_train.xyz").read().split("\n"), []
for _ in range(8):
    n = int(lines[0]) + 2
    kept, lines = kept + lines[:n], lines[n:]
open(sys.argv[1], "w").write("\n".join(kept) + "\n")
PY
cat > "$out/tiny.json" <<EOF
{"train_files": ["tiny.xyz"], "e0": "average",
 "descriptors": [{"type": "soap", "cutoff": 4.5, "cutoff_transition_width": 1.0, "n_max": 3, "l_max": 2,
                  "atom_sigma": 0.5, "delta": 1.0, "zeta": 4, "n_sparse": 30, "sparse_method": "cur"},
                 {"type": "distance_2b", "cutoff": 4.5, "cutoff_transition_width": 1.0, "theta_uniform": 1.0,
                  "delta": 0.5, "n_sparse": 8, "sparse_method": "uniform"}],
 "default_sigma": {"energy": 0.002, "forces": 0.05, "virial": 0.05}, "output": "tiny.gapjson"}
EOF

configs=("$@")
if [ ${#configs[@]} -eq 0 ]; then configs=("$out/tiny.json" configs/ci.json configs/default.json configs/gap18_streaming.json); fi
for config in "${configs[@]}"; do
    name=$(basename "$config" .json)
    .build/release/gap-train "$config" --threads 2 --no-checkpoint --output "$out/$name.gapjson" 2> "$out/$name.log"
    line=$(grep "peak memory" "$out/$name.log")
    estimated=$(sed -E 's/.*estimated ([0-9.]+ [kMG]?B).*/\1/' <<< "$line")
    measured=$(sed -E 's/.*peak memory ([0-9.]+ [kMG]?B).*/\1/' <<< "$line")
    python3 - "$name" "$estimated" "$measured" <<'PY'
import sys
def parse(text):
    value, unit = text.split()
    return float(value) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[unit]
name, estimated, measured = sys.argv[1], parse(sys.argv[2]), parse(sys.argv[3])
print(f"{name:18s} estimated {estimated / 1e6:8.0f} MB  measured {measured / 1e6:8.0f} MB  estimated/measured {estimated / measured:5.2f}")
PY
done
