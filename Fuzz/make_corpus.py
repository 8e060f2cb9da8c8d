#!/usr/bin/env python3
"""Regenerates the committed seed corpus in Fuzz/corpus/{xyz,config,model}.

Seeds are small real inputs (first frames of the GAP-18 and Zuo silicon data in ../shared, the
malformed-input fixtures of the tests, the shipped configs) plus hand-written files that exercise
every feature of the readers. The model seeds come from a tiny model trained with
Fuzz/model_seed_config.json (this runs `swift run gap-train`), written as is, compacted, and
with single fields broken. Run from anywhere:

    python3 Fuzz/make_corpus.py
"""
import base64
import copy
import glob
import json
import os
import shutil
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(PACKAGE), "shared", "datasets")
XYZ = os.path.join(HERE, "corpus", "xyz")
CONFIG = os.path.join(HERE, "corpus", "config")
MODEL = os.path.join(HERE, "corpus", "model")


def write(directory, name, data):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def first_frames(path, frames):
    """The bytes of the first `frames` frames of an extended XYZ file."""
    out = []
    with open(path, "rb") as f:
        for _ in range(frames):
            count_line = f.readline()
            if not count_line.strip():
                break
            out.append(count_line)
            out.append(f.readline())
            for _ in range(int(count_line)):
                out.append(f.readline())
    return b"".join(out)


def xyz_seeds():
    gap18 = os.path.join(SHARED, "si_gap18_bartok2018")
    for name in ["isolated_atom", "dia", "bcc", "fcc", "hcp", "hex_diamond", "bc8", "sp", "sp2", "st12",
                 "bt", "sh", "decohesion", "surface_111_3x3_das"]:
        write(XYZ, f"gap18_{name}.xyz", first_frames(os.path.join(gap18, f"{name}.xyz"), 1))
    write(XYZ, "gap18_dia_two_frames.xyz", first_frames(os.path.join(gap18, "dia.xyz"), 2))
    write(XYZ, "zuo_head.xyz", first_frames(os.path.join(SHARED, "si_zuo2020", "Si_train.xyz"), 1))
    write(XYZ, "si_tiny_head.xyz", first_frames(os.path.join(SHARED, "si_gap18_tiny", "Si_tiny.xyz"), 2))
    for path in glob.glob(os.path.join(PACKAGE, "Tests", "AtomicStructuresTests", "Fixtures", "malformed", "*.xyz")):
        shutil.copy(path, os.path.join(XYZ, "malformed_" + os.path.basename(path)))
    # Hand-written: every column type, Z instead of species, quoting and escapes, _JSON values,
    # stress and Voigt virials, partial periodicity, a skewed cell, trailing blank lines.
    write(XYZ, "columns.xyz",
          '3\nLattice="5 0 0 0 5 0 0 0 5" Properties=species:S:1:pos:R:3:forces:R:3:tag:I:1:fixed:L:1:name:S:1:m:R:1 '
          'energy=-3.5 virial="1 2 3 4 5 6" config_type=bulk pbc="T T F" note="a \\"quoted\\" word" '
          "list={1,2,3} flag\n"
          "Si 0.0 0.0 0.0 0.1 -0.2 0.3 1 T first 28.0855\n"
          "si 1.5e0 1.5 1.5 0 0 0 -2 F second 28.0855\n"
          "SI 2.5 2.5 2.5 1e-3 2E-3 -3.0e+2 3 True third 28\n\n\n")
    write(XYZ, "z_column.xyz",
          '2\nProperties=Z:I:1:pos:R:3 stress="0.1 0 0 0 0.1 0 0 0 0.1" uid=abc123 json="_JSON [1.5, 2.5]"\n'
          "14 0 0 0\n8 1.6 0 0\n")
    write(XYZ, "default_properties.xyz", "2\ncomment line without pairs\nSi 0 0 0\nO 0 0 1.6\n1\n\nC 0 0 0\n")
    write(XYZ, "skewed_cell.xyz",
          '2\nLattice="4 0 0 3.9 0.5 0 0 0 4" pbc=T dft_energy=1 dft_virial="1 0 0 0 1 0 0 0 1" '
          "dft_force=1\nSi 0 0 0\nSi 2 0.25 2\n")
    write(XYZ, "slab_nan_column.xyz",
          '2\nLattice="3 0 0 0 3 0 0 0 20" pbc="T T F" Properties=species:S:1:pos:R:3:q:R:1 '
          "energy_sigma=0.01 config_type=123 'quoted key'=x [b]=y\n"
          "Si 0 0 0 nan\nSi 1.5 1.5 1 -inf\n")
    write(XYZ, "json_values.xyz",
          '1\nLattice="3 0 0 0 3 0 0 0 3" a="_JSON {\\"x\\": 1}" b="_JSON [true, false]" '
          'c="_JSON \\"s\\"" d="_JSON [\\"u\\", \\"v\\"]" e="_JSON []" f="_JSON NaN" g=1_000 h=0x10 '
          "i=T j=F k=true l=FALSE m=\"1 2.5\" n=\"T F\" o=1e400 p=99999999999999999999\nSi 0 0 0\n")


    # Findings of earlier fuzzing campaigns (Fuzz/README.md), kept so that `run.sh --check` replays them.
    write(XYZ, "finding_skewed_cell.xyz", b'1\nLattice=."1 8 0 0 1 5 0 0 \x0b2" PorpepXs:R:3\nSi 1 0 0\n')
    write(XYZ, "finding_tiny_cell.xyz", '2\nLattice="0.001 0 0 0 0.001 0 0 0 0.001"\nSi 0 0 0\nSi 0.0005 0 0\n')
    write(XYZ, "finding_far_atom.xyz", '2\nLattice="3 0 0 0 3 0 0 0 3" pbc="T F F"\nSi 0 0 0\nSi 0 0 1e300\n')


