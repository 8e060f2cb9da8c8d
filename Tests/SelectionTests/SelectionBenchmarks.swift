import Foundation
import LinearAlgebra
import Selection
import Support
import XCTest

/// Timings of the selections on a large synthetic descriptor matrix. Skipped unless asked for:
///
///     SWIFTGAP_SELECTION_BENCH=80000,700,4000 swift test -c release -Xswiftc -enable-testing \
///         --filter SelectionBenchmarks
///
/// (rows, features, sparse points; an optional fourth field lists the methods, e.g.
/// `cur,cur_iterative,fps,random`). Prints one line per method to stdout.
final class SelectionBenchmarks: XCTestCase {
    func testTimings() throws {
        guard let spec = ProcessInfo.processInfo.environment["SWIFTGAP_SELECTION_BENCH"] else {
            throw XCTSkip("timing run only: set SWIFTGAP_SELECTION_BENCH=rows,features,count[,methods]")
        }
        let fields = spec.split(separator: ",").map(String.init)
        guard fields.count >= 3, let rows = Int(fields[0]), let features = Int(fields[1]), let count = Int(fields[2]) else {
            return XCTFail("SWIFTGAP_SELECTION_BENCH must be rows,features,count[,methods]")
        }
        let methods = fields.count > 3 ? Array(fields[3...]) : ["cur", "cur_iterative", "fps", "random"]

        var clock = Date()
        let matrix = soapLikeMatrix(rows: rows, features: features)
        print(String(format: "matrix %d x %d generated in %.2f s", rows, features, Date().timeIntervalSince(clock)))
        for method in methods {
            clock = Date()
            let picked: [Int]
            switch method {
            case "cur": picked = try CURSelection(count: count, seed: 1).select(from: matrix)
            case "cur_top": picked = try CURSelection(count: count, variant: .topLeverage).select(from: matrix)
            case "cur_iterative": picked = try CURSelection(count: count, variant: .iterative).select(from: matrix)
            case "fps": picked = try FPSSelection(count: count).select(from: matrix)
            case "random": picked = try RandomSelection(count: count, seed: 1).select(from: matrix)
            default: return XCTFail("unknown method \(method)")
            }
            let seconds = Date().timeIntervalSince(clock)
            XCTAssertEqual(Set(picked).count, count)
            print(String(format: "%@: %d of %d x %d in %.2f s (%d threads)", method, count, rows, features, seconds,
                         ProcessInfo.processInfo.activeProcessorCount))
        }
    }

    /// Unit-length rows with non-negative entries and a decaying spectrum, like normalised SOAP
    /// power spectra of one species: |G H| row-normalised, with G Gaussian-like and H mixing.
    private func soapLikeMatrix(rows: Int, features: Int) -> FeatureMatrix {
        var rng = Xoshiro256StarStar(seed: 2024)
        func gaussian() -> Double {
            let u = max(rng.nextUnitInterval(), 1e-300), v = rng.nextUnitInterval()
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        var g = Matrix(rows: rows, columns: features)
        for j in 0..<features {
            let scale = pow(0.97, Double(j))
            for i in 0..<rows { g[i, j] = gaussian() * scale }
        }
        var h = Matrix(rows: features, columns: features)
        for k in 0..<h.storage.count { h.storage[k] = gaussian() }
        let product = g * h
        var values = [Double](repeating: 0, count: rows * features)
        for i in 0..<rows {
            var norm = 0.0
            for j in 0..<features {
                let x = abs(product[i, j]) + 0.01
                values[i * features + j] = x
                norm += x * x
            }
            let s = 1 / norm.squareRoot()
            for j in 0..<features { values[i * features + j] *= s }
        }
        return FeatureMatrix(rowCount: rows, featureCount: features, values: values)
    }
}
