#if canImport(Glibc)
import Glibc
#endif

/// The communicator of this process: MPI_COMM_WORLD when the package was built with the trait
/// MPI and the process was started by `mpirun` (or another PMIx launcher), else a single process.
///
/// A process started without a launcher never initialises MPI, so an MPI build runs as a plain
/// single process where MPI is not set up.
public enum DistributedRun {
    nonisolated(unsafe) private static var started: (any Communicator)?

    /// Whether this build can run on MPI (package trait MPI).
    public static var isAvailable: Bool {
        #if MPI
        return true
        #else
        return false
        #endif
    }

    /// Whether a launcher started this process as a rank of a job.
    public static var launchedByMPI: Bool {
        let names: [String] = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"]
        return names.contains { getenv($0) != nil }
    }

    /// Starts (once) and returns this process's communicator. Call from the main thread.
    public static func world() -> any Communicator {
        if let started { return started }
        var world: any Communicator = SingleProcess()
        #if MPI
        if launchedByMPI { world = MPIWorld.start() }
        #endif
        started = world
        return world
    }

    /// Finishes MPI (MPI_Finalize) if it was started; call once before a normal exit.
    public static func finish() {
        #if MPI
        (started as? MPIWorld)?.finish()
        #endif
    }

    /// The job size the launcher announces (1 without a launcher), whether or not MPI is built in.
    public static var launcherRanks: Int {
        for name in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] {
            if let value = getenv(name), let n = Int(String(cString: value)), n > 0 { return n }
        }
        return 1
    }

    /// Ranks of this job on this machine (from the launcher; 1 without one), to share its cores.
    public static var localRanks: Int {
        for name in ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"] {
            if let value = getenv(name), let n = Int(String(cString: value)), n > 0 { return n }
        }
        return 1
    }

    static func clock() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
