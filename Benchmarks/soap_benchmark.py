#!/usr/bin/env python3
"""SOAP descriptor benchmark: SwiftGAP against featomic, dscribe and quippy on the same structures.

    python Benchmarks/soap_benchmark.py [--repeats 3] [--threads 1 2] [--peers featomic dscribe quippy]

Steps: writes the two structures of soap_structures.py (512-atom distorted diamond, 216-atom
random "liquid" box, both periodic) as extended XYZ into bench-out/; builds
`gap-bench` in release mode; times `gap-bench soap` (values, values + position gradients, each also
with the output reused between calls); then times each peer in a fresh subprocess per thread count
(so that RAYON_NUM_THREADS / OMP_NUM_THREADS take effect); prints markdown tables of µs per atom,
wall clock and process CPU time, of the fastest (wall clock) of --repeats runs. On a shared machine
the CPU-time table is the more robust single-thread comparison.

Settings: cutoff 5 Å, shifted-cosine transition width 1 Å, atom_sigma 0.5 Å, (n_max, l_max) =
(8, 6) and (10, 12). Caveats, also printed under the table:
* All times include the neighbour search (SwiftGAP: the cell list, also timed alone and printed
  under the tables).
* featomic: SoapPowerSpectrum, GTO basis with max_radial = n_max - 1, default radial splines,
  gradients=["positions"]. It stores n_max^2 (l_max+1) features (no n1 <= n2 symmetry).
* dscribe refuses analytical derivatives for periodic systems, so its gradient column times the
  analytical derivatives of the same atoms with periodicity switched off (a cluster: surface atoms
  have fewer neighbours, which favours dscribe). Its dense derivative array
  (centres x atoms x 3 x features) is skipped when it would exceed --dscribe-max-gb.
* quippy (QUIP/GAP `soap`) is single-threaded here.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

SETS = [(8, 6), (10, 12)]
CUTOFF, WIDTH, SIGMA = 5.0, 1.0, 0.5


def fastest(repeats, fn):
    """(wall, process CPU) seconds of the fastest (by wall clock) of `repeats` runs."""
    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        wall = time.perf_counter() - start
        if wall < best[0]:
            best = (wall, time.process_time() - cpu)
    return best


def worker(args):
    """Runs inside a subprocess: times one peer and prints JSON lines."""
    from ase.io import read

    for path in args.files:
        atoms = read(path)
        name = os.path.splitext(os.path.basename(path))[0]
        for n_max, l_max in SETS:
            records = []
            if args.worker == "featomic":
                import featomic

                calc = featomic.SoapPowerSpectrum(
                    cutoff={"radius": CUTOFF, "smoothing": {"type": "ShiftedCosine", "width": WIDTH}},
                    density={"type": "Gaussian", "width": SIGMA},
                    basis={"type": "TensorProduct", "max_angular": l_max, "radial": {"type": "Gto", "max_radial": n_max - 1}},
                )
                records.append(("values", fastest(args.repeats, lambda: calc.compute(atoms))))
                records.append(("values+gradients", fastest(args.repeats, lambda: calc.compute(atoms, gradients=["positions"]))))
            elif args.worker == "quippy":
                from quippy.descriptors import Descriptor

                d = Descriptor(
                    "soap cutoff={} cutoff_transition_width={} n_max={} l_max={} atom_sigma={} n_species=1 species_Z={{14}} Z=14".format(
                        CUTOFF, WIDTH, n_max, l_max, SIGMA))
                records.append(("values", fastest(args.repeats, lambda: d.calc(atoms))))
                records.append(("values+gradients", fastest(args.repeats, lambda: d.calc(atoms, grad=True))))
            elif args.worker == "dscribe":
                from dscribe.descriptors import SOAP

                soap = SOAP(species=["Si"], r_cut=CUTOFF, n_max=n_max, l_max=l_max, sigma=SIGMA, rbf="gto", periodic=True)
                records.append(("values", fastest(args.repeats, lambda: soap.create(atoms, n_jobs=args.threads))))
                cluster = atoms.copy()
                cluster.pbc = False
                open_soap = SOAP(species=["Si"], r_cut=CUTOFF, n_max=n_max, l_max=l_max, sigma=SIGMA, rbf="gto", periodic=False)
                gigabytes = len(atoms) ** 2 * 3 * open_soap.get_number_of_features() * 8 / 1e9
                if gigabytes <= args.dscribe_max_gb:
                    records.append(("values+gradients", fastest(args.repeats, lambda: open_soap.derivatives(
                        cluster, method="analytical", n_jobs=args.threads))))
                else:
                    records.append(("values+gradients", None))
            for mode, seconds in records:
                print(json.dumps({
                    "code": args.worker, "structure": name, "atoms": len(atoms), "n_max": n_max, "l_max": l_max,
                    "threads": args.threads, "mode": mode,
                    "us_per_atom": None if seconds is None else seconds[0] / len(atoms) * 1e6,
                    "cpu_us_per_atom": None if seconds is None else seconds[1] / len(atoms) * 1e6,
                }), flush=True)


def run_json_lines(command, env=None):
    out = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--peers", nargs="*", default=["featomic", "dscribe", "quippy"])
    parser.add_argument("--out", default=os.path.join(ROOT, "bench-out"))
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--dscribe-max-gb", type=float, default=3.0)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        args.threads = args.threads[0]
        worker(args)
        return

    from ase.io import write
    from soap_structures import STRUCTURES

    os.makedirs(args.out, exist_ok=True)
    files = []
    for name, make in STRUCTURES.items():
        path = os.path.join(args.out, name + ".xyz")
        write(path, make(), format="extxyz")
        files.append(path)
    if not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "gap-bench"], cwd=ROOT, check=True)
    binary = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    command = [os.path.join(binary, "gap-bench"), "soap", *files, "--n-max", *[str(n) for n, _ in SETS],
               "--l-max", *[str(l) for _, l in SETS], "--threads", *[str(t) for t in args.threads],
               "--repeats", str(args.repeats), "--modes", "values", "gradients", "--reuse", "--json"]
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    # As for the peers: no OpenBLAS thread pool. gap-bench uses BLAS only to build calculators,
    # but a pool started at load time spins on the other core for a while, which inflated the
    # first rows' CPU time (and their wall time when the machine was busy).
    results = run_json_lines(command, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    for peer in args.peers:
        for threads in ([1] if peer == "quippy" else args.threads):
            env = dict(os.environ, RAYON_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                       OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
            print("timing %s with %d thread(s)" % (peer, threads), file=sys.stderr, flush=True)
            try:
                results += run_json_lines([sys.executable, __file__, "--worker", peer, "--threads", str(threads),
                                           "--repeats", str(args.repeats), "--files", *files], env=env)
            except subprocess.CalledProcessError as error:
                print("%s failed: %s" % (peer, error.stderr[-2000:]), file=sys.stderr)

    def lookup(code, structure, n, l, threads, mode, key):
        for r in results:
            if (r["code"], r["structure"], r["n_max"], r["l_max"], r["threads"], r["mode"]) == (code, structure, n, l, threads, mode):
                return r[key]
        return None

    def cell(x):
        return "-" if x is None else ("%.0f" % x if x >= 100 else "%.1f" % x)

    peers = [p for p in ["featomic", "dscribe", "quippy"] if p in args.peers]
    for key, title in [("us_per_atom", "wall-clock µs per atom"), ("cpu_us_per_atom", "process CPU µs per atom (all threads)")]:
        print()
        print("**%s**" % title)
        print()
        print("| structure | n_max/l_max | mode | threads | SwiftGAP | SwiftGAP, reused output | "
              + " | ".join(peers) + " | fastest peer / SwiftGAP |")
        print("|---|---|---|---:|---:|---:|" + "---:|" * len(peers) + "---:|")
        for structure in [os.path.splitext(os.path.basename(f))[0] for f in files]:
            for n, l in SETS:
                for mode in ["values", "values+gradients"]:
                    for threads in args.threads:
                        ours = lookup("swiftgap", structure, n, l, threads, mode, key)
                        reused = lookup("swiftgap", structure, n, l, threads, mode + " (reused output)", key)
                        peer_times = [lookup(p, structure, n, l, threads, mode, key) for p in peers]
                        known = [t for t in peer_times if t is not None]
                        ratio = "%.1fx" % (min(known) / ours) if known and ours else "-"
                        print("| %s | %d/%d | %s | %d | %s | %s | %s | %s |" % (
                            structure, n, l, mode, threads, cell(ours), cell(reused),
                            " | ".join(cell(t) for t in peer_times), ratio))
    lists = {(r["structure"]): r["neighbour_list_us_per_atom"] for r in results if r["code"] == "swiftgap"}
    print()
    print("Fastest of %d runs, neighbour search included (SwiftGAP's cell list alone: %s µs/atom)."
          % (args.repeats, ", ".join("%s %.1f" % kv for kv in lists.items())))
    print("dscribe gradients: analytical derivatives of the same atoms without periodicity (dscribe refuses them with PBC); "
          "'-' = skipped (dense derivative array above %.1f GB). quippy: one thread only." % args.dscribe_max_gb)


if __name__ == "__main__":
    main()
