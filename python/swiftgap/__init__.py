"""SwiftGAP models in Python: an ASE calculator over libSwiftGAP.

    from swiftgap import Calculator
    atoms.calc = Calculator("model-si-zuo2020.gapjson")

`Model` is the thin layer over the C library (include/swiftgap.h) the calculator uses.
"""
from ._library import Model, SwiftGAPError, library_path, version
from .calculator import Calculator

__all__ = ["Calculator", "Model", "SwiftGAPError", "library_path", "version"]
__version__ = "0.1.0"
