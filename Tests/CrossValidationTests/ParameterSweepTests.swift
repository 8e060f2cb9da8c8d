import Configuration
import Support
import XCTest
@testable import CrossValidation

final class ParameterSweepTests: XCTestCase {
    func testPathsResolveAndValuesMakeValidatedConfigs() throws {
        let config = try tinyConfig()
        let sparse = try ParameterSweep.parse("descriptors[0].n_sparse=5, 10", config: config)
        XCTAssertEqual(sparse.pathDescription, "descriptors[0].n_sparse")
        XCTAssertEqual(sparse.values, ["5", "10"])
        let swept = try sparse.config(value: "10", base: config)
        guard case .soap(let t) = swept.descriptors[0] else { return XCTFail("term 0 is soap") }
        XCTAssertEqual(t.sparse.count, 10)
        XCTAssertEqual(swept.descriptors[1], config.descriptors[1])
        XCTAssertEqual(swept.defaultSigma, config.defaultSigma)

        // A bare key held by exactly one descriptor term.
        XCTAssertEqual(try ParameterSweep.parse("zeta=2,4", config: config).pathDescription, "descriptors[0].zeta")
        XCTAssertEqual(try ParameterSweep.parse("theta_uniform=0.5", config: config).pathDescription, "descriptors[1].theta_uniform")
        // Top level and nested keys.
        XCTAssertEqual(try ParameterSweep.parse("sparse_jitter=1e-8,1e-6", config: config).pathDescription, "sparse_jitter")
        let sigma = try ParameterSweep.parse("default_sigma.forces=0.05,0.2", config: config)
        XCTAssertEqual(try sigma.config(value: "0.2", base: config).defaultSigma.forces, 0.2)
        // String settings.
        let method = try ParameterSweep.parse("descriptors[0].sparse_method=fps,cur", config: config)
        guard case .soap(let f) = try method.config(value: method.values[0], base: config).descriptors[0] else { return XCTFail() }
        XCTAssertEqual(f.sparse.method, .fps)
        XCTAssertEqual(method.displayValue(method.values[0]), "fps")
    }

    func testBadSweepsAreInputErrors() throws {
        let config = try tinyConfig()
        for (text, expected) in [
            ("n_sparse=10", "occurs in descriptors[0] and descriptors[1]"),
            ("nonsense=1", "has no nonsense"),
            ("descriptors[0].n_sparse=ten", "is not one"),
            ("descriptors[0].n_sparse", "expected KEY=V1,V2"),
            ("descriptors[0].n_sparse=1,,2", "empty value"),
            ("label_keys=1", "only those can be swept"),
        ] {
            XCTAssertThrowsError(try ParameterSweep.parse(text, config: config), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(text): \(error)")
            }
        }
        // A value the config rejects is reported when the config is made (before any work).
        let sweep = try ParameterSweep.parse("descriptors[0].n_max=0", config: config)
        XCTAssertThrowsError(try sweep.config(value: "0", base: config)) { error in
            XCTAssertTrue("\(error)".contains("n_max"), "\(error)")
        }
    }
}
