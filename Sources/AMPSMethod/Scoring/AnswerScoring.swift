import AMPSCore
import AMPSModel
import Foundation

/// How a probe's answer is read off the model, as `--answer` says.
public enum AnswerScoring: Sendable, Equatable {
    /// The argmax token at the answer position is A, B or something else.
    case firstToken
    /// Greedy generation of up to `maxTokens` new tokens (steered where steering applies);
    /// the answer is the first option letter the text states (`OptionLetterParser`), as
    /// MC² scores its models.
    case generate(maxTokens: Int)

    public static let defaultAnswerTokens = 8

    public var name: String {
        switch self {
        case .firstToken: return "first-token"
        case .generate: return "generate"
        }
    }

    public init(name: String, maxTokens: Int = AnswerScoring.defaultAnswerTokens) throws {
        switch name {
        case "first-token": self = .firstToken
        case "generate":
            guard (1...256).contains(maxTokens) else {
                throw AMPSError.invalidInput("--answer-tokens must be between 1 and 256 (got \(maxTokens))")
            }
            self = .generate(maxTokens: maxTokens)
        default: throw AMPSError.invalidInput("--answer must be first-token or generate (got '\(name)')")
        }
    }
}

/// What a probe answered under one steering: its class, and under `generate` the text.
public struct ScoredAnswer: Sendable, Equatable {
    public var answer: AnswerClass
    /// The generated continuation (decoded, special tokens dropped); nil under first-token.
    public var text: String?
    /// The generated token ids; nil under first-token.
    public var ids: [Int]?
    /// The option letter the text states, when it states one.
    public var letter: String?

    public init(answer: AnswerClass, text: String? = nil, ids: [Int]? = nil, letter: String? = nil) {
        self.answer = answer; self.text = text; self.ids = ids; self.letter = letter
    }
}

extension Probe {
    /// The probe's answer under `scoring`. `firstToken` is the already computed
    /// answer-position distribution (the class `firstToken` scoring returns as it is).
    public func scored(_ scoring: AnswerScoring, model: any ModelEngine, steering: Steering?,
                       firstToken: AnswerDistribution) throws -> ScoredAnswer {
        switch scoring {
        case .firstToken:
            return ScoredAnswer(answer: firstToken.argmaxClass)
        case let .generate(maxTokens):
            let ids = try model.generate(input, maxNewTokens: maxTokens, steering: steering)
            let text = try model.decode(ids)
            let k = OptionLetterParser.optionIndex(in: text, letters: answerLetters)
            return ScoredAnswer(answer: answerClass(ofGenerated: text), text: text, ids: ids, letter: k.map { answerLetters[$0] })
        }
    }

    /// The class of a generated answer: the first option letter it states, mapped through
    /// this probe's option order.
    public func answerClass(ofGenerated text: String) -> AnswerClass {
        guard let k = OptionLetterParser.optionIndex(in: text, letters: answerLetters) else { return .other }
        let saysA = k == 0
        return saysA == (order == .visionFirst) ? .vision : .text
    }
}
