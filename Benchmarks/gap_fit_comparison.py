#!/usr/bin/env python3
"""Train and predict with gap-train/gap-predict and with QUIP's gap_fit/quip on the same data.

Both tools fit GAP-18's SOAP model (l_max 12, n_max 10, atom_sigma 0.5, zeta 4, cutoff 5,
cutoff_transition_width 1, delta 3; default_sigma 0.001/0.1/0.05 and GAP-18's config_type_sigma
for liq/amorph/sp; sparse_jitter 1e-8; e0 from the isolated atom; no core potential, e0_offset 0)
on stratified subsets of the train part of ../shared/datasets/splits/si_gap18_80_20.json, with
n_sparse 1000, and are tested on all 415 frames of the split's test part.

Sparse points, per training size:
  * gap_fit: its own cur_points (rnd_seed=1), written with print_sparse_index;
  * ours "cur": gap-train's own `cur` (seed 1): the realistic comparison;
  * ours "index": gap_fit's chosen environments, fed through sparse_method=index_file: the same
    sparse GP as gap_fit, so test errors must agree (an exact comparison).

Training and test files are written once into the work directory with GAP-18's label names
normalised (dft_energy, dft_force, dft_virial; the 60 sh.xyz frames with DFT_* keys renamed;
virials stored only under `virial` are dropped, as GAP-18 did not fit them) and both tools read
the same files. Every timed command runs under /usr/bin/time -v; the load average is recorded
before and after. gap_fit runs serially (the wheel has no OpenMP; OMP_NUM_THREADS=1).

Steps (each is skipped when its result file exists in the work directory, so the script can be
re-run after an interruption; `all` runs everything in order):

  prepare                       subsets and files
  gap_fit SIZE                  gap_fit, cur_points, n_sparse 1000
  train SIZE VARIANT THREADS    gap-train (VARIANT cur or index)
  quip SIZE                     quip binary on the test set (E, F, V), 3 repeats
  quippy SIZE                   quippy Potential on the test set, 1 run
  predict SIZE VARIANT THREADS  gap-predict on the test set, 3 repeats
  seeds SIZE                    gap-train cur with seeds 2..5 and their test errors
  methods SIZE                  gap-train with fps and cur_iterative sparse points
  gap_fit_seed SIZE SEED        gap_fit with rnd_seed SEED, and quip's test errors (1 run)
  full                          gap-train alone on the whole training part (78,770 atoms; gap_fit
                                would need about 77 GB) at n_sparse 4000, 2 threads, and its
                                test errors
  report                        Benchmarks/results/gap_fit_comparison.json and a markdown table

  python3 Benchmarks/gap_fit_comparison.py all [--work DIR] [--sizes small,large]

SIZE is small (5,193 atoms) or large (10,245 atoms); see SIZES. Needs quippy-ase, ase, numpy.
"""

import argparse
import base64
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(HERE)
SHARED = os.path.normpath(os.path.join(PACKAGE, "..", "shared"))
SPLIT = os.path.join(SHARED, "datasets", "splits", "si_gap18_80_20.json")
RESULTS = os.path.join(HERE, "results", "gap_fit_comparison.json")
sys.path.insert(0, HERE)
from gap_fit_tools import GAP18_LABEL_ARGUMENTS  # noqa: E402

SIZES = {"small": 4200, "large": 9500}  # target training atoms (stratified by config type; the
# prefixes overshoot: 5,193 and 10,245 atoms). gap_fit needs about 1 MB per atom here (xPrime),
# so about 10 GB at the large size; more would not fit beside other jobs on this 24 GB machine.
SUBSET_SEED = 7
N_SPARSE = 1000
FULL_N_SPARSE = 4000  # our fit of the whole training part (step `full`), beyond gap_fit's reach here
SOAP = dict(cutoff=5.0, cutoff_transition_width=1.0, n_max=10, l_max=12, atom_sigma=0.5, central_weight=1.0,
            delta=3.0, zeta=4)
DEFAULT_SIGMA = (0.001, 0.1, 0.05)
CONFIG_TYPE_SIGMA = {"liq": (0.003, 0.15, 0.2), "amorph": (0.01, 0.2, 0.4), "sp": (0.01, 0.2, 0.4)}
JITTER = 1e-8
PREDICTION_REPEATS = 3


# ---------------------------------------------------------------------------------------------
# Helpers


def load_average():
    return [float(x) for x in open("/proc/loadavg").read().split()[:3]]


