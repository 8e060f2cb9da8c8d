"""featomic's cost for the invariants of cost_per_body_order.sh, on the same frames and sizes.

Same hyper-parameters (cutoff 5 Å, shifted-cosine width 1 Å, Gaussian σ 0.5 Å, n_max 6) with
featomic's own GTO radial basis (the counts of features are the same; the numbers differ). ν = 1:
the l = 0 spherical expansion; ν = 2: SoapPowerSpectrum; ν = 3: the spherical expansion then
DensityCorrelations (two CG products, λ = 0, intermediate λ ≤ l_max). Values only; one thread
(RAYON_NUM_THREADS=1 is set here). Usage: python featomic_cost.py datasets/si_zuo2020/Si_train.xyz
"""
import os
os.environ["RAYON_NUM_THREADS"] = "1"
import sys
import time

import ase.io
import numpy as np
from featomic import SoapPowerSpectrum, SphericalExpansion
from featomic.clebsch_gordan import DensityCorrelations
from metatensor import Labels

frames = ase.io.read(sys.argv[1], ":")
atoms = sum(len(f) for f in frames)


def hypers(l_max):
    return {"cutoff": {"radius": 5.0, "smoothing": {"type": "ShiftedCosine", "width": 1.0}},
            "density": {"type": "Gaussian", "width": 0.5},
            "basis": {"type": "TensorProduct", "max_angular": l_max, "radial": {"type": "Gto", "max_radial": 5}}}


def timed(label, work):
    start = time.perf_counter()
    features = work()
    seconds = time.perf_counter() - start
    print(f"{label} {features} {seconds:.2f} {seconds / atoms * 1e6:.1f}")


def nu1():
    return SphericalExpansion(**hypers(0)).compute(frames).keys_to_properties("neighbor_type").block(0).values.shape[-1]


def nu2():
    return SoapPowerSpectrum(**hypers(4)).compute(frames).keys_to_properties(["neighbor_1_type", "neighbor_2_type"]).block(0).values.shape[-1]


def nu3(l_max):
    def run():
        rho = SphericalExpansion(**hypers(l_max)).compute(frames).keys_to_properties("neighbor_type")
        out = DensityCorrelations(n_correlations=2, max_angular=2 * l_max, skip_redundant=True).compute(
            rho, angular_cutoff=l_max, selected_keys=Labels(["o3_lambda", "o3_sigma"], np.array([[0, 1]])))
        return sum(b.values.shape[-1] for b in out.blocks())
    return run


print("descriptor features seconds us/atom  (featomic, values only)")
timed("radial_spectrum(l=0 expansion)", nu1)
timed("soap_power_spectrum,l_max:4", nu2)
timed("bispectrum,l_max:2", nu3(2))
timed("bispectrum,l_max:4", nu3(4))
