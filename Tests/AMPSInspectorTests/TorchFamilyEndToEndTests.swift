import Foundation
import XCTest

/// The families only the PyTorch engine runs (LLaVA-NeXT, Qwen2-VL, Qwen2.5-VL), through every
/// method command and the inspector: `vectors`, `diagnose --json`, `eval --json` and a tmux
/// session, on the transformers-made random checkpoints of engines/torch/tests/fixtures
/// (tools/make_family_fixtures.py) with the shipped prompt forms of those families. Their
/// forward passes, noise and steering are checked against transformers in the engine's pytest
/// (test_families.py); here the commands run on them end to end: four instances on the
/// checkpoint's own image, words of its tiny vocabulary.
final class TorchFamilyEndToEndTests: XCTestCase {
    static let repo = InspectorEndToEndTests.repo
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("amps-family-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    /// Two conflicts and two consistent instances on `folder`'s image; returns the data file.
    func instances(for folder: String) throws -> String {
        try FileManager.default.copyItem(atPath: Self.repo.appendingPathComponent(folder + "/image.png").path,
                                         toPath: tmp.appendingPathComponent("image.png").path)
        let rows: [(String, String, String, String?)] = [
            ("the object is red .", "blue", "red", nil), ("the object is blue .", "red", "blue", nil),
            ("the object is red .", "red", "red", "blue"), ("the object is blue .", "blue", "blue", "red"),
        ]
        var lines: [String] = []
        for (i, (context, vision, text, distractor)) in rows.enumerated() {
            var meta: [String: Any] = ["kind": distractor == nil ? "conflict" : "consistent"]
            if let distractor { meta["distractor"] = distractor }
            let o: [String: Any] = ["image_id": 300 + i, "image": "image.png", "task": "color", "question": "What color is the object ?",
                                    "answer_vision": vision, "answer_text": text, "context": context, "split": "test", "meta": meta]
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
        }
        let path = tmp.appendingPathComponent("data.jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func runFamily(_ family: String, prompt: String) throws {
        let py = try TorchInspectorEndToEndTests.python()
        let engine = "'\(py)' -m amps_torch_engine.cli --device cpu --dtype float32 --threads 1"
        let folder = "engines/torch/tests/fixtures/\(family)"
        let base = ["--model", folder, "--prompt-file", prompt, "--data", try instances(for: folder), "--engine-command", engine]
        let vectors = tmp.appendingPathComponent("v.safetensors").path

        let v = try AmpsRun.run(["vectors"] + base + ["--output", vectors])
        XCTAssertEqual(v.status, 0, v.stderr)
        XCTAssertTrue(v.stdout.contains("steering vectors from 4 prompts"), v.stdout)

        let d = try AmpsRun.run(["diagnose"] + base + ["--vectors", vectors, "--instance", "300", "-n", "4", "--alpha-steps", "3", "--json"])
        XCTAssertEqual(d.status, 0, d.stderr)
        if let j = d.json {
            let ids = (j["input_ids"] as? [NSNumber])?.map(\.intValue) ?? []
            let vision = (j["vision_positions"] as? [NSNumber])?.map(\.intValue) ?? []
            let text = (j["text_positions"] as? [NSNumber])?.map(\.intValue) ?? []
            XCTAssertFalse(vision.isEmpty, "image tokens")
            // Every vision position holds the family's image token, and no other position does.
            let imageId = Set(vision.map { ids[$0] })
            XCTAssertEqual(imageId.count, 1)
            XCTAssertEqual(ids.indices.filter { imageId.contains(ids[$0]) }, vision)
            XCTAssertEqual(text.count, 5, "the context 'the object is red .' is five words of the word-level vocabulary")
            let layers = j["layers"] as? [[String: Any]] ?? []
            XCTAssertEqual(layers.count, 2)
            for l in layers { for k in ["mcs_vision", "mcs_text"] { XCTAssertNotNil(l[k] as? NSNumber, "\(k) is a number") } }
            XCTAssertEqual((j["steered"] as? [Any])?.count ?? 0 > 0, true)
        }

        let e = try AmpsRun.run(["eval"] + base + ["--vectors", vectors, "--uniform-only", "--alphas", "1", "-n", "4", "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        if let j = e.json {
            XCTAssertEqual((j["conflictProbes"] as? NSNumber)?.intValue, 4)
            XCTAssertEqual((j["probes"] as? [Any])?.count, 4, "one row per conflict probe (two instances, two orders)")
        }

        // The inspector on it: the map finishes, alpha moves, a layer step, quit.
        let tmux = TmuxSession("family-\(family)")
        defer { tmux.kill() }
        guard let bin = InspectorEndToEndTests.binary, tmux.available else { return XCTFail("amps binary or tmux missing") }
        let args = (base + ["--vectors", vectors, "-n", "4"]).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        try tmux.start(width: 160, height: 48, command: "cd '\(Self.repo.path)' && TERM=xterm-256color LANG=C.UTF-8 '\(bin.path)' \(args); echo EXIT=$?; stty -a; sleep 120")
        try tmux.waitFor("the finished map", timeout: 120) { $0.contains("max MCS") && $0.contains("idle") && !$0.contains(" layers ") }
        for _ in 0..<4 { try tmux.keys(["+"]) }
        try tmux.waitFor("alpha 1.00") { $0.contains("α 1.00") && $0.contains("idle") }
        try tmux.keys(["]"])
        try tmux.waitFor("layer 1") { $0.contains("Layer 1/1") }
        try tmux.keys(["q"])
        let end = try tmux.waitFor("the shell after quitting", timeout: 20) { $0.contains("EXIT=") && $0.contains("icanon") }
        XCTAssertTrue(end.contains("EXIT=0"), end)
    }

    func testLlavaNext() throws { try runFamily("llava_next", prompt: "llava-next-mistral") }
    func testQwen2VL() throws { try runFamily("qwen2_vl", prompt: "qwen2-vl-chat") }
    func testQwen25VL() throws { try runFamily("qwen2_5_vl", prompt: "qwen2-vl-chat") }
}