def timed(cmd, cwd, log, env=None):
    """Run cmd under /usr/bin/time -v; returns a dict of wall/user/sys seconds, max RSS and load."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    time_file = os.path.join(cwd, log + ".time")
    before = load_average()
    start = time.monotonic()
    with open(os.path.join(cwd, log), "w") as out:
        proc = subprocess.run(["/usr/bin/time", "-v", "-o", time_file] + cmd, cwd=cwd, stdout=out,
                              stderr=subprocess.STDOUT, env=full_env)
    wall = time.monotonic() - start
    after = load_average()
    text = open(time_file).read()
    if proc.returncode != 0:
        tail = open(os.path.join(cwd, log)).read()[-3000:]
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{tail}\n{text}")

    def field(name):
        m = re.search(re.escape(name) + r":\s*(.+)", text)
        return m.group(1).strip() if m else None

    elapsed = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(p) for p in elapsed.split(":")]
    seconds = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) == 3 else 0)
    return {
        "command": " ".join(cmd),
        "wall_s": seconds,
        "wall_s_monotonic": wall,
        "user_s": float(field("User time (seconds)")),
        "sys_s": float(field("System time (seconds)")),
        "cpu_s": float(field("User time (seconds)")) + float(field("System time (seconds)")),
        "cpu_percent": field("Percent of CPU this job got"),
        "max_rss_MB": int(field("Maximum resident set size (kbytes)")) / 1024.0,
        "load_average_before": before,
        "load_average_after": after,
    }


def release_binaries():
    for product in ("gap-train", "gap-predict"):
        subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=PACKAGE, check=True)
    bin_dir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=PACKAGE,
                             check=True, capture_output=True, text=True).stdout.strip()
    return os.path.join(bin_dir, "gap-train"), os.path.join(bin_dir, "gap-predict")


def save(work, name, value):
    path = os.path.join(work, "results", name + ".json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(value, f, indent=1)
    os.replace(path + ".tmp", path)
    print(f"  -> {name}: " + json.dumps({k: v for k, v in value.items() if k in (
        "wall_s", "cpu_s", "max_rss_MB", "load_average_before", "per_atom_ms_wall", "per_atom_ms_cpu")}), flush=True)


def have(work, name):
    return os.path.exists(os.path.join(work, "results", name + ".json"))


def load(work, name):
    return json.load(open(os.path.join(work, "results", name + ".json")))


# ---------------------------------------------------------------------------------------------
# Data


def normalised(frame):
    """A copy with only species, positions, cell, GAP-18's labels (dft_*) and config_type."""
    a = frame.copy()
    info, arrays = dict(a.info), dict(a.arrays)
    a.calc = None
    for key in list(a.arrays):
        if key not in ("numbers", "positions"):
            del a.arrays[key]
    a.info.clear()
    a.info["config_type"] = info["config_type"]
    for ours, names in (("dft_energy", ("dft_energy", "DFT_energy")), ("dft_virial", ("dft_virial", "DFT_virial"))):
        for n in names:
            if n in info:
                a.info[ours] = info[n]
                break
    for n in ("dft_force", "DFT_force"):
        if n in arrays:
            a.arrays["dft_force"] = arrays[n]
            break
    if "dft_energy" not in a.info or "dft_force" not in a.arrays:
        raise ValueError("frame without energy or forces")
    return a


def read_split():
    from ase.io import read

    split = json.load(open(SPLIT))
    cache = {}

    def frame(i):
        name, k = split["frames"][i]
        if name not in cache:
            cache[name] = read(os.path.join(SHARED, name), ":", format="extxyz")
        return cache[name][k]

    return split, frame


def stratified_subsets(split, frame):
    """Nested stratified subsets of the train part: per config type a fixed random order of its
    frames, and each subset takes the shortest prefix whose atoms reach the type's share of the
    target (at least one frame per type). The isolated atom is always included."""
    by_type = collections.defaultdict(list)
    for i in split["train"]:
        by_type[frame(i).info["config_type"]].append(i)
    total = sum(len(frame(i)) for i in split["train"])
    subsets = {}
    for size, target in SIZES.items():
        chosen = []
        for k, ct in enumerate(sorted(by_type)):
            frames = by_type[ct]
            order = np.random.default_rng(SUBSET_SEED + k).permutation(len(frames))
            if ct == "isolated_atom":
                chosen += frames
                continue
            share = target * sum(len(frame(i)) for i in frames) / total
            atoms = 0
            for j in order:
                if atoms >= share and atoms > 0:
                    break
                chosen.append(frames[j])
                atoms += len(frame(frames[j]))
        subsets[size] = sorted(chosen)
    return subsets


