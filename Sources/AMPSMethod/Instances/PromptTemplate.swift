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
        let opts = try j.array("answer_options").compactMap { $0 as? String }
        guard opts.count == 2 else { throw AMPSError.file(path, "'answer_options' must list two answer letters") }
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

    /// Token ids of the two answer letters; each must be one token.
    public func answerTokenIds(_ tokenizer: Tokenizer) throws -> (a: Int, b: Int) {
        let ids = try answerOptions.map { opt -> Int in
            let t = try tokenizer.encode(opt, addSpecialTokens: false)
            guard t.count == 1 else {
                throw AMPSError.invalidInput("\(path): answer option '\(opt)' tokenizes to \(t.count) tokens; it must be exactly one")
            }
            return t[0]
        }
        return (ids[0], ids[1])
    }
}
