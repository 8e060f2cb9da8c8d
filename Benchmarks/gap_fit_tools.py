"""Read what QUIP's gap_fit writes, as numpy arrays.

Facts these functions rely on are documented, with the experiments that show them, in
docs/gap_fit.md. Python is used here only for reference generation and benchmarks.

    model = parse_gap_xml("gap.xml")
    model["e0"][14]                       # isolated-atom energy of Si, eV
    c = model["coordinates"][0]           # one entry per descriptor in gap={... : ...}
    c["alpha"], c["sparse_x"], c["sparse_cutoff"], c["delta"], c["zeta"], c["theta"]

    ls = read_linear_system(prefix)       # files written with linear_system_dump_file=prefix
    alpha = solve_like_gap_fit(ls)        # QR of [Λ^-1/2 K_NM ; U], K_MM = UᵀU
"""

import os
import re
import shlex
import subprocess
import xml.etree.ElementTree as ET

import numpy as np

# gap_fit arguments shared by every fit of GAP-18 data here: e0 from the isolated atom, GAP-18's
# label names, and no copy of the training file in the model.
GAP18_LABEL_ARGUMENTS = [
    "e0_method=isolated",
    "energy_parameter_name=dft_energy",
    "force_parameter_name=dft_force",
    "virial_parameter_name=dft_virial",
    "config_type_parameter_name=config_type",
    "do_copy_at_file=F",
    "sparse_separate_file=T",
]


def keep_gap18_labels(frame):
    """A copy of an ase.Atoms frame carrying only species, positions, cell, GAP-18's dft_* labels
    and config_type (a virial stored under plain `virial` is dropped, as GAP-18 did not fit it)."""
    a = frame.copy()
    a.calc = None
    for key in list(a.arrays):
        if key not in ("numbers", "positions", "dft_force"):
            del a.arrays[key]
    for key in list(a.info):
        if key not in ("dft_energy", "dft_virial", "config_type"):
            del a.info[key]
    return a


def farthest_point_rows(x, count):
    """0-based indices (sorted) of `count` rows of x chosen by farthest-point sampling (Euclidean),
    starting from row 0, ties to the lowest index. Deterministic, and it avoids near-duplicate
    sparse points, which would make K_MM (and so alpha) ill-conditioned."""
    chosen = [0]
    distance = np.linalg.norm(x - x[0], axis=1)
    while len(chosen) < count:
        j = int(np.argmax(distance))
        chosen.append(j)
        distance = np.minimum(distance, np.linalg.norm(x - x[j], axis=1))
    return sorted(chosen)


# gpCoordinates covariance_type codes written by gap_fit 0.10.x.
COVARIANCE_TYPES = {1: "ard_se", 2: "dot_product", 3: "bond_real_space", 4: "pp"}


def parse_gap_xml(path):
    """Parse a gap_fit model file into a dict of plain Python values and numpy arrays.

    Returns a dict with keys:
      label          the GAP label (also the XML root tag)
      e0             {Z: isolated-atom energy in eV} for every Z with a non-zero entry
      e0_all         numpy array of length 119 (index Z; unused entries 0)
      do_core        True if a core/baseline potential was used
      command_line   the gap_fit command line (str) or None
      coordinates    list (one per descriptor, in gap={...} order) of dicts:
          label, descriptor (the descriptor string, incl. the Z/species keys gap_fit added),
          descriptor_type (first word), dimensions, covariance_type (str),
          delta (the signal_variance attribute = the delta you passed, NOT delta squared),
          f0 (signal_mean), zeta (dot_product only, else None),
          theta (numpy array, ard_se only, else None), n_sparse,
          alpha (n_sparse,), sparse_cutoff (n_sparse,), sparse_x (n_sparse, dimensions),
          sparse_x_file (path or None), permutations (list of int lists)
    """
    tree = ET.parse(path)
    root = tree.getroot()
    xml_dir = os.path.dirname(os.path.abspath(path))
    params = root.find("GAP_params")
    if params is None:
        raise ValueError(f"{path}: no GAP_params element; not a gap_fit model file")
    data = params.find("GAP_data")
    e0_all = np.zeros(119)
    for item in data.findall("e0"):
        e0_all[int(item.get("Z"))] = float(item.get("value"))
    model = {
        "label": params.get("label"),
        "e0_all": e0_all,
        "e0": {z: float(e0_all[z]) for z in range(119) if e0_all[z] != 0.0},
        "do_core": data.get("do_core", "F").upper().startswith("T"),
        "command_line": None,
        "coordinates": [],
    }
    cmd = params.find("command_line")
    if cmd is not None and cmd.text is not None:
        model["command_line"] = cmd.text.strip()
    sparse = params.find("gpSparse")
    for coord in sparse.findall("gpCoordinates"):
        model["coordinates"].append(_parse_coordinates(coord, xml_dir))
    return model


