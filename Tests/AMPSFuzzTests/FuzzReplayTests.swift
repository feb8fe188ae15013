import AMPSFuzzTargets
import Foundation
import XCTest

/// Every committed seed and every input that once crashed a target, run through the same
/// bodies `make fuzz` drives (here without the sanitizers, inside the test process: a crash
/// kills the test run, a hang fails the time check).
final class FuzzReplayTests: XCTestCase {
    private func files(under folder: String) -> [String] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder) else { return [] }
        return names.sorted().map { folder + "/" + $0 }.filter { p in
            var dir: ObjCBool = false
            return fm.fileExists(atPath: p, isDirectory: &dir) && !dir.boolValue
        }
    }

    func testEveryTargetHasASeedCorpus() {
        for t in FuzzTargets.all {
            XCTAssertFalse(files(under: FuzzTargets.corpusRoot + "/" + t.corpus).isEmpty, "no seeds in Fuzz/Corpus/\(t.corpus)")
        }
    }

    func testCorporaAndRegressionsReplayQuickly() {
        for t in FuzzTargets.all {
            let inputs = files(under: FuzzTargets.corpusRoot + "/" + t.corpus) + files(under: FuzzTargets.regressionRoot + "/" + t.name)
            for path in inputs {
                let data = FileManager.default.contents(atPath: path) ?? Data()
                let t0 = Date()
                t.run(data)
                XCTAssertLessThan(Date().timeIntervalSince(t0), 5, "\(t.name): \(path) took too long")
            }
        }
    }
}