def prepare(work):
    from ase.io import write

    if have(work, "prepare"):
        return
    split, frame = read_split()
    subsets = stratified_subsets(split, frame)
    info = {"split": os.path.relpath(SPLIT, PACKAGE), "subset_seed": SUBSET_SEED, "sizes": {}}
    for size, frames in subsets.items():
        atoms = [normalised(frame(i)) for i in frames]
        write(os.path.join(work, f"train_{size}.xyz"), atoms, format="extxyz")
        per_type = collections.Counter()
        for a in atoms:
            per_type[a.info["config_type"]] += len(a)
        info["sizes"][size] = {"frames": len(atoms), "atoms": sum(len(a) for a in atoms),
                               "virial_frames": sum("dft_virial" in a.info for a in atoms),
                               "atoms_per_config_type": dict(sorted(per_type.items())),
                               "split_indices": frames}
        print(f"{size}: {len(atoms)} frames, {info['sizes'][size]['atoms']} atoms", flush=True)
    test = [normalised(frame(i)) for i in split["test"]]
    write(os.path.join(work, "test.xyz"), test, format="extxyz")
    info["test"] = {"frames": len(test), "atoms": sum(len(a) for a in test),
                    "virial_frames": sum("dft_virial" in a.info for a in test)}
    save(work, "prepare", info)


# ---------------------------------------------------------------------------------------------
# Training


def gap_fit(work, size, seed=1):
    tag = size if seed == 1 else f"{size}_s{seed}"
    name = f"gap_fit_{tag}"
    if have(work, name):
        return
    index = os.path.join(work, f"gap_fit_{tag}_sparse.idx")
    if os.path.exists(index):
        os.remove(index)
    soap = " ".join(f"{k}={v}" for k, v in SOAP.items())
    cts = ":".join(f"{k}:{v[0]}:{v[1]}:{v[2]}:0.0" for k, v in CONFIG_TYPE_SIGMA.items())
    args = [
        f"at_file=train_{size}.xyz",
        "gap={soap " + soap + f" n_sparse={N_SPARSE} covariance_type=dot_product sparse_method=cur_points"
        f" print_sparse_index=gap_fit_{tag}_sparse.idx" + "}",
        "default_sigma={" + " ".join(str(s) for s in DEFAULT_SIGMA) + " 0.0}",
        "config_type_sigma={" + cts + "}",
        f"sparse_jitter={JITTER}",
        *GAP18_LABEL_ARGUMENTS,
        f"rnd_seed={seed}",
        f"gp_file=gap_fit_{tag}.xml",
    ]
    print(f"gap_fit {tag} ...", flush=True)
    result = timed(["gap_fit"] + args, work, f"gap_fit_{tag}.log", env={"OMP_NUM_THREADS": "1"})
    text = open(os.path.join(work, f"gap_fit_{tag}.log")).read()
    if "SYSTEM ABORT" in text:
        raise RuntimeError(text[-3000:])
    result["memory_lines"] = [line.strip() for line in text.splitlines()
                              if "PEAK" in line or "xPrime" in line or "Memory" in line][:20]
    result["timer_lines"] = [line.strip() for line in text.splitlines() if "TIMER" in line][-40:]
    save(work, name, result)


