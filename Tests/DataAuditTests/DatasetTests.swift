import AtomicStructures
import DataAudit
import TestSupport
import XCTest

/// Facts about the real datasets (see ../shared/datasets/SOURCES.md and datasets/si_zuo2020/SOURCE.md).
final class DatasetTests: XCTestCase {
    func testShippedZuoDatasetSummaryAndCleanCheck() throws {
        let summary = try DatasetSummary.of(paths: [Datasets.shippedSilicon])
        XCTAssertEqual(summary.total.configs, 214)
        XCTAssertEqual(summary.total.atoms, 13_233)
        XCTAssertEqual(summary.total.configsByType, [:])
        XCTAssertEqual(summary.total.energyKeys, ["energy": 214])
        XCTAssertEqual(summary.total.forceKeys, ["force": 214])
        XCTAssertEqual(summary.total.withVirial, 0)
        XCTAssertEqual(summary.total.atomsBySpecies, [14: 13_233])

        let report = try DatasetAuditor.audit(paths: [Datasets.shippedSilicon])
        XCTAssertEqual(report.findings, [], report.formatted())
        XCTAssertEqual(report.frameCount, 214)
    }

    func testGAP18SummaryAndCheck() throws {
        let files = try Datasets.gap18Files()
        let summary = try DatasetSummary.of(paths: files)
        XCTAssertEqual(summary.total.configs, 2_071)
        XCTAssertEqual(summary.total.atoms, 100_003)
        XCTAssertEqual(summary.total.configsByType.count, 24)
        XCTAssertEqual(summary.total.configsByType["dia"], 489)
        XCTAssertEqual(summary.total.energyKeys, ["dft_energy": 2_011, "DFT_energy": 60])
        // Virials: dft_virial 1,522 + DFT_virial 60 + `virial` 78 (28 amorph + 50 pandey); 411 without.
        XCTAssertEqual(summary.total.virialKeys, ["dft_virial": 1_522, "DFT_virial": 60, "virial": 78])
        XCTAssertEqual(summary.total.withVirial, 2_071 - 411)

        // The only finding: frames 9 and 10 (0-based; lines 1333 and 1481) of 111adatom.xyz have
        // identical geometry. Their labels differ slightly (energies by 5.1e-6 eV). In particular
        // no net-force warning (largest |ΣF| is 1.6e-4 eV/Å) and no energy outlier.
        let report = try DatasetAuditor.audit(paths: files)
        XCTAssertEqual(report.frameCount, 2_071)
        XCTAssertEqual(report.findings.count, 1, report.formatted())
        let duplicate = try XCTUnwrap(report.findings.first)
        XCTAssertEqual(duplicate.check, "duplicate")
        XCTAssertEqual(duplicate.severity, .warning)
        XCTAssertTrue(duplicate.file.hasSuffix("111adatom.xyz"))
        XCTAssertEqual(duplicate.frame, 10)
        XCTAssertEqual(duplicate.line, 1481)
        XCTAssertTrue(duplicate.message.contains("identical to frame 9 (line 1333)"), duplicate.message)
        XCTAssertFalse(report.hasErrors)
    }
}
