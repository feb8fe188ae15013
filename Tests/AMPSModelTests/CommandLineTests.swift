import AMPSCore
import AMPSModel
import Foundation
import XCTest

/// What one run of the `amps` executable did.
struct CommandResult {
    let status: Int32
    let signalled: Bool  // killed by a signal (a crash), status is then the signal
    let timedOut: Bool
    let stdout: String
    let stderr: String
    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
}

/// Runs the built `amps` binary, with a timeout so that a hang fails a test instead of CI.
enum AMPSBinary {
    /// The `amps` executable that `swift build` / `swift test` put next to the test bundle
    /// (the products directory); AMPS_BINARY overrides; the repository's .build/debug is the
    /// last resort.
    static let url: URL? = {
        let fm = FileManager.default
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["AMPS_BINARY"], !env.isEmpty {
            candidates.append(URL(fileURLWithPath: env))
        }
        // macOS: the .xctest bundle sits in the products directory.
        for b in Bundle.allBundles where b.bundlePath.hasSuffix(".xctest") {
            candidates.append(b.bundleURL.deletingLastPathComponent().appendingPathComponent("amps"))
        }
        // Linux: the test runner is an executable in the products directory.
        if let exe = Bundle.main.executableURL {
            candidates.append(exe.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("amps"))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("amps"))
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(repo.appendingPathComponent(".build/debug/amps"))
        return candidates.first { u in
            var isDir: ObjCBool = false
            return fm.fileExists(atPath: u.path, isDirectory: &isDir) && !isDir.boolValue && fm.isExecutableFile(atPath: u.path)
        }
    }()

    /// Collects a pipe's bytes on a background thread (so a full pipe never blocks the child).
    private final class Sink: @unchecked Sendable {
        private var data = Data()
        private let lock = NSLock()
        private let done = DispatchSemaphore(value: 0)
        init(_ handle: FileHandle) {
            DispatchQueue.global().async {
                let d = handle.readDataToEndOfFile()
                self.lock.lock(); self.data = d; self.lock.unlock()
                self.done.signal()
            }
        }
        func text(waitingUpTo seconds: Double) -> String {
            _ = done.wait(timeout: .now() + seconds)
            lock.lock(); defer { lock.unlock() }
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// Runs several command lines, `width` at a time; results in order.
    static func runAll(_ argumentLists: [[String]], width: Int = 4, timeout: TimeInterval = 60) throws -> [CommandResult] {
        final class Results: @unchecked Sendable {
            var items: [Result<CommandResult, Error>?]
            let lock = NSLock()
            init(_ n: Int) { items = Array(repeating: nil, count: n) }
        }
        let results = Results(argumentLists.count)
        let slots = DispatchSemaphore(value: width)
        let group = DispatchGroup()
        for (i, args) in argumentLists.enumerated() {
            slots.wait()
            DispatchQueue.global().async(group: group) {
                let r = Result { try run(args, timeout: timeout) }
                results.lock.lock(); results.items[i] = r; results.lock.unlock()
                slots.signal()
            }
        }
        group.wait()
        return try results.items.map { try $0!.get() }
    }

    static func run(_ arguments: [String], executable: URL? = nil, timeout: TimeInterval = 60) throws -> CommandResult {
        guard let exe = executable ?? url else {
            throw XCTSkip("the amps executable was not found next to the test bundle; run `swift build` first")
        }
        let p = Process()
        p.executableURL = exe
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] ?? "1"
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let outSink = Sink(out.fileHandleForReading), errSink = Sink(err.fileHandleForReading)
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(5_000) }
        var timedOut = false
        if p.isRunning {
            timedOut = true
            kill(p.processIdentifier, SIGKILL)
        }
        p.waitUntilExit()
        return CommandResult(status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal, timedOut: timedOut,
                             stdout: outSink.text(waitingUpTo: 10), stderr: errSink.text(waitingUpTo: 10))
    }
}

/// End-to-end runs of the built `amps` executable: parity of `forward --json` and
/// `generate --json` with the fixtures, and every bad input of BadInputTests through the
/// command line (exit status 1, one `amps: ` line on stderr naming the file, no crash).
final class CommandLineTests: XCTestCase {
    private var roots: [String] = []

    override func tearDown() {
        for r in roots { try? FileManager.default.removeItem(atPath: r) }
        roots = []
        super.tearDown()
    }

