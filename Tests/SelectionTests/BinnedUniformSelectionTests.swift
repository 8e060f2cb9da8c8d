import XCTest
@testable import Selection

final class BinnedUniformSelectionTests: XCTestCase {
    /// gap_fit's select_uniform: g = ⌈count^(1/d)⌉ grid points per feature, each row in the cell
    /// of its nearest grid point (rounding halves away from zero, as Fortran's nint), the first
    /// row of each occupied cell first, the rest at random.
    func testFirstRowOfEachOccupiedCellThenASeededFill() throws {
        let matrix = FeatureMatrix(rowCount: 6, featureCount: 1, values: [0, 0.1, 1, 0.9, 0.5, 0.55])
        // g = 3: cells 0, 0, 2, 2, 1, 1.
        XCTAssertEqual(try BinnedUniformSelection(count: 3, seed: 1).select(from: matrix), [0, 2, 4])
        // g = 4: cells 0, 0, 3, 3, 2 (1.5 rounds up), 2; three occupied cells, one row at random.
        let four = try BinnedUniformSelection(count: 4, seed: 1).select(from: matrix)
        XCTAssertEqual(four.count, 4)
        XCTAssertTrue([0, 2, 4].allSatisfy(four.contains))
        XCTAssertEqual(try BinnedUniformSelection(count: 4, seed: 1).select(from: matrix), four)
        XCTAssertEqual(try BinnedUniformSelection(count: 6, seed: 9).select(from: matrix), [0, 1, 2, 3, 4, 5])
        XCTAssertThrowsError(try BinnedUniformSelection(count: 7, seed: 1).select(from: matrix)) {
            XCTAssertEqual($0 as? SelectionError, .tooManyPoints(requested: 7, available: 6))
        }
    }

    /// Three features, one without range: 8 points give a 2 x 2 x 2 grid, of which the constant
    /// feature uses one layer, so four cells; their first rows come first.
    func testSeveralFeaturesAndAFeatureWithoutRange() throws {
        var values: [Double] = []
        for (a, b) in [(0.0, 0.0), (1, 0), (0, 1), (1, 1), (0.2, 0.1), (0.9, 0.8), (0.1, 0.9), (0.7, 0.3)] { values += [a, b, 2.5] }
        let matrix = FeatureMatrix(rowCount: 8, featureCount: 3, values: values)
        XCTAssertEqual(try BinnedUniformSelection(count: 4, seed: 3).select(from: matrix), [0, 1, 2, 3])
        let five = try BinnedUniformSelection(count: 5, seed: 3).select(from: matrix)
        XCTAssertEqual(Set(five).count, 5)
        XCTAssertTrue([0, 1, 2, 3].allSatisfy(five.contains))
    }
}
