"""Generate the QUIP/GAP `soap` reference fixtures read by DescriptorsTests.

Run from this directory with quippy-ase 0.10.3 installed (tests themselves never need quippy):

    python make_quippy_fixtures.py

Each case writes `quippy_<name>.json` with
  * `structure`: numbers, positions (Å), cell (rows), pbc;
  * `hypers`: our SOAPHyperparameters in gap_fit names (cutoff, cutoff_transition_width, n_max,
    l_max, atom_sigma, central_weight, normalise, species_Z, Z, radial_scaling {c, r0, m} or null);
  * `quippy_args`: the exact descriptor string given to quippy (species_Z listed ascending, so
    QUIP's channel order equals ours);
  * `feature_dim`: quippy's dimension (ours + 1: QUIP's trailing covariance_sigma0 element);
  * `centres`: 0-based atom index of each row; `values`: quippy's data rows (all feature_dim
    elements);
  * `gradients`: list of {row, atom, values[3][feature_dim]}: quippy's grad_data with all periodic
    images of one atom summed (QUIP emits one row per image); unfilled rows that QUIP allocates
    for neighbours of species outside species_Z are dropped.
Everything is deterministic (fixed seeds).
"""

import json
import math
import os

import numpy as np
from ase import Atoms
from quippy.descriptors import Descriptor

HERE = os.path.dirname(os.path.abspath(__file__))


def rotation(a, b, c):
    def rz(t):
        return np.array([[math.cos(t), -math.sin(t), 0], [math.sin(t), math.cos(t), 0], [0, 0, 1]])

    def rx(t):
        return np.array([[1, 0, 0], [0, math.cos(t), -math.sin(t)], [0, math.sin(t), math.cos(t)]])

    return rz(a) @ rx(b) @ rz(c)


def random_cluster(symbols, seed, box=4.0, min_distance=2.0):
    rng = np.random.default_rng(seed)
    count = len(Atoms(symbols))
    positions = []
    while len(positions) < count:
        p = rng.uniform(0.0, box, size=3)
        if all(np.linalg.norm(p - q) >= min_distance for q in positions):
            positions.append(p)
    return Atoms(symbols, positions=np.array(positions))


def random_cell(symbols, seed, cell, min_distance):
    rng = np.random.default_rng(seed)
    at = Atoms(symbols, cell=cell, pbc=True)
    frac = []
    while len(frac) < len(at):
        f = rng.uniform(0.0, 1.0, size=3)
        ok = True
        for g in frac:
            d = f - g
            d -= np.round(d)
            if np.linalg.norm(d @ np.array(cell)) < min_distance:
                ok = False
        if ok:
            frac.append(f)
    at.set_scaled_positions(np.array(frac))
    # move a few atoms outside the cell so that unwrapped positions are exercised
    at.positions[0] += np.array(cell)[0] * 1.0
    at.positions[-1] -= np.array(cell)[2] * 1.0
    return at


def structure_json(atoms):
    return {
        "numbers": [int(z) for z in atoms.numbers],
        "positions": atoms.positions.tolist(),
        "cell": np.array(atoms.cell).tolist(),
        "pbc": [bool(p) for p in atoms.pbc],
    }


def quippy_args(h):
    species = sorted(h["species_Z"])
    centres = sorted(h["Z"])
    args = (
        "soap cutoff={cutoff} cutoff_transition_width={cutoff_transition_width} n_max={n_max} l_max={l_max} "
        "atom_sigma={atom_sigma} central_weight={central_weight} normalise={nm} "
        "n_species={ns} species_Z={{{sz}}} n_Z={nz} Z={{{z}}}"
    ).format(nm="T" if h["normalise"] else "F", ns=len(species), sz=" ".join(map(str, species)),
             nz=len(centres), z=" ".join(map(str, centres)), **h)
    rs = h.get("radial_scaling")
    if rs is not None:
        assert float(rs["m"]).is_integer(), "QUIP's cutoff_dexp is an integer"
        args += " cutoff_rate={c} cutoff_scale={r0} cutoff_dexp={m}".format(c=rs["c"], r0=rs["r0"], m=int(rs["m"]))
    return args


def hypers(**kw):
    h = dict(cutoff=5.0, cutoff_transition_width=1.0, n_max=4, l_max=3, atom_sigma=0.5, central_weight=1.0,
             normalise=True, species_Z=[14], Z=[14], radial_scaling=None)
    h.update(kw)
    return h


def run_case(name, description, atoms, h):
    args = quippy_args(h)
    D = Descriptor(args)
    r = D.calc(atoms, grad=True)
    data = np.asarray(r["data"])
    ci = [int(c) - 1 for c in np.asarray(r["ci"]).reshape(-1)]
    gd = np.asarray(r["grad_data"])
    gi = np.asarray(r["grad_index_0based"])
    # grad_index_0based[:, 0] is the centre's atom index (not the row). QUIP allocates a gradient
    # row for every neighbour, also of species outside species_Z, but fills only the valid ones;
    # the others keep index 0 (-1 here) and uninitialised values, so they are dropped.
    row_of_centre = {c: k for k, c in enumerate(ci)}
    folded = {}
    for row, (centre, atom) in enumerate(gi):
        if atom < 0:
            continue
        key = (row_of_centre[int(centre)], int(atom))
        folded[key] = folded.get(key, 0.0) + gd[row]
    assert np.all(np.isfinite(data)) and all(np.all(np.isfinite(v)) for v in folded.values())
    rec = {
        "name": name,
        "description": description,
        "producer": "quippy-ase 0.10.3, QUIP/GAP soap descriptor (radial_basis EQUISPACED_GAUSS)",
        "structure": structure_json(atoms),
        "hypers": h,
        "quippy_args": args,
        "feature_dim": int(D.n_dim),
        "centres": ci,
        "values": data.tolist(),
        "gradients": [{"row": k[0], "atom": k[1], "values": v.tolist()} for k, v in sorted(folded.items())],
    }
    path = os.path.join(HERE, "quippy_%s.json" % name)
    with open(path, "w") as f:
        json.dump(rec, f, separators=(",", ":"))
    print("%-28s rows=%d dim=%d gradient entries=%d  %s" % (name, data.shape[0], D.n_dim, len(folded), args))


