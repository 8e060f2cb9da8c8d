import AtomicStructures
import OrderedCollections
import XCTest
@testable import DataAudit

/// Builds test frames: a cubic cell of silicon-like atoms with optional labels.
func frame(
    positions: [Vector3], cell: Double? = 10, energy: Double? = nil, forces: [Vector3]? = nil,
    configType: String? = nil, file: String = "test.xyz", index: Int = 0, distinct: Bool = true,
    extraInfo: [(String, InfoValue)] = [], extraArrays: [PerAtomProperty] = []
) -> Structure {
    // Frames are translated by 0.01 Å per index so that they are not duplicates of each other, and
    // their forces scaled by 1 + 0.01 index so that they do not share labels (`copied-labels`).
    let offset = Vector3(distinct ? 0.01 * Double(index) : 0, 0, 0)
    let forces = forces.map { f in distinct ? f.map { $0 * (1 + 0.01 * Double(index)) } : f }
    var s = Structure(
        atomicNumbers: Array(repeating: 14, count: positions.count), positions: positions.map { $0 + offset },
        cell: cell.map { a in Cell(matrix: Matrix3(rows: Vector3(a, 0, 0), Vector3(0, a, 0), Vector3(0, 0, a)), periodic: (true, true, true)) } ?? .none,
        source: SourceLocation(file: file, frameIndex: index, line: 1 + 10 * index))
    if let energy { s.info["dft_energy"] = .real(energy) }
    if let configType { s.info["config_type"] = .string(configType) }
    for (k, v) in extraInfo { s.info[k] = v }
    if let forces {
        s.arrays["dft_force"] = PerAtomProperty(name: "dft_force", columns: 3, values: .reals(forces.flatMap { [$0.x, $0.y, $0.z] }))
    }
    for a in extraArrays { s.arrays[a.name] = a }
    return s
}

/// Four well-separated atoms.
let square: [Vector3] = [Vector3(0, 0, 0), Vector3(2.5, 0, 0), Vector3(0, 2.5, 0), Vector3(2.5, 2.5, 1)]
/// Forces summing to zero exactly.
let balanced: [Vector3] = [Vector3(1, -2, 0.5), Vector3(-1, 2, -0.5), Vector3(0.25, 0, 3), Vector3(-0.25, 0, -3)]

func audit(_ frames: [Structure], options: AuditOptions = AuditOptions()) throws -> AuditReport {
    var auditor = try DatasetAuditor(options: options)
    for f in frames { auditor.inspect(f) }
    return auditor.finish()
}

final class AuditTests: XCTestCase {
    func testCleanFramesHaveNoFindings() throws {
        let report = try audit([frame(positions: square, energy: -20, forces: balanced)])
        XCTAssertEqual(report.findings, [])
        XCTAssertFalse(report.hasErrors)
        XCTAssertEqual(report.frameCount, 1)
        XCTAssertTrue(report.formatted().contains("checked 1 frame in 1 file: 0 errors, 0 warnings"))
    }

    func testNonFiniteValuesAreErrors() throws {
        var forces = balanced
        forces[2].y = .nan
        var badPosition = square
        badPosition[1].z = .infinity
        var badCell = frame(positions: square, energy: -20, forces: balanced, index: 3)
        badCell.cell.matrix[1, 1] = .nan
        let frames = [
            frame(positions: square, energy: -20, forces: forces, index: 0),
            frame(positions: badPosition, energy: -20, forces: balanced, index: 1),
            frame(positions: square, energy: .nan, forces: balanced, index: 2),
            badCell,
            frame(positions: square, energy: -20, forces: balanced, index: 4, extraInfo: [("dft_virial", .reals([1, 0, 0, 0, .infinity, 0, 0, 0, 1]))]),
        ]
        let report = try audit(frames)
        let nonFinite = report.findings.filter { $0.check == "non-finite" }
        XCTAssertEqual(nonFinite.map(\.frame), [0, 1, 2, 3, 4])
        XCTAssertTrue(nonFinite.allSatisfy { $0.severity == .error })
        XCTAssertTrue(nonFinite[0].message.contains("dft_force"))
        XCTAssertTrue(nonFinite[0].message.contains("atom 3 (line 5)"), nonFinite[0].message)  // frame line 1, comment line 2, atom 3 on line 5
        XCTAssertTrue(nonFinite[1].message.hasPrefix("pos:"))
        XCTAssertTrue(nonFinite[2].message.hasPrefix("dft_energy:"))
        XCTAssertTrue(nonFinite[3].message.hasPrefix("Lattice:"))
        XCTAssertTrue(report.hasErrors)
        // Non-finite geometry skips the geometric checks instead of failing them.
        XCTAssertFalse(report.findings.contains { $0.check == "overlap" || $0.check == "cell" })
    }

