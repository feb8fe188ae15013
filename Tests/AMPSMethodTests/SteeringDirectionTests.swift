import AMPSCore
@testable import AMPSMethod
import AMPSModel
import Foundation
import XCTest

/// Both steering directions on the default model, and the evaluation's row schema.
final class SteeringDirectionTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testTowardTextLowersTheVisionRatioOnTheDefaultModel() throws {
        let model = try LlavaModel(folder: Self.repo.appendingPathComponent("samples/model").path)
        let template = try PromptTemplate.load(modelFolder: model.folder)
        let data = try InstanceSet.load(path: Self.repo.appendingPathComponent("samples/data/test.jsonl").path)
        let vectors = try SteeringVectorSet.load(path: Self.repo.appendingPathComponent("samples/model/amps/steering_vectors.safetensors").path, for: model)
        let some = Array(data.instances.filter(\.isConflict).prefix(20)) + Array(data.instances.filter { !$0.isConflict }.prefix(4))
        var settings = EvaluationSettings(uniformAlphas: [0.25], alpha: 0.25, window: 3...5)
        settings.includeInstructions = false
        let report = try Evaluation.run(model: model, template: template, instances: some, resources: SteeringResources(vectors: vectors),
                                        settings: settings, dataName: "test")
        func row(_ d: SteeringDirection?) -> MethodResult {
            report.methods.first { $0.method == (d == nil ? "none" : "uniform") && $0.direction == d }!
        }
        let none = row(nil).visionRatio!, vision = row(.vision).visionRatio!, text = row(.text).visionRatio!
        XCTAssertLessThan(text, none, "toward text lowers the vision ratio")
        XCTAssertGreaterThan(vision, none, "toward vision raises it")
        XCTAssertEqual(row(.text).shift!, text - none, accuracy: 1e-12)
        XCTAssertEqual(row(nil).errors.items, 24)
        XCTAssertEqual(row(nil).errors.conflictItemsBothOrders, 20)

        // The JSON rows carry the schema's names, null where a figure does not apply.
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as! [String: Any]
        let rows = json["methods"] as! [[String: Any]]
        for r in rows {
            for key in ["method", "direction", "alpha", "vision_ratio", "shift", "other_rate", "letter_collapse_rate",
                        "accuracy_non_conflict", "error_rate", "conflict", "errors"] {
                XCTAssertNotNil(r[key], "\(key) in \(r["method"] ?? "?")")
            }
        }
        let noneRow = rows.first { $0["method"] as? String == "none" }!
        XCTAssertTrue(noneRow["alpha"] is NSNull)
        XCTAssertTrue(noneRow["direction"] is NSNull)
        XCTAssertEqual(Set(rows.compactMap { $0["direction"] as? String }), ["vision", "text"])
    }
}
