import AtomicStructures
import Kernels
import ModelFiles
import Prediction
import Support
#if canImport(Glibc)
import Glibc
#endif

// The C functions of include/swiftgap.h. Each validates its arguments and turns every Swift
// error into a status code and a message: nothing here traps, exits or prints.

/// The version string, in static storage (immutable, shared by all handles).
private let versionString: UnsafeMutablePointer<CChar> = strdup(swiftGAPVersion)!

/// The text of "no error" for calls without a handle.
private let emptyString: UnsafeMutablePointer<CChar> = strdup("")!

/// The ABI version of include/swiftgap.h this library implements.
let abiVersion: Int32 = 1

private func handle(_ pointer: OpaquePointer?) -> ModelHandle? {
    guard let pointer else { return nil }
    return Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
}

/// Copies `message` into a caller's buffer of `capacity` bytes, NUL-terminated, truncated at a
/// character boundary.
private func copyMessage(_ message: String, into buffer: UnsafeMutablePointer<CChar>?, capacity: Int) {
    guard let buffer, capacity > 0 else { return }
    var bytes = Array(message.utf8)
    if bytes.count > capacity - 1 {
        bytes = Array(bytes.prefix(capacity - 1))
        while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }  // a continuation byte
        if let last = bytes.last, last >= 0xC0 { bytes.removeLast() }  // a lead byte without its tail
    }
    for (i, b) in bytes.enumerated() { buffer[i] = CChar(bitPattern: b) }
    buffer[bytes.count] = 0
}

@_cdecl("swiftgap_version")
public func swiftgapVersion() -> UnsafePointer<CChar> { UnsafePointer(versionString) }

@_cdecl("swiftgap_abi_version")
public func swiftgapABIVersion() -> Int32 { abiVersion }

@_cdecl("swiftgap_model_load")
public func swiftgapModelLoad(
    _ path: UnsafePointer<CChar>?, _ model: UnsafeMutablePointer<OpaquePointer?>?,
    _ message: UnsafeMutablePointer<CChar>?, _ capacity: Int
) -> Int32 {
    model?.pointee = nil
    guard let path, let model else {
        copyMessage("swiftgap_model_load: path and model must not be NULL", into: message, capacity: capacity)
        return Status.argument.rawValue
    }
    let file = String(cString: path)
    guard access(path, R_OK) == 0 else {
        copyMessage("\(file): cannot open the model file: \(String(cString: strerror(errno)))", into: message, capacity: capacity)
        return Status.file.rawValue
    }
    do {
        let loaded = try ModelFile.load(path: file)
        let h = ModelHandle(potential: loaded.potential)
        model.pointee = OpaquePointer(Unmanaged.passRetained(h).toOpaque())
        copyMessage("", into: message, capacity: capacity)
        return Status.ok.rawValue
    } catch {
        copyMessage("\(error)", into: message, capacity: capacity)
        return Status.model.rawValue
    }
}

@_cdecl("swiftgap_model_free")
public func swiftgapModelFree(_ model: OpaquePointer?) {
    guard let model else { return }
    Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(model)).release()
}

@_cdecl("swiftgap_model_last_error")
public func swiftgapModelLastError(_ model: OpaquePointer?) -> UnsafePointer<CChar> {
    guard let h = handle(model) else { return UnsafePointer(emptyString) }
    return UnsafePointer(h.lastError)
}

@_cdecl("swiftgap_model_species_count")
public func swiftgapModelSpeciesCount(_ model: OpaquePointer?) -> Int32 {
    Int32(handle(model)?.species.count ?? 0)
}

@_cdecl("swiftgap_model_species")
public func swiftgapModelSpecies(_ model: OpaquePointer?, _ numbers: UnsafeMutablePointer<Int32>?, _ capacity: Int32) -> Int32 {
    guard let h = handle(model) else { return 0 }
    if let numbers {
        for (i, z) in h.species.prefix(max(0, Int(capacity))).enumerated() { numbers[i] = z }
    }
    return Int32(h.species.count)
}

@_cdecl("swiftgap_model_cutoff")
public func swiftgapModelCutoff(_ model: OpaquePointer?) -> Double {
    handle(model)?.potential.cutoffRadius ?? 0
}

@_cdecl("swiftgap_model_has_uncertainty")
public func swiftgapModelHasUncertainty(_ model: OpaquePointer?) -> Int32 {
    handle(model)?.potential.posteriorFactor == nil ? 0 : 1
}

@_cdecl("swiftgap_model_set_threads")
public func swiftgapModelSetThreads(_ model: OpaquePointer?, _ threads: Int32) -> Int32 {
    guard let h = handle(model) else { return Status.argument.rawValue }
    return h.run {
        guard threads >= 1 else { throw Failure(status: .argument, message: "swiftgap_model_set_threads: threads must be at least 1 (got \(threads))") }
        h.threads = Int(threads)
    }
}

