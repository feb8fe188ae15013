import AMPSCore
import Foundation

/// A Hugging Face `tokenizer.json`, as the `tokenizers` library writes it: added tokens,
/// normalizer, pre-tokenizer, model (WordLevel or BPE), post-processor and decoder, applied in
/// that library's order. A sibling tokenizer_config.json is read for `add_bos_token` /
/// `add_eos_token` when tokenizer.json has no post-processor (older Llama checkpoints).
public final class Tokenizer: @unchecked Sendable {
    public let path: String
    let added: [AddedToken]
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let model: TokenizerModel
    let postProcessor: PostProcessor
    let decoder: TokenDecoder?
    private let addedById: [Int: AddedToken]
    private let addedByContent: [TokenKey: Int]
    private let specialContents: Set<TokenKey>
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher

    /// Reads `path` and, when present, tokenizer_config.json in the same folder.
    public convenience init(path: String) throws {
        let parsed = try TokenizerJSON.load(path: path, keepPairsAt: ["model", "vocab"])
        // tokenizer_config.json matters only when there is no post-processor.
        let configPath = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("tokenizer_config.json").path
        let hasPost = parsed.root["post_processor"] is [String: Any]
        let config = !hasPost && FileManager.default.fileExists(atPath: configPath) ? try JSONObject.load(configPath) : nil
        try self.init(json: parsed.root, vocabPairs: parsed.keptPairs, config: config, path: path)
    }

    /// From an already parsed tokenizer.json (and optionally tokenizer_config.json). Note that a
    /// `[String: Any]` vocab cannot hold two canonically equivalent tokens; `init(path:)` can.
    public convenience init(json: [String: Any], path: String, config: JSONObject? = nil) throws {
        try self.init(json: json, vocabPairs: nil, config: config, path: path)
    }