    func testOverlappingAtomsAndImagesAreErrors() throws {
        var close = square
        close[3] = Vector3(0.1, 0.2, 0.05)  // 0.229 Å from atom 1
        let report = try audit([frame(positions: close, energy: -20, forces: balanced)])
        let overlap = try XCTUnwrap(report.findings.first { $0.check == "overlap" })
        XCTAssertEqual(overlap.severity, .error)
        XCTAssertTrue(overlap.message.contains("1 pair of atoms closer than 0.5 Å"), overlap.message)
        XCTAssertTrue(overlap.message.contains("atom 1 (line 3) and atom 4 (line 6)"), overlap.message)
        XCTAssertTrue(overlap.message.contains("0.229129 Å"), overlap.message)

        // Across the periodic boundary: 0.3 Å apart through the x face.
        let acrossBoundary = [Vector3(0.1, 5, 5), Vector3(9.8, 5, 5)]
        let images = try audit([frame(positions: acrossBoundary, energy: -10, forces: [.zero, .zero])])
        let imageOverlap = try XCTUnwrap(images.findings.first { $0.check == "overlap" })
        XCTAssertTrue(imageOverlap.message.contains("periodic image"), imageOverlap.message)
        XCTAssertTrue(imageOverlap.message.contains("0.3 Å"), imageOverlap.message)

        // An atom and its own image in a 0.4 Å cell.
        let tiny = try audit([frame(positions: [.zero], cell: 0.4, energy: -1, forces: [.zero])])
        XCTAssertTrue(tiny.findings.contains { $0.check == "overlap" && $0.message.contains("its own periodic image") })
        XCTAssertTrue(tiny.findings.contains { $0.check == "tiny-volume" && $0.severity == .warning })

        // The threshold is configurable.
        let spaced = [Vector3(0, 0, 0), Vector3(0.6, 0, 0)]
        XCTAssertEqual(try audit([frame(positions: spaced, energy: -10, forces: [.zero, .zero])]).findings, [])
        let strict = try audit([frame(positions: spaced, energy: -10, forces: [.zero, .zero])], options: AuditOptions(minimumDistance: 0.7))
        XCTAssertEqual(strict.findings.map(\.check), ["overlap"])
    }

    func testSingularPeriodicCellIsAnError() throws {
        var s = frame(positions: square, energy: -20, forces: balanced)
        s.cell.matrix = Matrix3(rows: Vector3(3, 0, 0), Vector3(6, 0, 0), Vector3(0, 0, 3))
        let report = try audit([s])
        XCTAssertEqual(report.findings.map(\.check), ["tiny-volume", "cell"])
        XCTAssertEqual(report.findings.last?.severity, .error)
        XCTAssertTrue(report.findings.last?.message.hasPrefix("Lattice:") ?? false)
    }