def our_config(work, size, variant):
    config = {
        "description": f"gap_fit comparison, {size}, sparse points: {variant}",
        "train_files": [f"train_{size}.xyz"],
        "label_keys": {"energy": ["dft_energy"], "forces": ["dft_force"], "virial": ["dft_virial"],
                       "stress": [], "config_type": ["config_type"]},
        "e0": "isolated",
        "e0_offset": 0.0,
        "descriptors": [dict(type="soap", **SOAP)],
        "default_sigma": dict(zip(("energy", "forces", "virial"), DEFAULT_SIGMA)),
        "config_type_sigma": {k: dict(zip(("energy", "forces", "virial"), v)) for k, v in CONFIG_TYPE_SIGMA.items()},
        "sigma_per_atom": True,
        "sparse_jitter": JITTER,
        "seed": 1,
        "output": f"ours_{size}_{variant}.gapjson",
    }
    term = config["descriptors"][0]
    if size == "full":
        # The whole training part of the split, read from the shared files themselves (GAP-18's
        # label names in both spellings, as normalised() does for the subsets), at FULL_N_SPARSE.
        del config["train_files"]
        config["train_split"] = {"file": SPLIT, "part": "train"}
        config["label_keys"].update(energy=["dft_energy", "DFT_energy"], forces=["dft_force", "DFT_force"],
                                    virial=["dft_virial", "DFT_virial"])
        term.update(n_sparse=FULL_N_SPARSE, sparse_method="cur")
    elif variant in ("fps", "cur_iterative"):
        term.update(n_sparse=N_SPARSE, sparse_method=variant)
    elif variant.startswith("cur"):
        # "cur" is seed 1; "cur_s5" is seed 5 (the spread of test errors over CUR seeds).
        config["seed"] = int(variant.split("_s")[1]) if "_s" in variant else 1
        term.update(n_sparse=N_SPARSE, sparse_method="cur")
    else:
        # gap_fit 0.10.3 writes print_sparse_index as one line of space-separated indices;
        # gap-train's index-file reader wants one index per line (it rejects gap_fit's own file,
        # reported to the lead), so the indices are rewritten one per line, unchanged.
        indices = open(os.path.join(work, f"gap_fit_{size}_sparse.idx")).read().split()
        with open(os.path.join(work, f"gap_fit_{size}_sparse_lines.idx"), "w") as f:
            f.write("\n".join(indices) + "\n")
        term.update(sparse_method="index_file", sparse_file=f"gap_fit_{size}_sparse_lines.idx")
    path = os.path.join(work, f"config_{size}_{variant}.json")
    with open(path, "w") as f:
        json.dump(config, f, indent=1)
    return os.path.basename(path)


def train(work, gap_train, size, variant, threads):
    name = f"train_{size}_{variant}_t{threads}"
    if have(work, name):
        return
    config = our_config(work, size, variant)
    output = f"ours_{size}_{variant}_t{threads}.gapjson"
    print(f"gap-train {size} {variant} --threads {threads} ...", flush=True)
    result = timed([gap_train, config, "--threads", str(threads), "--output", output], work, name + ".log")
    log = open(os.path.join(work, name + ".log")).read()
    result["stderr_tail"] = [line for line in log.splitlines() if not line.startswith(("descriptors:", "design matrix:", "predicting:"))][-30:]
    result["model"] = output
    save(work, name, result)


# ---------------------------------------------------------------------------------------------
# Prediction


def read_xyz_predictions(path, energy_key="energy", force_key="forces"):
    from ase.io import read

    out = []
    for a in read(path, ":", format="extxyz"):
        results = a.calc.results if a.calc is not None else {}
        energy = results.get("energy", a.info.get(energy_key))
        forces = a.arrays.get(force_key)
        if forces is None:
            forces = results.get("forces")
        virial = a.info.get("virial")
        out.append({"energy": float(energy), "forces": np.array(forces, dtype=float),
                    "virial": None if virial is None else np.array(virial, dtype=float).reshape(3, 3)})
    return out


def save_predictions(work, name, predictions):
    np.savez_compressed(os.path.join(work, "results", name + "_predictions.npz"),
                        energy=np.array([p["energy"] for p in predictions]),
                        forces=np.concatenate([p["forces"] for p in predictions]),
                        virial=np.array([p["virial"] if p["virial"] is not None else np.full((3, 3), np.nan)
                                         for p in predictions]))


def quip(work, size, test_atoms, repeats=PREDICTION_REPEATS):
    """quip on the test set with the gap_fit model of SIZE (or SIZE_sN, gap_fit's rnd_seed N)."""
    from gap_fit_tools import working_quip_binary

    name = f"quip_{size}"
    if have(work, name):
        return
    exe, env = working_quip_binary(os.path.join(work, "bin"))
    runs = []
    for r in range(repeats):
        print(f"quip {size} run {r + 1} ...", flush=True)
        cmd = [exe, "E=T", "F=T", "V=T", "atoms_filename=test.xyz", f"param_filename=gap_fit_{size}.xml"]
        runs.append(timed(cmd, work, f"quip_{size}.out", env={k: env[k] for k in ("LD_LIBRARY_PATH",)}))
    lines = [line[3:] for line in open(os.path.join(work, f"quip_{size}.out")) if line.startswith("AT ")]
    with open(os.path.join(work, f"quip_{size}_test.xyz"), "w") as f:
        f.write("".join(lines))
    save_predictions(work, name, read_xyz_predictions(os.path.join(work, f"quip_{size}_test.xyz"), force_key="force"))
    os.remove(os.path.join(work, f"quip_{size}.out"))
    save(work, name, summarise_runs(runs, test_atoms))


