import AMPSCore
import AMPSModel
import Foundation
import XCTest

extension AMPSBinary {
    /// Runs the binary under /bin/sh with an address-space cap (`ulimit -v`, KiB) and, when
    /// given, a default thread stack size (`ulimit -s`, KiB).
    static func runCapped(_ arguments: [String], addressSpaceKiB: Int, stackKiB: Int? = nil,
                          timeout: TimeInterval = 60) throws -> CommandResult {
        guard let exe = url else { throw XCTSkip("the amps executable was not found; run `swift build` first") }
        let limits = (stackKiB.map { "ulimit -s \($0) && " } ?? "") + "ulimit -v \(addressSpaceKiB) && "
        return try run(["-c", limits + "exec \"$0\" \"$@\"", exe.path] + arguments, executable: URL(fileURLWithPath: "/bin/sh"),
                       timeout: timeout)
    }
}

/// The bounds of issue 15 through the command line, on the shipped default model: every
/// option that sizes or scales work, the engine's threads, memory estimates, and artifacts
/// with values that trapped or silently gave wrong numbers. Each run has a timeout and an
/// address-space cap well above what a clean run needs (a clean run under the same cap is
/// checked too); each must end with exit status 1 and one `amps:` line naming the option
/// or file and the problem.
final class OptionLimitTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var model: String { repo.appendingPathComponent("samples/model").path }
    static var data: String { repo.appendingPathComponent("samples/data/test.jsonl").path }
    /// 4 GiB: a clean debug-build run of diagnose on the default model maps well under 1 GiB.
    static let cap = 4 << 20

    var scratch = ""
    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("amps-limits-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: scratch) }

    func diagnose(_ extra: [String]) -> [String] {
        ["diagnose", "--model", Self.model, "--data", Self.data, "--instance", "200000", "--threads", "1"] + extra
    }

    func assertRefused(_ r: CommandResult, _ words: [String], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard !r.timedOut, !r.signalled else {
            return XCTFail("\(what): \(r.timedOut ? "hung" : "crashed (signal \(r.status))"); stderr: \(r.stderr.prefix(500))", file: file, line: line)
        }
        XCTAssertEqual(r.status, 1, "\(what): exit status; stderr: \(r.stderr.prefix(500))", file: file, line: line)
        XCTAssertEqual(r.stdout, "", "\(what): stdout", file: file, line: line)
        XCTAssertEqual(r.stderrLines.count, 1, "\(what): one line: \(r.stderr.prefix(500).debugDescription)", file: file, line: line)
        let first = r.stderrLines.first ?? ""
        XCTAssertTrue(first.hasPrefix("amps: "), "\(what): \(first)", file: file, line: line)
        XCTAssertLessThan(first.count, 400, "\(what): the message is short", file: file, line: line)
        for w in words where !first.contains(w) { XCTFail("\(what): \(first.debugDescription) lacks \(w.debugDescription)", file: file, line: line) }
        for sign in ["Fatal error", "Backtrac", "Program crashed"] where r.stderr.contains(sign) {
            XCTFail("\(what): \(sign) in stderr", file: file, line: line)
        }
    }

    func testNumericOptionsAreBounded() throws {
        let cases: [(String, [String], [String])] = [
            ("-n 1e8", diagnose(["-n", "100000000"]), ["-n/--samples", "at most 100000", "100000000"]),
            ("-n 1", diagnose(["-n", "1"]), ["-n/--samples", "at least 2"]),
            ("--alpha-steps 1e6", diagnose(["--alpha-steps", "1000000"]), ["--alpha-steps", "at most 4096"]),
            ("--alpha-max 1e60", diagnose(["--alpha-max", "1e60"]), ["--alpha-max", "1e+60"]),
            ("--alpha 1e60", diagnose(["--alpha", "1e60"]), ["--alpha", "1e+60", "10000"]),
            ("--alpha nan", diagnose(["--alpha", "nan"]), ["--alpha", "nan"]),
            ("--sigma 1e9", diagnose(["--sigma", "1e9"]), ["--sigma", "1e+09"]),
            ("--window=-1", diagnose(["--window=-1"]), ["--window", "FIRST-LAST", "\"-1\""]),
            ("--window 3--5", diagnose(["--window", "3--5"]), ["--window", "FIRST-LAST"]),
            ("--window 0-99", diagnose(["--window", "0-99"]), ["--window", "0-7"]),
            ("--threads 1e9", diagnose(["--threads", "1000000000"]), ["--threads", "at most", "1000000000"]),
            ("fit --scaler-hidden 1e9", ["fit", "--model", Self.model, "--scaler-hidden", "1000000000"], ["--scaler-hidden", "at most 4096"]),
            ("fit --epochs 1e9", ["fit", "--model", Self.model, "--epochs", "1000000000"], ["--epochs", "at most 100000"]),
            ("fit --epochs 0", ["fit", "--model", Self.model, "--epochs", "0"], ["--epochs", "at least 1"]),
            ("fit --lambda nan", ["fit", "--model", Self.model, "--lambda", "nan"], ["--lambda", "nan"]),
            ("eval --alphas 1e60", ["eval", "--model", Self.model, "--alphas", "0.5", "1e60"], ["--alphas", "1e+60"]),
            ("vectors -n 1e8", ["vectors", "--model", Self.model, "-n", "100000000"], ["-n/--samples", "at most"]),
            ("generate --max-new-tokens 1e8", ["generate", "--model", Self.model, "--image", Self.repo.path + "/samples/data/images/200000.png",
                                              "--prompt", "<image> x", "--max-new-tokens", "100000000"], ["--max-new-tokens", "at most 65536"]),
        ]
        for (what, args, words) in cases {
            assertRefused(try AMPSBinary.runCapped(args, addressSpaceKiB: Self.cap, timeout: 60), words, what)
        }
    }

    /// A clean run under the same cap succeeds: the cap and the estimates leave normal use alone.
    func testACleanRunUnderTheCapSucceeds() throws {
        let r = try AMPSBinary.runCapped(diagnose(["-n", "4", "--json"]), addressSpaceKiB: Self.cap, timeout: 120)
        XCTAssertFalse(r.timedOut || r.signalled, r.stderr)
        XCTAssertEqual(r.status, 0, r.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((obj?["layers"] as? [Any])?.count, 8)
    }

    /// -n within its bound, but a Monte Carlo batch larger than the capped process can
    /// hold: refused from the estimate before the noise or the batch is allocated.
    func testAMonteCarloBatchBeyondMemoryIsRefusedBeforeAllocation() throws {
        let r = try AMPSBinary.runCapped(diagnose(["-n", "100000"]), addressSpaceKiB: Self.cap, timeout: 60)
        assertRefused(r, ["N=100000", "memory", "GB"], "-n 100000 under a 4 GiB cap")
    }

    /// In eval the probes run on every worker at once: the estimate counts one batch each.
    func testEvalCountsOneBatchPerWorker() throws {
        let r = try AMPSBinary.runCapped(["eval", "--model", Self.model, "--data", Self.data, "-n", "100000", "--limit", "4", "--threads", "2"],
                                         addressSpaceKiB: Self.cap, timeout: 120)
        assertRefused(r, ["N=100000", "on each of 2 workers at once", "memory"], "eval -n 100000 --threads 2 under a 4 GiB cap")
    }

    /// Threads the system refuses: a one-line error, not a spin. Each thread's stack is
    /// 2 GiB here (ulimit -s) under a 3 GiB address space, so at most one helper starts.
    func testThreadsThatCannotBeCreatedAreAnErrorNotAHang() throws {
        // diagnose: its batched passes use the pool (before, they waited forever for the
        // helpers that never started).
        let args = ["diagnose", "--model", Self.model, "--data", Self.data, "--instance", "200000", "-n", "4", "--threads", "4"]
        let t0 = Date()
        let r = try AMPSBinary.runCapped(args, addressSpaceKiB: 3 << 20, stackKiB: 2 << 20, timeout: 60)
        assertRefused(r, ["--threads 4", "engine threads could be started", "Resource temporarily unavailable"], "--threads 4 without room for threads")
        XCTAssertLessThan(Date().timeIntervalSince(t0), 30)
    }

    // MARK: artifacts

    func edited(_ name: String, as output: String? = nil, _ edit: (inout [String: Tensor]) -> Void) throws -> String {
        let f = try SafeTensorsFile(path: Self.model + "/amps/" + name)
        var tensors: [String: Tensor] = [:]
        for key in f.entries.keys { tensors[key] = try f.tensor(key).copy() }
        edit(&tensors)
        let path = scratch + "/" + (output ?? name)
        try SafeTensorsWriter.write(tensors, metadata: f.metadata, to: path)
        return path
    }

    func testArtifactsWithBadValuesAreRefusedNamingTheFile() throws {
        let scaling = scratch + "/scaling.json"
        try FileManager.default.copyItem(atPath: Self.model + "/amps/scaling.json", toPath: scaling)
        try editJSON(scaling) { $0["window"] = [3, 1e30] }
        let scaler = try edited("scaler.safetensors") { $0["w1"]!.data[0] = .nan }
        let zeroStd = try edited("scaler.safetensors", as: "zero-std.safetensors") { $0["std"]!.data[3] = 0 }
        let vectors = try edited("steering_vectors.safetensors") { $0["layer.4"]!.data[1] = .infinity }
        let prompt = scratch + "/prompt.json"
        try FileManager.default.copyItem(atPath: Self.model + "/prompt.json", toPath: prompt)
        try editJSON(prompt) { $0["answer_options"] = ["A", "A"] }
        let cases: [(String, [String], [String])] = [
            ("scaling.json window 1e30", diagnose(["-n", "2", "--scaling", scaling]), [scaling, "'window'", "1e+30"]),
            ("scaler with NaN", diagnose(["-n", "2", "--scaler", scaler]), [scaler, "'w1'", "non-finite"]),
            ("scaler with zero std", diagnose(["-n", "2", "--scaler", zeroStd]), [zeroStd, "'std'", "positive"]),
            ("vectors with infinity", diagnose(["-n", "2", "--vectors", vectors]), [vectors, "'layer.4'", "non-finite"]),
            ("answer options A, A", diagnose(["-n", "2", "--prompt-file", prompt]), [prompt, "answer_options", "two different"]),
        ]
        for (what, args, words) in cases {
            assertRefused(try AMPSBinary.runCapped(args, addressSpaceKiB: Self.cap, timeout: 120), words, what)
        }
    }
}
