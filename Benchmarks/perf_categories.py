#!/usr/bin/env python3
"""Where one thread's prediction time goes, by kind of work, from a perf profile (software clock;
no hardware counters needed). Symbols of model loading (JSON, checksums, building the spline
tables) are left out, so the shares are of the timed prediction loop. From the package root:

  nice -n 10 perf record -e cpu-clock -F 4000 -o perf.data -- \\
      .build/release/gap-bench predict MODEL diamond512.xyz --repeats 400
  perf report -i perf.data --no-children --sort symbol | grep -v '^#' | grep % > report.txt
  python3 Benchmarks/perf_categories.py report.txt [US_PER_ATOM]

With US_PER_ATOM (the run's measured time per atom), each share is also given in µs/atom.
"""
import re
import sys

CATEGORIES = [
    ("kernel products: dgemm kernel", r"dgemm_kernel"),
    ("kernel products: BLAS packing and zeroing (dgemm copies, beta, memset)", r"dgemm|memset"),
    ("kernel energies and weights (elementwise pass)", r"blockEnergies|kernel_block_energies"),
    ("radial splines", r"weighted_spline"),
    ("pair gradients (pair weights + harmonic contraction)", r"pair_gradients|pair_weights|contract_pairs|contraction_orders|pairGradient"),
    ("angular parts (backward)", r"angular_parts"),
    ("harmonics (forward)", r"swiftgap_soap_harmonics"),
    ("expansion accumulation", r"accumulate_row"),
    ("power-spectrum adjoint", r"powerSpectrumAdjoint|power_spectrum_adjoint"),
    ("cutoff weight (cos, sin; SOAP and 2-body)", r"__cos|__sin|cos@|sin@"),
    ("2-body term (with exp, reversePair)", r"PairDistance|ieee754_exp|exp@|reversePair"),
    ("neighbour list (with its sort)", r"NeighbourLists0A4ListV12cutoff|insertionSort|BinGrid|PeriodicGeometry"),
    ("power spectrum (forward)", r"swiftgap_soap_power_spectrum$"),
    ("SOAP row bookkeeping, norms, copies", r"SOAPBlockState|SOAPWorkspace|SOAPPlan|evaluateReverse|Matrix3|memmove"),
]
LOADING = (r"JSON|SHA256|String|Unicode|GaussianRadialBasis|ModifiedSpherical|RadialSpline|ExtendedXYZ|Character|Substring|parse"
           r"|UTF8|ASCII|Base64|ModelFiles|UInt8V")


def main(path, microseconds_per_atom=None):
    shares, total = {}, 0.0
    for line in open(path):
        fields = line.split()
        if len(fields) < 3:
            continue
        value, name = float(fields[0].rstrip("%")), fields[2]
        if re.search(LOADING, name):
            continue
        total += value
        for category, pattern in CATEGORIES:
            if re.search(pattern, name):
                shares[category] = shares.get(category, 0) + value
                break
        else:
            shares["other"] = shares.get("other", 0) + value
    for category, _ in CATEGORIES + [("other", "")]:
        share = shares.get(category, 0) / total
        if microseconds_per_atom is None:
            print("%-72s %5.1f %%" % (category, 100 * share))
        else:
            print("%-72s %5.1f %%  %6.1f µs/atom" % (category, 100 * share, share * microseconds_per_atom))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else None)
