#!/bin/bash
# A/B of CSOAPKernels' swiftgap_soap_pair_gradients: OLD (a copy of soap_kernels.c, e.g. from
# main: `git show main:Sources/CSOAPKernels/soap_kernels.c > old.c`) against the worktree's,
# on random inputs in L1 (n_max, l_max as arguments): outputs compared bit for bit, then ns per pair.
#   cd Benchmarks/pair_gradients_ab && git show main:Sources/CSOAPKernels/soap_kernels.c > old.c
#   bash build.sh && nice -n -15 ./harness 10 12
set -e
cd "$(dirname "$0")"
ROOT=../..
CC=${CC:-/opt/swift/usr/bin/clang}
I=$ROOT/Sources/CSOAPKernels/include
$CC -O3 -I$I -c old.c -o old.o
objcopy $(nm old.o | awk '/ T swiftgap/{print "--redefine-sym " $3 "=old_" $3}') old.o
$CC -O3 -I$I -c $ROOT/Sources/CSOAPKernels/soap_kernels.c -o new.o
$CC -O3 harness.c old.o new.o -o harness -lm
