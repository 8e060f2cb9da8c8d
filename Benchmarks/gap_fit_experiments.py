#!/usr/bin/env python3
"""Controlled experiments that pin down what QUIP's gap_fit (quippy-ase 0.10.3) computes.

Each experiment prints the evidence quoted in docs/gap_fit.md. Run all, or some by name:

  python3 Benchmarks/gap_fit_experiments.py                 # all
  python3 Benchmarks/gap_fit_experiments.py sigma kernel    # selected

Experiments: solve, sigma, kernel, predict, e0, index, uniform, cur, stress.
Uses ../shared/datasets/si_gap18_tiny/Si_tiny.xyz (53 GAP-18 frames). Each fit takes < 2 s.
"""

import itertools
import os
import sys
import tempfile

import numpy as np
from ase import Atoms
from ase.io import read, write

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gap_fit_tools import parse_gap_xml, read_linear_system, run_gap_fit, solve_like_gap_fit  # noqa: E402

DATA = os.path.join(HERE, "..", "..", "shared", "datasets", "si_gap18_tiny", "Si_tiny.xyz")
WORK = tempfile.mkdtemp(prefix="gap_fit_experiments_")
FRAMES = read(DATA, ":", format="extxyz")
# isolated atom, dia (2 atoms), bt (2 atoms), liq (64 atoms)
SMALL = [FRAMES[0], FRAMES[1], FRAMES[30], FRAMES[51]]
SOAP = ("soap cutoff=5.0 cutoff_transition_width=1.0 n_max=4 l_max=3 atom_sigma=0.5 zeta=2 delta=1.5 "
        "covariance_type=dot_product")
TWO_BODY = "distance_2b cutoff=5.0 cutoff_transition_width=1.0 covariance_type=ard_se delta=2.0 theta_uniform=0.7"
LABELS = ["energy_parameter_name=dft_energy", "force_parameter_name=dft_force", "virial_parameter_name=dft_virial"]


def fit(tag, frames, gap, extra=(), sigma="{0.01 0.1 0.2 0.0}", dump=True):
    """Run gap_fit in a fresh directory; returns (linear system or None, model or None, log, dir).

    Always a new directory: gap_fit caches an index of the XYZ file in <at_file>.idx and can
    reuse a stale one when a file of the same name is rewritten within the same second.
    """
    d = tempfile.mkdtemp(prefix=tag + "_", dir=WORK)
    write(os.path.join(d, "train.xyz"), frames, format="extxyz")
    args = ["at_file=train.xyz", "gap={" + gap + "}", "gp_file=gap.xml", "rnd_seed=1",
            f"default_sigma={sigma}"] + LABELS + list(extra)
    if dump:
        args.append("linear_system_dump_file=ls")
    try:
        log = run_gap_fit(args, d)
    except RuntimeError:
        # gap_fit's abort message goes to stderr, unbuffered, so it is near the top of the log.
        return None, None, open(os.path.join(d, "gap_fit.log")).read(), d
    ls = read_linear_system(os.path.join(d, "ls")) if dump else None
    return ls, parse_gap_xml(os.path.join(d, "gap.xml")), log, d


def runs(values):
    """Run-length encoding, e.g. [(0.0001, 1), (0.01, 9), ...]."""
    return [(float(k), len(list(g))) for k, g in itertools.groupby(np.round(values, 12))]


