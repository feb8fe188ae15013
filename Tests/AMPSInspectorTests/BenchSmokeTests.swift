import Foundation
import XCTest

/// `amps bench --quick` runs every workload at a tiny size and writes well-formed JSON
/// (the timings themselves are not judged: benchmarks are not tests).
final class BenchSmokeTests: XCTestCase {
    func testQuickBenchWritesWellFormedJSON() throws {
        guard let bin = InspectorEndToEndTests.binary else { return XCTFail("amps binary not found") }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("amps-bench-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: out) }
        let p = Process()
        p.executableURL = bin
        p.currentDirectoryURL = InspectorEndToEndTests.repo
        p.arguments = ["bench", "--quick", "--eval-instances", "2", "--json", out.path]
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(300)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if p.isRunning { p.terminate(); return XCTFail("amps bench --quick did not finish in 300 s") }
        XCTAssertEqual(p.terminationStatus, 0, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as! [String: Any]
        XCTAssertGreaterThan((json["roofline_gflops"] as? Double) ?? 0, 0)
        let workloads = json["workloads"] as! [[String: Any]]
        XCTAssertEqual(Set(workloads.map { $0["name"] as! String }), ["steered_forward", "steered_live", "mcs_map", "eval_uniform"])
        for w in workloads {
            let s = (w["swift_seconds"] as? Double) ?? -1
            XCTAssertTrue(s > 0 && s.isFinite, "\(w)")
            XCTAssertGreaterThan((w["gflop"] as? Double) ?? 0, 0, "\(w)")
        }
        XCTAssertFalse((json["gemm"] as! [[String: Any]]).isEmpty)
    }
}
