"""Reference values of the scaled modified spherical Bessel functions e^{-x} i_l(x), computed with
mpmath at 40 significant digits, for the unit tests of ModifiedSphericalBessel.

    python make_bessel_fixture.py      (writes bessel_scaled.json)
"""

import json
import os

import mpmath

mpmath.mp.dps = 40
XS = [1e-12, 1e-8, 1e-3, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 29.9, 30.0, 30.1, 50.0, 99.0, 143.9, 144.0,
      144.1, 196.0, 300.0, 675.9, 676.0, 1000.0, 3000.0]
L_MAX = 26


def scaled(l, x):
    x = mpmath.mpf(x)
    return mpmath.exp(-x) * mpmath.sqrt(mpmath.pi / (2 * x)) * mpmath.besseli(l + mpmath.mpf(1) / 2, x)


def main():
    table = [{"x": x, "values": [float(scaled(l, x)) for l in range(L_MAX + 1)]} for x in XS]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bessel_scaled.json")
    with open(path, "w") as f:
        json.dump({"definition": "values[l] = exp(-x) i_l(x), mpmath 40 digits", "l_max": L_MAX, "table": table}, f)


if __name__ == "__main__":
    main()
