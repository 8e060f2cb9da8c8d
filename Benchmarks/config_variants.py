"""Config variants for one-change-at-a-time screens (Benchmarks/ni_forces, Benchmarks/ge_energies).

A variant is a shipped config with some settings changed (a list of (path, value), a path being
a tuple of keys and indices into the config) or some terms appended. Each is written as
OUT_DIR/NAME.json with `train_files` and `output` replaced by absolute paths, so the same variant
can be fitted on one fold's training file (screening) or cross-validated on the whole split.
A name may combine variants with "+", e.g. sp2000+fs02.
"""
import json
import os

# Settings a base config may leave out (their default), which a variant may still set.
OPTIONAL_KEYS = {"radial_scaling"}


def strip_comments(text):
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def apply(config, changes):
    for path, value in changes:
        node = config
        for step in path[:-1]:
            node = node[step]
        if isinstance(node, dict) and path[-1] not in node and path[-1] not in OPTIONAL_KEYS:
            raise SystemExit(f"no {path} in the base config")
        node[path[-1]] = value
    return config


def write_variants(argv, element, script, variants, extra_terms, default_names):
    """argv: BASE_CONFIG TRAIN_FILE OUT_DIR [NAME...] (no names: `default_names`)."""
    base_path, train_file, out_dir = argv[:3]
    names = argv[3:] or list(default_names)
    with open(base_path) as f:
        base_text = strip_comments(f.read())
    os.makedirs(out_dir, exist_ok=True)
    for name in names:
        config = json.loads(base_text)
        for part in name.split("+"):
            if part in extra_terms:
                config["descriptors"].append(dict(extra_terms[part]))
            else:
                apply(config, variants[part])
        config["train_files"] = [os.path.abspath(train_file)]
        config["output"] = os.path.abspath(os.path.join(out_dir, name + ".gapjson"))
        config["description"] = f"{element} variant {name} of {os.path.basename(base_path)} ({script})"
        path = os.path.join(out_dir, name + ".json")
        with open(path, "w") as f:
            json.dump(config, f, indent=2, sort_keys=True)
            f.write("\n")
        print(path)
