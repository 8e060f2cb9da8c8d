"""The ASE calculator of SwiftGAP models."""
import numpy as np
from ase.calculators.calculator import Calculator as ASECalculator
from ase.calculators.calculator import PropertyNotImplementedError, all_changes
from ase.stress import full_3x3_to_voigt_6_stress

from ._library import Model

_MAIN = ("energy", "free_energy", "forces", "stress", "energies")
_UNCERTAINTY = ("energy_std", "forces_std")


class Calculator(ASECalculator):
    """A SwiftGAP model (a .gapjson file from gap-train, or a gap_fit XML model) as an ASE calculator.

    Properties: energy and free_energy (eV, equal: the model has no electronic entropy), forces
    (eV/Å), stress (eV/Å³, ASE's sign: −virial/volume, Voigt order; periodic cells only),
    energies (per atom, eV: each atom's reference energy plus its environments' energies), and,
    for models trained with "uncertainty": true, energy_std (eV) and forces_std (eV/Å), the
    predictive standard deviations.

    threads: threads used inside one evaluation (results are identical for any count).
    """

    implemented_properties = list(_MAIN + _UNCERTAINTY)

    def __init__(self, model_path, threads=1, **kwargs):
        super().__init__(**kwargs)
        self.model = Model(model_path, threads=threads)

    @property
    def cutoff(self):
        return self.model.cutoff

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        pbc = np.asarray(atoms.pbc, dtype=bool)
        cell = atoms.cell.array if pbc.any() else None
        numbers, positions = atoms.numbers, atoms.positions
        if "stress" in properties and not pbc.all():
            raise PropertyNotImplementedError("stress needs a cell periodic in all three directions")
        if any(p in properties for p in _MAIN) or "energy" not in self.results:
            r = self.model.compute(numbers, positions, cell, pbc, forces=True, virial=bool(pbc.all()), atom_energies=True)
            self.results["energy"] = r["energy"]
            self.results["free_energy"] = r["energy"]
            self.results["forces"] = r["forces"]
            self.results["energies"] = r["atom_energies"]
            if pbc.all():
                self.results["stress"] = full_3x3_to_voigt_6_stress(-r["virial"] / atoms.get_volume())
        if any(p in properties for p in _UNCERTAINTY):
            if not self.model.has_uncertainty:
                raise PropertyNotImplementedError(
                    f"{self.model.path} stores no posterior factor: train it with \"uncertainty\": true for energy_std and forces_std")
            u = self.model.uncertainty(numbers, positions, cell, pbc, forces=True)
            self.results["energy_std"] = u["energy_std"]
            self.results["forces_std"] = u["forces_std"]
