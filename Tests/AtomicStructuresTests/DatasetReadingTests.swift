import OrderedCollections
import XCTest
@testable import AtomicStructures

/// Reads the real silicon datasets in ../shared and checks them against SOURCES.md (whose
/// figures were cross-checked with ASE 3.29: same frame, atom and label-key counts).
final class DatasetReadingTests: XCTestCase {
    func testGAP18FilesParseWithTheDocumentedTotalsAndLabels() throws {
        let files = try TestPaths.gap18Files()
        XCTAssertEqual(files.count, 24)
        var frames = 0, atoms = 0, leftHanded = 0
        var energyKeys: [String: Int] = [:], forceKeys: [String: Int] = [:], virialKeys: [String: Int] = [:]
        for file in files {
            var reader = try ExtendedXYZReader(path: file)
            var index = 0
            var previousLine = 0
            while let structure = try reader.next() {
                let source = try XCTUnwrap(structure.source)
                XCTAssertEqual(source.file, file)
                XCTAssertEqual(source.frameIndex, index)
                XCTAssertGreaterThan(source.line, previousLine)
                if index == 0 { XCTAssertEqual(source.line, 1) }
                previousLine = source.line
                index += 1

                frames += 1
                atoms += structure.count
                XCTAssertTrue(structure.atomicNumbers.allSatisfy { $0 == 14 }, "\(structure.sourceDescription): all Si")
                XCTAssertTrue(structure.cell.isFullyPeriodic)
                if structure.cell.signedVolume < 0 { leftHanded += 1 }
                XCTAssertGreaterThan(structure.cell.volume, 1)

                let labels = try LabelKeys().labels(of: structure)
                XCTAssertNotNil(labels.energy, structure.sourceDescription)
                XCTAssertEqual(labels.forces?.count, structure.count, structure.sourceDescription)
                XCTAssertEqual(labels.configType, file.split(separator: "/").last!.replacingOccurrences(of: ".xyz", with: ""))
                energyKeys[labels.sourceKeys.energy ?? "none", default: 0] += 1
                forceKeys[labels.sourceKeys.forces ?? "none", default: 0] += 1
                virialKeys[labels.sourceKeys.virial ?? "none", default: 0] += 1
                XCTAssertFalse(labels.sourceKeys.virialFromStress)
            }
        }
        XCTAssertEqual(frames, 2071)
        XCTAssertEqual(atoms, 100_003)
        XCTAssertEqual(energyKeys, ["dft_energy": 2011, "DFT_energy": 60])
        XCTAssertEqual(forceKeys, ["dft_force": 2011, "DFT_force": 60])
        // 1,582 from dft_virial/DFT_virial, 78 from virial (28 amorph + 50 surface_111_pandey), 411 none.
        XCTAssertEqual(virialKeys, ["dft_virial": 1522, "DFT_virial": 60, "virial": 78, "none": 411])
        XCTAssertEqual(leftHanded, 11)
    }

    func testVirialOnlyKeysComeFromAmorphAndPandey() throws {
        let directory = try TestPaths.shared() + "/datasets/si_gap18_bartok2018"
        var counts: [String: Int] = [:]
        for name in ["amorph", "surface_111_pandey"] {
            for structure in try ExtendedXYZReader.readAll(path: "\(directory)/\(name).xyz") {
                if try LabelKeys().labels(of: structure).sourceKeys.virial == "virial" { counts[name, default: 0] += 1 }
            }
        }
        XCTAssertEqual(counts, ["amorph": 28, "surface_111_pandey": 50])
    }