QUIPPY_TIMER = r"""
import json, sys, time
import numpy as np
from ase.io import read
from quippy.potential import Potential
frames = read(sys.argv[1], ":", format="extxyz")
t0 = time.perf_counter(); c0 = time.process_time()
pot = Potential(param_filename=sys.argv[2])
t1 = time.perf_counter(); c1 = time.process_time()
out = []
for at in frames:
    a = at.copy(); a.calc = pot
    e = a.get_potential_energy(); f = a.get_forces().copy(); v = pot.get_virial(a).copy()
    out.append((e, f, v))
t2 = time.perf_counter(); c2 = time.process_time()
np.savez_compressed(sys.argv[3], energy=np.array([o[0] for o in out]), forces=np.concatenate([o[1] for o in out]),
                    virial=np.array([o[2] for o in out]))
print(json.dumps({"load_wall_s": t1 - t0, "load_cpu_s": c1 - c0, "predict_wall_s": t2 - t1, "predict_cpu_s": c2 - c1}))
"""


def quippy(work, size, test_atoms):
    name = f"quippy_{size}"
    if have(work, name):
        return
    script = os.path.join(work, "quippy_timer.py")
    with open(script, "w") as f:
        f.write(QUIPPY_TIMER)
    print(f"quippy {size} ...", flush=True)
    npz = os.path.join(work, "results", name + "_predictions.npz")
    result = timed([sys.executable, script, "test.xyz", f"gap_fit_{size}.xml", npz], work, name + ".log",
                   env={"OMP_NUM_THREADS": "1"})
    inner = json.loads(open(os.path.join(work, name + ".log")).read().strip().splitlines()[-1])
    result.update(inner)
    result["per_atom_ms_wall"] = 1e3 * inner["predict_wall_s"] / test_atoms
    result["per_atom_ms_cpu"] = 1e3 * inner["predict_cpu_s"] / test_atoms
    save(work, name, result)


def predict(work, gap_predict, size, variant, threads, test_atoms, repeats=PREDICTION_REPEATS):
    name = f"predict_{size}_{variant}_t{threads}"
    if have(work, name):
        return
    model = f"ours_{size}_{variant}_t2.gapjson"
    if not os.path.exists(os.path.join(work, model)):
        model = f"ours_{size}_{variant}_t1.gapjson"
    runs = []
    for r in range(repeats):
        print(f"gap-predict {size} {variant} --threads {threads} run {r + 1} ...", flush=True)
        out = f"ours_{size}_{variant}_test.xyz"
        runs.append(timed([gap_predict, "--model", model, "test.xyz", "--output", out, "--threads", str(threads)],
                          work, name + ".log"))
        log = open(os.path.join(work, name + ".log")).read()
        m = re.search(r"in ([0-9.]+) ?(ms|s|min) \(([0-9.]+) µs/atom", log)
        runs[-1]["reported_line"] = [line for line in log.splitlines() if "µs/atom" in line][-1:]
    result = summarise_runs(runs, test_atoms)
    result["model"] = model
    result["error_table"] = [line for line in log.splitlines() if "|" in line or "RMSE" in line][:40]
    save_predictions(work, name, read_xyz_predictions(os.path.join(work, out)))
    save(work, name, result)


def summarise_runs(runs, atoms):
    best = min(runs, key=lambda r: r["wall_s"])
    return {
        "runs": runs,
        "atoms": atoms,
        "wall_s": best["wall_s"],
        "cpu_s": min(r["cpu_s"] for r in runs),
        "max_rss_MB": max(r["max_rss_MB"] for r in runs),
        "load_average_before": best["load_average_before"],
        "per_atom_ms_wall": 1e3 * best["wall_s"] / atoms,
        "per_atom_ms_cpu": 1e3 * min(r["cpu_s"] for r in runs) / atoms,
    }


# ---------------------------------------------------------------------------------------------
# Errors and report


def reference(work):
    from ase.io import read

    frames = read(os.path.join(work, "test.xyz"), ":", format="extxyz")
    return [{"config_type": a.info["config_type"], "atoms": len(a), "energy": a.info["dft_energy"],
             "forces": np.array(a.arrays["dft_force"]), "virial": np.array(a.info["dft_virial"]).reshape(3, 3)
             if "dft_virial" in a.info else None} for a in frames]


