import Configuration
import Foundation
import TestSupport
import XCTest

/// The tuned configs shipped in configs/zuo2020/ and configs/tial.json: valid, their data found
/// from a clean clone, and commented with how they were chosen and their CV errors.
final class ShippedConfigsTests: XCTestCase {
    func testTunedConfigsLoadAndSayHowTheyWereChosen() throws {
        let root = packageRoot
        let zuo = root + "/configs/zuo2020"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: zuo)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertFalse(names.isEmpty, "configs/zuo2020 holds the tuned per-element configs")
        var paths = names.map { zuo + "/" + $0 }
        if FileManager.default.fileExists(atPath: root + "/../shared/datasets/tial_ace/TiAl_train.xyz") {
            paths.append(root + "/configs/tial.json")
        }
        for path in paths {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            XCTAssertTrue(text.hasPrefix("// Chosen by gap-tune"), path)
            XCTAssertTrue(text.contains("Out-of-fold errors") && text.contains("chosen: E MAE") && text.contains("F MAE"), path)
            let config = try TrainingConfig.load(path: path)  // checks that the training files exist
            let element = (path as NSString).lastPathComponent.replacingOccurrences(of: ".json", with: "")
            if path.contains("/zuo2020/") {
                let file = try XCTUnwrap(try config.trainingFrames().first?.path)
                XCTAssertTrue(file.hasSuffix("datasets/zuo2020/\(element)_train.xyz") || file.hasSuffix("datasets/si_zuo2020/Si_train.xyz"), file)
            }
        }
    }
}