def main():
    # 1. Periodic triclinic Si cell smaller than the cutoff sphere: many images, self-images,
    #    atoms given outside the cell.
    cell = np.array([[3.9, 0.0, 0.0], [1.1, 3.7, 0.0], [0.6, -0.8, 4.1]])
    si4 = random_cell("Si4", 7, cell, 2.0)
    run_case("si_triclinic", "Si4 in a skewed periodic cell (3.9-4.3 A vectors), positions partly outside the cell",
             si4, hypers(n_max=5, l_max=4))

    # 2. Multi-species cluster, both centre species, normalised and not.
    sio = Atoms("SiSiOOO", positions=[[0.0, 0.0, 0.0], [3.05, 0.12, -0.08], [1.52, 0.95, 0.20],
                                      [1.49, -0.91, -0.15], [-1.58, 0.21, 0.33]])
    sio.positions = sio.positions @ rotation(0.4, 1.0, -0.7).T
    run_case("sio_both_centres", "Si2O3 cluster, species_Z={8 14}, Z={8 14}", sio,
             hypers(species_Z=[8, 14], Z=[8, 14]))
    run_case("sio_unnormalised", "Si2O3 cluster, species_Z={8 14}, Z={14}, normalise=F", sio,
             hypers(species_Z=[8, 14], Z=[14], normalise=False, n_max=3, l_max=5))

    # 3. Periodic two-species cell, centre species a subset, other widths and weights.
    cell = np.array([[4.6, 0.2, 0.0], [-0.3, 4.4, 0.1], [0.4, 0.0, 4.8]])
    sio2 = random_cell("Si2O4", 11, cell, 1.55)
    run_case("sio2_periodic", "Si2O4 in a periodic cell; cutoff 4, width 0.8, sigma 0.4, central weight 0.7",
             sio2, hypers(cutoff=4.0, cutoff_transition_width=0.8, atom_sigma=0.4, central_weight=0.7, n_max=3,
                          l_max=4, species_Z=[8, 14], Z=[14]))

    # 4. High angular momentum.
    si4c = random_cluster("Si4", 3, box=3.5, min_distance=2.1)
    run_case("si4_high_l", "Si4 cluster, n_max 4, l_max 12", si4c, hypers(n_max=4, l_max=12))

    # 5. Radial scaling u(r) = c / (c + (r/r0)^m) (QUIP: cutoff_rate, cutoff_scale, cutoff_dexp).
    si5 = random_cluster("Si5", 5, box=4.5, min_distance=2.1)
    run_case("radial_scaling_a", "Si5 cluster, radial scaling c=1.5 r0=2.5 m=2", si5,
             hypers(radial_scaling={"c": 1.5, "r0": 2.5, "m": 2.0}))
    run_case("radial_scaling_b", "Si5 cluster, radial scaling c=0.5 r0=3 m=5, unnormalised", si5,
             hypers(radial_scaling={"c": 0.5, "r0": 3.0, "m": 5.0}, normalise=False, n_max=5, l_max=4))

    # 6. Species outside species_Z: an H atom is ignored as a neighbour; an H centre (Z lists 1)
    #    gets a row without its own Gaussian (two channels); with a single channel QUIP always adds
    #    the centre's Gaussian to it (O centre, species_Z={14}).
    sioh = sio.copy()
    sioh += Atoms("H", positions=[[0.5, 1.5, -1.0]])
    run_case("unknown_species", "Si2O3H cluster; species_Z={8 14}, Z={1 8 14}", sioh,
             hypers(species_Z=[8, 14], Z=[1, 8, 14]))
    run_case("single_channel_foreign_centre", "Si2O3 cluster; species_Z={14}, Z={8}", sio,
             hypers(species_Z=[14], Z=[8]))

    # 7. Other hyper-parameters: hard cutoff, full-width switching, zero/large central weight,
    #    wide Gaussians with many radial functions.
    tri = random_cluster("Si4", 9, box=3.8, min_distance=2.0)
    run_case("hard_cutoff", "Si4, cutoff 4.2, transition width 0, sigma 0.3", tri,
             hypers(cutoff=4.2, cutoff_transition_width=0.0, atom_sigma=0.3, n_max=6, l_max=3))
    run_case("full_width", "Si4, cutoff 4.5, transition width 4.5, central weight 0", tri,
             hypers(cutoff=4.5, cutoff_transition_width=4.5, central_weight=0.0, n_max=4, l_max=4))
    run_case("wide_gaussians", "Si4, sigma 1.0, n_max 10, l_max 2, central weight 2.5", tri,
             hypers(atom_sigma=1.0, n_max=10, l_max=2, central_weight=2.5))


if __name__ == "__main__":
    main()