/// The structure of a whole-structure call, validated.
private func structure(
    _ h: ModelHandle, function: String, count: Int64, numbers: UnsafePointer<Int32>?, positions: UnsafePointer<Double>?,
    cell: UnsafePointer<Double>?, pbc: UnsafePointer<Int32>?
) throws -> Structure {
    guard count >= 0 else { throw Failure(status: .argument, message: "\(function): n_atoms is negative (\(count))") }
    let n = Int(count)
    guard n == 0 || (numbers != nil && positions != nil) else {
        throw Failure(status: .argument, message: "\(function): atomic_numbers and positions must not be NULL")
    }
    let periodic = (0..<3).map { i in pbc.map { $0[i] != 0 } ?? false }
    if periodic.contains(true) && cell == nil {
        throw Failure(status: .argument, message: "\(function): pbc has a periodic direction but cell is NULL")
    }
    var matrix = Matrix3.zero
    if let cell {
        let values = (0..<9).map { cell[$0] }
        guard values.allSatisfy(\.isFinite) else { throw Failure(status: .structure, message: "\(function): the cell is not finite") }
        matrix = Matrix3(rowMajor: values)
    }
    let z = n == 0 ? [] : try h.atomicNumbers(numbers!, count: n)
    let r = n == 0 ? [] : try ModelHandle.positions(positions!, count: n)
    return Structure(atomicNumbers: z, positions: r, cell: Cell(matrix: matrix, periodic: (periodic[0], periodic[1], periodic[2])))
}

@_cdecl("swiftgap_compute")
public func swiftgapCompute(
    _ model: OpaquePointer?, _ count: Int64, _ numbers: UnsafePointer<Int32>?, _ positions: UnsafePointer<Double>?,
    _ cell: UnsafePointer<Double>?, _ pbc: UnsafePointer<Int32>?,
    _ energy: UnsafeMutablePointer<Double>?, _ forces: UnsafeMutablePointer<Double>?,
    _ virial: UnsafeMutablePointer<Double>?, _ atomEnergies: UnsafeMutablePointer<Double>?
) -> Int32 {
    guard let h = handle(model) else { return Status.argument.rawValue }
    return h.run {
        guard let energy else { throw Failure(status: .argument, message: "swiftgap_compute: energy must not be NULL") }
        let s = try structure(h, function: "swiftgap_compute", count: count, numbers: numbers, positions: positions, cell: cell, pbc: pbc)
        try h.checkMemory(s)
        let p = try h.potential.predictPerAtom(s, forces: forces != nil, virial: virial != nil, threads: h.threads)
        energy.pointee = p.total.energy
        if let forces { for i in 0..<(3 * s.count) { forces[i] = p.total.forces[i] } }
        if let virial { for i in 0..<9 { virial[i] = p.total.virial[i] } }
        if let atomEnergies { for i in 0..<s.count { atomEnergies[i] = p.atomEnergies[i] } }
    }
}

@_cdecl("swiftgap_compute_local")
public func swiftgapComputeLocal(
    _ model: OpaquePointer?, _ centreCount: Int64, _ count: Int64, _ numbers: UnsafePointer<Int32>?,
    _ positions: UnsafePointer<Double>?,
    _ energy: UnsafeMutablePointer<Double>?, _ forces: UnsafeMutablePointer<Double>?,
    _ virial: UnsafeMutablePointer<Double>?, _ atomEnergies: UnsafeMutablePointer<Double>?
) -> Int32 {
    guard let h = handle(model) else { return Status.argument.rawValue }
    return h.run {
        let function = "swiftgap_compute_local"
        guard let energy else { throw Failure(status: .argument, message: "\(function): energy must not be NULL") }
        guard count >= 0, centreCount >= 0, centreCount <= count else {
            throw Failure(status: .argument, message: "\(function): need 0 <= n_centres <= n_atoms (got n_centres \(centreCount), n_atoms \(count))")
        }
        let s = try structure(h, function: function, count: count, numbers: numbers, positions: positions, cell: nil, pbc: nil)
        try h.checkMemory(s)
        let wantsForces = forces != nil || virial != nil
        let p = try h.potential.predictCentres(
            centreCount: Int(centreCount), atomicNumbers: s.atomicNumbers, positions: s.positions, forces: wantsForces, threads: h.threads)
        energy.pointee = p.total.energy
        if let forces { for i in 0..<(3 * s.count) { forces[i] = p.total.forces[i] } }
        if let virial { for i in 0..<9 { virial[i] = p.total.virial[i] } }
        if let atomEnergies { for i in 0..<Int(centreCount) { atomEnergies[i] = p.atomEnergies[i] } }
    }
}

@_cdecl("swiftgap_compute_uncertainty")
public func swiftgapComputeUncertainty(
    _ model: OpaquePointer?, _ count: Int64, _ numbers: UnsafePointer<Int32>?, _ positions: UnsafePointer<Double>?,
    _ cell: UnsafePointer<Double>?, _ pbc: UnsafePointer<Int32>?,
    _ energyStd: UnsafeMutablePointer<Double>?, _ forcesStd: UnsafeMutablePointer<Double>?
) -> Int32 {
    guard let h = handle(model) else { return Status.argument.rawValue }
    return h.run {
        let function = "swiftgap_compute_uncertainty"
        guard let energyStd else { throw Failure(status: .argument, message: "\(function): energy_std must not be NULL") }
        guard h.potential.posteriorFactor != nil else {
            throw Failure(status: .unsupported, message: "\(function): the model stores no posterior factor; train it with \"uncertainty\": true")
        }
        let s = try structure(h, function: function, count: count, numbers: numbers, positions: positions, cell: cell, pbc: pbc)
        try h.checkMemory(s)
        let sd = try h.potential.standardDeviation(of: s, forces: forcesStd != nil)
        energyStd.pointee = sd.energy
        if let forcesStd { for i in 0..<(3 * s.count) { forcesStd[i] = sd.forces[i] } }
    }
}
