// libFuzzer entry point for the extended XYZ reader and what runs on every frame it returns.
//
// Contract checked: for any bytes, reading frames ends with nil or an InputError; reading the
// labels of a parsed frame ends with labels or an InputError; building a neighbour list for a
// parsed frame (few atoms, 5 Å cutoff) ends with a list or an InputError. Anything else (a trap,
// another error type, a hang, an unbounded allocation) is a finding.
import AtomicStructures
import NeighbourLists
import Support

/// Frames with more atoms than this skip the neighbour list (its cost grows with N²·images,
/// which is a property of the input, not a defect; the reader itself has no such limit).
let neighbourListAtomLimit = 16

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExtendedXYZ(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    var reader = ExtendedXYZReader(bytes: bytes, name: "fuzz.xyz")
    let keys = LabelKeys()
    while true {
        let frame: Structure?
        do { frame = try reader.next() } catch { expectInputError(error, "ExtendedXYZReader.next"); break }
        guard let structure = frame else { break }
        do { _ = try keys.labels(of: structure) } catch { expectInputError(error, "LabelKeys.labels") }
        if structure.count <= neighbourListAtomLimit {
            do { _ = try NeighbourList(structure, cutoffRadius: 5) } catch { expectInputError(error, "NeighbourList") }
        }
    }
    return 0
}
