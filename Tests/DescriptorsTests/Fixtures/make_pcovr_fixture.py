"""Reference for the supervised radial basis's PCovR step (pcovr_reference.json).

scikit-matter's feature-space PCovR on a small seeded matrix: X (30 x 6, correlated columns) and
Y (30 x 2), both scaled to unit Frobenius norm, a ridge regressor without intercept, and the
projector pxt_ for several mixings. The Swift test (SupervisedBasisTests) solves the same ridge,
builds C = XᵀX and B = XᵀŶ and compares RadialContraction.pcovrProjection with pxt_ column by
column up to sign. Not needed by the test run: the JSON is committed.

    python3 -m pip install skmatter==0.4.1 numpy scikit-learn
    python3 make_pcovr_fixture.py
"""
import json
import os
import warnings

import numpy as np
import skmatter
from skmatter.decomposition import PCovR
from sklearn.linear_model import Ridge

# Uncentred on purpose: the radial basis uses the uncentred covariance (skmatter warns).
warnings.filterwarnings("ignore", message="This class does not automatically center")
rng = np.random.default_rng(7)
n, d = 30, 6
X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d))  # correlated features
Y = np.column_stack([X @ rng.normal(size=d) + 0.3 * rng.normal(size=n), np.sin(X[:, 0]) + 0.1 * rng.normal(size=n)])
X /= np.linalg.norm(X)
Y /= np.linalg.norm(Y)
ridge_alpha = 1e-3
components = 4
cases = []
for mixing in [0.0, 0.3, 0.5, 0.9, 1.0]:
    model = PCovR(mixing=mixing, n_components=components, space="feature", tol=1e-12,
                  regressor=Ridge(alpha=ridge_alpha, fit_intercept=False, tol=1e-14))
    model.fit(X, Y)
    cases.append({"mixing": mixing, "pxt": model.pxt_.tolist(),
                  "ridge_weights": model.regressor_.coef_.T.tolist()})
out = {
    "generator": f"make_pcovr_fixture.py, scikit-matter {skmatter.__version__}, numpy {np.__version__}",
    "X": X.tolist(), "Y": Y.tolist(), "ridge_alpha": ridge_alpha, "components": components, "cases": cases,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pcovr_reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", path)
