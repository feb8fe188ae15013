import AMPSCore
import AMPSMethod
import AMPSModel
import Foundation
import XCTest

/// The shipped default model gives, in Swift, the answers transformers gave on the first
/// 100 prompts of the test split (samples/model/reference_answers.jsonl, written by
/// tools/eval_default_model.py): the same prompt text from prompt.json, the same prompt
/// length, the same full-vocabulary argmax, and P(A), P(B) within 1e-4.
final class DefaultModelAnswerTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testSwiftReproducesTransformersAnswersOnTheTestSplit() throws {
        let model = try LlavaModel(folder: Self.repo.appendingPathComponent("samples/model").path)
        let template = try PromptTemplate.load(modelFolder: model.folder)
        let data = try InstanceSet.load(path: Self.repo.appendingPathComponent("samples/data/test.jsonl").path)
        let (idA, idB) = try template.answerTokenIds(model.tokenizer)
        let text = try String(contentsOf: Self.repo.appendingPathComponent("samples/model/reference_answers.jsonl"), encoding: .utf8)
        let rows = text.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(rows.count, 100)
        var argmaxAgree = 0
        for row in rows {
            let id = "\(row["image_id"]!)"
            let inst = try data.instance(id: id)
            let order: OptionOrder = (row["order"] as! NSNumber).intValue == 0 ? .visionFirst : .textFirst
            let instruction = Instruction(rawValue: row["instruction"] as! String)!
            let probe = try Probe(model: model, template: template, instance: inst, order: order, instruction: instruction)
            XCTAssertEqual(probe.prompt, row["prompt"] as? String, "prompt of \(id)")
            XCTAssertEqual(probe.input.length, (row["n_tokens"] as! NSNumber).intValue, "prompt length of \(id)")
            let logits = try model.lastLogits(probe.input, steering: nil)
            let l = logits.array.map(Double.init), mx = l.max()!
            let z = l.reduce(0) { $0 + exp($1 - mx) }
            let probs = l.map { exp($0 - mx) / z }
            let top = argmax(logits)
            if top == (row["argmax_token_id"] as! NSNumber).intValue { argmaxAgree += 1 }
            XCTAssertEqual(probs[idA], (row["p_a"] as! NSNumber).doubleValue, accuracy: 1e-4, "P(A) of \(id) \(order) \(instruction)")
            XCTAssertEqual(probs[idB], (row["p_b"] as! NSNumber).doubleValue, accuracy: 1e-4, "P(B) of \(id) \(order) \(instruction)")
        }
        XCTAssertEqual(argmaxAgree, rows.count, "full-vocabulary argmax agrees on every reference prompt")
    }
}