    func testTheBinaryIsFound() throws {
        guard let url = AMPSBinary.url else {
            XCTFail("the amps executable was not found next to the test bundle (Bundle.main: \(Bundle.main.bundlePath))")
            return
        }
        let r = try AMPSBinary.run(["--help"])
        XCTAssertEqual(r.status, 0, "\(url.path) --help: \(r.stderr)")
        XCTAssertTrue(r.stdout.contains("forward"), r.stdout)
    }

    /// The harness itself: a process that outlives the timeout is killed and reported.
    func testAHungProcessIsKilledAtTheTimeout() throws {
        let sleep = ["/bin/sleep", "/usr/bin/sleep"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let sleep else { throw XCTSkip("no sleep executable") }
        let t0 = Date()
        let r = try AMPSBinary.run(["30"], executable: URL(fileURLWithPath: sleep), timeout: 0.5)
        XCTAssertTrue(r.timedOut)
        XCTAssertTrue(r.signalled)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 10)
    }

    // MARK: parity

    private func json(_ r: CommandResult, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        XCTAssertFalse(r.timedOut, "\(what): timed out", file: file, line: line)
        XCTAssertFalse(r.signalled, "\(what): crashed with signal \(r.status): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.status, 0, "\(what): exit status; stderr: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stderr, "", "\(what): stderr", file: file, line: line)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "\(what): --json prints one line", file: file, line: line)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        return try XCTUnwrap(obj as? [String: Any], "\(what): stdout is not a JSON object", file: file, line: line)
    }

    func testForwardJSONMatchesEveryFixture() throws {
        for name in Fixture.cases {
            let f = try Fixture(name)
            let r = try AMPSBinary.run(["forward", "--model", f.folder, "--image", f.folder + "/image.png",
                                        "--prompt", f.expected["prompt"] as! String, "--json", "--top", "3", "--threads", "1"])
            let out = try json(r, "forward \(name)")
            XCTAssertEqual((out["input_ids"] as? [NSNumber])?.map(\.intValue), f.ints("input_ids"), "\(name): input_ids")
            let logits = try XCTUnwrap((out["logits"] as? [NSNumber])?.map(\.floatValue), "\(name): logits")
            let expected = try f.tensor("logits")
            XCTAssertEqual(logits.count, expected.count, "\(name): vocabulary")
            if logits.count == expected.count {
                let d = logits.withUnsafeBufferPointer { maxAbsDiff($0.baseAddress!, expected.data, count: expected.count) }
                XCTAssertLessThanOrEqual(d, 1e-4, "\(name): logits differ by \(d)")
            }
            let top = try XCTUnwrap(out["top"] as? [[String: Any]], "\(name): top")
            XCTAssertEqual(top.compactMap { ($0["id"] as? NSNumber)?.intValue }, Array(f.ints("top_tokens").prefix(3)), "\(name): top ids")
            let probs = top.compactMap { ($0["prob"] as? NSNumber)?.doubleValue }
            XCTAssertEqual(probs.count, 3)
            XCTAssertEqual(probs, probs.sorted(by: >), "\(name): top is sorted")
            XCTAssertTrue(probs.allSatisfy { $0 > 0 && $0 <= 1 }, "\(name): probabilities")
        }
    }

    func testGenerateJSONMatchesEveryFixture() throws {
        for name in Fixture.cases {
            let f = try Fixture(name)
            let r = try AMPSBinary.run(["generate", "--model", f.folder, "--image", f.folder + "/image.png",
                                        "--prompt", f.expected["prompt"] as! String, "--max-new-tokens", "8", "--json"])
            let out = try json(r, "generate \(name)")
            XCTAssertEqual((out["generated_ids"] as? [NSNumber])?.map(\.intValue), f.ints("generated_ids"), "\(name): generated_ids")
            XCTAssertNotNil(out["text"] as? String, "\(name): text")
        }
    }

    func testForwardPlainTextPrintsTheTopTokens() throws {
        let f = try Fixture("llava_clip_llama_default")
        let r = try AMPSBinary.run(["forward", "--model", f.folder, "--image", f.folder + "/image.png",
                                    "--prompt", f.expected["prompt"] as! String, "--top", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, r.stdout)
        XCTAssertEqual(lines.first, "tokens: \(f.ints("input_ids").count) (\(f.ints("image_positions").count) image tokens)")
        XCTAssertTrue(lines.dropFirst().first?.contains(" \(f.ints("top_tokens")[0]) ") ?? false, r.stdout)
    }

    // MARK: bad inputs

    /// Exit status 1, exactly one stderr line `amps: …` naming `names` and every keyword,
    /// nothing on stdout, no crash, no backtrace.
    private func assertCleanFailure(_ r: CommandResult, names: [String], keywords: [String], status: Int32 = 1, _ what: String,
                                    file: StaticString = #filePath, line: UInt = #line) {
        guard !r.timedOut, !r.signalled else {
            XCTFail("\(what): \(r.timedOut ? "hung (killed after the timeout)" : "crashed (signal \(r.status))"); stderr: \(r.stderr.prefix(600))",
                    file: file, line: line)
            return
        }
        XCTAssertEqual(r.status, status, "\(what): exit status; stderr: \(r.stderr.prefix(600))", file: file, line: line)
        XCTAssertEqual(r.stdout, "", "\(what): stdout", file: file, line: line)
        let lines = r.stderrLines
        XCTAssertEqual(lines.count, 1, "\(what): stderr should be one line: \(r.stderr.prefix(600).debugDescription)", file: file, line: line)
        guard let first = lines.first else { return }
        XCTAssertTrue(first.hasPrefix("amps: "), "\(what): \(first.debugDescription)", file: file, line: line)
        for n in names + keywords where !first.lowercased().contains(n.lowercased()) {
            XCTFail("\(what): \(first.debugDescription) does not mention \(n.debugDescription)", file: file, line: line)
        }
        for crashSign in ["Fatal error", "Backtrac", "Program crashed", "Thread 0"] {
            XCTAssertFalse(r.stderr.contains(crashSign), "\(what): \(crashSign) in stderr", file: file, line: line)
        }
    }

    private func scratch(_ fixture: String) throws -> String {
        let (root, folder) = try scratchCopy(of: fixture)
        roots.append(root)
        return folder
    }

    func testEveryBadInputThroughForwardAndGenerate() throws {
        // generate shares the loading path; a few representative cases go through it too.
        let alsoGenerate: Set = ["tensor of the wrong shape", "corrupt PNG", "prompt without <image>", "unknown model_type",
                                 "model.safetensors truncated in the data"]
        var runs: [(what: String, names: [String], keywords: [String], args: [String])] = []
        for c in BadInput.all {
            let folder = try scratch(c.fixture)
            try c.apply(folder)
            let prompt = try c.prompt ?? BadInput.fixturePrompt(c.fixture)
            let names = c.namedPath.map { [folder + $0] } ?? []
            let common = ["--model", c.model(folder), "--image", c.image(folder), "--prompt", prompt]
            runs.append(("forward: \(c.name)", names, c.keywords, ["forward"] + common + ["--json"]))
            if alsoGenerate.contains(c.name) {
                runs.append(("generate: \(c.name)", names, c.keywords, ["generate"] + common + ["--max-new-tokens", "2"]))
            }
        }
        XCTAssertEqual(Set(BadInput.all.map(\.name)).intersection(alsoGenerate), alsoGenerate)
        let results = try AMPSBinary.runAll(runs.map(\.args))
        for (run, r) in zip(runs, results) {
            assertCleanFailure(r, names: run.names, keywords: run.keywords, run.what)
        }
    }

    /// Safetensors files broken in ways that used to crash the loader (integer traps).
    func testSafetensorsThatUsedToCrash() throws {
        let cases: [(String, (inout [String: Any]) -> Void, [String])] = [
            ("shape product overflows", { h in h[BadInput.victim] = ["dtype": "F32", "shape": [4_294_967_296, 4_294_967_296, 4],
                                                                     "data_offsets": [0, 256]] as [String: Any] }, ["too large"]),
            ("fractional shape", { h in h[BadInput.victim] = ["dtype": "F32", "shape": [63.5], "data_offsets": [0, 256]] as [String: Any] },
             ["non-negative integers"]),
            ("offset beyond Int", { h in h[BadInput.victim] = ["dtype": "F32", "shape": [64], "data_offsets": [0, 1e300]] as [String: Any] },
             ["malformed data_offsets"]),
        ]
        for (what, edit, keywords) in cases {
            let folder = try scratch("llava_clip_llama_default")
            try editHeader(folder + "/model.safetensors") { h, _ in edit(&h) }
            let f = try Fixture("llava_clip_llama_default")
            let r = try AMPSBinary.run(["forward", "--model", folder, "--image", folder + "/image.png", "--prompt", f.expected["prompt"] as! String])
            assertCleanFailure(r, names: [folder + "/model.safetensors", BadInput.victim], keywords: keywords, what)
        }
        let folder = try scratch("llava_clip_llama_default")
        var d = try Data(contentsOf: URL(fileURLWithPath: folder + "/model.safetensors"))
        d.replaceSubrange(0..<8, with: [UInt8](repeating: 0xFF, count: 8))
        try writeFile(d, to: folder + "/model.safetensors")
        let r = try AMPSBinary.run(["forward", "--model", folder, "--image", folder + "/image.png", "--prompt", "<image> x"])
        assertCleanFailure(r, names: [folder + "/model.safetensors"], keywords: ["header length 18446744073709551615"], "header length 2^64-1")
    }

    /// A malformed processor patch_size must be an error, not a division by zero.
    func testProcessorPatchSizeZeroIsAnErrorNotACrash() throws {
        let folder = try scratch("llava_clip_llama_default")
        try editJSON(folder + "/processor_config.json") { p in p["patch_size"] = 0 }
        let r = try AMPSBinary.run(["forward", "--model", folder, "--image", folder + "/image.png", "--prompt", "<image> x"])
        assertCleanFailure(r, names: [folder + "/processor_config.json"], keywords: ["patch_size"], "processor patch_size 0")
    }

    /// A generation_config.json that is not JSON must not be silently ignored.
    func testMalformedGenerationConfigIsAnError() throws {
        let folder = try scratch("llava_clip_llama_default")
        try writeFile("eos_token_id = 3", to: folder + "/generation_config.json")
        let r = try AMPSBinary.run(["generate", "--model", folder, "--image", folder + "/image.png", "--prompt", "<image> x"])
        assertCleanFailure(r, names: [folder + "/generation_config.json"], keywords: ["JSON"], "malformed generation_config.json")
    }

    // MARK: arguments

    func testZeroCountsAreRejected() throws {
        let f = try Fixture("llava_clip_llama_default")
        let common = ["--model", f.folder, "--image", f.folder + "/image.png", "--prompt", f.expected["prompt"] as! String]
        assertCleanFailure(try AMPSBinary.run(["forward"] + common + ["--top", "0"]), names: [], keywords: ["--top", "at least 1"], "--top 0")
        assertCleanFailure(try AMPSBinary.run(["forward"] + common + ["--threads", "0"]), names: [], keywords: ["--threads", "at least 1"], "--threads 0")
        assertCleanFailure(try AMPSBinary.run(["generate"] + common + ["--threads=-2"]), names: [], keywords: ["--threads", "at least 1"], "--threads -2")
        assertCleanFailure(try AMPSBinary.run(["generate"] + common + ["--max-new-tokens", "0"]), names: [],
                           keywords: ["--max-new-tokens", "at least 1"], "--max-new-tokens 0")
    }

    func testArgumentErrorsExit64() throws {
        let f = try Fixture("llava_clip_llama_default")
        let cases: [([String], String)] = [
            (["forward", "--model", f.folder, "--prompt", "<image> x"], "--image"),
            (["forward", "--model", f.folder, "--image", f.folder + "/image.png", "--prompt", "<image> x", "--top", "many"], "--top"),
            (["generate", "--model", f.folder, "--image", f.folder + "/image.png", "--prompt", "<image> x", "--max-new-tokens", "1.5"], "--max-new-tokens"),
            (["forward", "--model", f.folder, "--image", f.folder + "/image.png", "--prompt", "<image> x", "--no-such-option"], "--no-such-option"),
        ]
        for (args, option) in cases {
            let r = try AMPSBinary.run(args)
            XCTAssertFalse(r.signalled || r.timedOut, "\(args): crashed or hung")
            XCTAssertEqual(r.status, 64, "\(args): exit status; stderr: \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(args): stdout")
            XCTAssertTrue(r.stderrLines.first?.hasPrefix("Error: ") ?? false, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderrLines.first?.contains(option) ?? false, "\(args): first line names \(option): \(r.stderr)")
        }
    }
}
