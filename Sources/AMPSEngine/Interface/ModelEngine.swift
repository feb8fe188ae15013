import AMPSCore
import AMPSModel
import Foundation

/// What the method and the inspector ask of a model, whichever engine runs it: the Swift
/// engine in this process (`LlavaModel`, SwiftEngine.swift) or an engine in another process
/// or on another host that speaks docs/ENGINE_PROTOCOL.md (`ProtocolEngine`). The method
/// (functional entropy, MCR, fitting, evaluation, sensitivity) is written once on top of it.
///
/// The primitives work on a prepared prompt (`EngineInput`) and on its recorded pass
/// (`EnginePass`); every tensor that comes back is last-position logits of the shapes the
/// Swift engine returns ([V], or [B, V] for a batch), so callers fold them with one code.
public protocol ModelEngine: AnyObject, Sendable {
    /// The checkpoint's folder as given (for a remote engine, a path on its host).
    var folder: String { get }
    var name: String { get }
    var layerCount: Int { get }
    var hiddenSize: Int { get }
    /// K/V width of a layer (kv heads × head dim).
    var kvDim: Int { get }
    var vocabSize: Int { get }
    /// The marker amps' prompts put where the image goes.
    var imageMarker: String { get }
    /// Which engine this is, for messages and JSON ("swift", or the engine command).
    var engineName: String { get }

    /// Tokenizes the prompt (its one image marker expanded as the model's processor does) and
    /// processes the image; `spans`: for each string, the positions of its tokens (the first
    /// occurrence in the prompt).
    func prepare(prompt: String, imagePath: String, spans: [String]) throws -> EngineInput
    /// Token ids of a text fragment, no special tokens and no image expansion.
    func tokenize(_ text: String) throws -> [Int]
    /// The text of generated ids, special tokens dropped.
    func decode(_ ids: [Int]) throws -> String
    /// The vocabulary strings of ids (for showing top tokens).
    func tokenNames(_ ids: [Int]) throws -> [String]

    /// The full pass of a prompt, recorded so that perturbed and steered passes can resume
    /// from any layer. With steering, everything computed on the pass keeps it.
    func run(_ input: EngineInput, steering: Steering?) throws -> EnginePass
    /// The steered pass of a prompt whose clean pass is at hand (the layers below the first
    /// steered one are the clean pass's).
    func run(_ input: EngineInput, steering: Steering, resumingFrom clean: EnginePass) throws -> EnginePass
    /// Last-position logits [V] of a prompt, nothing recorded (the plain, optionally steered,
    /// forward pass, for callers that need the answer and not the layers).
    func lastLogits(_ input: EngineInput, steering: Steering?) throws -> Tensor
    /// Last-position logits [B, V] of an unsteered pass steered with B scales at once.
    func logitsWithSteering(_ pass: EnginePass, steering: Steering, batch: Int) throws -> Tensor
    /// Last-position logits [N, V] under N Gaussian perturbations drawn by the engine from
    /// the request's seed and tags (docs/METHOD.md, "Noise generator").
    func perturbedLogits(_ pass: EnginePass, _ request: PerturbationRequest) throws -> Tensor
    /// The residual stream after each of `layers` at one position (negative: from the end),
    /// [D] each.
    func residuals(_ pass: EnginePass, layers: [Int], position: Int) throws -> [Int: [Float]]
    /// lm_head(final_norm(residual after `layer`)) at the last position, [V].
    func logitLens(_ pass: EnginePass, layer: Int) throws -> Tensor
    /// Greedy decoding; steering acts on the prompt and generated tokens as its filter says.
    func generate(_ input: EngineInput, maxNewTokens: Int, steering: Steering?) throws -> [Int]

    /// Bytes a batch of B sequences resumed at `fromLayer` from `firstPosition` needs on this
    /// machine, or nil when the engine holds its memory elsewhere (and reports running out
    /// of it as an error of its own).
    func resumedBatchBytes(_ pass: EnginePass, fromLayer: Int, firstPosition: Int, batch: Int) -> Double?

    /// Whether the engine is gone for good (its process died, was killed, or spoke garbage):
    /// every later request fails the same way, and the failure is the engine's, not that of
    /// the prompt or instance being worked on when it happened.
    var isLost: Bool { get }
}

/// A prompt prepared by an engine: what the method needs to know of it, and the engine's
/// own state behind it (a ModelInput in process, a handle on a remote engine).
public final class EngineInput: @unchecked Sendable {
    public let ids: [Int]
    /// Positions of the image tokens (every image-pad token is vision).
    public let imagePositions: [Int]
    /// Positions of the tokens of each span asked for at `prepare`.
    public let spanPositions: [[Int]]
    let backing: AnyObject

    public init(ids: [Int], imagePositions: [Int], spanPositions: [[Int]], backing: AnyObject) {
        self.ids = ids; self.imagePositions = imagePositions; self.spanPositions = spanPositions; self.backing = backing
    }

    public var length: Int { ids.count }
}

/// The recorded pass of a prepared prompt (the Swift engine's PromptPass, or a handle).
public final class EnginePass: @unchecked Sendable {
    public let input: EngineInput
    /// Logits at the last prompt position, [V].
    public let logits: Tensor
    public let steering: Steering?
    let backing: AnyObject

    public init(input: EngineInput, logits: Tensor, steering: Steering?, backing: AnyObject) {
        self.input = input; self.logits = logits; self.steering = steering; self.backing = backing
    }

    public var length: Int { input.length }
}

/// Where the Monte Carlo noise of the MCS goes.
public enum PerturbationTarget: String, Sendable, CaseIterable {
    case kv          // K and V (k_proj / v_proj outputs) of the modality's positions at layer l
    case residual    // the residual stream entering layer l at those positions
}

/// One Monte Carlo cell of the MCS: N noise samples at one layer and one modality's
/// positions, drawn by the engine from `seed` and `tags` (two streams `tags/k`, `tags/v` for
/// K/V; one `tags/r` for the residual), σ_f = std of feature f of the perturbed states over
/// `sigmaPositions`, times `sigmaScale`.
public struct PerturbationRequest: Sendable, Equatable {
    public var layer: Int
    public var target: PerturbationTarget
    public var positions: [Int]
    public var sigmaPositions: [Int]
    public var samples: Int
    public var sigmaScale: Double
    public var seed: UInt64
    public var tags: String

    public init(layer: Int, target: PerturbationTarget, positions: [Int], sigmaPositions: [Int]? = nil, samples: Int,
                sigmaScale: Double, seed: UInt64, tags: String) {
        self.layer = layer; self.target = target; self.positions = positions; self.sigmaPositions = sigmaPositions ?? positions
        self.samples = samples; self.sigmaScale = sigmaScale; self.seed = seed; self.tags = tags
    }

    /// Bytes of the noise itself ([N, P, F], twice for K and V).
    public func noiseBytes(kvDim: Int, hiddenSize: Int) -> Double {
        let n = Double(samples), p = Double(positions.count)
        return target == .kv ? 2 * n * p * Double(kvDim) * 4 : n * p * Double(hiddenSize) * 4
    }
}

extension ModelEngine {
    /// The clean pass of a prompt.
    public func run(_ input: EngineInput) throws -> EnginePass { try run(input, steering: nil) }
}
