import Foundation
import XCTest

/// Every `amps` command, and the inspector in a real terminal, on small random-weight
/// checkpoints of the two real LLaVA families (tools/make_e2e_fixtures.py): LLaVA-1.5 style
/// (CLIP + Llama, SentencePiece-style BPE, bf16 weights, images resized and cropped) with
/// samples/prompts/llava-1.5.json, and llava-interleave-qwen style (SigLIP + Qwen2, byte-level
/// BPE, sharded weights) with samples/prompts/qwen2-chat.json. The prompt, token ids and logits
/// are checked against transformers' (expected.json), the rest must run and be well formed.
final class RealFamilyEndToEndTests: XCTestCase {
    static let repo = InspectorEndToEndTests.repo
    static let fixtures = repo.appendingPathComponent("Tests/AMPSInspectorTests/Fixtures")

    func testLlava15FamilyEveryCommand() throws {
        // bf16 weights: transformers computed in float32 from the same rounded weights.
        try everyCommand("e2e_llava15", logitTolerance: 1e-3)
    }

    func testInterleaveQwenFamilyEveryCommand() throws {
        try everyCommand("e2e_interleave_qwen", logitTolerance: 1e-4)
    }

    typealias Run = AmpsRun

    func amps(_ args: [String], timeout: TimeInterval = 300) throws -> Run { try AmpsRun.run(args, timeout: timeout) }

    func succeeded(_ r: Run, _ what: String, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        XCTAssertEqual(r.status, 0, "\(what) failed: \(r.stderr)", file: file, line: line)
        return r.status == 0
    }

