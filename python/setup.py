"""Builds libSwiftGAP.so from the repository this directory sits in, and bundles it.

`python3 -m pip install ./python` runs `swift build -c release --product SwiftGAP -Xswiftc
-static-stdlib` in the repository root (a self-contained library: only libc, libstdc++ and
OpenBLAS/LAPACKE at run time) and copies the library into the package. Set SWIFTGAP_LIBRARY to
the path of an already built libSwiftGAP.so to bundle that one instead.
"""
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LIBRARY = "libSwiftGAP.so"


def built_library() -> Path:
    given = os.environ.get("SWIFTGAP_LIBRARY")
    if given:
        path = Path(given).resolve()
        if not path.is_file():
            raise SystemExit(f"SWIFTGAP_LIBRARY={given}: no such file")
        return path
    if not (ROOT / "Package.swift").is_file():
        raise SystemExit(
            f"{ROOT} is not the SwiftGAP repository (no Package.swift): install from the repository's "
            "python/ directory, or set SWIFTGAP_LIBRARY to a built libSwiftGAP.so")
    scratch = ROOT / ".build-python"
    command = ["swift", "build", "-c", "release", "--product", "SwiftGAP", "-Xswiftc", "-static-stdlib",
               "--scratch-path", str(scratch)]
    print("swiftgap: building the library:", " ".join(command), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)
    return scratch / "release" / LIBRARY


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        source = built_library()
        target = Path(self.build_lib) / "swiftgap" / LIBRARY
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        # pair_style swiftgap's sources, compiled on first use against the installed LAMMPS
        # (swiftgap/lammps_plugin.py); their one home is the repository's lammps/ and include/.
        sources = Path(self.build_lib) / "swiftgap" / "lammps_sources"
        sources.mkdir(parents=True, exist_ok=True)
        for name in ("pair_swiftgap.cpp", "pair_swiftgap.h", "swiftgap_plugin.cpp"):
            shutil.copy2(ROOT / "lammps" / name, sources / name)
        shutil.copy2(ROOT / "include" / "swiftgap.h", sources / "swiftgap.h")
        # Keep the wheel small: the symbols a debugger needs are not needed to run.
        subprocess.run(["strip", "--strip-unneeded", str(target)], check=False)


class PlatformDistribution(Distribution):
    """The wheel carries a native library: tag it for this platform, not as pure Python."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=PlatformDistribution)
