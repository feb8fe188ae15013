import AMPSModel
import Foundation
import XCTest

/// The same commands on both engines give the same numbers: `diagnose --json` (input ids
/// identical, unsteered and steered answer probabilities within 1e-4, every layer's MCS within
/// 1e-4 relative, from the same seed), `eval` (identical tallies of every method) and `vectors`
/// (within 1e-4), on the default model and on a committed random checkpoint. The PyTorch
/// engine runs from the repository's .venv (`make engine-venv`; `make test` builds it).
final class EngineParityTests: XCTestCase {
    static let repo = InspectorEndToEndTests.repo
    static let fixtures = repo.appendingPathComponent("Tests/AMPSInspectorTests/Fixtures")

    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("amps-parity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    static func torchEngine() throws -> String {
        let py = repo.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: py) else {
            throw XCTSkip("no .venv with the PyTorch engine (run `make engine-venv`; `make test` does)")
        }
        // float32 whatever the checkpoint's dtype (e2e_llava15 is stored in bfloat16): the Swift
        // engine computes in float32.
        return "'\(py)' -m amps_torch_engine.cli --device cpu --dtype float32 --threads 1"
    }

    /// Runs `args` on the Swift engine and on the PyTorch engine; both must succeed.
    func both(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> (swift: AmpsRun, torch: AmpsRun) {
        let s = try AmpsRun.run(args + ["--threads", "1"])
        let t = try AmpsRun.run(args + ["--engine-command", try Self.torchEngine()])
        XCTAssertEqual(s.status, 0, "swift: \(s.stderr)", file: file, line: line)
        XCTAssertEqual(t.status, 0, "torch: \(t.stderr)", file: file, line: line)
        return (s, t)
    }

    func number(_ o: [String: Any]?, _ k: String) -> Double? { (o?[k] as? NSNumber)?.doubleValue }

    func assertClose(_ a: Double?, _ b: Double?, abs tol: Double? = nil, rel: Double? = nil, _ what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        guard let a, let b else { return XCTAssertTrue(a == nil && b == nil, "\(what): \(String(describing: a)) vs \(String(describing: b))", file: file, line: line) }
        let d = Swift.abs(a - b)
        if let tol { XCTAssertLessThanOrEqual(d, tol, "\(what): swift \(a), torch \(b)", file: file, line: line) }
        if let rel { XCTAssertLessThanOrEqual(d, rel * max(Swift.abs(a), Swift.abs(b)) + 1e-300, "\(what): swift \(a), torch \(b)", file: file, line: line) }
    }

    func assertSameDiagnosis(_ s: [String: Any], _ t: [String: Any], file: StaticString = #filePath, line: UInt = #line) {
        for k in ["input_ids", "vision_positions", "text_positions"] {
            XCTAssertEqual((t[k] as? [NSNumber])?.map(\.intValue), (s[k] as? [NSNumber])?.map(\.intValue), k, file: file, line: line)
            XCTAssertFalse((s[k] as? [Any] ?? []).isEmpty, k, file: file, line: line)
        }
        func answers(_ o: [String: Any]) -> [(String, [String: Any])] {
            var out = [("unsteered", o["unsteered"] as! [String: Any])]
            for (i, st) in (o["steered"] as? [[String: Any]] ?? []).enumerated() {
                out.append(("steered[\(i)] \(st["mode"] ?? "") α=\(st["alpha"] ?? "")", st["answer"] as! [String: Any]))
            }
            return out
        }
        let sa = answers(s), ta = answers(t)
        XCTAssertEqual(sa.count, ta.count, "steered answers", file: file, line: line)
        for ((name, a), (_, b)) in zip(sa, ta) {
            for k in ["p_vision", "p_text"] { assertClose(number(a, k), number(b, k), abs: 1e-4, "\(name) \(k)", file: file, line: line) }
            XCTAssertEqual(a["answer"] as? String, b["answer"] as? String, name, file: file, line: line)
        }
        let sl = s["layers"] as! [[String: Any]], tl = t["layers"] as! [[String: Any]]
        XCTAssertEqual(sl.count, tl.count, file: file, line: line)
        for (a, b) in zip(sl, tl) {
            let l = number(a, "layer").map { Int($0) } ?? -1
            for k in ["mcs_vision", "mcs_text"] {
                // 1e-4 relative; values below 1e-8 are at the float32 floor of the answer's
                // probabilities (a perturbation that moves them by ~1e-7), where both engines
                // agree to 1e-10 absolute but not to four digits.
                if max(number(a, k) ?? 0, number(b, k) ?? 0) >= 1e-8 {
                    assertClose(number(a, k), number(b, k), rel: 1e-4, "layer \(l) \(k)", file: file, line: line)
                } else {
                    assertClose(number(a, k), number(b, k), abs: 1e-10, "layer \(l) \(k) (below 1e-8)", file: file, line: line)
                }
                XCTAssertGreaterThan(number(a, k) ?? 0, 0, "layer \(l) \(k) is a real measurement", file: file, line: line)
            }
        }
        if let ss = s["sensitivity"] as? [String: Any], let ts = t["sensitivity"] as? [String: Any] {
            XCTAssertEqual(ss["alpha_flip_grid"] as? NSNumber, ts["alpha_flip_grid"] as? NSNumber, "alpha_flip on the grid", file: file, line: line)
            XCTAssertEqual(ss["alpha_collapse_grid"] as? NSNumber, ts["alpha_collapse_grid"] as? NSNumber, "alpha_collapse on the grid", file: file, line: line)
        }
    }

    func testDiagnoseAgreesOnTheDefaultModel() throws {
        // The shipped vectors, rule and networks: uniform, AMPS and the networks' steered answers.
        let (s, t) = try both(["diagnose", "--instance", "200000", "-n", "8", "--alpha-steps", "5", "--json"])
        guard let sj = s.json, let tj = t.json else { return XCTFail("no JSON: \(s.stdout.prefix(200)) / \(t.stdout.prefix(200))") }
        XCTAssertGreaterThan((sj["steered"] as? [Any])?.count ?? 0, 1)
        assertSameDiagnosis(sj, tj)
        // The other instruction, order and noise target take the same paths on both engines.
        let (s2, t2) = try both(["diagnose", "--instance", "200003", "--order", "text-first", "--instruction", "vision", "--target", "residual",
                                 "--noise-scale", "shared", "-n", "4", "--alpha-steps", "3", "--json"])
        if let a = s2.json, let b = t2.json { assertSameDiagnosis(a, b) } else { XCTFail("no JSON") }
    }

    func testDiagnoseAndVectorsAgreeOnARandomCheckpoint() throws {
        let mc2 = Self.fixtures.appendingPathComponent("mc2").path
        let base = ["--model", Self.fixtures.appendingPathComponent("e2e_llava15").path, "--prompt-file", "mc2-llava-1.5",
                    "--data", mc2 + "/evaluate_excerpt.json", "--images", mc2 + "/coco"]
        let vs = tmp.appendingPathComponent("swift.safetensors").path, vt = tmp.appendingPathComponent("torch.safetensors").path
        let s = try AmpsRun.run(["vectors"] + base + ["--threads", "1", "--output", vs])
        let t = try AmpsRun.run(["vectors"] + base + ["--engine-command", try Self.torchEngine(), "--output", vt])
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertEqual(t.status, 0, t.stderr)
        let a = try SafeTensorsFile(path: vs), b = try SafeTensorsFile(path: vt)
        XCTAssertEqual(a.metadata["count"], b.metadata["count"])
        var worst: Float = 0, largest: Float = 0
        for l in 0..<(Int(a.metadata["layers"] ?? "0") ?? 0) {
            let x = try a.tensor("layer.\(l)"), y = try b.tensor("layer.\(l)")
            XCTAssertEqual(x.shape, y.shape)
            for i in 0..<x.count { worst = max(worst, abs(x[i] - y[i])); largest = max(largest, abs(x[i])) }
        }
        XCTAssertGreaterThan(largest, 1e-3, "the vectors are not zero")
        XCTAssertLessThanOrEqual(worst, 1e-4, "max |u swift - u torch|")

        let id = try firstConflict(mc2 + "/evaluate_excerpt.json")
        let (ds, dt) = try both(["diagnose"] + base + ["--vectors", vs, "--instance", id, "-n", "4", "--alpha-steps", "3", "--json"])
        if let x = ds.json, let y = dt.json { assertSameDiagnosis(x, y) } else { XCTFail("no JSON") }
    }

    func firstConflict(_ path: String) throws -> String {
        let items = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [[String: Any]]
        let c = items.first { ($0["answer_vision"] as? String) != ($0["answer_text"] as? String) }!
        return "\(c["image_id"]!)"
    }

    func testEvalTalliesAgreeOnTheDefaultModel() throws {
        // Every method the default model ships artifacts for, on the test split's first items.
        let (s, t) = try both(["eval", "--limit", "6", "--alphas", "1", "--alphas", "4", "-n", "4", "--json"])
        guard let sj = s.json, let tj = t.json else { return XCTFail("no JSON") }
        let sm = sj["methods"] as! [[String: Any]], tm = tj["methods"] as! [[String: Any]]
        XCTAssertGreaterThan(sm.count, 6)
        XCTAssertEqual(sm.count, tm.count)
        for (a, b) in zip(sm, tm) {
            let name = "\(a["method"] ?? "") \(a["direction"] ?? "") \(a["alpha"] ?? "")"
            for k in ["conflict", "nonConflict", "errors", "byTask"] {
                XCTAssertEqual(a[k] as? NSDictionary, b[k] as? NSDictionary, "\(name): \(k)")
            }
        }
        let sp = sj["probes"] as! [[String: Any]], tp = tj["probes"] as! [[String: Any]]
        XCTAssertEqual(sp.count, tp.count)
        for (a, b) in zip(sp, tp) {
            assertClose(number(a, "mcr"), number(b, "mcr"), rel: 1e-4, "probe \(a["instance"] ?? "") MCR")
        }
    }

    func testFitAgreesOnTheDefaultModel() throws {
        // The AMPS rule's grid search on a few items: the same MCR anchor, the same tallies at
        // every (alpha, beta), so the same rule.
        func fit(_ tag: String) -> [String] {
            ["fit", "--limit", "8", "-n", "4", "--no-networks", "--epochs", "5", "--json",
             "--scaling", tmp.appendingPathComponent("s-\(tag).json").path, "--scaler", tmp.appendingPathComponent("l-\(tag).safetensors").path]
        }
        let s = try AmpsRun.run(fit("swift") + ["--threads", "1"])
        let t = try AmpsRun.run(fit("torch") + ["--engine-command", try Self.torchEngine()])
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertEqual(t.status, 0, t.stderr)
        guard let a = s.json, let b = t.json else { return XCTFail("no JSON") }
        XCTAssertEqual(number(a, "alpha"), number(b, "alpha"))
        XCTAssertEqual(number(a, "beta"), number(b, "beta"))
        assertClose(number(a, "anchor"), number(b, "anchor"), rel: 1e-4, "MCR anchor")
        let ga = a["fit"] as? [[String: Any]] ?? [], gb = b["fit"] as? [[String: Any]] ?? []
        XCTAssertGreaterThan(ga.count, 10)
        XCTAssertEqual(ga.count, gb.count)
        for (x, y) in zip(ga, gb) {
            for k in ["vision_ratio", "error_rate", "letter_collapse_rate", "other_rate"] {
                XCTAssertEqual(number(x, k), number(y, k), "alpha \(x["alpha"] ?? "") beta \(x["beta"] ?? ""): \(k)")
            }
        }
    }
}
