#!/bin/bash
# Fit time and prediction cost of the shipped tuned configs (BENCHMARKS.md, "Tuned configs").
#
# For each config: `gap-train CONFIG --threads 2` under /usr/bin/time (wall, CPU, peak RSS), then
# `gap-bench predict MODEL TRAINING_FILE --repeats 3 --json` (one thread, energies and forces of
# every frame of the training file; the fastest repetition). Needs release builds of gap-train and gap-bench
# (`swift build -c release`). Run from the package root:
#   bash Benchmarks/tuned_configs.sh configs/default.json configs/zuo2020/*.json configs/tial.json
# Results (one JSON line per config) go to bench-out/tuned/results.jsonl.
set -euo pipefail
bin=.build/release
out=bench-out/tuned
mkdir -p "$out"
for config in "$@"; do
    name=$(basename "$config" .json)
    dir=$(dirname "$config")
    model=$(python3 -c 'import json,re,sys,os
text=open(sys.argv[1]).read()
text="\n".join(l for l in text.splitlines() if not l.lstrip().startswith("//"))
text=re.sub(r"\s//[^\n\"]*$", "", text, flags=re.M)
c=json.loads(text)
print(os.path.normpath(os.path.join(sys.argv[2], c.get("output","model.gapjson"))))
if "train_files" in c:
    print(os.path.normpath(os.path.join(sys.argv[2], c["train_files"][0])))
else:  # a split file: its first frame file, resolved as gap-train does (split dir, then its ancestors)
    split_path = os.path.join(sys.argv[2], c["train_split"]["file"])
    first = json.load(open(split_path))["frames"][0][0]
    base = os.path.dirname(split_path)
    for up in range(9):
        candidate = os.path.join(base, *([".."] * up), first)
        if os.path.exists(candidate): break
    print(os.path.normpath(candidate))' "$config" "$dir")
    train_file=$(echo "$model" | sed -n 2p)
    model=$(echo "$model" | sed -n 1p)
    /usr/bin/time -f '%e %U %S %M' -o "$out/$name.time" "$bin/gap-train" "$config" --threads 2 --quiet > "$out/$name.train.log"
    read -r wall user sys rss < "$out/$name.time"
    OPENBLAS_NUM_THREADS=1 "$bin/gap-bench" predict "$model" "$train_file" --repeats 3 --json > "$out/$name.predict.json"
    python3 - "$name" "$wall" "$user" "$sys" "$rss" "$out/$name.predict.json" "$(cat /proc/loadavg | cut -d' ' -f1-3)" >> "$out/results.jsonl" <<'EOF'
import json, sys
name, wall, user, sys_, rss, predict, load = sys.argv[1:]
p = json.load(open(predict))
print(json.dumps({"config": name, "fit_wall_s": float(wall), "fit_user_s": float(user), "fit_sys_s": float(sys_),
                  "fit_peak_rss_MB": int(rss) / 1024, "predict": p, "load_average": load}))
EOF
    tail -1 "$out/results.jsonl"
done
