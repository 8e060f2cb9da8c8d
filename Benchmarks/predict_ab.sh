#!/bin/bash
# Paired A/B timing of prediction on a shared machine: the two gap-bench binaries run alternately
# N times on diamond512 and liquid216 (`gap-bench predict MODEL FILES --repeats 5`, the fastest of
# 5 per run); prints each binary's median and fastest µs/atom and the median (and range) of the
# paired ratios A/B (> 1: B faster). Environment for each side via ENV_A / ENV_B (for example
# ENV_B=SWIFTGAP_SOAP_KERNELS=portable). Structures from Benchmarks/soap_structures.py, in DIR.
#
#   nice -n 10 Benchmarks/predict_ab.sh BIN_A BIN_B MODEL [N] [DIR]
A=$1; B=$2; M=$3; N=${4:-8}; DIR=${5:-/work/scratch/simd}
OUT=$(mktemp)
for i in $(seq "$N"); do
  env $ENV_A "$A" predict "$M" "$DIR/diamond512.xyz" "$DIR/liquid216.xyz" --repeats 5 | awk '{print "A", $1, $(NF-1)}'
  env $ENV_B "$B" predict "$M" "$DIR/diamond512.xyz" "$DIR/liquid216.xyz" --repeats 5 | awk '{print "B", $1, $(NF-1)}'
done > "$OUT"
python3 - "$OUT" <<'PY'
import sys, collections, statistics
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    m, f, v = line.split(); d[(f.split('/')[-1], m)].append(float(v))
for f in sorted(set(k[0] for k in d)):
    a, b = d[(f, 'A')], d[(f, 'B')]
    r = [x / y for x, y in zip(a, b)]
    print(f, 'A median %.1f min %.1f | B median %.1f min %.1f | A/B paired median %.3f (%.3f-%.3f)' % (
        statistics.median(a), min(a), statistics.median(b), min(b), statistics.median(r), min(r), max(r)))
PY
rm -f "$OUT"
