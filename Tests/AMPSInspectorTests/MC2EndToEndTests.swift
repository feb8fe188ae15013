import Foundation
import XCTest

/// Every command on MC² as published: the excerpt in MC²'s JSON-array shape, its images in a
/// COCO-2014 folder, MC²'s own prompt wording (samples/prompts/mc2-llava-1.5.json), answers
/// scored by generation — on the random-weight LLaVA-1.5-family checkpoint, whose greedy
/// continuations transformers computed (tools/make_mc2_excerpt.py → expected_generate.json).
final class MC2EndToEndTests: XCTestCase {
    static let repo = InspectorEndToEndTests.repo
    static let fixtures = repo.appendingPathComponent("Tests/AMPSInspectorTests/Fixtures")
    static let model = fixtures.appendingPathComponent("e2e_llava15").path
    static let mc2 = fixtures.appendingPathComponent("mc2").path
    static let data = mc2 + "/evaluate_excerpt.json"
    static let coco = mc2 + "/coco"

    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("amps-mc2e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    var base: [String] { ["--model", Self.model, "--threads", "1", "--prompt-file", "mc2-llava-1.5", "--data", Self.data, "--images", Self.coco] }

    func amps(_ args: [String]) throws -> AmpsRun { try AmpsRun.run(args) }

    func ok(_ r: AmpsRun, _ what: String, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        XCTAssertEqual(r.status, 0, "\(what) failed: \(r.stderr)", file: file, line: line)
        return r.status == 0
    }

    func testEveryCommandOnTheExcerpt() throws {
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.mc2 + "/expected_generate.json"))) as! [String: Any]
        let cases = expected["cases"] as! [[String: Any]]
        let vectors = tmp.appendingPathComponent("v.safetensors").path
        let scaling = tmp.appendingPathComponent("s.json").path
        let scaler = tmp.appendingPathComponent("l.safetensors").path

        // forward on a COCO JPEG with the MC² prompt: transformers' ids.
        let first = cases[0]
        let image = Self.coco + "/train2014/COCO_train2014_\(first["image_id"] as! String).jpg"
        let fwd = try amps(["forward", "--model", Self.model, "--threads", "1", "--prompt", first["prompt"] as! String, "--image", image, "--json"])
        if ok(fwd, "forward") {
            XCTAssertEqual((fwd.json?["input_ids"] as? [NSNumber])?.map(\.intValue), (first["input_ids"] as! [NSNumber]).map(\.intValue))
        }

        // vectors from the excerpt's conflicts.
        guard ok(try amps(["vectors"] + base + ["--output", vectors]), "vectors") else { return }
        let method = base + ["--vectors", vectors]

        // diagnose under --answer generate: MC²'s prompt as the tokenizer gets it, and the
        // greedy continuation transformers generated, token for token.
        for c in cases {
            let d = try amps(["diagnose"] + method + ["--instance", c["image_id"] as! String, "--order", c["order"] as! String,
                                                     "-n", "2", "--alpha-steps", "2", "--answer", "generate", "--json"])
            guard ok(d, "diagnose"), let j = d.json else { continue }
            XCTAssertEqual(j["prompt"] as? String, c["prompt"] as? String)
            let u = j["unsteered"] as? [String: Any] ?? [:]
            XCTAssertEqual((u["generated_ids"] as? [NSNumber])?.map(\.intValue), (c["generated_ids"] as! [NSNumber]).map(\.intValue),
                           "greedy tokens differ from transformers' for \(c["image_id"]!) \(c["order"]!)")
            XCTAssertEqual(u["generated_text"] as? String, c["text"] as? String)
            XCTAssertEqual(j["answer_scoring"] as? String, "generate")
            XCTAssertNotNil((j["steered"] as? [[String: Any]])?.first.flatMap { ($0["answer"] as? [String: Any])?["generated_text"] })
        }

        // fit, then eval --answer generate over the whole excerpt, as JSON.
        guard ok(try amps(["fit"] + method + ["--scaling", scaling, "--scaler", scaler, "--epochs", "3", "-n", "2"]), "fit") else { return }
        let ev = try amps(["eval"] + method + ["--scaling", scaling, "--scaler", scaler, "--alphas", "1", "-n", "2",
                                               "--answer", "generate", "--answer-tokens", "8", "--json"])
        if ok(ev, "eval"), let r = ev.json {
            XCTAssertEqual(r["answerScoring"] as? String, "generate")
            XCTAssertEqual(r["conflictProbes"] as? Int, 32)
            let methods = r["methods"] as? [[String: Any]] ?? []
            XCTAssertGreaterThanOrEqual(methods.count, 5)
            for m in methods {
                let t = m["conflict"] as? [String: Int] ?? [:]
                XCTAssertEqual((t["vision"] ?? 0) + (t["text"] ?? 0) + (t["other"] ?? 0), 32, "\(m["method"]!)")
            }
            // The unsteered generations of the reference probes are transformers' texts.
            let probes = r["probes"] as? [[String: Any]] ?? []
            for c in cases {
                let p = probes.first { $0["instance"] as? String == c["image_id"] as? String && $0["order"] as? String == c["order"] as? String }
                XCTAssertEqual(p?["unsteeredText"] as? String, c["text"] as? String)
            }
        }

        // --tasks keeps two tasks (4 items, 8 probes); a CSV table comes out.
        let tasks = try amps(["eval"] + method + ["--uniform-only", "--alphas", "1", "--tasks", "color,counting", "--answer", "generate", "--csv"])
        if ok(tasks, "eval --tasks") { XCTAssertTrue(tasks.stdout.contains("none,"), tasks.stdout) }
        let jsonTasks = try amps(["eval"] + method + ["--uniform-only", "--alphas", "1", "--tasks", "color,counting", "--json"])
        if ok(jsonTasks, "eval --tasks --json") { XCTAssertEqual(jsonTasks.json?["conflictProbes"] as? Int, 8) }
        let badTask = try amps(["eval"] + method + ["--tasks", "colour"])
        XCTAssertEqual(badTask.status, 1)
        XCTAssertTrue(badTask.stderr.contains("no task 'colour'") && badTask.stderr.contains("sport_recognition"), badTask.stderr)

        // The inspector on MC²: the map is drawn, the long context scrolls, q leaves a sane terminal.
        try inspect(vectors: vectors)
    }

    func testVersion() throws {
        let v = try amps(["--version"])
        XCTAssertEqual(v.status, 0, v.stderr)
        XCTAssertTrue(v.stdout.hasPrefix("amps 0.") && v.stdout.contains("engine kernels: "), v.stdout)
        XCTAssertTrue(["AVX-512", "AVX2+FMA", "SSE2"].contains { v.stdout.contains($0) }, v.stdout)
    }

    func testACheckpointWithoutPromptFileNamesTheShippedForms() throws {
        let r = try amps(["vectors", "--model", Self.model, "--threads", "1", "--data", Self.data, "--images", Self.coco,
                          "--output", tmp.appendingPathComponent("v.safetensors").path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("has no prompt.json") && r.stderr.contains("mc2-llava-1.5") && r.stderr.contains("--prompt-file"), r.stderr)
    }

    func testMissingImages() throws {
        // Without --images the data file's folder holds no COCO layout: one line, exit 1.
        let run = try amps(["vectors", "--model", Self.model, "--threads", "1", "--prompt-file", "mc2-llava-1.5", "--data", Self.data,
                            "--output", tmp.appendingPathComponent("v.safetensors").path])
        XCTAssertEqual(run.status, 1)
        let lines = run.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains(Self.data) && run.stderr.contains("16 instances have no image")
                      && run.stderr.contains("image_id 000000046962") && run.stderr.contains("val2014/COCO_val2014_000000046962.jpg"), run.stderr)

        // With two more items whose photos are not downloaded, --skip-missing-images leaves them out and says so.
        var items = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.data))) as! [[String: Any]]
        for id in ["000000999998", "000000999999"] { var x = items[2]; x["image_id"] = id; items.append(x) }
        let partial = tmp.appendingPathComponent("partial.json")
        try JSONSerialization.data(withJSONObject: items).write(to: partial)
        let strict = try amps(["eval", "--model", Self.model, "--threads", "1", "--prompt-file", "mc2-llava-1.5", "--data", partial.path,
                               "--images", Self.coco])
        XCTAssertEqual(strict.status, 1)
        XCTAssertTrue(strict.stderr.contains("2 instances have no image"), strict.stderr)
        let skip = try amps(["vectors", "--model", Self.model, "--threads", "1", "--prompt-file", "mc2-llava-1.5", "--data", partial.path,
                             "--images", Self.coco, "--skip-missing-images", "--output", tmp.appendingPathComponent("v.safetensors").path])
        XCTAssertEqual(skip.status, 0, skip.stderr)
        XCTAssertTrue(skip.stderr.contains("left out 2 instances") && skip.stderr.contains("16 remain"), skip.stderr)
    }

    func inspect(vectors: String) throws {
        guard let bin = InspectorEndToEndTests.binary else { return XCTFail("amps binary not found") }
        let tmux = TmuxSession("mc2")
        guard tmux.available else { return XCTFail("tmux is not installed (make test installs it)") }
        let args = (["inspect"] + base + ["--vectors", vectors, "-n", "2", "--answer", "generate"]).map { "'\($0)'" }.joined(separator: " ")
        let cmd = "cd '\(Self.repo.path)' && TERM=xterm-256color LANG=C.UTF-8 '\(bin.path)' \(args); echo EXIT=$?; stty -a; sleep 60"
        defer { tmux.kill() }
        try tmux.start(width: 160, height: 48, command: cmd)
        let list = try tmux.waitFor("the list and the map", timeout: 120) { s in
            (s.contains("window MCR") && !s.contains(" layers ")) || s.contains("EXIT=")
        }
        XCTAssertFalse(list.contains("EXIT="), "the inspector quit early:\n\(list)")
        XCTAssertTrue(list.contains("46962 ") && list.contains("activity recognition") && list.contains("sentiment"), list)
        // The long context of the sport item: the pane says how much is shown, ↓ scrolls it.
        try tmux.keys(["G"])
        try tmux.keys(["k"])
        let long = try tmux.waitFor("the long context", timeout: 30) { $0.contains("context 1-") }
        XCTAssertTrue(long.contains("Text context: The photograph"), long)
        try tmux.keys(["2"])
        try tmux.keys(["j", "j"])
        let scrolled = try tmux.waitFor("a scrolled context", timeout: 30) { $0.contains("context 3-") }
        XCTAssertFalse(scrolled.contains("Text context: The photograph"), scrolled)
        // Generated answers are shown as the letter, the class and the text.
        try tmux.waitFor("the generated answer", timeout: 60) { $0.contains("unsteered → – other “") || $0.contains("unsteered → A") || $0.contains("unsteered → B") }
        // In 80 columns the task column shows the tasks' first words.
        try tmux.resize(width: 80, height: 24)
        let narrow = try tmux.waitFor("the narrow list", timeout: 20) { $0.contains("positional ") && !$0.contains("positional reasoning") }
        XCTAssertTrue(narrow.contains("sentiment "), narrow)
        try tmux.keys(["q"])
        let end = try tmux.waitFor("the shell after quitting", timeout: 20) { $0.contains("EXIT=") && $0.contains("icanon") && $0.contains("echo") }
        XCTAssertTrue(end.contains("EXIT=0"), end)
        XCTAssertTrue(end.contains(" icanon") && end.contains(" echo"), "terminal not restored:\n\(end)")
    }
}
