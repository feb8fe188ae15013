import AMPSCore
@testable import AMPSMethod
import AMPSModel
import Foundation
import XCTest

/// Bad inputs to the method layer: each is a clear error naming the input, never a crash
/// or a NaN printed as a number.
final class MethodBadInputTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let model = try? LlavaModel(folder: repo.appendingPathComponent("samples/model").path)

    func tempFile(_ name: String, _ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("amps-method-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let imgs = Self.repo.appendingPathComponent("samples/data/images")
        try? FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("images"), withDestinationURL: imgs)
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func assertError(_ body: @autoclosure () throws -> Any, contains words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { e in
            let text = "\(e)"
            XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
            for w in words { XCTAssertTrue(text.contains(w), "'\(w)' missing from: \(text)", file: file, line: line) }
        }
    }

    let good = #"{"image_id": 200000, "task": "color", "question": "q ?", "answer_vision": "red", "answer_text": "blue", "context": "c ."}"#

    func testInstanceFileProblemsNameFileAndLine() throws {
        let missing = try tempFile("a.jsonl", good + "\n" + #"{"image_id": 200001, "task": "color", "question": "q ?", "answer_vision": "red", "context": "c ."}"#)
        assertError(try InstanceSet.load(path: missing), contains: [missing + ":2", "answer_text"])
        let notJSON = try tempFile("b.jsonl", "{oops\n")
        assertError(try InstanceSet.load(path: notJSON), contains: [notJSON + ":1", "JSON"])
        let noImage = try tempFile("c.jsonl", #"{"image_id": 9, "image": "nope.png", "task": "t", "question": "q", "answer_vision": "a", "answer_text": "b", "context": "c"}"#)
        assertError(try InstanceSet.load(path: noImage), contains: [noImage + ":1", "nope.png"])
        let dup = try tempFile("d.jsonl", good + "\n" + good)
        assertError(try InstanceSet.load(path: dup), contains: [dup + ":2", "twice"])
        let same = try tempFile("e.jsonl", #"{"image_id": 200000, "task": "t", "question": "q", "answer_vision": "a", "answer_text": "a", "context": "c"}"#)
        assertError(try InstanceSet.load(path: same), contains: ["distractor"])
        assertError(try InstanceSet.load(path: "/nonexistent/x.jsonl"), contains: ["/nonexistent/x.jsonl", "not found"])
        XCTAssertEqual(try InstanceSet.load(path: try tempFile("f.jsonl", good)).instances.count, 1)
    }

    func testSteeringVectorsFromAnotherModelAreRefused() throws {
        guard let m = Self.model else { return XCTFail("default model missing") }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("amps-vec-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let other = SteeringVectorSet(vectors: (0..<3).map { _ in Tensor(zeros: [m.hiddenSize]) }, count: 1, modelName: "other", position: -1)
        try other.save(path: path)
        assertError(try SteeringVectorSet.load(path: path, for: m), contains: [path, "3 layers", "\(m.layerCount)"])
        let wide = SteeringVectorSet(vectors: (0..<m.layerCount).map { _ in Tensor(zeros: [m.hiddenSize + 1]) }, count: 1, modelName: "x", position: -1)
        try wide.save(path: path)
        assertError(try SteeringVectorSet.load(path: path, for: m), contains: [path, "hidden size"])
    }

    func testSettingsOutOfRange() throws {
        var p = PerturbationSettings()
        p.samples = 1
        assertError(try p.validate(), contains: ["at least 2"])
        p.samples = 8; p.sigmaScale = .nan
        assertError(try p.validate(), contains: ["sigma"])
        assertError(try SteeringSettings(alpha: .infinity, window: 0...1).validate(layers: 8), contains: ["alpha", "finite"])
        assertError(try SteeringSettings(alpha: 1, window: 3...9).validate(layers: 8), contains: ["window", "0-7"])
    }

    func testAnswerOptionsMustBeSingleTokens() throws {
        guard let m = Self.model else { return XCTFail("default model missing") }
        let path = try tempFile("prompt.json", #"{"template": "<image>{context}{instruction}{question}{option_a}{option_b}", "instructions": {"vision": "v", "text": "t"}, "answer_options": ["A B", "B"]}"#)
        assertError(try PromptTemplate(path: path).answerTokenIds(m.tokenizer), contains: [path, "'A B'", "2 tokens"])
        let missing = try tempFile("p2.json", #"{"template": "<image>{question}", "instructions": {"vision": "v", "text": "t"}, "answer_options": ["A", "B"]}"#)
        assertError(try PromptTemplate(path: missing), contains: [missing, "{context}"])
    }
}
