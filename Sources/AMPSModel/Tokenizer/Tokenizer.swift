import AMPSCore
import Foundation

/// A Hugging Face `tokenizer.json`, as the `tokenizers` library writes it: added tokens,
/// normalizer, pre-tokenizer, model and post-processor, applied in that library's order.
public final class Tokenizer: @unchecked Sendable {
    struct AddedToken {
        let id: Int
        let content: [Unicode.Scalar]
        let singleWord: Bool
        let lstrip: Bool
        let rstrip: Bool
        let normalized: Bool
        let special: Bool
    }

    public let path: String
    let added: [AddedToken]
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let model: TokenizerModel
    let postProcessor: PostProcessor
    private let addedById: [Int: AddedToken]

    public convenience init(path: String) throws {
        let j = try JSONObject.load(path)
        try self.init(json: j.raw, path: path)
    }

    public init(json: [String: Any], path: String) throws {
        self.path = path
        guard let modelJSON = json["model"] as? [String: Any] else {
            throw AMPSError.file(path, "has no 'model' section")
        }
        let modelType = modelJSON["type"] as? String ?? (modelJSON["vocab"] is [String: Any] && modelJSON["merges"] == nil ? "WordLevel" : "?")
        switch modelType {
        case "WordLevel": model = try WordLevelModel(json: modelJSON, path: path)
        default: throw AMPSError.unsupported("\(path): tokenizer model '\(modelType)' is not supported (supported: WordLevel)")
        }
        normalizer = try (json["normalizer"] as? [String: Any]).map { try Normalizer(json: $0, path: path) }
        preTokenizer = try (json["pre_tokenizer"] as? [String: Any]).map { try PreTokenizer(json: $0, path: path) }
        postProcessor = try PostProcessor(json: json["post_processor"] as? [String: Any], path: path)
        if let decoder = json["decoder"] as? [String: Any], let t = decoder["type"] as? String {
            throw AMPSError.unsupported("\(path): decoder '\(t)' is not supported")
        }
        var list: [AddedToken] = []
        for a in json["added_tokens"] as? [[String: Any]] ?? [] {
            guard let id = a["id"].flatMap(JSONObject.integer), id >= 0, let content = a["content"] as? String, !content.isEmpty else {
                throw AMPSError.file(path, "an added_tokens entry lacks id or content")
            }
            list.append(AddedToken(id: id, content: Array(content.unicodeScalars),
                                   singleWord: a["single_word"] as? Bool ?? false,
                                   lstrip: a["lstrip"] as? Bool ?? false, rstrip: a["rstrip"] as? Bool ?? false,
                                   normalized: a["normalized"] as? Bool ?? !(a["special"] as? Bool ?? false),
                                   special: a["special"] as? Bool ?? false))
        }
        added = list
        addedById = Dictionary(list.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Token ids of `text`, with the post-processor's special tokens when asked.
    public func encode(_ text: String, addSpecialTokens: Bool = true) throws -> [Int] {
        var ids: [Int] = []
        for piece in split(Array(text.unicodeScalars), on: added.filter { !$0.normalized }) {
            switch piece {
            case let .token(id): ids.append(id)
            case let .text(scalars):
                let raw = String(String.UnicodeScalarView(scalars))
                let normalized = normalizer?.apply(raw) ?? raw
                for inner in split(Array(normalized.unicodeScalars), on: added.filter(\.normalized)) {
                    switch inner {
                    case let .token(id): ids.append(id)
                    case let .text(s):
                        let words = preTokenizer?.split([String(String.UnicodeScalarView(s))]) ?? [String(String.UnicodeScalarView(s))]
                        for w in words where !w.isEmpty { ids += try model.tokenize(w) }
                    }
                }
            }
        }
        return addSpecialTokens ? postProcessor.apply(ids) : ids
    }

    public func token(for id: Int) -> String? {
        if let a = addedById[id] { return String(String.UnicodeScalarView(a.content)) }
        return model.token(for: id)
    }

    public func id(for token: String) -> Int? {
        if let a = added.first(where: { String(String.UnicodeScalarView($0.content)) == token }) { return a.id }
        return model.id(for: token)
    }

    /// How many tokens the post-processor puts before the sequence (e.g. 1 for "<s> $A").
    public var specialPrefixCount: Int {
        if case let .template(prefix, _) = postProcessor { return prefix.count }
        return 0
    }

    public func isSpecial(_ id: Int) -> Bool { addedById[id]?.special ?? false }

    /// Text of `ids`: with no decoder, `tokenizers` joins the tokens with single spaces.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        ids.compactMap { id -> String? in
            if skipSpecialTokens && isSpecial(id) { return nil }
            return token(for: id) ?? "<\(id)>"
        }.joined(separator: " ")
    }

    enum Piece { case text([Unicode.Scalar]), token(Int) }

    /// Splits on added tokens, leftmost-longest, honouring single_word / lstrip / rstrip.
    private func split(_ s: [Unicode.Scalar], on tokens: [AddedToken]) -> [Piece] {
        guard !tokens.isEmpty else { return s.isEmpty ? [] : [.text(s)] }
        var out: [Piece] = []
        var textStart = 0
        var i = 0
        func isWord(_ k: Int) -> Bool { k >= 0 && k < s.count && PreTokenizer.isWordScalar(s[k]) }
        while i < s.count {
            var best: AddedToken?
            for t in tokens where t.content.count <= s.count - i && (best == nil || t.content.count > best!.content.count) {
                if Array(s[i..<(i + t.content.count)]) == t.content {
                    if t.singleWord && (isWord(i - 1) || isWord(i + t.content.count)) { continue }
                    best = t
                }
            }
            guard let t = best else { i += 1; continue }
            var textEnd = i
            if t.lstrip { while textEnd > textStart && s[textEnd - 1].properties.isWhitespace { textEnd -= 1 } }
            if textEnd > textStart { out.append(.text(Array(s[textStart..<textEnd]))) }
            out.append(.token(t.id))
            i += t.content.count
            if t.rstrip { while i < s.count && s[i].properties.isWhitespace { i += 1 } }
            textStart = i
        }
        if textStart < s.count { out.append(.text(Array(s[textStart...]))) }
        return out
    }
}
