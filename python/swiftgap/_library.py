"""ctypes bindings of libSwiftGAP (include/swiftgap.h in the repository)."""
import ctypes
import os
from pathlib import Path

import numpy as np

ABI_VERSION = 1

OK = 0
STATUS_NAMES = {
    1: "argument", 2: "file", 3: "model", 4: "species", 5: "structure", 6: "memory", 7: "unsupported", 8: "internal",
}


class SwiftGAPError(RuntimeError):
    """An error reported by libSwiftGAP: `status` is the swiftgap_status code, the message its text."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.kind = STATUS_NAMES.get(status, "unknown")


def library_path() -> Path:
    """The libSwiftGAP.so this package uses: SWIFTGAP_LIBRARY if set, else the bundled one."""
    given = os.environ.get("SWIFTGAP_LIBRARY")
    return Path(given) if given else Path(__file__).resolve().parent / "libSwiftGAP.so"


def _load():
    path = library_path()
    if not path.is_file():
        raise ImportError(f"libSwiftGAP.so not found at {path}: install with `python3 -m pip install ./python` from the repository")
    lib = ctypes.CDLL(str(path))
    c_double_p = ctypes.POINTER(ctypes.c_double)
    c_int32_p = ctypes.POINTER(ctypes.c_int32)
    handle = ctypes.c_void_p
    lib.swiftgap_version.restype = ctypes.c_char_p
    lib.swiftgap_abi_version.restype = ctypes.c_int
    lib.swiftgap_model_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(handle), ctypes.c_char_p, ctypes.c_size_t]
    lib.swiftgap_model_load.restype = ctypes.c_int
    lib.swiftgap_model_free.argtypes = [handle]
    lib.swiftgap_model_free.restype = None
    lib.swiftgap_model_last_error.argtypes = [handle]
    lib.swiftgap_model_last_error.restype = ctypes.c_char_p
    lib.swiftgap_model_species_count.argtypes = [handle]
    lib.swiftgap_model_species_count.restype = ctypes.c_int
    lib.swiftgap_model_species.argtypes = [handle, c_int32_p, ctypes.c_int]
    lib.swiftgap_model_species.restype = ctypes.c_int
    lib.swiftgap_model_cutoff.argtypes = [handle]
    lib.swiftgap_model_cutoff.restype = ctypes.c_double
    lib.swiftgap_model_has_uncertainty.argtypes = [handle]
    lib.swiftgap_model_has_uncertainty.restype = ctypes.c_int
    lib.swiftgap_model_set_threads.argtypes = [handle, ctypes.c_int]
    lib.swiftgap_model_set_threads.restype = ctypes.c_int
    structure = [handle, ctypes.c_int64, c_int32_p, c_double_p, c_double_p, c_int32_p]
    lib.swiftgap_compute.argtypes = structure + [c_double_p] * 4
    lib.swiftgap_compute.restype = ctypes.c_int
    lib.swiftgap_compute_local.argtypes = [handle, ctypes.c_int64, ctypes.c_int64, c_int32_p, c_double_p] + [c_double_p] * 4
    lib.swiftgap_compute_local.restype = ctypes.c_int
    lib.swiftgap_compute_uncertainty.argtypes = structure + [c_double_p] * 2
    lib.swiftgap_compute_uncertainty.restype = ctypes.c_int
    if lib.swiftgap_abi_version() != ABI_VERSION:
        raise ImportError(f"{path} implements ABI {lib.swiftgap_abi_version()}, this package needs {ABI_VERSION}")
    return lib


LIB = _load()


def _pointer(array, ctype):
    return None if array is None else array.ctypes.data_as(ctypes.POINTER(ctype))


class Model:
    """A loaded model (a SwiftGAP .gapjson file or a gap_fit XML model), evaluated by libSwiftGAP."""

    def __init__(self, path, threads=1):
        self._handle = ctypes.c_void_p()
        message = ctypes.create_string_buffer(4096)
        status = LIB.swiftgap_model_load(os.fsencode(str(path)), ctypes.byref(self._handle), message, len(message))
        if status != OK:
            self._handle = None
            raise SwiftGAPError(status, message.value.decode("utf-8", "replace"))
        self.path = str(path)
        self.set_threads(threads)

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle:
            LIB.swiftgap_model_free(handle)
            self._handle = None

    def _check(self, status):
        if status != OK:
            raise SwiftGAPError(status, LIB.swiftgap_model_last_error(self._handle).decode("utf-8", "replace"))

    def set_threads(self, threads):
        self._check(LIB.swiftgap_model_set_threads(self._handle, int(threads)))
        self.threads = int(threads)

    @property
    def species(self):
        """Atomic numbers the model knows, ascending."""
        count = LIB.swiftgap_model_species_count(self._handle)
        numbers = np.zeros(count, dtype=np.int32)
        LIB.swiftgap_model_species(self._handle, _pointer(numbers, ctypes.c_int32), count)
        return [int(z) for z in numbers]

    @property
    def cutoff(self):
        """The model's cutoff radius, Å."""
        return LIB.swiftgap_model_cutoff(self._handle)

    @property
    def has_uncertainty(self):
        return LIB.swiftgap_model_has_uncertainty(self._handle) == 1

    @staticmethod
    def _structure(numbers, positions, cell, pbc):
        numbers = np.ascontiguousarray(numbers, dtype=np.int32)
        positions = np.ascontiguousarray(positions, dtype=np.float64).reshape(-1, 3)
        if len(numbers) != len(positions):
            raise ValueError(f"{len(numbers)} atomic numbers for {len(positions)} positions")
        pbc = np.ascontiguousarray(np.broadcast_to(np.asarray(pbc, dtype=bool), (3,)), dtype=np.int32)
        cell = None if cell is None else np.ascontiguousarray(cell, dtype=np.float64).reshape(3, 3)
        return numbers, positions, cell, pbc

    def compute(self, numbers, positions, cell=None, pbc=False, forces=True, virial=True, atom_energies=False):
        """Energy (eV), and as asked forces (N x 3, eV/Å), virial (3 x 3, eV, −dE/dε) and per-atom energies (eV)."""
        numbers, positions, cell, pbc = self._structure(numbers, positions, cell, pbc)
        n = len(numbers)
        energy = ctypes.c_double()
        f = np.zeros((n, 3)) if forces else None
        v = np.zeros((3, 3)) if virial else None
        e = np.zeros(n) if atom_energies else None
        self._check(LIB.swiftgap_compute(
            self._handle, n, _pointer(numbers, ctypes.c_int32), _pointer(positions, ctypes.c_double),
            _pointer(cell, ctypes.c_double), _pointer(pbc, ctypes.c_int32), ctypes.byref(energy),
            _pointer(f, ctypes.c_double), _pointer(v, ctypes.c_double), _pointer(e, ctypes.c_double)))
        return {"energy": energy.value, "forces": f, "virial": v, "atom_energies": e}

    def compute_local(self, centre_count, numbers, positions, forces=True, atom_energies=True):
        """Centres 0..centre_count−1 among ghost atoms: their energy, forces on every atom, virial Σ r ⊗ f."""
        numbers = np.ascontiguousarray(numbers, dtype=np.int32)
        positions = np.ascontiguousarray(positions, dtype=np.float64).reshape(-1, 3)
        n = len(numbers)
        energy = ctypes.c_double()
        f = np.zeros((n, 3)) if forces else None
        v = np.zeros((3, 3)) if forces else None
        e = np.zeros(centre_count) if atom_energies else None
        self._check(LIB.swiftgap_compute_local(
            self._handle, int(centre_count), n, _pointer(numbers, ctypes.c_int32), _pointer(positions, ctypes.c_double),
            ctypes.byref(energy), _pointer(f, ctypes.c_double), _pointer(v, ctypes.c_double), _pointer(e, ctypes.c_double)))
        return {"energy": energy.value, "forces": f, "virial": v, "atom_energies": e}

    def uncertainty(self, numbers, positions, cell=None, pbc=False, forces=True):
        """Predictive standard deviations: energy (eV) and forces (N x 3, eV/Å)."""
        numbers, positions, cell, pbc = self._structure(numbers, positions, cell, pbc)
        n = len(numbers)
        energy_std = ctypes.c_double()
        f = np.zeros((n, 3)) if forces else None
        self._check(LIB.swiftgap_compute_uncertainty(
            self._handle, n, _pointer(numbers, ctypes.c_int32), _pointer(positions, ctypes.c_double),
            _pointer(cell, ctypes.c_double), _pointer(pbc, ctypes.c_int32), ctypes.byref(energy_std), _pointer(f, ctypes.c_double)))
        return {"energy_std": energy_std.value, "forces_std": f}


def version():
    return LIB.swiftgap_version().decode()
