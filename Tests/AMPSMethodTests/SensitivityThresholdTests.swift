import AMPSCore
@testable import AMPSMethod
import AMPSModel
import Foundation
import XCTest

/// alpha_flip found by bisection agrees with a fine scan of alpha on the default model.
final class SensitivityThresholdTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testBisectedFlipMatchesAFineScan() throws {
        let model = try LlavaModel(folder: Self.repo.appendingPathComponent("samples/model").path)
        let template = try PromptTemplate.load(modelFolder: model.folder)
        let data = try InstanceSet.load(path: Self.repo.appendingPathComponent("samples/data/test.jsonl").path)
        let vectors = try SteeringVectorSet.load(path: Self.repo.appendingPathComponent("samples/model/amps/steering_vectors.safetensors").path, for: model)
        let window = 3...5, grid = [0.0, 0.5, 1.0]
        var checked = 0
        for inst in data.instances.filter(\.isConflict) where checked < 3 {
            let probe = try Probe(model: model, template: template, instance: inst, order: .visionFirst, instruction: .none)
            let pass = try model.run(probe.input)
            let curve = try SensitivityCurve.compute(model: model, pass: pass, probe: probe, vectors: vectors, window: window, alphas: grid)
            guard curve.answers[0].argmaxClass == .text, let gridFlip = curve.alphaFlip else { continue }
            let found = try XCTUnwrap(SensitivityThreshold.refine(model: model, pass: pass, probe: probe, vectors: vectors, window: window,
                                                                  curve: curve, target: .vision, precision: 0.01))
            // Fine scan of the bracket in steps of 0.0025.
            let fine = stride(from: gridFlip - 0.5, through: gridFlip, by: 0.0025).map { $0 }
            let scan = try SensitivityCurve.compute(model: model, pass: pass, probe: probe, vectors: vectors, window: window, alphas: fine)
            let scanFlip = try XCTUnwrap(scan.alphaFlip)
            XCTAssertEqual(found, scanFlip, accuracy: 0.01 + 0.0025, "instance \(inst.id): bisection \(found), scan \(scanFlip)")
            XCTAssertLessThan(found, gridFlip + 1e-12)
            checked += 1
        }
        XCTAssertEqual(checked, 3, "three text-answering probes that flip within the grid")
        XCTAssertThrowsError(try SensitivityThreshold.refine(model: model, pass: model.run(try Probe(model: model, template: template,
            instance: data.instances[0], order: .visionFirst, instruction: .none).input), probe: try Probe(model: model, template: template,
            instance: data.instances[0], order: .visionFirst, instruction: .none), vectors: vectors, window: window,
            curve: SensitivityCurve(alphas: [], answers: []), target: .vision, precision: 0)) { XCTAssertTrue("\($0)".contains("precision")) }
    }
}
