import Foundation
import TestSupport
import XCTest

/// `gap-bench blas`: what a benchmark records about the BLAS kernels, and that a user's
/// OPENBLAS_CORETYPE always wins over the load-time re-selection.
final class GapBenchBLASCommandTests: XCTestCase {
    func record(environment: [String: String]) throws -> [String: Any] {
        let run = try runTool("gap-bench", ["blas", "--json"], environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    func testUsersCoreTypeIsRespected() throws {
        let forced = try record(environment: ["OPENBLAS_CORETYPE": "Prescott"])
        XCTAssertEqual(forced["kernels"] as? String, "Prescott")
        XCTAssertTrue(forced["replaced"] is NSNull, "a user's choice is never replaced")
        XCTAssertTrue((forced["library"] as? String)?.contains("OPENBLAS_CORETYPE is set") == true)
    }

    func testDefaultKernelsAreAVX2OrBetterWhenTheCPUHasIt() throws {
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil {
            throw XCTSkip("OPENBLAS_CORETYPE is set in the test environment")
        }
        let own = try record(environment: ["SWIFTGAP_TEST_MARKER": "1"])
        guard let best = own["best_for_cpu"] as? String else { throw XCTSkip("this CPU has no AVX2 and FMA") }
        let kernels = try XCTUnwrap(own["kernels"] as? String)
        XCTAssertTrue(["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids", "excavator"].contains(kernels.lowercased()),
                      "\(own)")
        if !(own["replaced"] is NSNull) { XCTAssertEqual(kernels, best) }
    }
}
