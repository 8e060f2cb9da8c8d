"""Reference Gram matrices of the density correlations of body order nu = 1, 2, 3 (BodyOrderReferenceTests).

Run from this directory with featomic 0.6 (pip install featomic; it brings metatensor), numpy and
scipy installed (the tests never need them):

    python make_body_order_fixture.py

An independent route to what RadialSpectrumCalculator, SOAPCalculator and BispectrumCalculator
compute. Only the radial functions are shared: the QUIP basis R_nl(r) is re-implemented here in
NumPy (equispaced Gaussians, overlap S = L L^T, T = C^-1 L, modified spherical Bessel functions
from scipy) and handed to featomic as an explicit per-l radial basis with a Dirac density (so
featomic's "radial integral" is R_nl itself) and no re-orthonormalisation. Everything else is
featomic's: the neighbour search, the cutoff function, the Willatt2018 radial scaling, the centre
atom's contribution, its real spherical harmonics, its Clebsch-Gordan coefficients and its
iterated CG products (DensityCorrelations, skip_redundant=False, so every ordered triple).

Our features differ from featomic's by an orthogonal map (layout, signs, the sqrt of the number of
orderings that we fold into one symmetry-unique feature), so the basis-independent comparison is
the Gram matrix X X^T over all environments (unnormalised features), per body order and, for
nu = 3, per parity (sigma = +1: scalars; sigma = -1: pseudoscalars).

Writes body_order_reference.json: structures, hyper-parameter sets (gap_fit names) and, per set,
the environments (structure, atom) in order and the Gram matrices "nu1", "nu2", "nu3_even",
"nu3_odd".
"""

import json
import math
import os

import numpy as np
import scipy.linalg
import scipy.special
from ase import Atoms

import featomic
from featomic import SphericalExpansion
from featomic.basis import Explicit, RadialBasis
from featomic.clebsch_gordan import DensityCorrelations
from featomic.cutoff import Cutoff, ShiftedCosine
from featomic.density import DiracDelta, Willatt2018
from featomic.splines import SoapSpliner
from metatensor import Labels

HERE = os.path.dirname(os.path.abspath(__file__))


class QuipRadial(RadialBasis):
    """QUIP's EQUISPACED_GAUSS radial functions R_nl(r) for one l (before the cutoff function)."""

    def __init__(self, l, n_max, cutoff, sigma):
        super().__init__(max_radial=n_max - 1, radius=cutoff)
        self.l = l
        self.alpha = 0.5 / sigma**2
        extended = cutoff + sigma * math.sqrt(20 * math.log(10))
        self.grid = np.arange(n_max) * extended / n_max
        a, ra, rb = self.alpha, self.grid[:, None], self.grid[None, :]
        s = ra + rb
        first = np.exp(-a * (ra**2 + rb**2)) * math.sqrt(2) * a**1.5 * s
        second = a * np.exp(-0.5 * a * (ra - rb) ** 2) * math.sqrt(math.pi) * (1 + a * s**2) * (
            1 + scipy.special.erf(math.sqrt(a / 2) * s))
        overlap = (first + second) / math.sqrt(128 * a**5)
        gaussians = np.exp(-a * (ra - rb) ** 2)
        lower = np.linalg.cholesky(overlap)
        self.transform = np.linalg.solve(gaussians, lower)

    def _get_orthonormalization_matrix(self):
        return np.eye(self.size)   # our basis is used as it is

    def _values(self, r):
        r = np.asarray(r, dtype=float)
        x = 2 * self.alpha * np.outer(r, self.grid)
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = np.sqrt(np.pi / (2 * x)) * scipy.special.ive(self.l + 0.5, x)
        scaled = np.where(x == 0, 1.0 if self.l == 0 else 0.0, scaled)
        g = np.exp(-self.alpha * (r[:, None] - self.grid[None, :]) ** 2) * scaled
        return g @ self.transform

    def compute_primitive(self, positions, n, *, derivative):
        positions = np.asarray(positions, dtype=float)
        if derivative:
            h = 1e-5
            below = np.maximum(positions - h, 0)   # one-sided at r = 0, where no neighbour sits
            return (self._values(positions + h)[:, n] - self._values(below)[:, n]) / (positions + h - below)
        return self._values(positions)[:, n]


def random_cell(symbols, seed, cell, min_distance):
    rng = np.random.default_rng(seed)
    atoms = Atoms(symbols, cell=cell, pbc=True)
    fractional = []
    while len(fractional) < len(atoms):
        f = rng.random(3)
        ok = True
        for g in fractional:
            d = f - g
            d -= np.round(d)
            if np.linalg.norm(d @ cell) < min_distance:
                ok = False
        if ok:
            fractional.append(f)
    atoms.set_scaled_positions(np.array(fractional))
    return atoms


