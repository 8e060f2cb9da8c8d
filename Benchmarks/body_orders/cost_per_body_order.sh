#!/usr/bin/env bash
# Cost per atom of each body order (values, and values + position/strain gradients), one thread,
# gap-features export on the shipped silicon data (13,233 atoms), release build; beside featomic
# computing the same invariants (its ν = 1 expansion, ν = 2 power spectrum, ν = 3 CG products;
# see featomic_cost.py) on the same frames. Run from the package root after
# `swift build -c release --product gap-features`.
set -euo pipefail
G=.build/release/gap-features
DATA=datasets/si_zuo2020/Si_train.xyz
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
common='"cutoff": 5.0, "cutoff_transition_width": 1.0, "atom_sigma": 0.5, "n_max": 6'
echo "descriptor features seconds(values) us/atom(values) seconds(+gradients) us/atom(+gradients)"
for spec in 'radial_spectrum|' 'soap|, "l_max": 4' 'bispectrum|, "l_max": 2' 'bispectrum|, "l_max": 4'; do
  type=${spec%%|*}; extra=${spec#*|}
  echo "{\"type\": \"$type\", $common$extra}" > "$TMP/d.json"
  t0=$(date +%s.%N); $G "$TMP/d.json" $DATA --output "$TMP/f.npy" --threads 1 --quiet; t1=$(date +%s.%N)
  $G "$TMP/d.json" $DATA --output "$TMP/f.npy" --gradients "$TMP/g.npz" --threads 1 --quiet; t2=$(date +%s.%N)
  features=$(python3 -c "import numpy as np; print(np.load('$TMP/f.npy', mmap_mode='r').shape[1])")
  python3 -c "a=13233; v=$t1-$t0; g=$t2-$t1; print('$type$extra'.replace('\"',''), $features, '%.2f' % v, '%.1f' % (v/a*1e6), '%.2f' % g, '%.1f' % (g/a*1e6))"
done