def _parse_coordinates(coord, xml_dir):
    dimensions = int(coord.get("dimensions"))
    n_sparse = int(coord.get("n_sparseX"))
    cov_code = int(coord.get("covariance_type"))
    descriptor = coord.find("descriptor").text.strip()
    points = coord.findall("sparseX")
    if len(points) != n_sparse:
        raise ValueError(f"gpCoordinates {coord.get('label')}: {len(points)} sparseX elements, n_sparseX={n_sparse}")
    # sparseX i="k" are written in order; sort by i to be safe.
    points.sort(key=lambda p: int(p.get("i")))
    alpha = np.array([float(p.get("alpha")) for p in points])
    cutoff = np.array([float(p.get("sparseCutoff")) for p in points])
    theta_el = coord.find("theta")
    theta = np.array([float(v) for v in theta_el.text.split()]) if theta_el is not None else None
    zeta = float(coord.get("zeta")) if coord.get("zeta") is not None else None
    sparse_file = coord.get("sparseX_filename")
    sparse_x = None
    sparse_path = None
    if sparse_file:
        # Binary=F text file: n_sparse * dimensions numbers, one per line, sparse point by point.
        sparse_path = os.path.join(xml_dir, sparse_file)
        values = np.loadtxt(sparse_path).reshape(-1)
        sparse_x = values.reshape(n_sparse, dimensions)
    else:
        # Inline storage (sparse_separate_file=F): each sparseX element carries the vector as text.
        rows = [np.array([float(v) for v in (p.text or "").split()]) for p in points]
        if all(len(r) == dimensions for r in rows):
            sparse_x = np.vstack(rows)
    permutations = [[int(v) for v in p.text.split()] for p in coord.findall("permutation")]
    return {
        "label": coord.get("label"),
        "descriptor": descriptor,
        "descriptor_type": descriptor.split()[0],
        "dimensions": dimensions,
        "covariance_type": COVARIANCE_TYPES.get(cov_code, f"unknown({cov_code})"),
        "delta": float(coord.get("signal_variance")),
        "f0": float(coord.get("signal_mean")),
        "zeta": zeta,
        "theta": theta,
        "n_sparse": n_sparse,
        "alpha": alpha,
        "sparse_cutoff": cutoff,
        "sparse_x": sparse_x,
        "sparse_x_file": sparse_path,
        "permutations": permutations,
    }


def read_linear_system(prefix):
    """Read the files gap_fit writes with linear_system_dump_file=prefix (single process).

    Returns dict with Kmm (M x M, includes sparse_jitter on the diagonal), Kmn (M x N),
    y (N,) and lam (N,) = sigma_i squared (after per-atom scaling), so that gap_fit's alpha is
    argmin || [diag(lam)^-1/2 Kmn^T ; U] alpha - [diag(lam)^-1/2 y ; 0] ||, Kmm = U^T U.
    Rows (N) are: all energies in frame order, then frame by frame: that frame's forces
    (atom-major, x y z) followed by its 6 virial components (xx xy xz yy yz zz).
    """
    kmm = np.loadtxt(prefix + "_Kmm")
    m = int(round(np.sqrt(kmm.size)))
    kmm = kmm.reshape(m, m)
    kmn = np.loadtxt(prefix + "_Kmn.0")
    n = kmn.size // m
    # Written column by column of the Fortran M x N array: m fastest.
    kmn = kmn.reshape(n, m).T
    return {
        "Kmm": kmm,
        "Kmn": kmn,
        "y": np.loadtxt(prefix + "_globalY.0").reshape(-1),
        "lam": np.loadtxt(prefix + "_lambda.0").reshape(-1),
    }


def solve_like_gap_fit(ls):
    """alpha from a dumped linear system, the way gap_fit solves it (Householder QR)."""
    import scipy.linalg as sl

    kmm, kmn, y, lam = ls["Kmm"], ls["Kmn"], ls["y"], ls["lam"]
    u = sl.cholesky(kmm, lower=False)
    w = 1.0 / np.sqrt(lam)
    a = np.vstack([kmn.T * w[:, None], u])
    b = np.concatenate([y * w, np.zeros(kmm.shape[0])])
    q, r = np.linalg.qr(a)
    return sl.solve_triangular(r, q.T @ b)


def run_gap_fit(args, cwd, log="gap_fit.log", env=None):
    """Run gap_fit with a list of key=value arguments in directory cwd; return the log text.

    Raises RuntimeError with the tail of the log if gap_fit fails.
    """
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    with open(os.path.join(cwd, log), "w") as out:
        proc = subprocess.run(["gap_fit"] + list(args), cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=full_env)
    text = open(os.path.join(cwd, log)).read()
    if proc.returncode != 0 or "SYSTEM ABORT" in text:
        raise RuntimeError("gap_fit failed:\n" + text[-3000:])
    return text


def _quippy_dir():
    import quippy

    return os.path.dirname(quippy.__file__)


