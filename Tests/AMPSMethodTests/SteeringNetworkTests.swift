import AMPSCore
@testable import AMPSMethod
import AMPSModel
import Foundation
import XCTest

/// The L2S / amps-learned steering network: it learns a target that is an exact linear
/// function of its input, it lowers the validation loss on the default model's calibration
/// split, and bad training data or a module for another window are clear errors.
final class SteeringNetworkTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testReproducesAnExactLinearTarget() throws {
        var rng = NoiseGenerator(seed: 7)
        let d = 8, window = 2...3, o = d * window.count
        let m = (0..<(o * d)).map { _ in Float(rng.gaussian()) * 0.3 }
        let c = (0..<o).map { _ in Float(rng.gaussian()) }
        func target(_ x: [Float]) -> [Float] { (0..<o).map { e in c[e] + (0..<d).map { m[e * d + $0] * x[$0] }.reduce(0, +) } }
        let xs = (0..<300).map { _ in (0..<d).map { _ in Float(rng.gaussian()) } }
        var settings = SteeringNetwork.Training()
        settings.hidden = 32; settings.epochs = 400; settings.learningRate = 3e-3; settings.patience = 400
        let (net, report) = try SteeringNetwork.train(kind: .l2s, modelName: "hand", window: window, inputLayer: 1,
                                                      features: xs, targets: xs.map(target), items: xs.indices.map { "\($0)" },
                                                      settings: settings)
        // Unseen inputs: the prediction matches the linear map to a few percent of its size.
        var err = 0.0, size = 0.0
        for _ in 0..<50 {
            let x = (0..<d).map { _ in Float(rng.gaussian()) * 0.8 }
            let t = target(x), g = net.predict(x)
            for (k, l) in window.enumerated() {
                for j in 0..<d { let diff = Double(g[l]![j] - t[k * d + j]); err += diff * diff; size += Double(t[k * d + j] * t[k * d + j]) }
            }
        }
        XCTAssertLessThan((err / size).squareRoot(), 0.05, "relative error on unseen inputs")
        XCTAssertLessThan(report.bestValidation, report.initialValidation * 0.01)
    }

    func testTheCosineAndL1TermsHaveTheirGradients() {
        // Finite differences of the loss against the analytic dLoss/dY.
        var s = SteeringNetwork.Training()
        s.l1 = 0.3; s.cosine = 0.7
        let y = Tensor(shape: [2, 6], values: [0.3, -0.2, 0.5, 1.1, -0.7, 0.4, 0.9, 0.1, -0.3, 0.2, 0.6, -1.2])
        let t = Tensor(shape: [2, 6], values: [0.1, 0.4, 0.2, 0.8, -0.5, 0.9, 1.0, -0.2, -0.1, 0.5, 0.3, -0.8])
        let g = Tensor(zeros: [2, 6])
        _ = SteeringNetwork.loss(y: y, t: t, layers: 2, settings: s, gradient: g)
        for e in 0..<12 {
            let h: Float = 1e-3
            let up = y.copy(), down = y.copy()
            up.data[e] += h; down.data[e] -= h
            let num = (SteeringNetwork.loss(y: up, t: t, layers: 2, settings: s, gradient: nil)
                       - SteeringNetwork.loss(y: down, t: t, layers: 2, settings: s, gradient: nil)) / Double(2 * h)
            XCTAssertEqual(Double(g.data[e]), num, accuracy: 2e-3, "element \(e)")
        }
    }

    func testTrainingLowersTheValidationLossOnTheCalibrationSplit() throws {
        let model = try LlavaModel(folder: Self.repo.appendingPathComponent("samples/model").path)
        let template = try PromptTemplate.load(modelFolder: model.folder)
        let data = try InstanceSet.load(path: Self.repo.appendingPathComponent("samples/data/calib.jsonl").path)
        let window = 3...5, inputLayer = 2
        let conflicts = Array(data.instances.filter(\.isConflict).prefix(24))
        let examples = try SteeringNetwork.examples(model: model, template: template, instances: conflicts, window: window, inputLayer: inputLayer)
        XCTAssertEqual(examples.features.count, 48)   // both orders of each instance
        var settings = SteeringNetwork.Training()
        settings.epochs = 150
        let (net, report) = try SteeringNetwork.train(kind: .l2s, modelName: model.name, window: window, inputLayer: inputLayer,
                                                      features: examples.features, targets: examples.targets, items: examples.items,
                                                      settings: settings)
        XCTAssertLessThan(report.bestValidation, report.initialValidation, "training lowers the validation loss")
        XCTAssertGreaterThan(report.bestEpoch, 0)
        XCTAssertEqual(report.validationCount, 10)   // 5 of 24 instances, both orders
        // Saved and loaded for the same model and window; another window is refused.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("l2s-\(getpid()).safetensors").path
        try net.save(path: path)
        let back = try SteeringNetwork.load(path: path, kind: .l2s, for: model, window: window)
        XCTAssertEqual(back.predict(examples.features[0])[4]!.array, net.predict(examples.features[0])[4]!.array)
        XCTAssertThrowsError(try SteeringNetwork.load(path: path, kind: .l2s, for: model, window: 2...4)) {
            XCTAssertTrue("\($0)".contains(path) && "\($0)".contains("window 3-5"), "\($0)")
        }
        XCTAssertThrowsError(try SteeringNetwork.load(path: path, kind: .ampsLearned, for: model, window: window)) {
            XCTAssertTrue("\($0)".contains("not amps-learned"), "\($0)")
        }
    }

    func testTheShippedNetworksSteerOnlyTheirOwnModelAndWindow() throws {
        let model = try LlavaModel(folder: Self.repo.appendingPathComponent("samples/model").path)
        let template = try PromptTemplate.load(modelFolder: model.folder)
        let data = try InstanceSet.load(path: Self.repo.appendingPathComponent("samples/data/test.jsonl").path)
        let amps = Self.repo.appendingPathComponent("samples/model/amps").path
        let l2s = try SteeringNetwork.load(path: amps + "/l2s.safetensors", kind: .l2s, for: model, window: 3...5)
        let text = try SteeringNetwork.load(path: amps + "/amps_learned_text.safetensors", kind: .ampsLearned, for: model, window: 3...5)
        XCTAssertEqual(text.toward, .text)
        var res = SteeringResources(vectors: try SteeringVectorSet.load(path: amps + "/steering_vectors.safetensors", for: model))
        res.l2s = l2s
        let probe = try Probe(model: model, template: template, instance: data.instances[0], order: .visionFirst, instruction: .none)
        let pass = try model.run(probe.input)
        let st = try AdaptiveSteering.steering(mode: .l2s, model: model, pass: pass, window: 3...5, resources: res, scale: -0.5, lastTokenOnly: false)
        XCTAssertEqual(st.scales, [-0.5])
        XCTAssertEqual(st.vectors[4]!.array, l2s.predict(try SteeringNetwork.input(model: model, pass: pass, layer: l2s.inputLayer))[4]!.array)
        XCTAssertThrowsError(try AdaptiveSteering.steering(mode: .l2s, model: model, pass: pass, window: 2...4, resources: res, scale: 1,
                                                           lastTokenOnly: false)) { XCTAssertTrue("\($0)".contains("window 3-5"), "\($0)") }
        XCTAssertThrowsError(try AdaptiveSteering.steering(mode: .ampsLearned, model: model, pass: pass, window: 3...5, resources: res, scale: 1,
                                                           lastTokenOnly: false)) { XCTAssertTrue("\($0)".contains("amps fit"), "\($0)") }
        // A module recorded for another model is refused, naming the file and the model.
        var other = l2s
        other.modelName = "another-model"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("other-\(getpid()).safetensors").path
        try other.save(path: path)
        XCTAssertThrowsError(try SteeringNetwork.load(path: path, kind: .l2s, for: model, window: 3...5)) {
            XCTAssertTrue("\($0)".contains(path) && "\($0)".contains("another-model"), "\($0)")
        }
    }

    func testTooFewInstancesOrAConstantTargetAreErrors() {
        let x: [[Float]] = (0..<6).map { i in [Float(i), 1] }
        XCTAssertThrowsError(try SteeringNetwork.train(kind: .l2s, modelName: "m", window: 0...0, inputLayer: 0, features: Array(x.prefix(3)),
                                                       targets: (0..<3).map { [Float($0), 0] }, items: ["a", "b", "c"])) {
            XCTAssertTrue("\($0)".contains("at least 4 instances"), "\($0)")
        }
        XCTAssertThrowsError(try SteeringNetwork.train(kind: .ampsLearned, modelName: "m", window: 0...0, inputLayer: 0, features: x,
                                                       targets: x.map { _ in [0.5, 0.25] }, items: x.indices.map { "\($0)" })) {
            XCTAssertTrue("\($0)".contains("amps-learned") && "\($0)".contains("same for every instance"), "\($0)")
        }
    }
}
