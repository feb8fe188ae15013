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

    /// Runs amps with `arguments` from the repository; (exit status, stderr).
    func runAMPS(_ arguments: [String]) throws -> (Int32, String) {
        guard let bin = InspectorEndToEndTests.binary else { XCTFail("amps binary not found"); return (-1, "") }
        let p = Process()
        p.executableURL = bin
        p.currentDirectoryURL = InspectorEndToEndTests.repo
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// --rounds with --torch-command: the command runs before each round with --out FILE
    /// appended, and each side's best round is the one reported, every round listed. The
    /// stand-in command reports 0.5 s, then 0.25 s.
    func testRoundsAlternateWithTheTorchCommandAndKeepEachSidesBest() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("amps-rounds-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("fake_torch.sh")
        try """
        n=$(cat "\(dir.path)/count" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "\(dir.path)/count"
        out=""; while [ $# -gt 0 ]; do if [ "$1" = "--out" ]; then out="$2"; fi; shift; done
        if [ $n = 1 ]; then s=0.5; else s=0.25; fi
        printf '{"cpu_capability": "FAKE", "workloads": {"steered_forward": {"seconds": %s}, "mcs_map": {"seconds": %s}}}' $s $s > "$out"
        """.write(to: script, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("bench.json")
        let (status, err) = try runAMPS(["bench", "--quick", "--keys", "0", "--eval-instances", "2", "--rounds", "2",
                                         "--torch-command", "sh '\(script.path)'", "--json", out.path])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("count"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), "2")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as! [String: Any]
        XCTAssertEqual(json["round_count"] as? Int, 2)
        XCTAssertEqual(json["torch_cpu_capability"] as? String, "FAKE")
        let rows = Dictionary(uniqueKeysWithValues: (json["workloads"] as! [[String: Any]]).map { ($0["name"] as! String, $0) })
        let rounds = json["rounds"] as! [String: [String: [Double]]]
        for name in ["steered_forward", "steered_live", "mcs_map"] {
            XCTAssertEqual(rows[name]?["torch_seconds"] as? Double, 0.25, name)
            XCTAssertEqual(rounds[name]?["torch_seconds"], [0.5, 0.25], name)
        }
        for (name, row) in rows {
            let swift = rounds[name]?["swift_seconds"] ?? []
            XCTAssertEqual(swift.count, 2, name)
            XCTAssertEqual(row["swift_seconds"] as? Double, swift.min(), name)
        }
        XCTAssertNil(rows["eval_uniform"]?["torch_seconds"] as? Double, "the stand-in reports no eval time")
        // A command that fails stops the bench with a one-line error naming it.
        let (failed, message) = try runAMPS(["bench", "--quick", "--keys", "0", "--only", "steered_forward", "--torch-command", "exit 3"])
        XCTAssertNotEqual(failed, 0)
        XCTAssertTrue(message.contains("--torch-command failed (exit status 3)"), message)
    }
}