def config_seeds():
    for path in glob.glob(os.path.join(PACKAGE, "configs", "*.json")):
        shutil.copy(path, os.path.join(CONFIG, os.path.basename(path)))
    write(CONFIG, "full.json", """// Every key of a training config (comments are allowed).
{
  "train_split": {"file": "split.json", "part": "test"},
  "label_keys": {"energy": ["dft_energy", "energy"], "forces": "dft_force", "virial": [],
                 "stress": ["stress"], "config_type": "config_type"},
  "e0": {"Si": -158.54, "O": -2.0e0, "H": 0},
  "e0_offset": -0.5,
  "descriptors": [
    {"type": "soap", "cutoff": 5.0, "cutoff_transition_width": 1.0, "n_max": 8, "l_max": 6,
     "atom_sigma": 0.5, "central_weight": 1.0, "normalise": true, "species_Z": [14, "O"], "Z": ["Si"],
     "radial_scaling": {"c": 1, "r0": 2.5, "m": 3}, "delta": 1.0, "zeta": 4, "n_sparse": 100,
     "sparse_method": "cur_iterative"},
    {"type": "soap", "cutoff": 4, "n_max": 2, "l_max": 0, "atom_sigma": 0.3, "delta": 0.1,
     "sparse_method": "index_file", "sparse_file": "sparse.txt"},
    {"type": "distance_2b", "cutoff": 5.0, "Z1": 14, "Z2": "Si", "theta_uniform": 1.0, "delta": 2.0,
     "n_sparse": 10, "sparse_method": "uniform"}
  ],
  "default_sigma": {"energy": 0.001, "forces": 0.1, "virial": 0.05},
  "config_type_sigma": {"liq": {"energy": 0.003}, "\\u00e9t\\u00e9": {"forces": 1e-1, "virial": 2E-1}},
  "sigma_per_atom": false,
  "sigma_keys": {"energy": null, "forces": "fs", "virial": "vs", "forces_per_atom": "fas"},
  "sparse_jitter": 1e-10,
  "seed": 12345,
  "output": "out/model.gapjson",
  "threads": 4,
  "description": "all keys \\"quoted\\" \\/ \\b\\f\\n\\r\\t \\ud83d\\ude00"
}
""")
    split = json.load(open(os.path.join(SHARED, "splits", "si_gap18_80_20.json")))
    write(CONFIG, "split_head.json", json.dumps({
        "description": "the first 12 frames of the GAP-18 80/20 split", "frames": split["frames"][:12],
        "train": [0, 1, 2, 3, 5, 6, 8, 9, 10], "test": [4, 7, 11]}))
    write(CONFIG, "descriptor_only.json",
          '{"type": "soap", "cutoff": 5.0, "n_max": 4, "l_max": 3, "atom_sigma": 0.5, "species_Z": [14]}\n')
    write(CONFIG, "typos.json",
          '{"train_files": ["a.xyz", "a.xyz"], "descriptor": [], "e0": "isolate", "random_seed": 1,\n'
          ' "descriptors": [{"type": "sopa", "cutof": 5}], "sparse_jitter": -1, /* unterminated')
    write(CONFIG, "json_edge_cases.json",
          '\ufeff[0, -0, 1.5e-300, 1e308, -12345678901234567890, 9007199254740993, 1.0, 8e0, true, false, null,'
          ' "\\u0000", "\\ud800", {"a": {"b": [[], {}]}}, {"k": 1, "k": 2}, 01, .5, +1, NaN, \'s\', [1,], "tab\there"]')


