import Parallelism
import Support
import XCTest
@testable import LinearAlgebra

final class BLASThreadsTests: XCTestCase {
    func testSetAndReadThreadCount() {
        let saved = BLASThreads.current
        defer { BLASThreads.set(saved) }
        BLASThreads.set(1)
        XCTAssertEqual(BLASThreads.current, 1)
        BLASThreads.set(0)
        XCTAssertEqual(BLASThreads.current, 1, "values below 1 mean 1")
        XCTAssertTrue(BLASThreads.libraryDescription.contains("OpenBLAS"), BLASThreads.libraryDescription)
    }

    /// With no OPENBLAS_CORETYPE, a CPU with AVX2 runs AVX2 or AVX-512 kernels: OpenBLAS's own
    /// choice when it knows the CPU model, else the set COpenBLASCore re-selected at load time
    /// (on a model newer than the library, Debian's 0.3.21 falls back to SSE3 "Prescott").
    func testKernelsMatchTheCPUsInstructions() throws {
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil {
            throw XCTSkip("OPENBLAS_CORETYPE is set: the user's choice stands")
        }
        guard let best = BLASKernels.bestForThisCPU else { throw XCTSkip("this CPU has no AVX2 and FMA") }
        let avx2OrBetter = ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids", "excavator"]
        XCTAssertTrue(avx2OrBetter.contains(BLASKernels.current.lowercased()), BLASKernels.summary)
        if let replaced = BLASKernels.replacedChoice {
            XCTAssertEqual(BLASKernels.current, best, BLASKernels.summary)
            XCTAssertFalse(avx2OrBetter.contains(replaced.lowercased()), "only a fallback is replaced")
        }
        XCTAssertTrue(BLASThreads.libraryDescription.contains(BLASKernels.current))
    }

    /// The deterministic pattern the training code relies on: single-threaded BLAS, a row
    /// partition fixed independently of the worker count, partial factors merged in chunk
    /// order. The bytes of R and of x are identical with 1 and 2 workers, and concurrent
    /// single-threaded OpenBLAS calls give the same bits as serial ones.
    func testFixedPartitionTSQRIsBitIdenticalAcrossWorkerCounts() throws {
        let saved = BLASThreads.current
        defer { BLASThreads.set(saved) }
        BLASThreads.set(1)
        var rng = SplitMix64(seed: 30)
        let a = randomMatrix(1600, 120, &rng)
        let y = randomVector(1600, &rng)
        func fit(workers: Int) throws -> (Matrix, [Double]) {
            let chunks = 8
            var partials = [IncrementalLeastSquares?](repeating: nil, count: chunks)
            partials.withUnsafeMutableBufferPointer { slots in
                parallelChunks(count: a.rows, chunkCount: chunks, threads: workers) { chunk, range in
                    var acc = IncrementalLeastSquares(columns: a.columns)
                    var start = range.lowerBound
                    while start < range.upperBound {
                        let end = min(range.upperBound, start + 64)
                        try? acc.add(rows: rowsOf(a, start..<end), targets: Array(y[start..<end]))
                        start = end
                    }
                    slots[chunk] = acc
                }
            }
            var total = IncrementalLeastSquares(columns: a.columns)
            for p in partials { total.merge(try XCTUnwrap(p)) }
            return (total.r, try total.solve())
        }
        let (r1, x1) = try fit(workers: 1)
        let (r2, x2) = try fit(workers: 2)
        XCTAssertEqual(r1.storage.map(\.bitPattern), r2.storage.map(\.bitPattern))
        XCTAssertEqual(x1.map(\.bitPattern), x2.map(\.bitPattern))
        XCTAssertLessThan(relativeDifference(x1, try solveLeastSquares(a, y)), 1e-12)
    }
}
