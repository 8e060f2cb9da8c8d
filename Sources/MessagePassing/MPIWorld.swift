#if MPI
import CMPI
#if canImport(Glibc)
import Glibc
#endif

/// MPI_COMM_WORLD of a job started by `mpirun` (package trait MPI).
///
/// MPI is initialised with MPI_THREAD_FUNNELED: worker threads compute, only the thread that
/// started MPI communicates. Messages go in pieces of at most 1 GiB, so sizes are 64-bit.
public final class MPIWorld: Communicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    private var counters = CommunicationTraffic()
    private static let pieceBytes = 1 << 30

    private init(rank: Int, size: Int) {
        self.rank = rank
        self.size = size
    }

    /// Initialises MPI once; call ``finish()`` before the process exits normally.
    static func start() -> MPIWorld {
        var provided: Int32 = 0
        var argc: Int32 = 0
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        guard MPI_Init_thread(&argc, &argv, swiftgap_mpi_thread_funneled(), &provided) == swiftgap_mpi_success() else {
            fputs("error: MPI_Init_thread failed\n", stderr)
            exit(1)
        }
        var rank: Int32 = 0, size: Int32 = 1
        MPI_Comm_rank(swiftgap_mpi_comm_world(), &rank)
        MPI_Comm_size(swiftgap_mpi_comm_world(), &size)
        return MPIWorld(rank: Int(rank), size: Int(size))
    }

    /// MPI_Finalize.
    func finish() { MPI_Finalize() }

    public var traffic: CommunicationTraffic { counters }

    private func timed(_ body: () throws -> Void) rethrows {
        let start = DistributedRun.clock()
        try body()
        counters.seconds += DistributedRun.clock() - start
    }

    private func check(_ status: Int32, _ call: String) throws {
        guard status == swiftgap_mpi_success() else {
            throw CommunicationError(message: "\(call) failed on rank \(rank) (MPI error \(status))")
        }
    }

    /// Runs `body` on consecutive pieces of at most 1 GiB: (offset, length).
    private func pieces(_ count: Int, _ body: (Int, Int32) throws -> Void) rethrows {
        var offset = 0
        repeat {
            let length = min(MPIWorld.pieceBytes, count - offset)
            try body(offset, Int32(length))
            offset += length
        } while offset < count
    }

    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int) throws {
        try timed {
            try pieces(bytes.count) { offset, length in
                try check(MPI_Bcast(bytes.baseAddress.map { $0 + offset }, length, swiftgap_mpi_byte(), Int32(root), swiftgap_mpi_comm_world()), "MPI_Bcast")
            }
        }
        if rank == root { counters.bytesSent += bytes.count * (size - 1) } else { counters.bytesReceived += bytes.count }
    }

    public func send(_ bytes: UnsafeRawBufferPointer, to destination: Int) throws {
        try timed {
            try pieces(bytes.count) { offset, length in
                try check(MPI_Send(bytes.baseAddress.map { $0 + offset }, length, swiftgap_mpi_byte(), Int32(destination), 0, swiftgap_mpi_comm_world()), "MPI_Send")
            }
        }
        counters.bytesSent += bytes.count
    }

    public func receive(_ bytes: UnsafeMutableRawBufferPointer, from source: Int) throws {
        try timed {
            try pieces(bytes.count) { offset, length in
                try check(MPI_Recv(bytes.baseAddress.map { $0 + offset }, length, swiftgap_mpi_byte(), Int32(source), 0, swiftgap_mpi_comm_world(), swiftgap_mpi_status_ignore()), "MPI_Recv")
            }
        }
        counters.bytesReceived += bytes.count
    }

    public func sum(_ values: [Int64]) throws -> [Int64] {
        var result = [Int64](repeating: 0, count: values.count)
        try timed {
            try values.withUnsafeBufferPointer { input in
                try result.withUnsafeMutableBufferPointer { output in
                    try check(MPI_Allreduce(input.baseAddress, output.baseAddress, Int32(values.count), swiftgap_mpi_int64(), swiftgap_mpi_sum(), swiftgap_mpi_comm_world()), "MPI_Allreduce")
                }
            }
        }
        counters.bytesSent += values.count * 8
        counters.bytesReceived += values.count * 8
        return result
    }

    public func barrier() throws {
        try timed { try check(MPI_Barrier(swiftgap_mpi_comm_world()), "MPI_Barrier") }
    }

    public func abort(status: Int32) -> Never {
        MPI_Abort(swiftgap_mpi_comm_world(), status)
        exit(status)
    }
}
#endif