def errors(work, name, refs):
    """RMSE per config type and overall: energy meV/atom, forces eV/Å (per component), virial
    meV/atom (9 components of V/N, frames with a DFT virial only)."""
    p = np.load(os.path.join(work, "results", name + "_predictions.npz"))
    offsets = np.concatenate([[0], np.cumsum([r["atoms"] for r in refs])])
    acc = collections.defaultdict(lambda: {"e": [], "f": [], "v": []})
    for k, r in enumerate(refs):
        for key in (r["config_type"], "all"):
            a = acc[key]
            a["e"].append((p["energy"][k] - r["energy"]) / r["atoms"])
            a["f"].append((p["forces"][offsets[k]:offsets[k + 1]] - r["forces"]).ravel())
            if r["virial"] is not None:
                a["v"].append(((p["virial"][k] - r["virial"]) / r["atoms"]).ravel())
    table = {}
    for key, a in acc.items():
        table[key] = {
            "frames": len(a["e"]),
            "energy_rmse_meV_per_atom": 1e3 * float(np.sqrt(np.mean(np.square(a["e"])))),
            "force_rmse_eV_per_A": float(np.sqrt(np.mean(np.square(np.concatenate(a["f"]))))),
            "virial_rmse_meV_per_atom": 1e3 * float(np.sqrt(np.mean(np.square(np.concatenate(a["v"]))))) if a["v"] else None,
        }
    return table


def max_prediction_difference(work, a, b):
    p, q = (np.load(os.path.join(work, "results", n + "_predictions.npz")) for n in (a, b))
    finite = ~np.isnan(p["virial"][:, 0, 0]) & ~np.isnan(q["virial"][:, 0, 0])
    return {"max_abs_dE_eV": float(np.max(np.abs(p["energy"] - q["energy"]))),
            "max_abs_dF_eV_per_A": float(np.max(np.abs(p["forces"] - q["forces"]))),
            "max_abs_dV_eV": float(np.max(np.abs(p["virial"][finite] - q["virial"][finite])))}


def model_alpha(path):
    model = json.load(open(path))
    return np.frombuffer(base64.b64decode(model["terms"][0]["alpha"]), dtype="<f8")


def report(work, sizes):
    from gap_fit_tools import parse_gap_xml

    refs = reference(work)
    prep = load(work, "prepare")
    out = {"description": __doc__.split("\n\n")[0], "machine": machine(), "settings": {
        "soap": SOAP, "n_sparse": N_SPARSE, "default_sigma": DEFAULT_SIGMA, "config_type_sigma": CONFIG_TYPE_SIGMA,
        "sparse_jitter": JITTER, "e0": "isolated atom", "core_potential": None},
        "data": prep, "sizes": {}}
    for size in sizes:
        entry = {"gap_fit": strip(load(work, f"gap_fit_{size}"))}
        for name in (f"train_{size}_cur_t1", f"train_{size}_cur_t2", f"train_{size}_index_t1", f"train_{size}_index_t2",
                     f"quip_{size}", f"quippy_{size}", f"predict_{size}_cur_t1", f"predict_{size}_cur_t2",
                     f"predict_{size}_index_t2"):
            if have(work, name):
                entry[name] = strip(load(work, name))
        entry["errors"] = {}
        for label, name in (("gap_fit (quip)", f"quip_{size}"), ("ours, cur", f"predict_{size}_cur_t2"),
                            ("ours, gap_fit's sparse points", f"predict_{size}_index_t2")):
            if os.path.exists(os.path.join(work, "results", name + "_predictions.npz")):
                entry["errors"][label] = errors(work, name, refs)
        if have(work, f"predict_{size}_index_t2"):
            entry["ours_index_vs_quip_predictions"] = max_prediction_difference(work, f"predict_{size}_index_t2", f"quip_{size}")
            if os.path.exists(os.path.join(work, "results", f"quippy_{size}_predictions.npz")):
                entry["quippy_vs_quip_predictions"] = max_prediction_difference(work, f"quippy_{size}", f"quip_{size}")
            theirs = parse_gap_xml(os.path.join(work, f"gap_fit_{size}.xml"))["coordinates"][0]["alpha"]
            mine = model_alpha(os.path.join(work, load(work, f"train_{size}_index_t2")["model"]))
            entry["ours_index_vs_gap_fit_alpha_max_rel"] = float(np.max(np.abs(mine - theirs)) / np.max(np.abs(theirs)))
        for variant in ("cur", "index"):
            a, b = (os.path.join(work, f"ours_{size}_{variant}_t{t}.gapjson") for t in (1, 2))
            if os.path.exists(a) and os.path.exists(b):
                entry[f"{variant}_model_identical_threads_1_2"] = open(a, "rb").read() == open(b, "rb").read()
        seeds = {}
        for seed in range(1, 6):
            name = f"predict_{size}_cur_t2" if seed == 1 else f"predict_{size}_cur_s{seed}_t2"
            if os.path.exists(os.path.join(work, "results", name + "_predictions.npz")):
                seeds[seed] = errors(work, name, refs)["all"]
        if len(seeds) > 1:
            entry["ours_cur_seed_spread"] = seeds
        gap_fit_seeds = {1: entry["errors"]["gap_fit (quip)"]["all"]}
        for seed in range(2, 6):
            if os.path.exists(os.path.join(work, "results", f"quip_{size}_s{seed}_predictions.npz")):
                gap_fit_seeds[seed] = errors(work, f"quip_{size}_s{seed}", refs)["all"]
                entry[f"gap_fit_s{seed}"] = strip(load(work, f"gap_fit_{size}_s{seed}"))
        if len(gap_fit_seeds) > 1:
            entry["gap_fit_cur_points_seed_spread"] = gap_fit_seeds
        for variant in ("fps", "cur_iterative"):
            name = f"predict_{size}_{variant}_t2"
            if os.path.exists(os.path.join(work, "results", name + "_predictions.npz")):
                entry.setdefault("ours_other_selection", {})[variant] = {
                    "errors_all": errors(work, name, refs)["all"], "train": strip(load(work, f"train_{size}_{variant}_t2"))}
        out["sizes"][size] = entry
    if have(work, "predict_full_cur_t2"):
        out["full_training_split_ours_only"] = {
            "n_sparse": FULL_N_SPARSE, "train": strip(load(work, "train_full_cur_t2")),
            "predict": strip(load(work, "predict_full_cur_t2")),
            "errors": errors(work, "predict_full_cur_t2", refs)}
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        json.dump(out, f, indent=1)
    print(markdown(out))
    full = out.get("full_training_split_ours_only")
    if full:
        t, a = full["train"], full["errors"]["all"]
        print(f"\nwhole training split, gap-train cur, n_sparse {full['n_sparse']}, 2 threads: {t['wall_s']:.0f} s wall, "
              f"{t['cpu_s']:.0f} s CPU, {t['max_rss_MB']:.0f} MB; test E {a['energy_rmse_meV_per_atom']:.2f} meV/atom, "
              f"F {a['force_rmse_eV_per_A']:.4f} eV/Å, V {a['virial_rmse_meV_per_atom']:.2f} meV/atom")


