import AMPSCore
@testable import AMPSMethod
import AMPSModel
import Foundation
import XCTest

/// Per-instance steering targets z_i,l (paper Eq. 10) against PyTorch: the fixture was
/// written by tools/reference_targets.py (transformers, forward hooks on the decoder layers)
/// for the first 4 conflict instances of the calibration split.
final class SteeringTargetsTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/steering_targets_reference.json")

    func testPerInstanceTargetsEqualPyTorch() throws {
        let ref = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixture)) as! [String: Any]
        let model = try LlavaModel(folder: Self.repo.appendingPathComponent("samples/model").path)
        let template = try PromptTemplate.load(modelFolder: model.folder)
        let data = try InstanceSet.load(path: Self.repo.appendingPathComponent("samples/data/calib.jsonl").path)
        let layers = (ref["layers"] as! [NSNumber]).map(\.intValue)
        let inputLayer = (ref["input_layer"] as! NSNumber).intValue
        let rows = ref["instances"] as! [[String: Any]]
        XCTAssertEqual(rows.count, 4)
        var worst = 0.0
        for row in rows {
            let inst = try data.instance(id: row["image_id"] as! String)
            let z = try SteeringTarget.compute(model: model, template: template, instance: inst, layers: layers)
            let refZ = row["z"] as! [String: [NSNumber]]
            for (k, l) in layers.enumerated() {
                let r = refZ["\(l)"]!.map(\.doubleValue)
                XCTAssertEqual(r.count, model.hiddenSize)
                for j in r.indices { worst = max(worst, abs(z.vectors[k][j] - r[j])) }
                XCTAssertGreaterThan(r.map { $0 * $0 }.reduce(0, +), 1e-6, "a non-trivial target")
            }
            // The L2S input: the plain prompt's residual after the input layer, last token.
            let plain = row["plain_input"] as! [String: [NSNumber]]
            for o in OptionOrder.allCases {
                let probe = try Probe(model: model, template: template, instance: inst, order: o, instruction: .none)
                let h = try SteeringNetwork.input(model: model, pass: try model.run(probe.input), layer: inputLayer)
                for (j, v) in plain[o.rawValue]!.enumerated() { worst = max(worst, abs(Double(h[j]) - v.doubleValue)) }
            }
        }
        XCTAssertLessThan(worst, 1e-4, "largest absolute difference from PyTorch")
    }

    func testTheSteeringVectorsAreTheMeanOfTheTargets() throws {
        let model = try LlavaModel(folder: Self.repo.appendingPathComponent("samples/model").path)
        let template = try PromptTemplate.load(modelFolder: model.folder)
        let data = try InstanceSet.load(path: Self.repo.appendingPathComponent("samples/data/calib.jsonl").path)
        let three = Array(data.instances.filter(\.isConflict).prefix(3))
        let u = try SteeringVectorSet.compute(model: model, template: template, instances: three)
        let zs = try three.map { try SteeringTarget.compute(model: model, template: template, instance: $0, layers: [4]) }
        for j in 0..<model.hiddenSize {
            XCTAssertEqual(Double(u.vectors[4][j]), zs.map { $0.vectors[0][j] }.reduce(0, +) / 3, accuracy: 1e-5)
        }
    }
}