def random_cluster(symbols, seed, box, min_distance):
    rng = np.random.default_rng(seed)
    positions = []
    while len(positions) < len(symbols):
        p = rng.random(3) * box
        if all(np.linalg.norm(p - q) >= min_distance for q in positions):
            positions.append(p)
    return Atoms(symbols, positions=positions)


def structure_json(atoms):
    return {"numbers": [int(z) for z in atoms.numbers], "positions": atoms.positions.tolist(),
            "cell": atoms.cell.array.tolist(), "pbc": [bool(p) for p in atoms.pbc]}


def expansion(frames, h):
    basis = Explicit(by_angular={l: QuipRadial(l, h["n_max"], h["cutoff"], h["atom_sigma"]) for l in range(h["l_max"] + 1)})
    scaling = None
    if h["radial_scaling"] is not None:
        s = h["radial_scaling"]
        scaling = Willatt2018(exponent=s["m"], rate=s["c"], scale=s["r0"])
    cutoff = Cutoff(radius=h["cutoff"], smoothing=ShiftedCosine(width=h["cutoff_transition_width"]))
    density = DiracDelta(center_atom_weight=h["central_weight"], scaling=scaling)
    spliner = SoapSpliner(cutoff=cutoff, density=density, basis=basis, n_spline_points=4000)
    calculator = SphericalExpansion(**spliner.get_hypers())
    rho = calculator.compute(frames)
    # Every neighbour species into the properties, so that products couple all species.
    return rho.keys_to_properties("neighbor_type")


def dense(tensor, environments, key_filter):
    """Rows = environments (structure, atom), columns = the properties of the selected blocks.

    Blocks differing only in center_type share columns: our descriptors compare environments of
    any centre species (as QUIP's with several Z), featomic keys them apart.
    """
    index = {env: k for k, env in enumerate(environments)}
    columns = {}
    for key, block in tensor.items():
        if not key_filter(key):
            continue
        other = tuple((name, int(key[name])) for name in key.names if name != "center_type")
        values = block.values.reshape(block.values.shape[0], -1)   # λ = 0: one component
        for p, label in enumerate(block.properties.values):
            column = columns.setdefault((other, tuple(int(v) for v in label)), np.zeros(len(environments)))
            for row, sample in enumerate(block.samples.values):
                column[index[(int(sample[0]), int(sample[1]))]] += values[row, p]
    if not columns:
        return np.zeros((len(environments), 0))
    return np.stack([columns[k] for k in sorted(columns)], axis=1)


def gram(x):
    return (x @ x.T).tolist()


def main():
    cells = [
        np.array([[4.6, 0.2, 0.0], [-0.3, 4.4, 0.1], [0.4, 0.0, 4.8]]),
        np.array([[5.0, 0.0, 0.0], [0.8, 4.7, 0.0], [-0.4, 0.3, 5.2]]),
    ]
    frames = [random_cell("Si2O4", 201, cells[0], 1.55), random_cell("Si3O3", 202, cells[1], 1.5),
              random_cluster(["Si", "O", "Si", "O", "Si"], 203, 4.0, 1.6)]
    settings = [
        dict(cutoff=4.0, cutoff_transition_width=1.0, n_max=3, l_max=3, atom_sigma=0.5, central_weight=1.0,
             normalise=False, species_Z=[8, 14], Z=[8, 14], radial_scaling=None),
        dict(cutoff=3.8, cutoff_transition_width=0.8, n_max=2, l_max=4, atom_sigma=0.45, central_weight=0.7,
             normalise=False, species_Z=[8, 14], Z=[8, 14], radial_scaling=dict(c=1.0, r0=2.0, m=3)),
    ]
    records = []
    for h in settings:
        rho = expansion(frames, h)
        environments = [(s, a) for s, atoms in enumerate(frames) for a in range(len(atoms))]
        l_max = h["l_max"]
        nu1 = dense(rho, environments, lambda key: key["o3_lambda"] == 0)
        correlations2 = DensityCorrelations(n_correlations=1, max_angular=2 * l_max, skip_redundant=False)
        nu2 = correlations2.compute(rho, selected_keys=Labels(["o3_lambda"], np.array([[0]])))
        correlations3 = DensityCorrelations(n_correlations=2, max_angular=2 * l_max, skip_redundant=False)
        nu3 = correlations3.compute(rho, angular_cutoff=l_max, selected_keys=Labels(["o3_lambda"], np.array([[0]])))
        record = {
            "hypers": h,
            "environments": [list(e) for e in environments],
            "nu1": gram(nu1),
            "nu2": gram(dense(nu2, environments, lambda key: key["o3_sigma"] == 1)),
            "nu3_even": gram(dense(nu3, environments, lambda key: key["o3_sigma"] == 1)),
            "nu3_odd": gram(dense(nu3, environments, lambda key: key["o3_sigma"] == -1)),
        }
        records.append(record)
    out = {"generator": f"make_body_order_fixture.py, featomic {featomic.__version__}",
           "structures": [structure_json(a) for a in frames], "sets": records}
    with open(os.path.join(HERE, "body_order_reference.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