    init(json: [String: Any], vocabPairs: [(String, Any)]?, config: JSONObject?, path: String) throws {
        self.path = path
        guard let modelJSON = json["model"] as? [String: Any] else {
            throw AMPSError.file(path, "has no 'model' section")
        }
        let inferred = modelJSON["merges"] != nil ? "BPE" : (modelJSON["vocab"] is [String: Any] ? "WordLevel" : "?")
        let modelType = modelJSON["type"] as? String ?? inferred
        switch modelType {
        case "WordLevel": model = try WordLevelModel(json: modelJSON, path: path)
        case "BPE": model = try BPEModel(json: modelJSON, vocabPairs: vocabPairs, path: path)
        default: throw AMPSError.unsupported("\(path): tokenizer model '\(modelType)' is not supported (supported: BPE, WordLevel)")
        }
        let normalizer = try (json["normalizer"] as? [String: Any]).map { try Normalizer(json: $0, path: path) }
        self.normalizer = normalizer
        preTokenizer = try (json["pre_tokenizer"] as? [String: Any]).map { try PreTokenizer(json: $0, path: path) }
        decoder = try (json["decoder"] as? [String: Any]).map { try TokenDecoder(json: $0, path: path) }

        var list: [AddedToken] = []
        for a in json["added_tokens"] as? [[String: Any]] ?? [] {
            guard let id = a["id"].flatMap(JSONObject.integer), id >= 0, let content = a["content"] as? String, !content.isEmpty else {
                throw AMPSError.file(path, "an added_tokens entry lacks id or content")
            }
            let special = a["special"] as? Bool ?? false
            let normalized = a["normalized"] as? Bool ?? !special
            // A normalized token is looked for in normalized text, so its content is normalized too.
            let pattern = normalized ? (try normalizer?.apply(content) ?? content).scalars : content.scalars
            list.append(AddedToken(id: id, content: content.scalars, pattern: pattern,
                                   singleWord: a["single_word"] as? Bool ?? false,
                                   lstrip: a["lstrip"] as? Bool ?? false, rstrip: a["rstrip"] as? Bool ?? false,
                                   normalized: normalized, special: special))
        }
        added = list
        addedById = Dictionary(list.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let byContent = Dictionary(list.map { (TokenKey($0.content), $0.id) }, uniquingKeysWith: { a, _ in a })
        addedByContent = byContent
        let model = self.model
        specialContents = Set(list.filter(\.special).map { TokenKey($0.content) })
        rawMatcher = AddedTokenMatcher(list.filter { !$0.normalized })
        normalizedMatcher = AddedTokenMatcher(list.filter(\.normalized))

        let post = json["post_processor"] as? [String: Any]
        if post == nil, let config, config.has("add_bos_token") || config.has("add_eos_token") {
            // transformers' rule for tokenizers without a post-processor (LlamaTokenizerFast).
            func special(_ flag: String, _ name: String) throws -> Int? {
                guard try config.bool(flag, default: false) else { return nil }
                let token: String?
                if let s = config.raw[name] as? String { token = s }
                else if let d = config.raw[name] as? [String: Any] { token = d["content"] as? String }
                else { token = nil }
                guard let token else { throw AMPSError.file(config.path, "\(flag) is true but \(name) is not set") }
                guard let id = byContent[TokenKey(token)] ?? model.id(for: token) else {
                    throw AMPSError.file(config.path, "\(name) \(token.debugDescription) is not a token of \(path)")
                }
                return id
            }
            postProcessor = PostProcessor.bosEos(bos: try special("add_bos_token", "bos_token"), eos: try special("add_eos_token", "eos_token"))
        } else {
            postProcessor = try PostProcessor(json: post, path: path)
        }
    }

    /// Token ids of `text`, with the post-processor's special tokens when asked.
    public func encode(_ text: String, addSpecialTokens: Bool = true) throws -> [Int] {
        let ids = try encodeSequence(text)
        return addSpecialTokens ? try postProcessor.apply(ids, pair: nil, path: path) : ids
    }

    /// Token ids of a pair of texts (the post-processor's pair template when asked).
    public func encode(_ text: String, pair: String, addSpecialTokens: Bool = true) throws -> [Int] {
        let a = try encodeSequence(text), b = try encodeSequence(pair)
        return addSpecialTokens ? try postProcessor.apply(a, pair: b, path: path) : a + b
    }

    /// Added tokens are cut out of the raw text (non-normalized ones) and of the normalized pieces
    /// (normalized ones); the rest is pre-tokenized into words for the model.
    private func encodeSequence(_ text: String) throws -> [Int] {
        var ids: [Int] = []
        let s = text.scalars
        for (range, token) in rawMatcher.split(s) {
            if let token { ids.append(token); continue }
            let raw = Array(s[range])
            let normalized = try normalizer.map { try $0.apply(raw.string).scalars } ?? raw
            for (r, inner) in normalizedMatcher.split(normalized) {
                if let inner { ids.append(inner); continue }
                let piece = PreTokenizer.Piece(text: Array(normalized[r]), atStart: range.lowerBound == 0 && r.lowerBound == 0)
                let words = try preTokenizer?.split([piece]) ?? [piece]
                for w in words where !w.text.isEmpty { ids += try model.tokenize(w.text) }
            }
        }
        return ids
    }

    /// The token of `id`; for a `normalized` added token the library gives its normalized content.
    public func token(for id: Int) -> String? {
        if let a = addedById[id] { return a.pattern.string }
        return model.token(for: id)
    }

    public func id(for token: String) -> Int? {
        addedByContent[TokenKey(token)] ?? model.id(for: token)
    }

    /// How many tokens the post-processor puts before the sequence (e.g. 1 for "<s> $A").
    public var specialPrefixCount: Int { postProcessor.prefixCount }

    public func isSpecial(_ id: Int) -> Bool { addedById[id]?.special ?? false }

    /// Text of `ids` through the decoder (with no decoder, `tokenizers` joins the tokens with single
    /// spaces). Ids that are no token are left out, as the library does.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        let tokens: [Scalars] = ids.compactMap { id in
            let t: Scalars
            if let a = addedById[id] { t = a.pattern } else if let s = model.token(for: id) { t = s.scalars } else { return nil }
            // As in the library, a token is special when its text is the content of a special added token.
            if skipSpecialTokens && specialContents.contains(TokenKey(t)) { return nil }
            return t
        }
        guard let decoder else { return tokens.map(\.string).joined(separator: " ") }
        return decoder.decodeChain(tokens).map(\.string).joined()
    }
}
