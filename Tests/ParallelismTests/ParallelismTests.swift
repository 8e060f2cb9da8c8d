import XCTest
@testable import Parallelism

final class ParallelismTests: XCTestCase {
    struct Failure: Error, Equatable { let index: Int }

    func testParallelMapKeepsOrderForAnyThreadCount() throws {
        for threads in [1, 2, 3, 8] {
            let squares = try parallelMap(count: 1000, threads: threads) { $0 * $0 }
            XCTAssertEqual(squares, (0..<1000).map { $0 * $0 })
        }
        XCTAssertEqual(try parallelMap(count: 0) { $0 }, [])
    }

    func testParallelMapRethrowsTheLowestFailingIndex() {
        for threads in [1, 2, 4] {
            XCTAssertThrowsError(try parallelMap(count: 500, threads: threads) { i -> Int in
                if i % 97 == 13 { throw Failure(index: i) }
                return i
            }) { error in
                XCTAssertEqual(error as? Failure, Failure(index: 13))
            }
        }
    }

    func testChunksCoverTheRangeOnceInOrder() {
        var seen = [Int](repeating: 0, count: 1001)
        seen.withUnsafeMutableBufferPointer { p in
            parallelChunks(count: 1001, chunkCount: 7, threads: 3) { _, range in
                for i in range { p[i] += 1 }
            }
        }
        XCTAssertEqual(seen, [Int](repeating: 1, count: 1001))
    }
}