    func everyCommand(_ name: String, logitTolerance: Double) throws {
        let folder = Self.fixtures.appendingPathComponent(name).path
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/expected.json"))) as! [String: Any]
        let promptName = expected["prompt_file"] as! String
        let prompt = expected["prompt"] as! String
        let image = "samples/data/" + (expected["image"] as! String)
        let instance = String(expected["image_id"] as! Int)
        let refIds = (expected["input_ids"] as! [NSNumber]).map(\.intValue)
        let refLogits = (expected["logits"] as! [NSNumber]).map(\.doubleValue)
        let answerIds = (expected["answer_ids"] as! [NSNumber]).map(\.intValue)
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("amps-rf-\(name)-\(getpid())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let vectors = tmp.appendingPathComponent("vectors.safetensors").path
        let scaling = tmp.appendingPathComponent("scaling.json").path
        let scaler = tmp.appendingPathComponent("scaler.safetensors").path
        let base = ["--model", folder, "--threads", "1"]
        let method = ["--prompt-file", promptName, "--vectors", vectors]

        // forward: the ids and logits transformers gives on the family's prompt.
        let fwd = try amps(["forward"] + base + ["--prompt", prompt, "--image", image, "--json"])
        guard succeeded(fwd, "forward"), let f = fwd.json else { return }
        XCTAssertEqual((f["input_ids"] as? [NSNumber])?.map(\.intValue), refIds)
        let logits = (f["logits"] as? [NSNumber])?.map(\.doubleValue) ?? []
        XCTAssertEqual(logits.count, refLogits.count)
        let scale = max(1, refLogits.map(abs).max() ?? 1)
        let diff = zip(logits, refLogits).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(diff, logitTolerance * scale, "max |logit - transformers| = \(diff)")

        // generate: greedy tokens come out and decode.
        let gen = try amps(["generate"] + base + ["--prompt", prompt, "--image", image, "--max-new-tokens", "3", "--json"])
        if succeeded(gen, "generate"), let g = gen.json {
            let ids = (g["generated_ids"] as? [NSNumber])?.count ?? 0
            XCTAssertTrue((1...3).contains(ids), "generate JSON: \(g)")
        }

        // vectors on calibration instances, rendered with the family's prompt file.
        let vec = try amps(["vectors"] + base + method.prefix(2) + ["--data", "samples/data/calib.jsonl", "--limit", "16", "--output", vectors])
        guard succeeded(vec, "vectors") else { return }
        XCTAssertTrue(vec.stdout.contains("layer  3"), vec.stdout)

        // diagnose: the same prompt as transformers', its clean answer, a finite MCS map.
        let diag = try amps(["diagnose"] + base + method + ["--instance", instance, "-n", "4", "--alpha-steps", "3", "--json"])
        if succeeded(diag, "diagnose"), let d = diag.json {
            XCTAssertEqual(d["prompt"] as? String, prompt)
            let m = refLogits.max()!
            let z = refLogits.reduce(0) { $0 + exp($1 - m) }
            let pA = exp(refLogits[answerIds[0]] - m) / z
            let got = ((d["unsteered"] as? [String: Any])?["p_vision"] as? NSNumber)?.doubleValue ?? -1
            XCTAssertEqual(got, pA, accuracy: 1e-3 * max(pA, 1e-6) + 1e-7)
            let layers = d["layers"] as? [[String: Any]] ?? []
            XCTAssertEqual(layers.count, 4)
            for l in layers {
                for k in ["mcs_vision", "mcs_text"] {
                    let v = (l[k] as? NSNumber)?.doubleValue ?? .nan
                    XCTAssertTrue(v.isFinite && v >= 0, "\(k) = \(v)")
                }
            }
            XCTAssertNotNil(d["sensitivity"])
        }

        // fit: the AMPS rule and the learned scaler, written where asked.
        let fit = try amps(["fit"] + base + method + ["--scaling", scaling, "--scaler", scaler, "--data", "samples/data/calib.jsonl",
                                                     "--limit", "12", "--epochs", "5", "-n", "4", "--json"])
        // A random checkpoint's MCS is noise around zero: MCR is then undefined (docs/METHOD.md)
        // and the fit must refuse with that reason, not fit beta to meaningless ratios.
        let mcrUndefined = fit.status != 0 && fit.stderr.contains("MCR is undefined")
        if mcrUndefined {
            XCTAssertEqual(fit.stderr.split(separator: "\n").count, 1, fit.stderr)
        } else {
            guard succeeded(fit, "fit") else { return }
            XCTAssertTrue(FileManager.default.fileExists(atPath: scaling) && FileManager.default.fileExists(atPath: scaler))
        }

        // eval: every method there is, as CSV.
        let ev = try amps(["eval"] + base + method + (mcrUndefined ? ["--uniform-only"] : ["--scaling", scaling, "--scaler", scaler])
                          + ["--limit", "6", "--alphas", "1", "-n", "4", "--csv"])
        if succeeded(ev, "eval") {
            let rows = ev.stdout.split(separator: "\n")
            XCTAssertGreaterThanOrEqual(rows.count, mcrUndefined ? 4 : 5, ev.stdout)  // header, none, uniform toward each direction (+ adaptive)
            XCTAssertFalse(ev.stdout.lowercased().contains("nan"), ev.stdout)
        }

        // bench: the harness on this checkpoint.
        let benchOut = tmp.appendingPathComponent("bench.json").path
        let bench = try amps(["bench"] + base + method + ["--quick", "--eval-instances", "2", "--keys", "0", "--json", benchOut])
        if succeeded(bench, "bench") {
            let b = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: benchOut))) as? [String: Any]
            XCTAssertEqual((b?["workloads"] as? [Any])?.count, 4)
        }

        // inspect: the map is drawn, steering answers, q leaves a sane terminal.
        try inspect(folder: folder, promptName: promptName, vectors: vectors, scaling: mcrUndefined ? nil : scaling,
                    scaler: mcrUndefined ? nil : scaler, tag: name)
    }

    func inspect(folder: String, promptName: String, vectors: String, scaling: String?, scaler: String?, tag: String) throws {
        guard let bin = InspectorEndToEndTests.binary else { return XCTFail("amps binary not found") }
        let tmux = TmuxSession("rf-\(tag)")
        guard tmux.available else { return XCTFail("tmux is not installed (make test installs it)") }
        let adaptive = (scaling.map { ["--scaling", $0] } ?? []) + (scaler.map { ["--scaler", $0] } ?? [])
        let args = (["inspect", "--model", folder, "--threads", "1", "--prompt-file", promptName, "--vectors", vectors]
                    + adaptive + ["-n", "4"]).map { "'\($0)'" }.joined(separator: " ")
        let cmd = "cd '\(Self.repo.path)' && TERM=xterm-256color LANG=C.UTF-8 '\(bin.path)' \(args); echo EXIT=$?; stty -a; sleep 60"
        defer { tmux.kill() }
        try tmux.start(width: 160, height: 48, command: cmd)
        try tmux.waitFor("the MCS map", timeout: 120) { s in
            (s.contains("window MCR") && !s.contains(" layers ")) || s.contains("EXIT=")
        }
        let drawn = try tmux.screen()
        XCTAssertFalse(drawn.contains("EXIT="), "the inspector quit early:\n\(drawn)")
        try tmux.keys(["+"])
        try tmux.keys(["q"])
        let end = try tmux.waitFor("the shell after quitting", timeout: 20) { $0.contains("EXIT=") && $0.contains("icanon") && $0.contains("echo") }
        XCTAssertTrue(end.contains("EXIT=0"), end)
        XCTAssertTrue(end.contains(" icanon") && end.contains(" echo"), "terminal not restored:\n\(end)")
    }
}