    func testNetForceThreshold() throws {
        // 100 atoms on a grid, forces of RMS ~1 eV/Å summing to zero, then with one atom's force zeroed.
        var positions: [Vector3] = []
        for x in 0..<5 { for y in 0..<5 { for z in 0..<4 { positions.append(Vector3(2.0 * Double(x), 2.0 * Double(y), 2.5 * Double(z))) } } }
        var forces = (0..<100).map { k -> Vector3 in
            let x = Double(k)
            return Vector3(sin(x), cos(2 * x), sin(3 * x + 1))
        }
        let mean = forces.reduce(.zero, +) / 100
        forces = forces.map { $0 - mean }
        // Tolerance = √100 · max(0.01, 0.01 · F_rms) ≈ 0.1 eV/Å; noise of 0.005 eV/Å per atom stays below.
        let noisy = forces.enumerated().map { $0.element + Vector3($0.offset % 2 == 0 ? 0.005 : -0.004, 0, 0) }
        XCTAssertEqual(try audit([frame(positions: positions, energy: -500, forces: noisy)]).findings, [])
        // Forces of two "fixed" atoms zeroed, as some workflows do: caught.
        var zeroed = forces
        zeroed[7] = .zero
        zeroed[8] = .zero
        XCTAssertGreaterThan(length(forces[7] + forces[8]), 0.5)
        let report = try audit([frame(positions: positions, energy: -500, forces: zeroed)])
        XCTAssertEqual(report.findings.map(\.check), ["net-force"])
        XCTAssertEqual(report.findings.first?.severity, .warning)
        // A deterministic large net force.
        var shifted = forces
        shifted[0] += Vector3(0, 0, 2)
        let net = try audit([frame(positions: positions, energy: -500, forces: shifted)])
        XCTAssertEqual(net.findings.map(\.check), ["net-force"])
        XCTAssertTrue(net.findings[0].message.contains("|ΣF| = 2 eV/Å"), net.findings[0].message)
        XCTAssertFalse(net.hasErrors)
    }

    func testEnergyOutliersByConfigType() throws {
        var frames: [Structure] = []
        for k in 0..<30 {
            // Per-atom energies near -5.4 eV with a spread of ~10 meV, two config types.
            let perAtom = -5.4 + 0.01 * sin(Double(k))
            frames.append(frame(positions: square, energy: 4 * perAtom, forces: balanced, configType: k % 2 == 0 ? "dia" : "liq", index: k))
        }
        // A frame in Rydberg (×1/13.6...) style units: wildly off for its type.
        frames[17].info["dft_energy"] = .real(4 * -5.4 / 13.605693)
        // A type with only 3 frames is not tested, however spread out.
        for k in 30..<33 { frames.append(frame(positions: square, energy: Double(k) * -10, forces: balanced, configType: "rare", index: k)) }
        let report = try audit(frames)
        XCTAssertEqual(report.findings.map(\.check), ["energy-outlier"])
        let outlier = report.findings[0]
        XCTAssertEqual(outlier.frame, 17)
        XCTAssertEqual(outlier.severity, .warning)
        XCTAssertTrue(outlier.message.contains("config type liq"), outlier.message)
        XCTAssertFalse(report.hasErrors)

        // Identical energies (MAD = 0): the 1 meV/atom floor keeps tiny differences quiet.
        var flat = (0..<10).map { frame(positions: square, energy: -21.6, forces: balanced, index: $0) }
        flat[4].info["dft_energy"] = .real(-21.6 + 4 * 0.015)  // 15 meV/atom: z = 15
        XCTAssertEqual(try audit(flat).findings, [])
        flat[4].info["dft_energy"] = .real(-21.6 + 4 * 0.025)  // 25 meV/atom: z = 25
        XCTAssertEqual(try audit(flat).findings.map(\.frame), [4])
    }

    func testFramesWithoutConfigTypeAreGroupedPerFile() throws {
        var frames: [Structure] = []
        for k in 0..<10 { frames.append(frame(positions: square, energy: -20 - 0.001 * Double(k), forces: balanced, file: "a.xyz", index: k)) }
        for k in 0..<5 { frames.append(frame(positions: square.map { 1.1 * $0 }, energy: -80 - 0.001 * Double(k), forces: balanced.map { 2 * $0 }, file: "b.xyz", index: k)) }
        XCTAssertEqual(try audit(frames).findings, [])
        // The same frames under one config type form one group, where b's frames stand out.
        let typed = frames.map { f -> Structure in
            var t = f
            t.info["config_type"] = .string("bulk")
            return t
        }
        XCTAssertEqual(try audit(typed).findings.map(\.file), Array(repeating: "b.xyz", count: 5))
    }