def strip(result):
    r = dict(result)
    r.pop("timer_lines", None)
    return r


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "0")
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_GB": round(int(mem) / 2**20, 1)}


def markdown(out):
    lines = []
    for size, e in out["sizes"].items():
        d = out["data"]["sizes"][size]
        lines.append(f"### {size}: {d['frames']} frames, {d['atoms']} atoms, n_sparse {N_SPARSE}\n")
        lines.append("| step | wall s | CPU s | peak RSS MB | load avg before |")
        lines.append("|---|---:|---:|---:|---:|")
        for label, key in (("gap_fit (cur_points)", "gap_fit"), ("gap-train cur --threads 1", f"train_{size}_cur_t1"),
                           ("gap-train cur --threads 2", f"train_{size}_cur_t2"),
                           ("gap-train index --threads 1", f"train_{size}_index_t1"),
                           ("gap-train index --threads 2", f"train_{size}_index_t2")):
            if key in e:
                r = e[key]
                lines.append(f"| {label} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['max_rss_MB']:.0f} | {r['load_average_before'][0]:.1f} |")
        lines.append("")
        lines.append("| prediction (test set, E+F+V) | wall s | CPU s | ms/atom wall | ms/atom CPU | peak RSS MB | load |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for label, key in (("quip", f"quip_{size}"), ("quippy Potential (loop only)", f"quippy_{size}"),
                           ("gap-predict --threads 1", f"predict_{size}_cur_t1"),
                           ("gap-predict --threads 2", f"predict_{size}_cur_t2")):
            if key in e:
                r = e[key]
                lines.append(f"| {label} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['per_atom_ms_wall']:.3f} | "
                             f"{r['per_atom_ms_cpu']:.3f} | {r['max_rss_MB']:.0f} | {r['load_average_before'][0]:.1f} |")
        lines.append("")
        models = list(e["errors"])
        lines.append("| config type | frames | " + " | ".join(f"E {m}" for m in models) + " | "
                     + " | ".join(f"F {m}" for m in models) + " | " + " | ".join(f"V {m}" for m in models) + " |")
        lines.append("|---|---:|" + "---:|" * (3 * len(models)))
        types = sorted(e["errors"][models[0]], key=lambda t: (t == "all", t))
        for t in types:
            row = [t, str(e["errors"][models[0]][t]["frames"])]
            for q in ("energy_rmse_meV_per_atom", "force_rmse_eV_per_A", "virial_rmse_meV_per_atom"):
                for m in models:
                    v = e["errors"][m][t][q]
                    row.append("" if v is None else (f"{v:.4f}" if q == "force_rmse_eV_per_A" else f"{v:.2f}"))
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
        if "ours_cur_seed_spread" in e:
            lines.append("| gap-train `cur` seed | E RMSE meV/atom | F RMSE eV/Å | V RMSE meV/atom |")
            lines.append("|---|---:|---:|---:|")
            for seed, r in e["ours_cur_seed_spread"].items():
                lines.append(f"| {seed} | {r['energy_rmse_meV_per_atom']:.2f} | {r['force_rmse_eV_per_A']:.4f} | {r['virial_rmse_meV_per_atom']:.2f} |")
            for variant, o in e.get("ours_other_selection", {}).items():
                r = o["errors_all"]
                lines.append(f"| gap-train `{variant}` | {r['energy_rmse_meV_per_atom']:.2f} | {r['force_rmse_eV_per_A']:.4f} | {r['virial_rmse_meV_per_atom']:.2f} |")
            for seed, g in e.get("gap_fit_cur_points_seed_spread", {1: e["errors"]["gap_fit (quip)"]["all"]}).items():
                lines.append(f"| gap_fit cur_points, rnd_seed {seed} | {g['energy_rmse_meV_per_atom']:.2f} | {g['force_rmse_eV_per_A']:.4f} | {g['virial_rmse_meV_per_atom']:.2f} |")
            lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step")
    parser.add_argument("args", nargs="*")
    parser.add_argument("--work", default="/tmp/swiftgap_gap_fit_comparison")
    parser.add_argument("--sizes", default="small,large")
    opts = parser.parse_args()
    work = os.path.abspath(opts.work)
    os.makedirs(os.path.join(work, "results"), exist_ok=True)
    sizes = opts.sizes.split(",")
    if opts.step == "prepare":
        prepare(work)
        return
    if opts.step == "report":
        report(work, sizes)
        return
    prepare(work)
    test_atoms = load(work, "prepare")["test"]["atoms"]
    gap_train, gap_predict = release_binaries()
    if opts.step == "gap_fit":
        gap_fit(work, opts.args[0])
    elif opts.step == "train":
        train(work, gap_train, opts.args[0], opts.args[1], int(opts.args[2]))
    elif opts.step == "quip":
        quip(work, opts.args[0], test_atoms)
    elif opts.step == "quippy":
        quippy(work, opts.args[0], test_atoms)
    elif opts.step == "predict":
        predict(work, gap_predict, opts.args[0], opts.args[1], int(opts.args[2]), test_atoms)
    elif opts.step == "seeds":
        for seed in range(2, 6):
            train(work, gap_train, opts.args[0], f"cur_s{seed}", 2)
            predict(work, gap_predict, opts.args[0], f"cur_s{seed}", 2, test_atoms, repeats=1)
    elif opts.step == "gap_fit_seed":
        size, seed = opts.args[0], int(opts.args[1])
        gap_fit(work, size, seed)
        quip(work, f"{size}_s{seed}", test_atoms, repeats=1)
    elif opts.step == "full":
        train(work, gap_train, "full", "cur", 2)
        predict(work, gap_predict, "full", "cur", 2, test_atoms, repeats=1)
    elif opts.step == "methods":
        for variant in ("fps", "cur_iterative"):
            train(work, gap_train, opts.args[0], variant, 2)
            predict(work, gap_predict, opts.args[0], variant, 2, test_atoms, repeats=1)
    elif opts.step == "all":
        for size in sizes:
            gap_fit(work, size)
            for variant in ("cur", "index"):
                for threads in (1, 2):
                    train(work, gap_train, size, variant, threads)
            quip(work, size, test_atoms)
            quippy(work, size, test_atoms)
            predict(work, gap_predict, size, "cur", 1, test_atoms)
            predict(work, gap_predict, size, "cur", 2, test_atoms)
            predict(work, gap_predict, size, "index", 2, test_atoms)
        for seed in range(2, 6):
            train(work, gap_train, sizes[0], f"cur_s{seed}", 2)
            predict(work, gap_predict, sizes[0], f"cur_s{seed}", 2, test_atoms, repeats=1)
        report(work, sizes)
    else:
        raise SystemExit(f"unknown step {opts.step}")


if __name__ == "__main__":
    main()
