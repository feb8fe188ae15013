import AMPSCore
@testable import AMPSEngine
import AMPSMethod
import AMPSModel
import Foundation
import XCTest

/// The Swift client of the engine protocol driving the PyTorch engine (engines/torch, from the
/// repository's .venv made by `make engine-venv`) on the default model, against the Swift
/// engine's LlavaModel: same ids, clean / steered / perturbed logits within 1e-4. And engine
/// commands that are not engines: one error line naming the command, no hang.
final class TorchEngineTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func engineCommand() throws -> String {
        let py = Self.repo.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: py) else {
            throw XCTSkip("no .venv with the PyTorch engine (run `make engine-venv`; `make test` does)")
        }
        return "'\(py)' -m amps_torch_engine.cli --device cpu --threads 1"
    }

    func maxDiff(_ a: Tensor, _ b: Tensor) -> Float {
        XCTAssertEqual(a.count, b.count)
        return (0..<min(a.count, b.count)).map { abs(a.data[$0] - b.data[$0]) }.max() ?? .infinity
    }

    func testParityWithSwiftEngineOnDefaultModel() throws {
        let client = try EngineClient(command: try engineCommand())
        defer { client.shutdown() }
        let folder = Self.repo.appendingPathComponent("samples/model").path
        let info = try client.loadModel(path: folder, dtype: "float32", device: "cpu")
        let model = try LlavaModel(folder: folder)
        XCTAssertEqual(info.layers, model.layerCount)
        XCTAssertEqual(info.hiddenSize, model.hiddenSize)
        XCTAssertEqual(info.family, "llava")

        let data = try InstanceSet.load(path: Self.repo.appendingPathComponent("samples/data/test.jsonl").path)
        let inst = try data.instance(id: "200000")
        let probe = try Probe(model: model, template: try PromptTemplate.load(modelFolder: folder), instance: inst,
                              order: .visionFirst, instruction: .none)
        let p = try client.prepare(prompt: probe.prompt, image: try Data(contentsOf: URL(fileURLWithPath: inst.imagePath)),
                                   imageName: inst.imagePath, spans: [inst.context])
        XCTAssertEqual(p.ids, probe.input.ids)
        XCTAssertEqual(p.imagePositions, probe.visionPositions)
        XCTAssertEqual(p.spanPositions.first, probe.textPositions)
        let pass = try model.promptPass(try model.run(probe.input))
        XCTAssertLessThanOrEqual(maxDiff(p.logits, pass.logits), 1e-4)

        let vectors = try SteeringVectorSet.load(path: folder + "/amps/steering_vectors.safetensors", for: model)
        var byLayer: [Int: Tensor] = [:]
        for l in 0..<vectors.layerCount { byLayer[l] = vectors.vectors[l] }
        try client.uploadVectors(name: "amps", vectors: byLayer)
        let window = 3...5, scales: [Float] = [0, 0.5, 2, -1]
        let swiftSteered = model.logitsWithSteering(pass, steering: vectors.steering(window: window, scales: scales), batch: scales.count)
        let torchSteered = try client.steer(p, vectors: "amps", layers: Array(window), scales: scales)
        XCTAssertLessThanOrEqual(maxDiff(torchSteered, swiftSteered), 1e-4)

        var settings = PerturbationSettings()
        settings.samples = 4
        for (layer, modality) in [(0, Modality.vision), (5, .text)] {
            let positions = probe.positions(of: modality)
            let n = model.noise(pass, ModalityContribution.request(probe: probe, layer: layer, modality: modality, settings: settings))
            let swift = model.logitsWithKVNoise(pass, layer: layer, positions: positions, k: n["k"], v: n["v"])
            let tags = [inst.id, probe.order.rawValue, probe.instruction.rawValue, "\(layer)", modality.rawValue].joined(separator: "/")
            let torch = try client.perturb(p, layer: layer, target: "kv", positions: positions, samples: settings.samples,
                                           sigmaScale: settings.sigmaScale, seed: settings.seed, tags: tags)
            XCTAssertLessThanOrEqual(maxDiff(torch, swift), 1e-4, "layer \(layer) \(modality)")
            XCTAssertGreaterThan(maxDiff(torch, Tensor(shape: [settings.samples, model.vocabSize],
                                                        values: (0..<settings.samples).flatMap { _ in (0..<model.vocabSize).map { pass.logits.data[$0] } })), 1e-6,
                                 "the perturbation moved the logits")
        }
        let lens = try client.logitLens(p, layers: [2])
        XCTAssertLessThanOrEqual(maxDiff(lens, model.logitLens(pass, layer: 2)), 1e-4)
        XCTAssertEqual(try client.generate(p, maxNewTokens: 4, stopAtEOS: false), model.generate(try model.modelInput(probe.input), maxNewTokens: 4, stopAtEOS: false))
        let captured = try client.capture(p, what: "residual", layers: [0, 7], positions: [-1, 3])
        for l in [0, 7] {
            let c = captured[l]!, d = model.hiddenSize
            XCTAssertEqual(c.shape, [2, d])
            let want = Tensor(shape: [2, d], values: [pass.length - 1, 3].flatMap { row in (0..<d).map { pass.layerInputs[l + 1].data[row * d + $0] } })
            // Residuals grow through the layers: 1e-4 relative to the largest entry.
            let scale = max(1, (0..<want.count).map { abs(want.data[$0]) }.max()!)
            XCTAssertLessThanOrEqual(maxDiff(c, want), 1e-4 * scale, "residual after layer \(l)")
        }
        let (a, b) = try PromptTemplate.load(modelFolder: folder).answerTokenIds(model.tokenizer)
        XCTAssertEqual(try client.tokenize(["A", "B"]), [[a], [b]])
        XCTAssertEqual(try client.detokenize([a, b]), [model.tokenizer.token(for: a)!, model.tokenizer.token(for: b)!])
        try client.release(p)
        XCTAssertThrowsError(try client.steer(p, vectors: "amps", layers: [3], scales: [1])) { e in
            XCTAssertTrue("\(e)".contains("unknown handle"), "\(e)")
        }
    }

    /// A steered pass on a protocol engine is `steered_pass` from the clean handle when the
    /// engine lists it, else the prompt prepared again with steering (an engine whose hello has
    /// no `requests`: here the real one behind engines/torch/tests/engine_proxy.py, which drops them). Both give the Swift
    /// engine's steered pass: its logits, and the MCS perturbations computed on it.
    func testSteeredPassesWithAndWithoutSteeredPassRequest() throws {
        let cmd = try engineCommand()
        let py = Self.repo.appendingPathComponent(".venv/bin/python").path
        let proxy = Self.repo.appendingPathComponent("engines/torch/tests/engine_proxy.py").path
        let folder = Self.repo.appendingPathComponent("samples/model").path
        let model = try LlavaModel(folder: folder)
        let template = try PromptTemplate.load(modelFolder: folder)
        let inst = try InstanceSet.load(path: Self.repo.appendingPathComponent("samples/data/test.jsonl").path).instance(id: "200000")
        let vectors = try SteeringVectorSet.load(path: folder + "/amps/steering_vectors.safetensors", for: model)
        let steering = vectors.steering(window: 3...5, scales: [1.5])
        let swiftProbe = try Probe(model: model, template: template, instance: inst, order: .visionFirst, instruction: .none)
        let swiftClean = try model.run(swiftProbe.input)
        let swiftSteered = try model.run(swiftProbe.input, steering: steering, resumingFrom: swiftClean)
        var settings = PerturbationSettings()
        settings.samples = 3
        let request = ModalityContribution.request(probe: swiftProbe, layer: 4, modality: .vision, settings: settings)
        let swiftNoisy = try model.perturbedLogits(swiftSteered, request)
        for (command, listsIt) in [(cmd, true), ("'\(py)' '\(proxy)' --hide-requests \"\(cmd)\"", false)] {
            let engine = try ProtocolEngine(command: command, modelPath: folder, dtype: "float32", device: "cpu")
            defer { engine.shutdown() }
            XCTAssertEqual(engine.client.supports("steered_pass"), listsIt, command)
            let probe = try Probe(model: engine, template: template, instance: inst, order: .visionFirst, instruction: .none)
            let steered = try engine.run(probe.input, steering: steering, resumingFrom: try engine.run(probe.input))
            XCTAssertLessThanOrEqual(maxDiff(steered.logits, swiftSteered.logits), 1e-4, command)
            XCTAssertGreaterThan(maxDiff(steered.logits, swiftClean.logits), 1e-3, "the steering acts")
            XCTAssertLessThanOrEqual(maxDiff(try engine.perturbedLogits(steered, request), swiftNoisy), 1e-4, command)
        }
    }

    func assertEngineError(_ command: String, contains text: String, helloTimeout: Double = 20,
                           file: StaticString = #filePath, line: UInt = #line) {
        let t0 = Date()
        XCTAssertThrowsError(try EngineClient(command: command, helloTimeout: helloTimeout), file: file, line: line) { e in
            let s = "\(e)"
            XCTAssertTrue(s.contains("engine '\(command)'") && s.contains(text), s, file: file, line: line)
            XCTAssertFalse(s.contains("\n"), "one line: \(s)", file: file, line: line)
        }
        XCTAssertLessThan(Date().timeIntervalSince(t0), helloTimeout + 5, file: file, line: line)
    }

    func testNotAnEngine() {
        assertEngineError("echo 'Welcome to gpu-box, last login: Tuesday'", contains: "is not a protocol engine: it printed 'Welcome")
        assertEngineError("exit 7", contains: "exited (status 7)")
        assertEngineError("echo 'amps-torch-engine: command not found' >&2; exit 127", contains: "command not found")
        assertEngineError("sleep 30", contains: "no reply to hello within 2 s", helloTimeout: 2)
    }

    func testOlderProtocolEngine() throws {
        let py = Self.repo.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: py) else { throw XCTSkip("no .venv") }
        // A stand-in engine that answers the handshake with protocol 0, written with the engine's own framing.
        let script = "import sys; from amps_torch_engine.framing import read_frame, write_frame; "
            + "h, _ = read_frame(sys.stdin.buffer); write_frame(sys.stdout.buffer, {'kind': 'hello', 'id': h['id'], 'protocol': 0}); sys.stdin.read()"
        assertEngineError("'\(py)' -c \"\(script)\"", contains: "speaks engine protocol 0, amps needs 1")
    }

    func testEngineDyingMidSession() throws {
        // exec: the shell becomes the engine, so the pid killed is the engine's own.
        let client = try EngineClient(command: "exec " + (try engineCommand()))
        kill(client.process.process.processIdentifier, SIGKILL)
        XCTAssertThrowsError(try client.loadModel(path: "samples/model")) { e in
            XCTAssertTrue("\(e)".contains("exited (status 9)"), "\(e)")
        }
        // Every later request (e.g. another thread's, queued behind the first) reads the cause.
        XCTAssertThrowsError(try client.tokenize(["A"])) { e in
            XCTAssertTrue("\(e)".contains("exited (status 9)"), "\(e)")
        }
    }
}
