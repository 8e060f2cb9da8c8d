import CLapack
#if canImport(Glibc)
import Glibc
#endif

/// The number of threads OpenBLAS uses inside each BLAS/LAPACK call.
///
/// Results depend on this number. Measured with Debian's libopenblas0-pthread 0.3.21
/// (DYNAMIC_ARCH, Haswell kernels selected on the AMD EPYC build machines; results also differ
/// between kernel sets, see ``BLASKernels``): dgemm (when K is
/// long or the shape is small), dgemv with Aᵀ, dsyrk, dtrsm, dpotrf, dgeqrf and dtpqrt give
/// results that differ in the last bits between 1 and 2 threads (and again with 4), while each
/// thread count is reproducible run to run. `OPENBLAS_NUM_THREADS` and
/// `openblas_set_num_threads` act the same way; the default is the number of cores.
///
/// So for "the same model bytes whatever the thread count", numeric code must run BLAS with
/// one thread (`BLASThreads.set(1)`) and get its parallelism from `parallelChunks` over a
/// partition that does not depend on the thread count, combining partial results in a fixed
/// order (see ``IncrementalLeastSquares/merge(_:)``). Single-threaded OpenBLAS calls made
/// concurrently from several workers are safe and give the same bits as serial calls.
public enum BLASThreads {
    /// Sets the OpenBLAS thread count (values below 1 are treated as 1).
    ///
    /// Overrides `OPENBLAS_NUM_THREADS` for the rest of the process. Call it before starting
    /// parallel work of your own: BLAS threads and `parallelChunks` workers share the cores.
    public static func set(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, min(n, Int(Int32.max)))))
    }

    /// Ends OpenBLAS's idle worker threads, for a program that makes no multi-threaded BLAS call.
    ///
    /// OpenBLAS's pthread build starts its workers when the library is loaded, and a worker
    /// without a job spins (`sched_yield`) for about 2²⁸ cycles (~0.1 s) before it sleeps: CPU
    /// taken from the program's own threads, whatever ``set(_:)`` says. A later multi-threaded
    /// call restarts the pool (OpenBLAS does so by itself, as after a fork). Call it only while
    /// no BLAS call is running on any thread; builds without the pool (OpenMP, serial) have
    /// nothing to end, found at run time.
    public static func endIdleWorkers() {
        guard let program = dlopen(nil, RTLD_NOW) else { return }
        defer { dlclose(program) }
        guard let symbol = dlsym(program, "blas_thread_shutdown_") else { return }
        typealias Shutdown = @convention(c) () -> Int32
        _ = unsafeBitCast(symbol, to: Shutdown.self)()
    }

    /// The thread count OpenBLAS currently uses.
    public static var current: Int { Int(openblas_get_num_threads()) }

    /// OpenBLAS's build description and the CPU kernels in use (``BLASKernels/summary``), e.g.
    /// "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64 / Haswell
    /// (OpenBLAS's own choice)".
    public static var libraryDescription: String {
        let config = openblas_get_config().map { String(cString: $0) } ?? "unknown OpenBLAS"
        return "\(config) / \(BLASKernels.summary)"
    }
}
