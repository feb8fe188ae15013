import Foundation
import XCTest

/// `--engine torch` / `--engine-command` through the command line: `forward` and `generate`
/// give the Swift engine's ids, logits and tokens on the default model, transformers' on the
/// families only the PyTorch engine runs (LLaVA-NeXT, Qwen2-VL, Qwen2.5-VL); `bench` (the Swift engine's), a family the
/// Swift engine lacks and a command that is no engine each get one line.
final class EngineChoiceTests: XCTestCase {
    static let repo = InspectorEndToEndTests.repo

    func engine() throws -> String {
        let py = Self.repo.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: py) else {
            throw XCTSkip("no .venv with the PyTorch engine (run `make engine-venv`; `make test` does)")
        }
        return "'\(py)' -m amps_torch_engine.cli --device cpu --threads 1"
    }

    let prompt = "<image>\nText context: The caption says the square is red .\nQuestion: What color is the square ?\nA. red\nB. blue\nAnswer:"
    let image = "samples/data/images/200000.png"

    func numbers(_ r: AmpsRun, _ key: String) -> [Double] { (r.json?[key] as? [NSNumber])?.map(\.doubleValue) ?? [] }

    func testForwardAndGenerateAgreeAcrossEngines() throws {
        let cmd = try engine()
        let swift = try AmpsRun.run(["forward", "--threads", "1", "--prompt", prompt, "--image", image, "--json"])
        let torch = try AmpsRun.run(["forward", "--engine-command", cmd, "--prompt", prompt, "--image", image, "--json"])
        XCTAssertEqual(swift.status, 0, swift.stderr)
        XCTAssertEqual(torch.status, 0, torch.stderr)
        XCTAssertEqual(numbers(torch, "input_ids"), numbers(swift, "input_ids"))
        let a = numbers(swift, "logits"), b = numbers(torch, "logits")
        XCTAssertEqual(a.count, b.count)
        let diff = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(diff, 1e-4 * max(1, a.map(abs).max() ?? 1), "max |logit swift - torch| = \(diff)")

        let gs = try AmpsRun.run(["generate", "--threads", "1", "--prompt", prompt, "--image", image, "--max-new-tokens", "6", "--json"])
        let gt = try AmpsRun.run(["generate", "--engine-command", cmd, "--prompt", prompt, "--image", image, "--max-new-tokens", "6", "--json"])
        XCTAssertEqual(gt.status, 0, gt.stderr)
        XCTAssertEqual(numbers(gt, "generated_ids"), numbers(gs, "generated_ids"))
        XCTAssertEqual(gt.json?["text"] as? String, gs.json?["text"] as? String)
    }

    func testFamiliesRunOnTheTorchEngineOnly() throws {
        // `amps forward --engine-command … --json` on each family only the PyTorch engine runs:
        // transformers' ids and last-position logits (tools/make_family_fixtures.py, float32).
        let cmd = try engine()
        for (family, modelType) in [("llava_next", "llava_next"), ("qwen2_vl", "qwen2_vl"), ("qwen2_5_vl", "qwen2_5_vl")] {
            let folder = "engines/torch/tests/fixtures/\(family)"
            let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.repo.appendingPathComponent(folder + "/expected.json"))) as! [String: Any]
            let p = expected["prompt"] as! String
            let r = try AmpsRun.run(["forward", "--engine-command", cmd, "--model", folder, "--prompt", p, "--image", folder + "/image.png", "--json"])
            XCTAssertEqual(r.status, 0, "\(family): \(r.stderr)")
            XCTAssertEqual(numbers(r, "input_ids"), (expected["input_ids"] as! [NSNumber]).map(\.doubleValue), family)
            let ref = (expected["logits_last"] as! [NSNumber]).map(\.doubleValue), got = numbers(r, "logits")
            XCTAssertEqual(got.count, ref.count, family)
            let diff = zip(got, ref).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(diff, 1e-4, "\(family): max |logit - transformers| = \(diff)")

            let swift = try AmpsRun.run(["forward", "--model", folder, "--prompt", p, "--image", folder + "/image.png"])
            XCTAssertEqual(swift.status, 1, family)
            XCTAssertTrue(swift.stderr.contains("model_type '\(modelType)'") && swift.stderr.contains("use --engine torch"), swift.stderr)
        }
    }

    func testEngineErrorsAreOneLine() throws {
        let cases: [([String], String)] = [
            (["forward", "--engine-command", "echo this is no engine; sleep 1", "--prompt", prompt, "--image", image], "echo this is no engine"),
            (["forward", "--engine-command", "exit 7", "--prompt", prompt, "--image", image], "exit 7"),
            (["forward", "--engine", "cuda", "--prompt", prompt, "--image", image], "--engine must be swift or torch"),
            (["diagnose", "--engine-command", "true", "--instance", "200000"], "engine 'true': exited"),
            (["eval", "--engine-command", "printf 'AMPS\\377\\377\\377\\377XXXXXXXX'; sleep 2", "--limit", "1"], "is not a protocol engine"),
            (["bench", "--engine", "torch", "--quick"], "this command measures the swift engine"),
        ]
        for (args, text) in cases {
            let r = try AmpsRun.run(args, timeout: 120)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(text), "\(args): \(r.stderr)")
        }
    }

    /// Requests the PyTorch engine refuses: a checkpoint folder that is not there, a family
    /// neither engine supports. One line naming the engine and the problem, exit status 1.
    func testRejectedRequestsAreOneLine() throws {
        let cmd = try engine()
        let odd = FileManager.default.temporaryDirectory.appendingPathComponent("amps-mllama-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: odd, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: odd) }
        try #"{"model_type": "mllama", "architectures": ["MllamaForConditionalGeneration"]}"#
            .write(to: odd.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let cases: [([String], [String])] = [
            (["diagnose", "--engine-command", cmd, "--model", "/nonexistent/llava", "--instance", "200000"], ["/nonexistent/llava"]),
            (["eval", "--engine-command", cmd, "--model", odd.path, "--limit", "1"], ["mllama"]),
        ]
        for (args, texts) in cases {
            let r = try AmpsRun.run(args, timeout: 120)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("amps: engine '"), r.stderr)
            for t in texts { XCTAssertTrue(r.stderr.contains(t), "\(args): \(r.stderr)") }
        }
        // An image that is a device, not a file: refused with the loader's bounds, not streamed
        // to the engine forever.
        let zero = try AmpsRun.run(["diagnose", "--engine-command", cmd, "--data", try dataWithImage("/dev/zero", in: odd), "--instance", "1"], timeout: 120)
        XCTAssertEqual(zero.status, 1, zero.stderr)
        XCTAssertEqual(zero.stderr.split(separator: "\n").count, 1, zero.stderr)
        XCTAssertTrue(zero.stderr.contains("/dev/zero: is not a regular file"), zero.stderr)
    }

    /// An engine that dies while an instance is being prepared (here: engines/torch/tests/
    /// engine_proxy.py, which kills the real engine when the first `prepare` request comes): the line is the engine's
    /// ("exited"), not an error of that instance's prompt.
    func testAnEngineThatDiesOnPrepareIsTheEnginesLineNotTheInstances() throws {
        let cmd = try engine()
        let proxied = "'\(Self.repo.appendingPathComponent(".venv/bin/python").path)' '\(Self.repo.appendingPathComponent("engines/torch/tests/engine_proxy.py").path)' --kill-on prepare \"\(cmd)\""
        for args in [["diagnose", "--instance", "200000"], ["eval", "--limit", "2"]] {
            let r = try AmpsRun.run(args + ["--engine-command", proxied], timeout: 120)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("amps: engine '") && r.stderr.contains("': exited (status 9)"), "\(args): \(r.stderr)")
        }
    }

    /// One conflict instance whose image is `image`, as a JSON Lines file in `folder`.
    func dataWithImage(_ image: String, in folder: URL) throws -> String {
        let path = folder.appendingPathComponent("data.jsonl").path
        try #"{"image_id": 1, "image": "\#(image)", "task": "color", "question": "What color is the square ?", "answer_vision": "red", "answer_text": "blue", "context": "The square is blue .", "meta": {"kind": "conflict"}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