def abort_message(log):
    """The reason gap_fit gave when it stopped (the text after SYSTEM ABORT, skipping tracebacks)."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if "SYSTEM ABORT" in line:
            text = line.split("SYSTEM ABORT:")[-1].strip()
            j = i + 1
            while (not text or text.startswith("Traceback")) and j < len(lines):
                candidate = lines[j].strip()
                if candidate and not candidate.startswith("File "):
                    text = candidate
                j += 1
            return text
    return lines[-1].strip() if lines else ""


# --- kernel rows recomputed from quippy descriptors ------------------------------------------

def kernel_rows(coord, at, gradients=True, connect_cutoff=5.0):
    """Energy row (M,) = delta² Σ_d fc_d fc_m k(x_d, x_m) and its position derivative (3N, M)."""
    from quippy.descriptors import Descriptor

    r = Descriptor(coord["descriptor"]).calc(at, grad=gradients, cutoff=connect_cutoff)
    x, d2, fcm = coord["sparse_x"], coord["delta"] ** 2, coord["sparse_cutoff"]
    m = len(x)
    if r["data"].size == 0:
        return np.zeros(m), np.zeros((3 * len(at), m))
    data = r["data"]
    fc = np.array(r["covariance_cutoff"]).reshape(-1)
    if coord["covariance_type"] == "dot_product":
        s = data @ x.T
        k = s ** coord["zeta"]
        dk = coord["zeta"] * s ** (coord["zeta"] - 1)
    else:
        theta = coord["theta"]
        diff = (data[:, None, :] - x[None, :, :]) / theta
        k = np.exp(-0.5 * np.sum(diff ** 2, axis=2))
    energy = d2 * np.sum(fc[:, None] * k * fcm[None, :], axis=0)
    if not gradients:
        return energy, None
    force = np.zeros((len(at), 3, m))
    row = 0
    for i in range(len(data)):
        for atom in r["ii"][i]:
            if coord["covariance_type"] == "dot_product":
                dkdx = dk[i][:, None] * x
            else:
                dkdx = -(k[i][:, None] * (data[i][None, :] - x) / coord["theta"] ** 2)
            term = fc[i] * (r["grad_data"][row] @ dkdx.T) + np.outer(r["grad_covariance_cutoff"][row], k[i])
            force[atom - 1] += d2 * term * fcm[None, :]
            row += 1
    return energy, force.reshape(3 * len(at), m)


def strain_rows(coord, at, h=1e-5):
    """d(energy row)/d(strain) for xx, xy, xz, yy, yz, zz by central differences."""
    out = []
    for a, b in [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]:
        values = []
        for s in (1, -1):
            e = np.zeros((3, 3))
            e[a, b] += s * h / 2
            e[b, a] += s * h / 2
            t = at.copy()
            t.set_cell(at.cell.array @ (np.eye(3) + e).T, scale_atoms=False)
            t.positions = at.positions @ (np.eye(3) + e).T
            values.append(kernel_rows(coord, t, gradients=False)[0])
        out.append((values[0] - values[1]) / (2 * h))
    return np.array(out)


# --- experiments ------------------------------------------------------------------------------

def exp_solve():
    print("== solve: alpha is the QR least-squares solution of [Λ^-1/2 K_NM ; U], K_MM = UᵀU")
    ls, model, _, _ = fit("solve", FRAMES, SOAP + " n_sparse=20 sparse_method=random", ["sparse_jitter=1e-3"])
    alpha = model["coordinates"][0]["alpha"]
    qr = solve_like_gap_fit(ls)
    normal = np.linalg.solve(ls["Kmm"] + ls["Kmn"] @ (ls["Kmn"].T / ls["lam"][:, None]), ls["Kmn"] @ (ls["y"] / ls["lam"]))
    rel = lambda a, b: np.max(np.abs(a - b)) / np.max(np.abs(b))
    print(f"  M={ls['Kmm'].shape[0]} N={len(ls['y'])}: numpy QR vs gap_fit alpha {rel(qr, alpha):.1e}; "
          f"normal equations vs gap_fit {rel(normal, alpha):.1e}")
    c = model["coordinates"][0]
    kmm = c["delta"] ** 2 * (c["sparse_x"] @ c["sparse_x"].T) ** c["zeta"]
    print(f"  K_MM - delta²(x·x')^zeta: diagonal {np.unique(np.round(np.diag(ls['Kmm'] - kmm), 12))} "
          f"(= sparse_jitter 1e-3, not scaled by delta²=2.25), off-diagonal max "
          f"{np.max(np.abs(ls['Kmm'] - kmm - np.diag(np.diag(ls['Kmm'] - kmm)))):.1e}")
    print(f"  XML signal_variance = {c['delta']} for delta=1.5 (it stores delta, not delta²)")


def exp_sigma():
    print("== sigma: λ_i (dumped lambda) for each row; run-length encoded (value, count)")
    base = "{0.01 0.1 0.2 0.0}"
    frames = [FRAMES[0], FRAMES[1], FRAMES[2], FRAMES[30], FRAMES[51]]
    print("  frames: atoms", [len(a) for a in frames], "config_type", [a.info.get("config_type") for a in frames])
    cases = [("default_sigma={0.01 0.1 0.2 0.0}", frames, []),
             ("sigma_per_atom=F", frames, ["sigma_per_atom=F"]),
             ("config_type_sigma={liq:0.003:0.15:0.3:0.0:bt:0.02:0.5:0.7:0.0}", frames,
              ["config_type_sigma={liq:0.003:0.15:0.3:0.0:bt:0.02:0.5:0.7:0.0}"])]
    f2 = [a.copy() for a in frames]
    f2[1].info.update(energy_sigma=0.5, force_sigma=0.6, virial_sigma=0.7)
    f2[4].info["energy_sigma"] = 0.05
    cases.append(("frame 1: energy_sigma=0.5 force_sigma=0.6 virial_sigma=0.7; frame 4: energy_sigma=0.05", f2, []))
    f3 = [a.copy() for a in frames]
    mask = np.zeros(64, bool)
    mask[[0, 2]] = True
    f3[4].arrays["force_mask"] = mask
    cases.append(("force_mask=T on atoms 0 and 2 of the 64-atom frame", f3, []))
    f4 = [a.copy() for a in frames]
    f4[2].arrays["force_atom_sigma"] = np.array([0.3, 0.4])
    cases.append(("frame 2: per-atom column force_atom_sigma = (0.3, 0.4)", f4, []))
    f5 = [a.copy() for a in frames]
    f5[1].arrays["force_component_sigma"] = np.array([[0.3, 0.4, 0.5], [0.6, 0.7, 0.8]])
    f5[2].info["virial_component_sigma"] = np.arange(1, 10) / 10
    cases.append(("frame 1 force_component_sigma rows (.3 .4 .5)(.6 .7 .8); frame 2 virial_component_sigma .1...9", f5, []))
    for name, fr, extra in cases:
        ls, _, log, _ = fit("sigma", fr, SOAP + " n_sparse=10 sparse_method=random", extra, sigma=base)
        print(f"  {name}: N={len(ls['lam'])}\n    {runs(ls['lam'])}")
    ls, _, log, _ = fit("sigma0", frames, SOAP + " n_sparse=10 sparse_method=random", sigma="{0.01 0.1 0.0 0.0}")
    print("  virial sigma 0 with virials present:", abort_message(log))


def exp_kernel():
    print("== kernel: K_NM rows recomputed from quippy descriptors vs the dump")
    for tag, gap in [("soap", SOAP + " n_sparse=8 sparse_method=random"),
                     ("2b", TWO_BODY + " n_sparse=6 sparse_method=random"),
                     ("2b+soap", TWO_BODY + " n_sparse=6 sparse_method=random : " + SOAP + " n_sparse=8 sparse_method=random")]:
        ls, model, _, _ = fit("kernel", SMALL, gap)
        energy, per_frame = [], []
        for at in SMALL:
            rows = [kernel_rows(c, at) for c in model["coordinates"]]
            energy.append(np.concatenate([r[0] for r in rows]))
            per_frame.append(np.hstack([r[1] for r in rows]))
            if "dft_virial" in at.info:
                per_frame.append(np.hstack([strain_rows(c, at) for c in model["coordinates"]]))
        blocks = [np.array(energy)] + per_frame
        k = np.vstack(blocks).T
        kd = ls["Kmn"]
        n = len(SMALL)
        is_force = np.zeros(kd.shape[1], bool)
        row = n
        for at in SMALL:
            is_force[row:row + 3 * len(at)] = True
            row += 3 * len(at) + (6 if "dft_virial" in at.info else 0)
        is_virial = ~is_force
        is_virial[:n] = False
        scale = np.max(np.abs(kd))
        print(f"  {tag}: shape {kd.shape}; energy rows rel {np.max(np.abs(k[:, :n] - kd[:, :n])) / np.max(np.abs(kd[:, :n])):.1e}; "
              f"force rows (analytic) abs {np.max(np.abs(k[:, is_force] - kd[:, is_force])):.1e}; "
              f"virial rows (finite differences, h=1e-5) abs {np.max(np.abs(k[:, is_virial] - kd[:, is_virial])):.1e}; scale {scale:.1e}")
        if tag == "2b+soap":
            m2 = model["coordinates"][0]["n_sparse"]
            print(f"  K_MM off-diagonal descriptor blocks max {np.max(np.abs(ls['Kmm'][:m2, m2:])):.1e} (block diagonal)")
    at = SMALL[1]
    ls, model, _, _ = fit("kernel_y", SMALL, SOAP + " n_sparse=8 sparse_method=random")
    y = ls["y"]
    print("  frame 1 (2 atoms): y force rows", np.round(y[7:13], 5), " dft_force", np.round(at.arrays["dft_force"].ravel(), 5))
    print("  frame 1: y virial rows", np.round(y[13:19], 5), " dft_virial xx xy xz yy yz zz",
          np.round(at.info["dft_virial"].ravel()[[0, 1, 2, 4, 5, 8]], 5))


def exp_predict():
    print("== predict: quippy Potential = e0 + Σ alpha·K, F = -dE/dr, virial = -dE/dstrain; f0 is inert")
    from quippy.potential import Potential

    _, model, _, d = fit("predict", SMALL, TWO_BODY + " n_sparse=6 sparse_method=random : " + SOAP + " n_sparse=8 sparse_method=random")
    pot = Potential(param_filename=os.path.join(d, "gap.xml"))
    for index in (5, 52):
        at = FRAMES[index].copy()
        at.calc = pot
        e, f, v = at.get_potential_energy(), at.get_forces(), pot.get_virial(at)
        ek = sum(model["e0_all"][z] for z in at.numbers)
        fk = np.zeros(3 * len(at))
        vk = np.zeros(6)
        for c in model["coordinates"]:
            er, fr = kernel_rows(c, at)
            ek += er @ c["alpha"]
            fk -= fr @ c["alpha"]
            vk -= strain_rows(c, at) @ c["alpha"]
        vq = v[[0, 0, 0, 1, 1, 2], [0, 1, 2, 1, 2, 2]]
        h, fd = 1e-5, np.zeros((3, 3))
        for a in range(3):
            for b in range(3):
                es = []
                for s in (1, -1):
                    e_ = np.zeros((3, 3))
                    e_[a, b] += s * h / 2
                    e_[b, a] += s * h / 2
                    t = at.copy()
                    t.set_cell(at.cell.array @ (np.eye(3) + e_).T)
                    t.positions = at.positions @ (np.eye(3) + e_).T
                    t.calc = pot
                    es.append(t.get_potential_energy())
                fd[a, b] = (es[0] - es[1]) / (2 * h)
        print(f"  frame {index} ({len(at)} atoms): |E - (e0 + Σ alpha K)| {abs(e - ek):.1e} eV; forces {np.max(np.abs(f.ravel() - fk)):.1e}; "
              f"virial vs -Σ alpha dK/dstrain {np.max(np.abs(vq - vk)):.1e} (|V| {np.max(np.abs(v)):.0f}); "
              f"|V + dE/dstrain| {np.max(np.abs(v + fd)):.1e}; |stress + V/vol| {np.max(np.abs(at.get_stress(voigt=False) + v / at.get_volume())):.1e}")
    energies = []
    for f0 in (0.0, 0.5):
        ls, model, _, d = fit("f0", SMALL, SOAP.replace("delta=1.5", f"delta=1.5 f0={f0}") + " n_sparse=8 sparse_method=random")
        at = FRAMES[40].copy()
        at.calc = Potential(param_filename=os.path.join(d, "gap.xml"))
        energies.append((ls["y"], model["coordinates"][0]["alpha"], at.get_potential_energy(), model["coordinates"][0]["f0"]))
    print(f"  f0=0.5 vs f0=0: signal_mean {energies[1][3]} vs {energies[0][3]}; y differ by {np.max(np.abs(energies[1][0] - energies[0][0]))}, "
          f"alpha by {np.max(np.abs(energies[1][1] - energies[0][1]))}, predicted energy by {abs(energies[1][2] - energies[0][2])}")


def exp_e0():
    print("== e0: implied per-atom offset (E - y_E)/N for each frame, and the XML e0")
    gap = SOAP + " n_sparse=8 sparse_method=random"
    e = np.array([a.info["dft_energy"] for a in SMALL])
    n = np.array([len(a) for a in SMALL])

    def report(name, frames, extra=()):
        ls, model, log, _ = fit("e0", frames, gap, extra)
        if ls is None:
            print(f"  {name}: ABORT: {abort_message(log)}")
            return
        en = np.array([a.info["dft_energy"] for a in frames])
        nn = np.array([len(a) for a in frames])
        offset = np.unique(np.round((en - ls["y"][:len(frames)]) / nn, 9))
        print(f"  {name}: XML e0[Si] = {model['e0'].get(14)}; offsets {offset}; energy rows {len(frames)}")

    report("e0_method=isolated (default)", SMALL)
    renamed = [a.copy() for a in SMALL]
    renamed[0].info["config_type"] = "anything"
    report("isolated atom with config_type=anything", renamed)
    report("no single-atom frame", SMALL[1:])
    sh = [a for a in read(os.path.join(os.path.dirname(DATA), "..", "si_gap18_bartok2018", "sh.xyz"), ":") if len(a) == 1][0]
    report("only a 1-atom bulk frame (sh, cell 2.8 Å)", [sh] + SMALL[1:])
    report("isolated atom + 1-atom bulk frame", [SMALL[0], sh] + SMALL[1:])
    for box in (6.0, 4.5):
        a = Atoms("Si", positions=[[1, 1, 1]], cell=[box] * 3, pbc=True)
        a.info["dft_energy"] = -159.0
        a.arrays["dft_force"] = np.zeros((1, 3))
        report(f"1-atom cubic box {box} Å, E=-159", [a] + SMALL[1:])
    second = SMALL[0].copy()
    second.info["dft_energy"] = -160.0
    report("two isolated atoms", SMALL + [second])
    report("e0_method=average", SMALL, ["e0_method=average"])
    print(f"    mean(E/N) = {np.mean(e / n)}, ΣE/ΣN = {e.sum() / n.sum()}")
    report("e0_offset=2.0", SMALL, ["e0_offset=2.0"])
    report("e0_method=average e0_offset=2.0", SMALL, ["e0_method=average", "e0_offset=2.0"])
    report("e0=-150.0", SMALL, ["e0=-150.0"])
    report("e0={Si:-151.5}", SMALL, ["e0={Si:-151.5}"])
    report("e0=-150.0 e0_offset=2.0", SMALL, ["e0=-150.0", "e0_offset=2.0"])


def exp_index():
    print("== index: sparse_method=index_file")
    from quippy.descriptors import Descriptor

    frames = SMALL + [FRAMES[20]]
    path = os.path.join(WORK, "soap.idx")
    with open(path, "w") as f:
        f.write("30\n1\n5\n71\n70\n5\n")
    ls, model, log, _ = fit("index", frames, SOAP + f" sparse_method=index_file sparse_file={path} n_sparse=6", dump=False)
    c = model["coordinates"][0]
    x = np.vstack([Descriptor(c["descriptor"]).calc(a)["data"] for a in frames])
    found = [int(np.argmin(np.abs(x - row).max(axis=1))) + 1 for row in c["sparse_x"]]
    err = max(float(np.abs(x[j - 1] - row).max()) for j, row in zip(found, c["sparse_x"]))
    print(f"  {len(x)} SOAP descriptors (one per atom, {sum(len(a) for a in frames)} atoms). Index file 30 1 5 71 70 5 ->"
          f" stored sparse points are descriptors {found} (max diff {err:.0e})")
    _, model, log, _ = fit("index_nosparse", frames, SOAP + f" sparse_method=index_file sparse_file={path}", dump=False)
    print(f"  without n_sparse: n_sparse = {model['coordinates'][0]['n_sparse']}")
    _, _, log, _ = fit("index_mismatch", frames, SOAP + f" sparse_method=index_file sparse_file={path} n_sparse=3", dump=False)
    print("  n_sparse=3 with 6 lines:", abort_message(log))
    with open(path, "w") as f:
        f.write("1\n500\n")
    _, model, log, _ = fit("index_range", frames, SOAP + f" sparse_method=index_file sparse_file={path} n_sparse=2", dump=False)
    if model is not None:
        bad = model["coordinates"][0]["sparse_x"][1]
        print(f"  out-of-range index 500 (of {len(x)}): accepted silently; nearest real descriptor differs by "
              f"{np.min(np.abs(x - bad).max(axis=1)):.2f} (garbage point)")
    else:
        print("  out-of-range index:", abort_message(log))
    # distance_2b order = QUIP neighbour-list order built with cutoff = the descriptor cutoff.
    # Pick indices inside the 64-atom frame, where the order of neighbours depends on that cutoff.
    frames_2b = [FRAMES[0], FRAMES[1], FRAMES[51]]
    desc = Descriptor(TWO_BODY + " Z1=14 Z2=14")
    x5 = np.concatenate([desc.calc(a, cutoff=5.0)["data"].ravel() for a in frames_2b if len(a) > 1])
    picks = [5, 200, 900, 1400, len(x5)]
    path2 = os.path.join(WORK, "2b.idx")
    with open(path2, "w") as f:
        f.write("\n".join(map(str, picks)) + "\n")
    _, model, log, _ = fit("index_2b", frames_2b, TWO_BODY + f" sparse_method=index_file sparse_file={path2}", dump=False)
    stored = model["coordinates"][0]["sparse_x"].ravel()
    for cut in (5.0, 6.0):
        x2 = np.concatenate([desc.calc(a, cutoff=cut)["data"].ravel() for a in frames_2b if len(a) > 1])
        print(f"  distance_2b index_file {picks}: stored points vs quippy descriptors enumerated with "
              f"neighbour-list cutoff {cut}: max diff {np.max(np.abs(x2[np.array(picks) - 1] - stored)):.2e}")
    from ase.neighborlist import neighbor_list
    print(f"  {len(x5)} distance_2b descriptors; ASE ordered pairs within 5 Å: "
          f"{sum(len(neighbor_list('i', a, 5.0)) for a in frames_2b)} (each pair appears as i->j and j->i)")


def exp_uniform():
    print("== uniform: distance_2b sparse_method=uniform on dimers (2 descriptors per dimer)")

    def dimers(rs):
        out = []
        a = Atoms("Si", positions=[[0, 0, 0]], cell=[20] * 3, pbc=True)
        a.info["dft_energy"] = -158.0
        a.arrays["dft_force"] = np.zeros((1, 3))
        out.append(a)
        for r in rs:
            a = Atoms("Si2", positions=[[5, 5, 5], [5 + r, 5, 5]], cell=[20] * 3, pbc=True)
            a.info["dft_energy"] = -316.0 - np.exp(-r)
            a.arrays["dft_force"] = np.zeros((2, 3))
            out.append(a)
        return out

    def rule(x, n):
        lo, hi = x.min(), x.max()
        cell = np.floor((x - lo) / ((hi - lo) / (n - 1)) + 0.5).astype(int)
        first = {}
        for j, c in enumerate(cell):
            first.setdefault(c, j)
        return x[sorted(first.values())]

    rng = np.random.default_rng(0)
    for name, rs, n in [("2.0..4.0 step 0.1", 2.0 + 0.1 * np.arange(21), 5),
                        ("same, reversed", (2.0 + 0.1 * np.arange(21))[::-1], 5),
                        ("2.0 2.3 2.35 2.9 3.05 3.7 4.0", np.array([2.0, 2.3, 2.35, 2.9, 3.05, 3.7, 4.0]), 4),
                        ("200 uniform random in [2, 4]", rng.uniform(2, 4, 200), 5),
                        ("clustered 2.00..2.05, 3.0, 3.9, 4.0", np.array([2.0, 2.01, 2.02, 2.03, 2.04, 2.05, 3.0, 3.9, 4.0]), 4)]:
        seeds = []
        for seed in (1, 2):
            _, model, _, _ = fit("uniform", dimers(rs), TWO_BODY + f" sparse_method=uniform n_sparse={n}",
                                 [f"rnd_seed={seed}"], dump=False)
            seeds.append(model["coordinates"][0]["sparse_x"].ravel())
        print(f"  {name}, n={n}: {np.round(seeds[0], 4)}; rnd_seed=2 same: {np.array_equal(*seeds)}; "
              f"first-in-order per nint cell rule: {np.round(rule(np.repeat(rs, 2), n), 4)}")


def exp_cur():
    print("== cur: reproducibility of cur_points / cur_covariance (print_sparse_index)")
    for method in ("cur_points", "cur_covariance"):
        picks = []
        for tag, seed in (("a", 1), ("b", 1), ("c", 2)):
            path = os.path.join(WORK, f"{method}{tag}.idx")
            if os.path.exists(path):
                os.remove(path)
            _, _, log, _ = fit("cur", FRAMES, SOAP + f" sparse_method={method} n_sparse=15 print_sparse_index={path}",
                               [f"rnd_seed={seed}"], dump=False)
            picks.append(np.loadtxt(path).astype(int))
        line = [l.strip() for l in log.splitlines() if "cur_decomposition: iteration" in l]
        print(f"  {method}: seed 1 {picks[0].tolist()}\n    seed 1 again identical: {np.array_equal(picks[0], picks[1])}; "
              f"seed 2 identical: {np.array_equal(picks[0], picks[2])} ({picks[2].tolist()}); log: {line}")


def exp_stress():
    print("== stress: a stress key instead of a virial (virial = -stress * volume)")
    with_stress = [a.copy() for a in SMALL]
    for a in with_stress[1:]:
        v = a.info.pop("dft_virial").reshape(3, 3)
        s = -v / a.get_volume()
        a.info["stress"] = np.array([s[0, 0], s[1, 1], s[2, 2], s[1, 2], s[0, 2], s[0, 1]])
    ls_s, _, _, _ = fit("stress", with_stress, SOAP + " n_sparse=8 sparse_method=random")
    ls_v, _, _, _ = fit("virial", SMALL, SOAP + " n_sparse=8 sparse_method=random")
    print(f"  6-vector Voigt stress (xx yy zz yz xz xy) = -V/vol: y identical to the virial fit within "
          f"{np.max(np.abs(ls_s['y'] - ls_v['y'])):.1e} ({len(ls_s['y'])} rows)")


EXPERIMENTS = {"solve": exp_solve, "sigma": exp_sigma, "kernel": exp_kernel, "predict": exp_predict, "e0": exp_e0,
               "index": exp_index, "uniform": exp_uniform, "cur": exp_cur, "stress": exp_stress}

if __name__ == "__main__":
    names = sys.argv[1:] or list(EXPERIMENTS)
    print(f"work directory: {WORK}")
    for name in names:
        EXPERIMENTS[name]()