def working_quip_binary(cache_dir):
    """Return (path, env) of a quip executable that runs.

    The quip binary shipped in the quippy-ase 0.10.3 wheel segfaults inside the dynamic loader
    before main() (gdb: elf_setup_debug_entry in ld.so). Its PT_DYNAMIC segment lies in a page
    that a later read-only PT_LOAD segment maps, so ld.so cannot write DT_DEBUG. gap_fit from
    the same wheel is not affected. Workaround: copy the binary into cache_dir and mark the
    PT_LOAD segments that share a page with PT_DYNAMIC writable (a 4-byte change per segment
    in the program headers; code and data are untouched). The installed file is not modified.
    """
    import shutil
    import struct

    env = dict(os.environ)
    libs = os.path.join(os.path.dirname(_quippy_dir()), "quippy_ase.libs")
    env["LD_LIBRARY_PATH"] = libs + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    original = os.path.join(_quippy_dir(), "quip")
    # Without arguments a working quip prints its banner and exits normally (status >= 0);
    # the broken one dies from SIGSEGV (negative status) before printing anything.
    probe = subprocess.run([original], capture_output=True, env=env)
    if probe.returncode >= 0 and b"libAtoms" in probe.stdout:
        return original, env
    os.makedirs(cache_dir, exist_ok=True)
    patched = os.path.join(cache_dir, "quip_patched")
    shutil.copyfile(original, patched)
    data = bytearray(open(patched, "rb").read())
    phoff = struct.unpack_from("<Q", data, 0x20)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    headers = []
    for i in range(phnum):
        off = phoff + i * phentsize
        p_type, p_flags, _, p_vaddr, _, _, p_memsz = struct.unpack_from("<IIQQQQQ", data, off)
        headers.append((off, p_type, p_flags, p_vaddr, p_memsz))
    dynamic = [h for h in headers if h[1] == 2]
    if not dynamic:
        raise RuntimeError("quip: no PT_DYNAMIC segment; cannot apply the loader workaround")
    dyn_page = dynamic[0][3] & ~0xFFF
    for off, p_type, p_flags, vaddr, memsz in headers:
        first, last = vaddr & ~0xFFF, (vaddr + max(memsz, 1) - 1) & ~0xFFF
        if p_type == 1 and first <= dyn_page <= last and not (p_flags & 2):
            struct.pack_into("<I", data, off + 4, p_flags | 2)
    open(patched, "wb").write(data)
    os.chmod(patched, 0o755)
    probe = subprocess.run([patched], capture_output=True, env=env)
    if probe.returncode < 0 or b"libAtoms" not in probe.stdout:
        raise RuntimeError(f"patched quip still fails (status {probe.returncode})")
    return patched, env


def run_quip(xyz, model_xml, output_xyz, cache_dir, energy=True, forces=True, virial=True, cwd=None):
    """Predict with the quip binary (see working_quip_binary).

    Returns one dict per frame: energy (eV), forces (N x 3, eV/Å), virial (3 x 3, eV) or None.

    Command line: quip E=T F=T V=T atoms_filename=<xyz> param_filename=<model.xml>
    quip prints log lines and, for each frame, the frame in extended XYZ with every line prefixed
    by 'AT '. The frame carries energy= (full precision), virial="9 numbers" (3x3 row by row, eV,
    V = -dE/d(strain), 8 decimals) and a per-atom column force:R:3 (eV/Å, 8 decimals).
    """
    from ase.io import read

    exe, env = working_quip_binary(cache_dir)
    flags = [f"E={'T' if energy else 'F'}", f"F={'T' if forces else 'F'}", f"V={'T' if virial else 'F'}"]
    proc = subprocess.run(
        [exe] + flags + [f"atoms_filename={xyz}", f"param_filename={model_xml}"],
        cwd=cwd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"quip failed (exit {proc.returncode}): {proc.stderr[-2000:]}\n{proc.stdout[-2000:]}")
    lines = [line[3:] for line in proc.stdout.splitlines() if line.startswith("AT ")]
    with open(output_xyz, "w") as f:
        f.write("\n".join(lines) + "\n")
    results = []
    for a in read(output_xyz, ":", format="extxyz"):
        # ASE moves a frame's energy= key into a SinglePointCalculator.
        energy = a.calc.results.get("energy") if a.calc is not None else a.info.get("energy")
        forces = a.arrays.get("force")
        if forces is None and a.calc is not None:
            forces = a.calc.results.get("forces")
        virial = a.info.get("virial")
        results.append({
            "energy": None if energy is None else float(energy),
            "forces": None if forces is None else np.array(forces, dtype=float),
            "virial": None if virial is None else np.array(virial, dtype=float).reshape(3, 3),
        })
    return results


def quippy_predict(frames, model_xml):
    """Energies (eV), forces (eV/Å) and virials (3x3, eV) from quippy's Potential, full precision.

    Same QUIP Fortran code as the quip binary. quippy's ASE stress is -virial/volume.
    """
    from quippy.potential import Potential

    pot = Potential(param_filename=model_xml)
    out = []
    for at in frames:
        a = at.copy()
        a.calc = pot
        energy = a.get_potential_energy()
        forces = a.get_forces().copy()
        virial = pot.get_virial(a).copy() if a.cell.rank == 3 else None
        out.append({"energy": float(energy), "forces": forces, "virial": virial})
    return out
