#!/usr/bin/env bash
# GFRE of a descriptor with n_max radial functions (QUIP or optimal basis) against a converged
# one (QUIP basis, n_max 12) of the same body order, on the shipped silicon data: the shape of
# Goscinski et al. 2021's silicon figures. Run from the package root after
# `swift build -c release --product gap-features`; prints a table (one line per point).
# Usage: bash Benchmarks/body_orders/gfre_vs_nmax.sh [ENVIRONMENTS]
set -euo pipefail
G=.build/release/gap-features
DATA=datasets/si_zuo2020/Si_train.xyz
N=${1:-2000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
common='"cutoff": 5.0, "cutoff_transition_width": 1.0, "atom_sigma": 0.5'
declare -A LMAX=([radial_spectrum]="" [soap]=', "l_max": 4' [bispectrum]=', "l_max": 2')
echo "type basis n_max features GFRE(A->ref) GFRE(ref->A) GFRD(A->ref)"
for type in radial_spectrum soap bispectrum; do
  ref_n=12; [ "$type" = bispectrum ] && ref_n=8
  echo "{\"type\": \"$type\", $common, \"n_max\": $ref_n${LMAX[$type]}}" > "$TMP/ref.json"
  for n in 1 2 3 4 6 8; do
    for basis in gap optimal; do
      extra=""; [ "$basis" = optimal ] && extra=", \"radial_basis\": \"optimal\", \"n_max_primitive\": $ref_n"
      echo "{\"type\": \"$type\", $common, \"n_max\": $n${LMAX[$type]}$extra}" > "$TMP/a.json"
      out=$($G compare "$TMP/a.json" "$TMP/ref.json" $DATA --environments $N --json --quiet)
      python3 -c "import json,sys; d=json.loads(sys.argv[1]); print('$type', '$basis', $n, d['a']['features'], '%.4f' % d['gfre_a_to_b'], '%.4f' % d['gfre_b_to_a'], '%.4f' % d['gfrd_a_to_b'])" "$out"
    done
  done
done
