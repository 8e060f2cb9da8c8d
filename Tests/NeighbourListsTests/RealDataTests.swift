import XCTest
import AtomicStructures
@testable import NeighbourLists

/// The cell list against brute force on real training frames (surfaces, cracks, left-handed
/// decohesion cells, liquids) at the GAP-18 cutoff of 5 Å.
final class RealDataTests: XCTestCase {
    func testGAP18FramesMatchBruteForce() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("../shared/datasets/si_gap18_bartok2018").standardized
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".xyz") }.sorted()
        guard names.count == 24 else { throw XCTSkip("the shared GAP-18 dataset is not at \(directory.path)") }
        var checked = 0
        var leftHanded = 0
        for name in names {
            var reader = try ExtendedXYZReader(path: directory.appendingPathComponent(name).path)
            var taken = 0
            while let s = try reader.next() {
                // Up to two small frames of each file, and every left-handed cell.
                let isLeftHanded = s.cell.signedVolume < 0
                guard (taken < 2 && s.count <= 70) || isLeftHanded else { continue }
                taken += 1
                if isLeftHanded { leftHanded += 1 }
                let fast = try NeighbourList(s, cutoffRadius: 5.0)
                let reference = try NeighbourList.bruteForce(s, cutoffRadius: 5.0)
                assertIdentical(fast, reference, "\(name) frame \(s.source?.frameIndex ?? -1)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 30)
        XCTAssertEqual(leftHanded, 11)  // SOURCES.md: 11 left-handed frames in decohesion.xyz
    }
}
