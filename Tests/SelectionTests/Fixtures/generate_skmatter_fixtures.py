"""Reference selections from scikit-matter for the Selection tests.

Run from this directory with skmatter installed (pip install skmatter; written with 0.4.1):
    python3 generate_skmatter_fixtures.py
It writes skmatter_fixtures.json: for each case the matrix (row-major), the selector settings and
the indices skmatter selects, in selection order. The matrices are made here from fixed seeds and
stored in full, so the Swift tests need neither numpy nor skmatter.
"""
import json

import numpy as np
import skmatter
from skmatter.sample_selection import CUR, FPS
from skmatter.feature_selection import CUR as FeatureCUR, FPS as FeatureFPS


def correlated(rng, n, f, decay):
    """Rows with a decaying spectrum, so that leading singular values are well separated."""
    basis = np.linalg.qr(rng.normal(size=(f, f)))[0]
    scales = decay ** np.arange(f)
    return (rng.normal(size=(n, f)) * scales) @ basis.T


def soap_like(rng, n, f):
    """Non-negative unit-length rows, like normalised power spectra of one species."""
    x = np.abs(correlated(rng, n, f, 0.8)) + 0.05 * rng.random((n, f))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


cases = []


def rounded(x):
    """Values rounded to 9 significant digits, so the JSON stays small and both sides see the same doubles."""
    return np.array([[float(f"{v:.9g}") for v in row] for row in x])


def add_cur(name, x, n_select, k=1):
    x = rounded(x)
    sel = CUR(n_to_select=n_select, k=k, recompute_every=1).fit(x)
    cases.append({"name": name, "method": "cur", "k": k, "rows": x.shape[0], "features": x.shape[1],
                  "values": x.ravel().tolist(), "count": n_select, "selected": [int(i) for i in sel.selected_idx_]})


def add_fps(name, x, n_select, initialize=0):
    x = rounded(x)
    sel = FPS(n_to_select=n_select, initialize=initialize).fit(x)
    cases.append({"name": name, "method": "fps", "initialize": initialize, "rows": x.shape[0], "features": x.shape[1],
                  "values": x.ravel().tolist(), "count": n_select, "selected": [int(i) for i in sel.selected_idx_]})


# The example of skmatter's documentation (selects [3, 2]).
doc = np.array([[0.12, 0.21, -0.11], [-0.09, 0.32, 0.51], [-0.03, 0.53, 0.14], [-0.83, -0.13, 0.82]])
add_cur("cur_doc_example", doc, 2)
rng = np.random.default_rng(20240601)
add_cur("cur_tall_40x6", correlated(rng, 40, 6, 0.7), 6)
add_cur("cur_wide_8x20", correlated(rng, 8, 20, 0.8), 6)
add_cur("cur_tall_k2_30x5", correlated(rng, 30, 5, 0.8), 4, k=2)
add_cur("cur_tall_lanczos_100x50", correlated(rng, 100, 50, 0.93), 40)
add_cur("cur_wide_lanczos_50x70", correlated(rng, 50, 70, 0.95), 30)
add_cur("cur_soap_like_120x50", soap_like(rng, 120, 50), 45)
add_fps("fps_100x5", rng.normal(size=(100, 5)), 20)
add_fps("fps_start7_50x3", rng.normal(size=(50, 3)), 15, initialize=7)
add_fps("fps_soap_like_120x20", soap_like(rng, 120, 20), 40)


# Feature (column) selection, as the SOAP term's n_features uses: skmatter.feature_selection.
def add_feature_cur(name, x, n_select, k=1):
    x = rounded(x)
    sel = FeatureCUR(n_to_select=n_select, k=k, recompute_every=1).fit(x)
    cases.append({"name": name, "method": "feature_cur", "k": k, "rows": x.shape[0], "features": x.shape[1],
                  "values": x.ravel().tolist(), "count": n_select, "selected": [int(i) for i in sel.selected_idx_]})


def add_feature_fps(name, x, n_select, initialize=0):
    x = rounded(x)
    sel = FeatureFPS(n_to_select=n_select, initialize=initialize).fit(x)
    cases.append({"name": name, "method": "feature_fps", "initialize": initialize, "rows": x.shape[0],
                  "features": x.shape[1], "values": x.ravel().tolist(), "count": n_select,
                  "selected": [int(i) for i in sel.selected_idx_]})


feature_rng = np.random.default_rng(20240602)
add_feature_cur("feature_cur_doc_example", doc, 2)
add_feature_cur("feature_cur_soap_like_60x40", soap_like(feature_rng, 60, 40), 15)
add_feature_cur("feature_cur_wide_12x30", correlated(feature_rng, 12, 30, 0.85), 10)
add_feature_fps("feature_fps_soap_like_50x30", soap_like(feature_rng, 50, 30), 12)


# An independent implementation of the package's generator and random selection, so that the
# Swift code is checked against a second language (seeds must mean the same everywhere).
MASK = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


class Xoshiro:
    def __init__(self, seed):
        st = seed
        self.s = []
        for _ in range(4):
            st, z = splitmix64(st)
            self.s.append(z)

    def next(self):
        s = self.s
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & MASK
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, bound):  # Lemire's method
        product = self.next() * bound
        low = product & MASK
        if low < bound:
            threshold = ((1 << 64) - bound) % bound
            while low < threshold:
                product = self.next() * bound
                low = product & MASK
        return product >> 64


def random_selection(n, count, seed):
    rng = Xoshiro(seed)
    idx = list(range(n))
    for i in range(count):
        j = i + rng.below(n - i)
        idx[i], idx[j] = idx[j], idx[i]
    return sorted(idx[:count])


splitmix_zero = [splitmix64(0)[1]]
rng = Xoshiro(1)
random_reference = {
    "splitmix64_seed0_first": str(splitmix_zero[0]),
    "xoshiro_seed1_first8": [str(rng.next()) for _ in range(8)],
    "xoshiro_seed42_below_1000003": [Xoshiro(42).below(1000003)],
    "selections": [{"rows": n, "count": c, "seed": sd, "selected": random_selection(n, c, sd)}
                   for (n, c, sd) in [(10, 10, 1), (1000, 25, 7), (80000, 40, 12345), (5, 1, 0)]],
}

with open("skmatter_fixtures.json", "w") as out:
    json.dump({"generator": "generate_skmatter_fixtures.py", "skmatter": skmatter.__version__,
               "numpy": np.__version__, "cases": cases, "random": random_reference}, out)
    out.write("\n")
print({c["name"]: c["selected"][:8] for c in cases})
