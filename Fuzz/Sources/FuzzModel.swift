// libFuzzer entry point for the model-file reader and what gap-predict does with a model.
//
// Contract checked: for any bytes, `ModelFile.decode` returns a model or throws an InputError; a
// decoded model encodes again without trapping, and predicts energy, forces and virial of two
// small fixed structures (a three-atom cluster, two atoms in a 12 Å cube) or throws an InputError
// (for example when a species has no e0). The structures are small so that the cost stays bounded
// whatever basis the model asks for; the periodic one is skipped for cutoffs above 12 Å, where
// its pair count grows as (cutoff / 12 Å)³ (a property of the input, not a defect).
import AtomicStructures
import Kernels
import ModelFiles
import Prediction
import Support

let probes: [Structure] = [
    Structure(
        atomicNumbers: [14, 14, 8],
        positions: [Vector3(0, 0, 0), Vector3(2.35, 0, 0), Vector3(0.4, 1.6, 0.3)]),
    Structure(
        atomicNumbers: [14, 14],
        positions: [Vector3(0, 0, 0), Vector3(1.3, 1.4, 1.2)],
        cell: Cell(matrix: Matrix3(rowMajor: [12, 0, 0, 0, 12, 0, 0, 0, 12]), periodic: (true, true, true))),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let model: ModelFile
    do {
        model = try ModelFile.decode(bytes, name: "fuzz.gapjson")
    } catch {
        expectInputError(error, "ModelFile.decode")
        return 0
    }
    _ = model.encoded()
    for structure in probes where !structure.cell.isFullyPeriodic || model.potential.cutoffRadius <= 12 {
        do {
            _ = try model.potential.predict(structure, forces: true, virial: structure.cell.isFullyPeriodic)
        } catch {
            expectInputError(error, "Potential.predict")
        }
    }
    return 0
}
