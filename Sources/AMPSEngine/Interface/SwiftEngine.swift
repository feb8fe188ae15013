import AMPSCore
import AMPSModel
import Foundation

/// The Swift engine: LlavaModel in this process, behind the engine interface. Each primitive
/// is the LlavaModel call of the same name on the ModelInput / PromptPass the interface's
/// objects carry, so the interface adds a wrapper object per prompt and nothing per layer.
extension LlavaModel: ModelEngine {
    public var kvDim: Int { decoder.kvDim }
    public var imageMarker: String { processor.imageToken }
    public var engineName: String { "swift" }

    public func prepare(prompt: String, imagePath: String, spans: [String]) throws -> EngineInput {
        let input = try prepare(prompt: prompt, imagePath: imagePath)
        let located = try spans.map { try self.spanPositions(of: $0, in: prompt) }
        return EngineInput(ids: input.ids, imagePositions: input.imagePositions, spanPositions: located,
                           backing: SwiftInput(input))
    }

    /// A span's tokens: the prompt tokenized up to and through its first occurrence (markers
    /// expanded, no special tokens), offset by the special tokens the post-processor puts first.
    func spanPositions(of span: String, in prompt: String) throws -> [Int] {
        guard let r = prompt.range(of: span) else {
            throw AMPSError.invalidInput("the span '\(span.prefix(40))' does not appear in the prompt")
        }
        let before = try encodeFragment(String(prompt[..<r.lowerBound])).count
        let through = try encodeFragment(String(prompt[..<r.upperBound])).count
        let offset = tokenizer.specialPrefixCount
        return Array((before + offset)..<(through + offset))
    }

    public func tokenize(_ text: String) throws -> [Int] { try tokenizer.encode(text, addSpecialTokens: false) }
    public func decode(_ ids: [Int]) throws -> String { tokenizer.decode(ids, skipSpecialTokens: true) }
    public func tokenNames(_ ids: [Int]) throws -> [String] { ids.map { tokenizer.token(for: $0) ?? "#\($0)" } }

    public func run(_ input: EngineInput, steering: Steering?) throws -> EnginePass {
        let pass = run(try modelInput(input), steering: steering)
        return EnginePass(input: input, logits: pass.logits, steering: steering, backing: pass)
    }

    public func run(_ input: EngineInput, steering: Steering, resumingFrom clean: EnginePass) throws -> EnginePass {
        let pass = run(try modelInput(input), steering: steering, resumingFrom: try promptPass(clean))
        return EnginePass(input: input, logits: pass.logits, steering: steering, backing: pass)
    }

    public func lastLogits(_ input: EngineInput, steering: Steering?) throws -> Tensor {
        lastLogits(try modelInput(input), steering: steering)
    }

    public func logitsWithSteering(_ pass: EnginePass, steering: Steering, batch: Int) throws -> Tensor {
        logitsWithSteering(try promptPass(pass), steering: steering, batch: batch)
    }

    public func perturbedLogits(_ pass: EnginePass, _ request: PerturbationRequest) throws -> Tensor {
        let p = try promptPass(pass)
        let n = noise(p, request)
        switch request.target {
        case .kv: return logitsWithKVNoise(p, layer: request.layer, positions: request.positions, k: n["k"], v: n["v"])
        case .residual: return logitsWithResidualNoise(p, layer: request.layer, positions: request.positions, noise: n["r"]!)
        }
    }

    /// The request's noise, [N, P, F] per stream ("k" and "v", or "r"), as every engine draws it.
    public func noise(_ pass: PromptPass, _ request: PerturbationRequest) -> [String: Tensor] {
        func draw(_ states: Tensor, _ tag: String) -> Tensor {
            let sigma = featureStd(states, positions: request.sigmaPositions).map { $0 * Float(request.sigmaScale) }
            var g = NoiseGenerator(seed: NoiseGenerator.seed(request.seed, request.tags + "/" + tag))
            return g.noise(samples: request.samples, positions: request.positions.count, sigma: sigma)
        }
        switch request.target {
        case .kv:
            // Two independent streams: drawn on two workers when there are.
            let kv = try! Parallel.map(2) { i in i == 0 ? draw(pass.keys[request.layer], "k") : draw(pass.values[request.layer], "v") }
            return ["k": kv[0], "v": kv[1]]
        case .residual: return ["r": draw(pass.layerInputs[request.layer], "r")]
        }
    }

    public func residuals(_ pass: EnginePass, layers: [Int], position: Int) throws -> [Int: [Float]] {
        let p = try promptPass(pass)
        let row = position < 0 ? p.length + position : position
        guard (0..<p.length).contains(row) else { throw AMPSError.invalidInput("position \(position) is outside the prompt's \(p.length) tokens") }
        var out: [Int: [Float]] = [:]
        for l in layers {
            guard (0..<layerCount).contains(l) else { throw AMPSError.invalidInput("layer \(l) is outside the model's layers 0-\(layerCount - 1)") }
            out[l] = Array(UnsafeBufferPointer(start: p.layerInputs[l + 1].data + row * hiddenSize, count: hiddenSize))
        }
        return out
    }

    public func logitLens(_ pass: EnginePass, layer: Int) throws -> Tensor { logitLens(try promptPass(pass), layer: layer) }

    public func generate(_ input: EngineInput, maxNewTokens: Int, steering: Steering?) throws -> [Int] {
        generate(try modelInput(input), maxNewTokens: maxNewTokens, steering: steering)
    }

    public func resumedBatchBytes(_ pass: EnginePass, fromLayer: Int, firstPosition: Int, batch: Int) -> Double? {
        resumedPassBytes(promptLength: pass.length, fromLayer: fromLayer, firstPosition: firstPosition, batch: batch)
    }

    /// In process: the engine lives as long as amps does.
    public var isLost: Bool { false }

    // MARK: what the interface's objects carry

    public func modelInput(_ input: EngineInput) throws -> ModelInput {
        guard let b = input.backing as? SwiftInput else { throw AMPSError.invalidInput("a prompt prepared by another engine was given to the swift engine") }
        return b.input
    }

    public func promptPass(_ pass: EnginePass) throws -> PromptPass {
        guard let p = pass.backing as? PromptPass else { throw AMPSError.invalidInput("a pass of another engine was given to the swift engine") }
        return p
    }
}

final class SwiftInput: @unchecked Sendable {
    let input: ModelInput
    init(_ input: ModelInput) { self.input = input }
}
