import AMPSCore
import AMPSModel
import Foundation

/// Which instruction line a prompt carries.
public enum Instruction: String, Sendable, CaseIterable { case none, vision, text }

/// Which option letter holds the vision answer (MC² asks both orders).
public enum OptionOrder: String, Sendable, CaseIterable {
    case visionFirst = "vision-first"   // A = vision answer, B = text answer
    case textFirst = "text-first"
}

/// A model's prompt file (`prompt.json` next to the checkpoint): the template with
/// {context} {instruction} {question} {option_a} {option_b}, the instruction lines and
/// the answer letters.
public struct PromptTemplate: Sendable {
    public var template: String
    public var instructions: [Instruction: String]
    public var answerOptions: [String]
    public let path: String

    public init(path: String) throws {
        let j = try JSONObject.load(path)
        self.path = path
        template = try j.string("template")
        let inst = try j.object("instructions")
        instructions = [.none: try inst.string("none", default: "")]
        instructions[.vision] = try inst.string("vision")
        instructions[.text] = try inst.string("text")
        let raw = try j.array("answer_options")
        let opts = raw.compactMap { $0 as? String }
        guard raw.count == 2, opts.count == 2 else { throw AMPSError.file(path, "'answer_options' must list two answer letters (strings)") }
        // The same letter twice counts one token as both answers: P(vision) + P(text) > 1.
        guard opts[0] != opts[1] else {
            throw AMPSError.file(path, "'answer_options' must be two different letters (both are \(String(opts[0].prefix(20)).debugDescription))")
        }
        answerOptions = opts
        for key in Self.placeholders where !template.contains(key) {
            throw AMPSError.file(path, "template lacks the placeholder \(key)")
        }
    }

    /// The prompt for the default model folder: `prompt.json` beside its config.
    public static func load(modelFolder: String, override: String? = nil) throws -> PromptTemplate {
        try PromptTemplate(path: override ?? modelFolder + "/prompt.json")
    }

    public static let placeholders = ["{context}", "{instruction}", "{question}", "{option_a}", "{option_b}"]

    /// The prompt for one instance. One pass over the template: the instance's own text is
    /// inserted as it is, so a `{option_b}` inside a question stays literal text.
    public func render(_ i: Instance, order: OptionOrder, instruction: Instruction) -> String {
        let o = i.options
        let (a, b) = order == .visionFirst ? (o.vision, o.other) : (o.other, o.vision)
        let values = ["{context}": i.context, "{instruction}": instructions[instruction] ?? "", "{question}": i.question,
                      "{option_a}": a, "{option_b}": b]
        var out = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let tail = rest[open...]
            if let key = Self.placeholders.first(where: { tail.hasPrefix($0) }) {
                out += values[key]!
                rest = tail.dropFirst(key.count)
            } else {
                out += "{"
                rest = tail.dropFirst()
            }
        }
        return out + rest
    }

    /// Token ids of the two answer letters: each must be one token, the two different, and
    /// (given `vocabularySize`, the rows of lm_head) each one the model has a logit for.
    public func answerTokenIds(_ tokenizer: Tokenizer, vocabularySize: Int? = nil) throws -> (a: Int, b: Int) {
        try answerTokenIds(encode: { try tokenizer.encode($0, addSpecialTokens: false) }, vocabularySize: vocabularySize)
    }

    /// The same, with the engine's tokenizer (`encode`: a fragment's ids, no special tokens).
    public func answerTokenIds(encode: (String) throws -> [Int], vocabularySize: Int? = nil) throws -> (a: Int, b: Int) {
        let ids = try answerOptions.map { opt -> Int in
            let t = try encode(opt)
            guard t.count == 1 else {
                throw AMPSError.invalidInput("\(path): answer option '\(opt)' tokenizes to \(t.count) tokens; it must be exactly one")
            }
            if let vocabularySize, !(0..<vocabularySize).contains(t[0]) {
                throw AMPSError.invalidInput("\(path): answer option '\(opt)' is token \(t[0]), outside the model's vocabulary of \(vocabularySize)")
            }
            return t[0]
        }
        // Different strings can still be one token ("A" and " A" under some normalizers).
        guard ids[0] != ids[1] else {
            throw AMPSError.invalidInput("\(path): answer options '\(answerOptions[0])' and '\(answerOptions[1])' are the same token \(ids[0]); they must be two different tokens")
        }
        return (ids[0], ids[1])
    }
}