def model_seeds():
    config = os.path.join(HERE, "model_seed_config.json")
    shutil.copy(config, os.path.join(CONFIG, "model_seed_config.json"))
    with tempfile.TemporaryDirectory() as tmp:
        output = os.path.join(tmp, "m.gapjson")
        subprocess.run(["swift", "run", "gap-train", config, "--output", output], cwd=PACKAGE, check=True)
        text = open(output, "rb").read()
    write(MODEL, "tiny.gapjson", text)
    model = json.loads(text)
    write(MODEL, "tiny_compact.gapjson", json.dumps(model, separators=(",", ":")))

    def variant(name, edit):
        m = copy.deepcopy(model)
        edit(m)
        write(MODEL, name, json.dumps(m, separators=(",", ":")))

    def pack(values):
        return base64.b64encode(struct.pack("<%dd" % len(values), *values)).decode()

    term = model["terms"][0]
    variant("version_2.gapjson", lambda m: m.update(version=2))
    variant("other_format.gapjson", lambda m: m.update(format="something-else"))
    variant("no_terms.gapjson", lambda m: m.update(terms=[]))
    variant("unknown_element.gapjson", lambda m: m.update(e0={"Xx": 1.0, "O": -2.0}))
    variant("alpha_short.gapjson", lambda m: m["terms"][0].update(alpha=pack([1.0])))
    variant("alpha_not_base64.gapjson", lambda m: m["terms"][0].update(alpha="@@@="))
    variant("sparse_count_huge.gapjson", lambda m: m["terms"][0].update(sparse_count=9007199254740992))
    variant("n_max_too_big.gapjson", lambda m: m["terms"][0]["descriptor"].update(n_max=65))
    variant("feature_count_wrong.gapjson", lambda m: m["terms"][0].update(feature_count=term["feature_count"] + 1))
    variant("zeta_zero.gapjson", lambda m: m["terms"][0].update(zeta=0))
    variant("sources_bad.gapjson", lambda m: m["terms"][0].update(sparse_sources=[[1], None, [1, 2], "x"]))
    variant("seed_not_number.gapjson", lambda m: m["provenance"].update(seed="-1"))
    # Findings of earlier fuzzing campaigns (Fuzz/README.md).
    variant("finding_sigma_1e-300.gapjson", lambda m: m["terms"][0]["descriptor"].update(atom_sigma=1e-300))
    variant("finding_sigma_1e-18.gapjson", lambda m: m["terms"][0]["descriptor"].update(atom_sigma=1e-18))
    # (The largest basis, n_max 64 and l_max 24 with atom_sigma 1e-4, is left out: it is valid but
    # takes over 10 s to load, and as a seed it slowed the whole campaign down to 160 inputs/s.)
    variant("two_species.gapjson", lambda m: (m.update(e0={"Si": -158.5, "O": -2.0}),
                                              m["terms"][0]["descriptor"].update(species_Z=[8, 14], Z=[14])))


if __name__ == "__main__":
    xyz_seeds()
    config_seeds()
    model_seeds()
    for d in (XYZ, CONFIG, MODEL):
        files = os.listdir(d)
        print(f"{d}: {len(files)} files, {sum(os.path.getsize(os.path.join(d, f)) for f in files)} bytes")
