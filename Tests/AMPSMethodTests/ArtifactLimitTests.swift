import AMPSCore
@testable import AMPSMethod
import AMPSModel
import Foundation
import XCTest

/// Artifacts and settings whose values would make the numbers wrong or trap: each is a
/// one-line error naming the file (and tensor or key) and the problem.
final class ArtifactLimitTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let artifacts = repo.appendingPathComponent("samples/model/amps").path
    static let model = try? LlavaModel(folder: repo.appendingPathComponent("samples/model").path)

    var dir = ""
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("amps-artifacts-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func assertError(_ body: @autoclosure () throws -> Any, contains words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { e in
            let text = "\(e)"
            XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
            for w in words { XCTAssertTrue(text.contains(w), "'\(w)' missing from: \(text)", file: file, line: line) }
        }
    }

    /// The shipped file with its tensors edited, written to the scratch folder.
    func edited(_ name: String, _ edit: (inout [String: Tensor]) -> Void) throws -> String {
        let f = try SafeTensorsFile(path: Self.artifacts + "/" + name)
        var tensors: [String: Tensor] = [:]
        for key in f.entries.keys { tensors[key] = try f.tensor(key).copy() }
        edit(&tensors)
        let path = dir + "/" + name
        try SafeTensorsWriter.write(tensors, metadata: f.metadata, to: path)
        return path
    }

    func scaling(_ edit: (inout [String: Any]) -> Void) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.artifacts + "/scaling.json"))
        var obj = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        edit(&obj)
        let path = dir + "/scaling.json"
        try JSONSerialization.data(withJSONObject: obj).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testScalingRuleValuesAreCheckedBeforeUse() throws {
        // The shipped rule loads, and its window lies in the model.
        let rule = try ScalingFit.loadRule(path: Self.artifacts + "/scaling.json", layers: 8)
        XCTAssertEqual(rule.window, 3...5)
        var p = try scaling { $0["window"] = [3, 1e30] }
        assertError(try ScalingFit.loadRule(path: p), contains: [p, "'window'", "1e+30"])
        p = try scaling { $0["window"] = [2.5, 4] }
        assertError(try ScalingFit.loadRule(path: p), contains: [p, "'window'"])
        p = try scaling { $0["window"] = [-1, 4] }
        assertError(try ScalingFit.loadRule(path: p), contains: [p, "'window'"])
        p = try scaling { $0["window"] = [3, 40] }
        assertError(try ScalingFit.loadRule(path: p, layers: 8), contains: [p, "3-40", "0-7"])
        p = try scaling { $0["alpha"] = 1e60 }
        assertError(try ScalingFit.loadRule(path: p), contains: [p, "'alpha'", "1e+60"])
        p = try scaling { $0["anchor"] = 7 }
        assertError(try ScalingFit.loadRule(path: p), contains: [p, "anchor"])
    }

    func testLearnedScalerWithNaNOrZeroStdIsRefused() throws {
        guard let m = Self.model else { return XCTFail("default model missing") }
        XCTAssertNoThrow(try LearnedScaler.load(path: Self.artifacts + "/scaler.safetensors", for: m))
        var p = try edited("scaler.safetensors") { t in t["w1"]!.data[5] = .nan }
        assertError(try LearnedScaler.load(path: p, for: m), contains: [p, "'w1'", "non-finite", "element 5"])
        p = try edited("scaler.safetensors") { t in t["b2"]!.data[0] = .infinity }
        assertError(try LearnedScaler.load(path: p, for: m), contains: [p, "'b2'", "non-finite"])
        p = try edited("scaler.safetensors") { t in t["std"]!.data[7] = 0 }
        assertError(try LearnedScaler.load(path: p, for: m), contains: [p, "'std'", "positive", "element 7"])
    }

    func testSteeringVectorsWithNaNOrExtraLayersAreRefused() throws {
        guard let m = Self.model else { return XCTFail("default model missing") }
        var p = try edited("steering_vectors.safetensors") { t in t["layer.3"]!.data[0] = -.infinity }
        assertError(try SteeringVectorSet.load(path: p, for: m), contains: [p, "'layer.3'", "non-finite"])
        p = try edited("steering_vectors.safetensors") { t in t["layer.8"] = Tensor(zeros: [m.hiddenSize]) }
        assertError(try SteeringVectorSet.load(path: p, for: m), contains: [p, "layer.8"])
    }

    func testAnswerOptionsMustBeTwoDifferentTokens() throws {
        guard let m = Self.model else { return XCTFail("default model missing") }
        let path = dir + "/prompt.json"
        try #"{"template": "<image>{context}{instruction}{question}{option_a}{option_b}", "instructions": {"vision": "v", "text": "t"}, "answer_options": ["A", "A"]}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        assertError(try PromptTemplate(path: path), contains: [path, "two different"])
        try #"{"template": "<image>{context}{instruction}{question}{option_a}{option_b}", "instructions": {"vision": "v", "text": "t"}, "answer_options": ["A", 7]}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        assertError(try PromptTemplate(path: path), contains: [path, "answer_options"])
        try #"{"template": "<image>{context}{instruction}{question}{option_a}{option_b}", "instructions": {"vision": "v", "text": "t"}, "answer_options": ["A", "B"]}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let ids = try PromptTemplate(path: path).answerTokenIds(m.tokenizer, vocabularySize: m.vocabSize)
        XCTAssertNotEqual(ids.a, ids.b)
        assertError(try PromptTemplate(path: path).answerTokenIds(m.tokenizer, vocabularySize: min(ids.a, ids.b)),
                    contains: [path, "outside the model's vocabulary"])
    }

    func testWindowTextIsParsedStrictly() throws {
        XCTAssertEqual(try LayerWindowText.parse("3-5", layers: 8), 3...5)
        XCTAssertEqual(try LayerWindowText.parse("7", layers: 8), 7...7)
        for bad in ["-1", "3--5", "-3-5", "3-", "", "a-b", " 3-5", "3-5-6", "+3", "99999999999999999999-1", "٣-٥"] {
            assertError(try LayerWindowText.parse(bad, layers: 8), contains: ["--window", "FIRST-LAST"])
        }
        assertError(try LayerWindowText.parse("5-3", layers: 8), contains: ["--window", "5-3"])
        assertError(try LayerWindowText.parse("3-8", layers: 8), contains: ["--window", "0-7"])
    }

    func testRequestSettingsHaveUpperBounds() {
        var p = PerturbationSettings()
        p.samples = 100_000_000
        assertError(try p.validate(), contains: ["at most 100000", "100000000"])
        p.samples = 8; p.sigmaScale = 1e9
        assertError(try p.validate(), contains: ["sigma", "1e+09"])
        assertError(try SteeringSettings(alpha: 1e60, window: 0...1).validate(layers: 8), contains: ["alpha", "1e+60"])
        assertError(try RequestLimits.checkGrid(Array(repeating: 1, count: 5000), "--alphas"), contains: ["--alphas", "4097"])
        XCTAssertNoThrow(try RequestLimits.checkGrid(SensitivityCurve.grid(max: 4, steps: 4096), "grid"))
    }
}