    func testLabelProblems() throws {
        let twoColumns = PerAtomProperty(name: "forces", columns: 2, values: .reals(Array(repeating: 0, count: 8)))
        let shortColumn = PerAtomProperty(name: "charges", columns: 1, values: .reals([1, 2, 3]))
        let frames = [
            frame(positions: square, energy: nil, forces: balanced, index: 0),
            frame(positions: square, energy: nil, forces: nil, index: 1, extraInfo: [("gap_energy", .real(-3))]),
            frame(positions: square, energy: -20, forces: nil, index: 2, extraArrays: [twoColumns]),
            frame(positions: square, energy: -20, forces: balanced, index: 3, extraArrays: [shortColumn]),
            frame(positions: square, energy: -20, forces: balanced, index: 4, extraInfo: [("dft_virial", .reals([1, 2, 3, 0, 1, 0, 0, 0, 1]))]),
            frame(positions: [], energy: 0, forces: [], index: 5),
        ]
        let report = try audit(frames)
        XCTAssertEqual(report.findings.map(\.check), ["forces-without-energy", "no-labels", "labels", "shape", "asymmetric-virial", "empty-frame"])
        XCTAssertEqual(report.findings.map(\.frame), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(report.findings.map(\.severity), [.warning, .warning, .error, .error, .warning, .warning])
        XCTAssertTrue(report.findings[1].message.contains("gap_energy"), "lists the keys that are present")
        XCTAssertTrue(report.findings[2].message.hasPrefix("forces:"), report.findings[2].message)
    }

    func testCustomKeysReplaceDefaults() throws {
        var s = frame(positions: square, energy: nil, forces: nil)
        s.info["my_e"] = .real(-20)
        s.arrays["my_f"] = PerAtomProperty(name: "my_f", columns: 3, values: .reals(balanced.flatMap { [$0.x, $0.y, $0.z] }))
        XCTAssertEqual(try audit([s]).findings.map(\.check), ["no-labels"])
        let keys = LabelKeys(energy: ["my_e"], forces: ["my_f"])
        XCTAssertEqual(try audit([s], options: AuditOptions(labelKeys: keys)).findings, [])
    }

    func testExactDuplicates() throws {
        let a = frame(positions: square, energy: -20, forces: balanced, file: "one.xyz", index: 0, distinct: false)
        let b = frame(positions: square, energy: -20, forces: balanced, file: "one.xyz", index: 1, distinct: false)
        let c = frame(positions: square, energy: -20.5, forces: balanced, file: "two.xyz", index: 0, distinct: false)
        var nearly = square
        nearly[2].y = nearly[2].y.nextUp
        let d = frame(positions: nearly, energy: -20, forces: balanced, file: "two.xyz", index: 1, distinct: false)
        var otherSpecies = frame(positions: square, energy: -20, forces: balanced, file: "two.xyz", index: 2, distinct: false)
        otherSpecies.atomicNumbers[0] = 6
        let otherCell = frame(positions: square, cell: 10.5, energy: -20, forces: balanced, file: "two.xyz", index: 3, distinct: false)
        var otherPBC = frame(positions: square, energy: -20, forces: balanced, file: "two.xyz", index: 4, distinct: false)
        otherPBC.cell.periodic = SIMD3(1, 1, 0)
        // (Outlier testing off: these frames share a per-file energy group by construction.)
        let report = try audit([a, b, c, d, otherSpecies, otherCell, otherPBC], options: AuditOptions(outlierMinimumGroupSize: 100))
        // (d, otherCell and otherPBC carry a's forces on another structure: `copied-labels`, tested below.)
        let duplicates = report.findings.filter { $0.check == "duplicate" }
        XCTAssertEqual(duplicates.map(\.file), ["one.xyz", "two.xyz"])
        XCTAssertEqual(duplicates.map(\.frame), [1, 0])
        XCTAssertTrue(duplicates[0].message.contains("identical to frame 0 (line 1); energies equal"), duplicates[0].message)
        XCTAssertTrue(duplicates[1].message.contains("frame 0 of one.xyz (line 1); energies differ by -0.5 eV"), duplicates[1].message)
    }

    /// The Ti-Al set's frame 254: frame 253's energy and forces on a rescaled cell.
    func testCopiedLabels() throws {
        let original = frame(positions: square, cell: 10, energy: -20, forces: balanced, file: "one.xyz", index: 0, distinct: false)
        let rescaled = frame(positions: square.map { $0 * 0.96 }, cell: 9.6, energy: -20, forces: balanced, file: "one.xyz", index: 1, distinct: false)
        var otherEnergy = frame(positions: square, cell: 11, energy: -19, forces: balanced, file: "two.xyz", index: 0, distinct: false)
        otherEnergy.positions[3].z += 0.5
        var otherForces = balanced
        otherForces[0].x = otherForces[0].x.nextUp
        let notCopied = frame(positions: square, cell: 12, energy: -20, forces: otherForces, file: "two.xyz", index: 1, distinct: false)
        var otherSpecies = frame(positions: square, cell: 13, energy: -20, forces: balanced, file: "two.xyz", index: 2, distinct: false)
        otherSpecies.atomicNumbers[0] = 6
        let zero = [Vector3](repeating: .zero, count: square.count)
        let zeroA = frame(positions: square, cell: 14, energy: -20, forces: zero, file: "two.xyz", index: 3, distinct: false)
        let zeroB = frame(positions: square, cell: 15, energy: -20, forces: zero, file: "two.xyz", index: 4, distinct: false)
        let report = try audit([original, rescaled, otherEnergy, notCopied, otherSpecies, zeroA, zeroB], options: AuditOptions(outlierMinimumGroupSize: 100))
        XCTAssertEqual(report.findings.map(\.check), ["copied-labels", "copied-labels"])
        XCTAssertEqual(report.findings.map(\.file), ["one.xyz", "two.xyz"])
        XCTAssertEqual(report.findings.map(\.frame), [1, 0])
        XCTAssertTrue(report.findings[0].message.contains("bit-identical to frame 0 (line 1), but the cell or positions differ; energies equal"), report.findings[0].message)
        XCTAssertTrue(report.findings[1].message.contains("frame 0 of one.xyz (line 1), but the cell or positions differ; energies differ by 1 eV"), report.findings[1].message)
        // An exact duplicate is reported as `duplicate` only.
        let copy = frame(positions: square, cell: 10, energy: -20, forces: balanced, file: "one.xyz", index: 2, distinct: false)
        XCTAssertEqual(try audit([original, copy], options: AuditOptions(outlierMinimumGroupSize: 100)).findings.map(\.check), ["duplicate"])
    }

    func testReportOrderAndJSON() throws {
        var frames: [Structure] = []
        for k in 0..<10 { frames.append(frame(positions: square, energy: -20 - 0.001 * Double(k), forces: balanced, configType: "x", file: "f1.xyz", index: k)) }
        frames[2].info["dft_energy"] = .real(-200)  // outlier, reported at the end of the stream but sorted into place
        frames[5].arrays["dft_force"] = nil           // no forces: no finding by itself
        frames[6].info["dft_energy"] = nil            // forces without energy
        let report = try audit(frames)
        XCTAssertEqual(report.findings.map(\.frame), [2, 6])
        XCTAssertEqual(report.findings.map(\.check), ["energy-outlier", "forces-without-energy"])
        let json = report.json()
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(object["frames"] as? Int, 10)
        XCTAssertEqual(object["errors"] as? Int, 0)
        XCTAssertEqual(object["warnings"] as? Int, 2)
        let findings = try XCTUnwrap(object["findings"] as? [[String: Any]])
        XCTAssertEqual(findings.first?["check"] as? String, "energy-outlier")
        XCTAssertEqual(findings.first?["line"] as? Int, 21)
        // Stable key order.
        let order = ["\"frames\"", "\"errors\"", "\"warnings\"", "\"thresholds\"", "\"files\"", "\"findings\""].map { json.range(of: $0)!.lowerBound }
        XCTAssertEqual(order, order.sorted())
        XCTAssertEqual(json, try audit(frames).json(), "deterministic")
    }

    func testInvalidOptionsThrow() {
        XCTAssertThrowsError(try DatasetAuditor(options: AuditOptions(minimumDistance: 0)))
        XCTAssertThrowsError(try DatasetAuditor(options: AuditOptions(minimumDistance: .nan)))
        XCTAssertThrowsError(try DatasetAuditor(options: AuditOptions(outlierThreshold: -1)))
        XCTAssertThrowsError(try DatasetAuditor(options: AuditOptions(outlierMinimumGroupSize: 1)))
    }
}
