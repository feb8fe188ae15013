import AMPSCore
import AMPSModel
import Foundation

/// The two modalities whose contribution AMPS measures.
public enum Modality: String, Sendable, CaseIterable { case vision, text }

/// What a prompt's answer was: the vision answer, the text answer, or neither (collapse).
public enum AnswerClass: String, Sendable, CaseIterable { case vision, text, other }

/// The model's answer at the answer position, folded to the two options and the rest.
public struct AnswerDistribution: Sendable, Equatable {
    public var pVision: Double
    public var pText: Double
    public var pOther: Double { max(0, 1 - pVision - pText) }
    /// Class of the argmax token over the full vocabulary.
    public var argmaxClass: AnswerClass
    public var topTokenId: Int

    public init(pVision: Double, pText: Double, argmaxClass: AnswerClass, topTokenId: Int) {
        self.pVision = pVision; self.pText = pText; self.argmaxClass = argmaxClass; self.topTokenId = topTokenId
    }

    /// (P(vision), P(text), P(other)) — the distribution the functional compares.
    public var triple: [Double] { [pVision, pText, pOther] }
}

/// One instance asked one way (option order, instruction): the model input plus where
/// each modality's tokens are and which token ids are the answers.
public struct Probe: @unchecked Sendable {
    public let instance: Instance
    public let order: OptionOrder
    public let instruction: Instruction
    public let prompt: String
    public let input: EngineInput
    public let answerA: Int
    public let answerB: Int
    /// The option letters as a generated answer spells them (`answer_options`, trimmed).
    public let answerLetters: [String]
    public let textPositions: [Int]

    public var visionPositions: [Int] { input.imagePositions }
    public func positions(of m: Modality) -> [Int] { m == .vision ? visionPositions : textPositions }

    /// How the text modality's positions are chosen.
    public enum TextSpan: String, Sendable, CaseIterable {
        case context          // the tokens of the text context (default)
        case allText = "all-text"  // every non-image prompt token
    }

    public init(model: any ModelEngine, template: PromptTemplate, instance: Instance, order: OptionOrder,
                instruction: Instruction, textSpan: TextSpan = .context) throws {
        self.instance = instance; self.order = order; self.instruction = instruction
        let marker = model.imageMarker
        for (field, text) in [("question", instance.question), ("context", instance.context), ("answer_vision", instance.answerVision),
                              ("answer_text", instance.answerText), ("meta.distractor", instance.distractor ?? "")] where text.contains(marker) {
            throw AMPSError.invalidInput("\(instance.source): field '\(field)' contains the model's image marker '\(marker)'")
        }
        prompt = template.render(instance, order: order, instruction: instruction)
        // The context span is located by the engine (tokenizing the prompt up to and through it).
        if textSpan == .context, prompt.range(of: instance.context) == nil {
            throw AMPSError.invalidInput("\(instance.source): the context does not appear in the rendered prompt")
        }
        do { input = try model.prepare(prompt: prompt, imagePath: instance.imagePath, spans: textSpan == .context ? [instance.context] : []) }
        catch let e as AMPSError where !model.isLost && !e.description.hasPrefix("instance ") && !e.description.hasPrefix(instance.source) {
            // Which instance's prompt failed (too long for the model, an image that is not one);
            // an engine that died meanwhile is its own failure, not this instance's.
            throw AMPSError.invalidInput("\(instance.source): \(e.description)")
        }
        (answerA, answerB) = try template.answerTokenIds(encode: model.tokenize, vocabularySize: model.vocabSize)
        answerLetters = template.answerOptions.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        switch textSpan {
        case .allText:
            let img = Set(input.imagePositions)
            textPositions = input.ids.indices.filter { !img.contains($0) }
        case .context:
            textPositions = input.spanPositions.first ?? []
            guard !textPositions.isEmpty else {
                throw AMPSError.invalidInput("\(instance.source): the context has no tokens")
            }
        }
    }

    /// Folds last-position logits [V] into the answer distribution.
    public func answer(_ logits: UnsafePointer<Float>, vocab: Int) -> AnswerDistribution {
        var mx = -Float.infinity, arg = 0
        for i in 0..<vocab where logits[i] > mx { mx = logits[i]; arg = i }
        var sum = 0.0
        for i in 0..<vocab { sum += exp(Double(logits[i] - mx)) }
        let pA = exp(Double(logits[answerA] - mx)) / sum, pB = exp(Double(logits[answerB] - mx)) / sum
        let cls: AnswerClass
        if arg == answerA { cls = order == .visionFirst ? .vision : .text }
        else if arg == answerB { cls = order == .visionFirst ? .text : .vision }
        else { cls = .other }
        return order == .visionFirst
            ? AnswerDistribution(pVision: pA, pText: pB, argmaxClass: cls, topTokenId: arg)
            : AnswerDistribution(pVision: pB, pText: pA, argmaxClass: cls, topTokenId: arg)
    }

    public func answer(_ logits: Tensor, row: Int = 0) -> AnswerDistribution {
        let v = logits.shape.last!
        return answer(logits.data + row * v, vocab: v)
    }
}
