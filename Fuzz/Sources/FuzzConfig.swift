// libFuzzer entry point for the JSON parser and the training-config, descriptor and split decoders.
//
// Contract checked: for any bytes, each entry point returns a value or throws an InputError.
import AtomicStructures
import Configuration
import JSON
import Support

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfiguration(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do { _ = try JSONParser.parse(bytes, fileName: "fuzz.json") } catch { expectInputError(error, "JSONParser.parse") }
    do {
        _ = try TrainingConfig.parse(bytes: bytes, name: "fuzz.json", baseDirectory: "", checkFiles: false)
    } catch {
        expectInputError(error, "TrainingConfig.parse")
    }
    do { _ = try TrainingConfig.parseSOAPDescriptor(bytes: bytes, name: "fuzz.json") } catch {
        expectInputError(error, "TrainingConfig.parseSOAPDescriptor")
    }
    // Split files (`train_split`) are JSON too. Frame files are resolved against a directory that
    // does not exist (the resolution only calls stat(2), so nothing is read or written).
    do {
        let split = try FrameSplit.parse(bytes: bytes, name: "fuzz-split.json", baseDirectory: "/nonexistent-fuzz-directory")
        for part in ["train", "test"] {
            do { _ = try split.frames(part: part) } catch { expectInputError(error, "FrameSplit.frames") }
        }
    } catch {
        expectInputError(error, "FrameSplit.parse")
    }
    return 0
}
