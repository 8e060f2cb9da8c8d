// libFuzzer entry point for the model-file reader (what gap-predict runs on a model file).
//
// Contract checked: for any bytes, `ModelFile.decode` returns a model or throws an InputError,
// and a decoded model encodes again without trapping.
import AtomicStructures
import ModelFiles

@inline(never)
func expectInputError(_ error: Error, _ stage: String) {
    guard error is InputError else {
        fatalError("\(stage) threw \(type(of: error)), not InputError: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        let model = try ModelFile.decode(bytes, name: "fuzz.gapjson")
        _ = model.encoded()
    } catch {
        expectInputError(error, "ModelFile.decode")
    }
    return 0
}
