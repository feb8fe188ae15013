import AMPSCore
@testable import AMPSMethod
import AMPSModel
import Foundation
import XCTest

/// The three noise scales on a hand-made state matrix: own spread, shared spread, and the
/// token-count normalisation, each against a direct computation.
final class NoiseScaleTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testNoiseScalesAgainstADirectComputation() throws {
        let model = try LlavaModel(folder: Self.repo.appendingPathComponent("samples/model").path)
        let template = try PromptTemplate.load(modelFolder: model.folder)
        let data = try InstanceSet.load(path: Self.repo.appendingPathComponent("samples/data/test.jsonl").path)
        let probe = try Probe(model: model, template: template, instance: data.instances[0], order: .visionFirst, instruction: .none)
        let t = probe.input.length, f = 3
        // Feature 0 = position index, 1 = constant, 2 = (-1)^p.
        let states = Tensor(shape: [t, f], values: (0..<t).flatMap { p in [Float(p), 5, p % 2 == 0 ? 1 : -1] })
        func popStd(_ xs: [Double]) -> Double {
            let m = xs.reduce(0, +) / Double(xs.count)
            return (xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(xs.count)).squareRoot()
        }
        let v = probe.visionPositions, x = probe.textPositions
        XCTAssertEqual(v.count, 64)
        let own = NoiseScale.own.sigma(states, probe: probe, modality: .text)
        XCTAssertEqual(Double(own[0]), popStd(x.map(Double.init)), accuracy: 1e-4)
        XCTAssertEqual(own[1], 0)
        let shared = NoiseScale.shared.sigma(states, probe: probe, modality: .text)
        XCTAssertEqual(Double(shared[0]), popStd((v + x).map(Double.init)), accuracy: 1e-3)
        XCTAssertEqual(shared, NoiseScale.shared.sigma(states, probe: probe, modality: .vision), "one σ for both modalities")
        let tc = NoiseScale.tokenCount.sigma(states, probe: probe, modality: .vision)
        let ownV = NoiseScale.own.sigma(states, probe: probe, modality: .vision)
        let k = (Double(min(v.count, x.count)) / Double(v.count)).squareRoot()
        for j in 0..<f { XCTAssertEqual(Double(tc[j]), Double(ownV[j]) * k, accuracy: 1e-5) }
        XCTAssertEqual(NoiseScale.tokenCount.sigma(states, probe: probe, modality: .text), own, "the smaller modality keeps its σ")
    }
}