    func testFirstBtFrameValuesExactly() throws {
        let path = try TestPaths.shared() + "/datasets/si_gap18_bartok2018/bt.xyz"
        var reader = try ExtendedXYZReader(path: path)
        let s = try XCTUnwrap(try reader.next())
        XCTAssertEqual(s.count, 2)
        XCTAssertEqual(s.cell.matrix.rowMajor, [2.038674, -2.15884, -1.214062, -2.224141, 2.221598, -1.668881, 2.180158, 2.114857, 1.55487])
        XCTAssertEqual(s.positions[0], Vector3(1.10554620, -0.16128625, 1.08036032))
        XCTAssertEqual(s.positions[1], Vector3(-1.10554620, 0.16128625, -1.08036032))
        XCTAssertEqual(Array(s.info.keys), ["config_type", "dft_energy", "dft_virial", "cutoff", "nneightol"])
        XCTAssertEqual(s.info["config_type"], .string("bt"))
        XCTAssertEqual(s.info["dft_energy"], .real(-323.962276))
        XCTAssertEqual(s.info["dft_virial"], .reals([6.60426, -0.966055, -2.47678, -0.966055, 15.145, 4.00592, -2.47678, 4.00592, 2.31602]))
        XCTAssertEqual(s.info["cutoff"], .real(-1.0))
        XCTAssertEqual(Array(s.arrays.keys), ["dft_force"])
        XCTAssertEqual(s.arrays["dft_force"]?.values, .reals([1.81196, 6.30656, 1.01553, -1.81196, -6.30656, -1.01553]))
        XCTAssertEqual(s.source, SourceLocation(file: path, frameIndex: 0, line: 1))
        let second = try XCTUnwrap(try reader.next())
        XCTAssertEqual(second.source, SourceLocation(file: path, frameIndex: 1, line: 5))
    }

    func testManyColumnFileKeepsEveryArrayInOrder() throws {
        let path = try TestPaths.shared() + "/datasets/si_gap18_bartok2018/screw_disloc.xyz"
        var reader = try ExtendedXYZReader(path: path)
        let s = try XCTUnwrap(try reader.next())
        XCTAssertEqual(Array(s.arrays.keys), [
            "mass", "travel", "damp_mask", "thermostat_region", "avg_ke", "velo", "acc", "avgpos", "oldpos",
            "map_shift", "n_neighb", "frac_pos", "momenta", "masses", "force_ewald", "force_locpot", "force_nlpot", "dft_force",
        ])
        XCTAssertEqual(s.arrays["travel"]?.kind, .integer)
        XCTAssertEqual(s.arrays["travel"]?.columns, 3)
        XCTAssertEqual(s.arrays["travel"]?.values.count, 3 * s.count)
        XCTAssertEqual(s.arrays["mass"]?.columns, 1)
    }

    func testLeftHandedDecohesionCellsAreReadAsWritten() throws {
        let path = try TestPaths.shared() + "/datasets/si_gap18_bartok2018/decohesion.xyz"
        let structures = try ExtendedXYZReader.readAll(path: path)
        let leftHanded = structures.filter { $0.cell.signedVolume < 0 }
        XCTAssertEqual(leftHanded.count, 11)
        for s in leftHanded {
            XCTAssertTrue(s.cell.isFullyPeriodic)
            XCTAssertNotNil(s.cell.matrix.inverse)
            XCTAssertEqual(s.cell.volume, -s.cell.signedVolume)
        }
    }

    func testZuoTrainingSet() throws {
        let path = try TestPaths.shared() + "/datasets/si_zuo2020/Si_train.xyz"
        let structures = try ExtendedXYZReader.readAll(path: path)
        XCTAssertEqual(structures.count, 214)
        XCTAssertEqual(structures.reduce(0) { $0 + $1.count }, 13_233)
        for s in structures {
            XCTAssertTrue(s.cell.isFullyPeriodic, "pbc=[T, T, T] is periodic")
            XCTAssertTrue(s.atomicNumbers.allSatisfy { $0 == 14 })
            XCTAssertEqual(Array(s.arrays.keys), ["force", "momenta", "masses", "Z"])
            let labels = try LabelKeys().labels(of: s)
            XCTAssertEqual(labels.sourceKeys.energy, "energy")
            XCTAssertEqual(labels.sourceKeys.forces, "force")
            XCTAssertNil(labels.virial)
        }
        XCTAssertEqual(Array(structures[0].info.keys), ["energy"])
    }

    /// Chunked file reading (1 MB reads, lines across chunk edges) gives exactly what parsing
    /// the whole file from memory gives.
    func testFileAndMemoryReadingAgree() throws {
        for file in try TestPaths.gap18Files() where file.hasSuffix("amorph.xyz") || file.hasSuffix("bt.xyz") || file.hasSuffix("isolated_atom.xyz") {
            let fromFile = try ExtendedXYZReader.readAll(path: file)
            let fromMemory = try ExtendedXYZReader.readAll(bytes: try readBytes(file), name: file)
            XCTAssertEqual(fromFile, fromMemory, file)
        }
    }
}
