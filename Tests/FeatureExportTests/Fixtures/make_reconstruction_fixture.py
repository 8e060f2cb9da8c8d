"""Reference GFRE/GFRD values from scikit-matter for FeatureSpaceReconstructionTests.

Run from this directory with scikit-matter 0.4 (pip install skmatter) and numpy installed (the
tests never need them):

    python make_reconstruction_fixture.py

Feature matrices are synthetic but shaped like descriptor data: X is a random smooth map of a
few latent coordinates, Y mixes a linear function of X, a nonlinear one and noise, so that both
directions have errors between 0 and 1 and the cross-validated cutoff is not at an end of its
grid. The split (train/test halves and the inner folds of the ridge's two-fold CV) is stored
and handed to scikit-matter explicitly (train_idx, test_idx, and Ridge2FoldCV(cv=[(fold1,
fold2)]) with its default alphas, alpha_type, regularization_method and scoring), so our Swift
implementation can be run on exactly the same split.

Writes reconstruction_reference.json: per case, X and Y (row-major lists), the split, and
skmatter's GFRE and GFRD for both directions (GFRD only where the source has no more columns
than the target: skmatter's orthogonal regression fails otherwise).
"""

import json
import os

import numpy as np
import skmatter
from skmatter.linear_model import Ridge2FoldCV
from skmatter.metrics import global_reconstruction_distortion, global_reconstruction_error

HERE = os.path.dirname(os.path.abspath(__file__))


def estimator(fold1, fold2):
    # skmatter's defaults for the reconstruction measures, with the inner folds given.
    return Ridge2FoldCV(alphas=np.geomspace(1e-9, 0.9, 20), alpha_type="relative", regularization_method="cutoff",
                        cv=[(fold1, fold2)], scoring="neg_root_mean_squared_error", n_jobs=1)


def case(seed, n, p, q):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 3))
    x = np.tanh(latent @ rng.normal(size=(3, p))) + 0.05 * rng.normal(size=(n, p))
    y = x @ rng.normal(size=(p, q)) * 0.3 + np.sin(latent @ rng.normal(size=(3, q))) + 0.1 * rng.normal(size=(n, q))
    order = rng.permutation(n)
    train, test = np.sort(order[: n // 2]), np.sort(order[n // 2:])
    inner = rng.permutation(len(train))
    fold1, fold2 = np.sort(inner[: (len(train) + 1) // 2]), np.sort(inner[(len(train) + 1) // 2:])
    record = {"x": x.tolist(), "y": y.tolist(), "train": train.tolist(), "test": test.tolist(),
              "fold1": fold1.tolist(), "fold2": fold2.tolist()}
    for name, source, target in [("x_to_y", x, y), ("y_to_x", y, x)]:
        args = dict(train_idx=train, test_idx=test, estimator=estimator(fold1, fold2))
        record[f"gfre_{name}"] = float(global_reconstruction_error(source, target, **args))
        if source.shape[1] <= target.shape[1]:
            args = dict(train_idx=train, test_idx=test, estimator=estimator(fold1, fold2))
            record[f"gfrd_{name}"] = float(global_reconstruction_distortion(source, target, **args))
    return record


def main():
    cases = [case(1, 80, 4, 9), case(2, 101, 12, 12), case(3, 120, 20, 6)]
    with open(os.path.join(HERE, "reconstruction_reference.json"), "w") as f:
        json.dump({"generator": f"make_reconstruction_fixture.py, skmatter {skmatter.__version__}", "cases": cases}, f)


if __name__ == "__main__":
    main()
