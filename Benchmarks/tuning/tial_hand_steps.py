"""Re-runs the hand-tuned path of the third Ti-Al pass (BENCHMARKS.md, "Tuned configs", Ti-Al):
from the second pass's config to Benchmarks/tuning/TiAl-stage3.json, one 5-fold gap-cv (folds
seeded 2) per step. Step configs go to bench-out/tial-steps/; the last one equals TiAl-stage3.json.

Run from the repository root after `swift build -c release` and `git show 995b3b9:configs/tial.json
> bench-out/tial-pass2.json` (the second pass's config, replaced by the third pass):
    python3 Benchmarks/tuning/tial_hand_steps.py bench-out/tial-pass2.json
"""
import copy, json, os, re, subprocess, sys

out = "bench-out/tial-steps"
os.makedirs(out, exist_ok=True)
text = "\n".join(l for l in open(sys.argv[1]).read().splitlines() if not l.lstrip().startswith("//"))
config = json.loads(text)
config["output"] = "model.gapjson"
data = os.path.abspath("../shared/datasets/tial_ace/TiAl_train.xyz")
split = os.path.abspath("configs/tial_train_split.json")


def per_species(c):
    ti, al = copy.deepcopy(c["descriptors"][0]), copy.deepcopy(c["descriptors"][0])
    ti["Z"], al["Z"] = ["Ti"], ["Al"]
    ti["n_sparse"] = al["n_sparse"] = 500
    c["descriptors"][0:1] = [ti, al]


def set_soap(c, **kv):
    for d in c["descriptors"][0:2]: d.update(kv)


def pair(c):
    c["descriptors"][2].update(delta=1.0, theta_uniform=0.5, n_sparse=100)


steps = [
    ("pass2-263", "second pass, all 263 frames", lambda c: c.update(train_files=[data])),
    ("pass2-262", "the same without frame 254", lambda c: (c.pop("train_files"), c.update(train_split={"file": split, "part": "train"}))),
    ("per-species", "main SOAP: one term per centre species, 500 points each", per_species),
    ("zeta2", "SOAP zeta 4 -> 2", lambda c: set_soap(c, zeta=2)),
    ("pair", "2-body delta 0.5 -> 1, theta 1 -> 0.5, 50 -> 100 points", pair),
    ("soft", "SOAP delta 1 -> 0.25, atom_sigma 0.35 -> 0.45", lambda c: set_soap(c, delta=0.25, atom_sigma=0.45)),
    ("stage3", "the 6.5 Å soap term dropped", lambda c: c["descriptors"].pop(3)),
]
for name, what, change in steps:
    change(config)
    path = f"{out}/{name}.json"
    json.dump(config, open(path, "w"), indent=1)
    run = subprocess.run([".build/release/gap-cv", path, "--folds", "5", "--seed", "2", "--threads", "2",
                          "--report", f"{out}/{name}-cv"], capture_output=True, text=True, check=True)
    rows = {l.split()[0]: l.split() for l in (run.stdout + run.stderr).splitlines() if re.match(r"^(FLD_TiAl|TiAl_T5000|overall) ", l) and len(l.split()) >= 9}
    cols = lambda k: f"E MAE {rows[k][4]} meV/atom, F MAE {rows[k][6]} eV/Å"
    print(f"{name:12s} {what}\n    overall {cols('overall')}; TiAl_T5000 {cols('TiAl_T5000')}; FLD_TiAl {cols('FLD_TiAl')}")
