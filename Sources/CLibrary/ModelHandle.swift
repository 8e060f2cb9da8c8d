import AtomicStructures
import Kernels
import ModelFiles
import Parallelism
import Prediction
import Support
#if canImport(Glibc)
import Glibc
#endif

/// The status codes of include/swiftgap.h (`swiftgap_status`).
enum Status: Int32 {
    case ok = 0
    case argument = 1
    case file = 2
    case model = 3
    case species = 4
    case structure = 5
    case memory = 6
    case unsupported = 7
    case `internal` = 8
}

/// A failed call: its status and message.
struct Failure: Error {
    var status: Status
    var message: String
}

/// What a `swiftgap_model *` points to: the loaded potential, the thread count and the last
/// error's text. All state of the library lives here (no globals), so separate handles are
/// independent.
final class ModelHandle {
    let potential: Potential
    /// Atomic numbers the model knows, ascending.
    let species: [Int32]
    var threads = 1
    /// The last error, NUL-terminated, owned here (valid until the next call on the handle).
    private(set) var lastError: UnsafeMutablePointer<CChar>

    init(potential: Potential) {
        self.potential = potential
        species = potential.e0.keys.sorted().map { Int32($0) }
        lastError = strdup("")!
    }

    deinit { free(lastError) }

    /// Runs `body`, recording the message of a failure; returns the status.
    func run(_ body: () throws -> Void) -> Int32 {
        do {
            try body()
            setError("")
            return Status.ok.rawValue
        } catch let failure as Failure {
            setError(failure.message)
            return failure.status.rawValue
        } catch let error as InputError {
            setError(error.description)
            return Status.structure.rawValue
        } catch {
            setError("\(error)")
            return Status.internal.rawValue
        }
    }

    func setError(_ message: String) {
        free(lastError)
        lastError = strdup(message)!
    }

    /// Atomic numbers from C, checked against the model's species.
    func atomicNumbers(_ pointer: UnsafePointer<Int32>, count: Int) throws -> [Int] {
        var numbers = [Int](repeating: 0, count: count)
        for i in 0..<count {
            let z = Int(pointer[i])
            guard potential.e0[z] != nil else {
                let known = species.map { Element(atomicNumber: Int($0))?.symbol ?? "Z=\($0)" }.joined(separator: ", ")
                let name = Element(atomicNumber: z)?.symbol ?? "Z=\(z)"
                throw Failure(status: .species, message: "atom \(i + 1) is \(name), which the model was not trained on (it knows \(known))")
            }
            numbers[i] = z
        }
        return numbers
    }

    /// Positions from C, checked to be finite.
    static func positions(_ pointer: UnsafePointer<Double>, count: Int) throws -> [Vector3] {
        var positions = [Vector3](repeating: .zero, count: count)
        for i in 0..<count {
            let r = Vector3(pointer[3 * i], pointer[3 * i + 1], pointer[3 * i + 2])
            guard r.x.isFinite && r.y.isFinite && r.z.isFinite else {
                throw Failure(status: .structure, message: "the position of atom \(i + 1) is not finite (\(r.x), \(r.y), \(r.z))")
            }
            positions[i] = r
        }
        return positions
    }

    /// Refuses, before allocating, an evaluation that would need more memory than is available.
    /// Only large estimates are compared with the system's figure (reading it costs a file read).
    func checkMemory(_ structure: Structure) throws {
        let estimate = potential.predictionBytes(for: structure, threads: threads)
        guard estimate > 256 << 20, let available = availableMemoryBytes(), estimate > available else { return }
        throw Failure(
            status: .memory,
            message: "evaluating \(structure.count) atoms needs about \(estimate >> 20) MB, more than the \(available >> 20) MB available")
    }
}
