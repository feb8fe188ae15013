import AMPSCore
import AMPSMethod
import AMPSModel

/// What the UI asks the engine to show: everything that determines the computed views.
/// Tagged with a generation number; a newer request supersedes older ones.
public struct EngineRequest: Sendable, Equatable {
    public var generation: Int
    public var instanceIndex: Int
    public var order: OptionOrder
    public var instruction: Instruction
    public var steering: SteeringSettings
    public var perturbation: PerturbationSettings
    public var layer: Int
    public var alphaGrid: [Double]

    public init(generation: Int, instanceIndex: Int, order: OptionOrder, instruction: Instruction, steering: SteeringSettings,
                perturbation: PerturbationSettings, layer: Int, alphaGrid: [Double]) {
        self.generation = generation; self.instanceIndex = instanceIndex; self.order = order; self.instruction = instruction
        self.steering = steering; self.perturbation = perturbation; self.layer = layer; self.alphaGrid = alphaGrid
    }
}

/// The logit lens and steering geometry at one layer (last prompt token).
public struct LayerDetail: Sendable, Equatable {
    public var layer: Int
    public var lens: AnswerDistribution
    public var topTokens: [(token: String, probability: Double)]
    public var residualNorm: Double
    public var vectorNorm: Double?
    public var cosine: Double?

    public init(layer: Int, lens: AnswerDistribution, topTokens: [(token: String, probability: Double)], residualNorm: Double,
                vectorNorm: Double?, cosine: Double?) {
        self.layer = layer; self.lens = lens; self.topTokens = topTokens; self.residualNorm = residualNorm
        self.vectorNorm = vectorNorm; self.cosine = cosine
    }

    public static func == (a: LayerDetail, b: LayerDetail) -> Bool {
        a.layer == b.layer && a.lens == b.lens && a.residualNorm == b.residualNorm && a.vectorNorm == b.vectorNorm
            && a.cosine == b.cosine && a.topTokens.map(\.token) == b.topTokens.map(\.token)
    }
}

/// The answers for the current instance under the current steering.
public struct SteeredAnswers: Sendable, Equatable {
    public var unsteered: AnswerDistribution
    public var steered: AnswerDistribution?
    /// alpha * factor actually applied.
    public var effectiveAlpha: Double
    public var factor: Double
    public var windowRatio: Double?
    /// Under `--answer generate`: the generated answers (they arrive after the rest).
    public var unsteeredGenerated: ScoredAnswer?
    public var steeredGenerated: ScoredAnswer?

    /// The same steering in the other option order (filled in after the current order's answers).
    public var otherOrder: OrderAnswers?

    public init(unsteered: AnswerDistribution, steered: AnswerDistribution?, effectiveAlpha: Double, factor: Double, windowRatio: Double?,
                unsteeredGenerated: ScoredAnswer? = nil, steeredGenerated: ScoredAnswer? = nil, otherOrder: OrderAnswers? = nil) {
        self.unsteered = unsteered; self.steered = steered; self.effectiveAlpha = effectiveAlpha; self.factor = factor; self.windowRatio = windowRatio
        self.unsteeredGenerated = unsteeredGenerated; self.steeredGenerated = steeredGenerated
        self.otherOrder = otherOrder
    }
}

/// alpha_flip and alpha_collapse found by bisection (SensitivityThreshold), to `precision`.
public struct SensitivityThresholds: Sendable, Equatable {
    public var flip: Double?
    public var collapse: Double?
    public var precision: Double
    public init(flip: Double?, collapse: Double?, precision: Double) { self.flip = flip; self.collapse = collapse; self.precision = precision }
}

/// One option order's unsteered and steered answers.
public struct OrderAnswers: Sendable, Equatable {
    public var order: OptionOrder
    public var unsteered: AnswerDistribution
    public var steered: AnswerDistribution?
    public init(order: OptionOrder, unsteered: AnswerDistribution, steered: AnswerDistribution?) {
        self.order = order; self.unsteered = unsteered; self.steered = steered
    }
}

/// One instance's line in the list, filled in the background.
public struct ListStats: Sendable, Equatable {
    public var answer: AnswerClass
    public var pVision: Double
    public var windowRatio: Double?
    public var alphaFlip: Double?
    /// The answer in each option order (the list shows both: `VT` or `TV` is a letter collapse).
    public var visionFirst: AnswerClass?
    public var textFirst: AnswerClass?

    public init(answer: AnswerClass, pVision: Double, windowRatio: Double?, alphaFlip: Double?,
                visionFirst: AnswerClass? = nil, textFirst: AnswerClass? = nil) {
        self.answer = answer; self.pVision = pVision; self.windowRatio = windowRatio; self.alphaFlip = alphaFlip
        self.visionFirst = visionFirst; self.textFirst = textFirst
    }
}

/// What the engine sends back. Results carry the generation they were computed for; the
/// UI drops any whose generation is older than its current one.
public enum EngineEvent: Sendable {
    case answers(generation: Int, SteeredAnswers)
    case layer(generation: Int, LayerDetail)
    case curve(generation: Int, SensitivityCurve)
    /// alpha_flip and alpha_collapse of the curve, bisected between its grid points.
    case thresholds(generation: Int, SensitivityThresholds)
    /// The response curve of the other option order (for the letter collapse).
    case otherOrderCurve(generation: Int, SensitivityCurve)
    case mapRow(generation: Int, LayerContribution, done: Int, total: Int)
    case listRow(signature: Int, index: Int, ListStats)
    case busy(String?)
    case failure(generation: Int, String)
    /// The engine process is gone (died, killed, timed out, or spoke garbage): nothing more
    /// can be computed; the inspector shows the error screen.
    case engineLost(String)
}
