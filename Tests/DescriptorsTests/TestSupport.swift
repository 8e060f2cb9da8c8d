import Foundation
import XCTest
import AtomicStructures
@testable import Descriptors

/// ../shared/reference/soap next to the package root (present in CI), or nil.
func sharedSOAPReferenceDirectory() -> URL? {
    // #filePath = <package>/Tests/DescriptorsTests/TestSupport.swift
    let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let directory = package.deletingLastPathComponent().appendingPathComponent("shared/reference/soap")
    return FileManager.default.fileExists(atPath: directory.path) ? directory : nil
}

/// Loads a JSON file from ../shared/reference/soap, skipping the test if the directory is absent.
func loadSharedReference(_ name: String) throws -> [String: Any] {
    guard let directory = sharedSOAPReferenceDirectory() else {
        throw XCTSkip("../shared/reference/soap is not present next to the package; reference comparisons skipped")
    }
    let data = try Data(contentsOf: directory.appendingPathComponent(name))
    return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// Loads a committed fixture from Tests/DescriptorsTests/Fixtures.
func loadFixture(_ name: String) throws -> [String: Any] {
    let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"), "missing fixture \(name)")
    let data = try Data(contentsOf: url)
    return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
}

func doubles(_ value: Any?) -> [Double] {
    (value as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan }
}

func doubleMatrix(_ value: Any?) -> [[Double]] {
    (value as? [Any] ?? []).map { doubles($0) }
}

/// A structure from the reference files' `structure` record.
func structure(fromJSON record: [String: Any]) throws -> Structure {
    let numbers = (record["numbers"] as? [Any] ?? []).map { ($0 as? NSNumber)?.intValue ?? 0 }
    let positions = doubleMatrix(record["positions"]).map { Vector3($0[0], $0[1], $0[2]) }
    let cellRows = doubleMatrix(record["cell"])
    let pbc = (record["pbc"] as? [Any] ?? []).map { ($0 as? NSNumber)?.boolValue ?? false }
    var cell = Cell.none
    if cellRows.count == 3, pbc.count == 3 {
        cell = Cell(
            matrix: Matrix3(rows: Vector3(cellRows[0][0], cellRows[0][1], cellRows[0][2]),
                            Vector3(cellRows[1][0], cellRows[1][1], cellRows[1][2]),
                            Vector3(cellRows[2][0], cellRows[2][1], cellRows[2][2])),
            periodic: (pbc[0], pbc[1], pbc[2]))
    }
    return Structure(atomicNumbers: numbers, positions: positions, cell: cell)
}

/// Reference descriptor data in our layout: dense values per row, and gradients folded per
/// (row, atom) into [α][feature].
struct ReferenceDescriptor {
    var values: [[Double]]
    var gradients: [Int: [Int: [[Double]]]] = [:]
}

/// Folds QUIP-style gradient rows (one per neighbour image) into per-(row, atom) sums, keeping the
/// first `featureCount` features (QUIP's trailing covariance_sigma0 element is dropped).
func foldQuippy(data: [[Double]], gradData: [Any]?, gradIndex: [[Double]]?, featureCount: Int) -> ReferenceDescriptor {
    var result = ReferenceDescriptor(values: data.map { Array($0.prefix(featureCount)) })
    guard let gradData, let gradIndex else { return result }
    for (rowIndex, block) in gradData.enumerated() {
        let matrix = doubleMatrix(block)
        let descriptor = Int(gradIndex[rowIndex][0]), atom = Int(gradIndex[rowIndex][1])
        var current = result.gradients[descriptor, default: [:]][atom, default: Array(repeating: Array(repeating: 0, count: featureCount), count: 3)]
        for alpha in 0..<3 {
            for k in 0..<featureCount { current[alpha][k] += matrix[alpha][k] }
        }
        result.gradients[descriptor, default: [:]][atom] = current
    }
    return result
}

/// Max |ours − reference| / max |reference| for values, and the same for gradients (all entries;
/// an entry missing on one side counts as zero there).
func relativeErrors(_ ours: DescriptorValues, _ reference: ReferenceDescriptor) -> (values: Double, gradients: Double) {
    let f = ours.featureCount
    var maxDiff = 0.0, maxRef = 0.0
    for r in 0..<ours.rowCount {
        for k in 0..<f {
            maxDiff = max(maxDiff, abs(ours.values[r * f + k] - reference.values[r][k]))
            maxRef = max(maxRef, abs(reference.values[r][k]))
        }
    }
    var maxGradDiff = 0.0, maxGradRef = 0.0
    if ours.hasGradients {
        for r in 0..<ours.rowCount {
            var seen = Set<Int>()
            for e in ours.gradientOffsets[r]..<ours.gradientOffsets[r + 1] {
                let atom = Int(ours.gradientAtoms[e])
                seen.insert(atom)
                let ref = reference.gradients[r]?[atom]
                for alpha in 0..<3 {
                    for k in 0..<f {
                        let mine = ours.gradientValues[(e * 3 + alpha) * f + k]
                        let theirs = ref?[alpha][k] ?? 0
                        maxGradDiff = max(maxGradDiff, abs(mine - theirs))
                        maxGradRef = max(maxGradRef, abs(theirs))
                    }
                }
            }
            for (atom, ref) in reference.gradients[r] ?? [:] where !seen.contains(atom) {
                for alpha in 0..<3 { for k in 0..<f { maxGradDiff = max(maxGradDiff, abs(ref[alpha][k])) } }
            }
        }
    }
    return (maxDiff / max(maxRef, .leastNormalMagnitude), maxGradDiff / max(maxGradRef, .leastNormalMagnitude))
}

/// Dense gradient of row r with respect to atom k ([α][feature]), zero if absent.
func gradient(_ d: DescriptorValues, row: Int, atom: Int) -> [[Double]] {
    let f = d.featureCount
    var out = Array(repeating: Array(repeating: 0.0, count: f), count: 3)
    for e in d.gradientOffsets[row]..<d.gradientOffsets[row + 1] where Int(d.gradientAtoms[e]) == atom {
        for alpha in 0..<3 { for k in 0..<f { out[alpha][k] += d.gradientValues[(e * 3 + alpha) * f + k] } }
    }
    return out
}

/// SOAP hyper-parameters from a fixture's `hypers` record (gap_fit names).
func hyperparameters(fromJSON h: [String: Any]) throws -> SOAPHyperparameters {
    func number(_ key: String) throws -> Double { try XCTUnwrap((h[key] as? NSNumber)?.doubleValue, key) }
    func integers(_ key: String) -> [Int] { (h[key] as? [Any] ?? []).map { ($0 as? NSNumber)?.intValue ?? 0 } }
    var scaling: RadialScaling?
    if let s = h["radial_scaling"] as? [String: Any] {
        scaling = RadialScaling(
            c: (s["c"] as? NSNumber)?.doubleValue ?? .nan, r0: (s["r0"] as? NSNumber)?.doubleValue ?? .nan,
            m: (s["m"] as? NSNumber)?.doubleValue ?? .nan)
    }
    return SOAPHyperparameters(
        cutoffRadius: try number("cutoff"), cutoffTransitionWidth: try number("cutoff_transition_width"),
        nMax: Int(try number("n_max")), lMax: Int(try number("l_max")), atomSigma: try number("atom_sigma"),
        centralWeight: try number("central_weight"), normalise: (h["normalise"] as? NSNumber)?.boolValue ?? true,
        neighbourSpecies: integers("species_Z"), centreSpecies: integers("Z"), radialScaling: scaling)
}

/// A fixture written by Fixtures/make_quippy_fixtures.py, in our layout.
func quippyFixture(_ name: String) throws -> (structure: Structure, hyperparameters: SOAPHyperparameters, centres: [Int], featureDimension: Int, reference: ReferenceDescriptor) {
    let record = try loadFixture(name)
    let structure = try structure(fromJSON: try XCTUnwrap(record["structure"] as? [String: Any]))
    let h = try hyperparameters(fromJSON: try XCTUnwrap(record["hypers"] as? [String: Any]))
    let dimension = try XCTUnwrap((record["feature_dim"] as? NSNumber)?.intValue)
    let centres = (record["centres"] as? [Any] ?? []).map { ($0 as? NSNumber)?.intValue ?? -1 }
    var reference = ReferenceDescriptor(values: doubleMatrix(record["values"]).map { Array($0.prefix(dimension - 1)) })
    for item in record["gradients"] as? [Any] ?? [] {
        let entry = try XCTUnwrap(item as? [String: Any])
        let row = try XCTUnwrap((entry["row"] as? NSNumber)?.intValue)
        let atom = try XCTUnwrap((entry["atom"] as? NSNumber)?.intValue)
        reference.gradients[row, default: [:]][atom] = doubleMatrix(entry["values"]).map { Array($0.prefix(dimension - 1)) }
    }
    return (structure, h, centres, dimension, reference)
}

/// Max |a − b| / max |a| (the counts must agree).
func maxRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
    XCTAssertEqual(a.count, b.count)
    var diff = 0.0, scale = 0.0
    for k in 0..<min(a.count, b.count) {
        diff = max(diff, abs(a[k] - b[k]))
        scale = max(scale, abs(a[k]))
    }
    return diff / max(scale, .leastNormalMagnitude)
}
