import AMPSCore
import Foundation

/// The `model` section of tokenizer.json: maps a pre-tokenized word to ids.
protocol TokenizerModel {
    func tokenize(_ word: Scalars) throws -> [Int]
    func token(for id: Int) -> String?
    func id(for token: String) -> Int?
}

/// `WordLevel`: one id per whole word, unknown words become the unk token.
struct WordLevelModel: TokenizerModel {
    let vocab: [String: Int]
    let reverse: [Int: String]
    let unkId: Int?
    let unkToken: String
    let path: String

    init(json: [String: Any], path: String) throws {
        self.path = path
        guard let v = json["vocab"] as? [String: Any] else {
            throw AMPSError.file(path, "WordLevel model has no vocab object")
        }
        vocab = try v.mapValues {
            guard let id = JSONObject.integer($0), id >= 0 else {
                throw AMPSError.file(path, "WordLevel vocab ids must be non-negative integers")
            }
            return id
        }
        reverse = Dictionary(vocab.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        unkToken = json["unk_token"] as? String ?? "<unk>"
        unkId = vocab[unkToken]
    }

    func tokenize(_ scalars: Scalars) throws -> [Int] {
        let word = scalars.string
        if let id = vocab[word] { return [id] }
        guard let unkId else {
            let shown = word.count > 40 ? String(word.prefix(40)) + "…" : word
            throw AMPSError.file(path, "word \(shown.debugDescription) is not in the WordLevel vocabulary and the tokenizer has no unk token")
        }
        return [unkId]
    }

    func token(for id: Int) -> String? { reverse[id] }
    func id(for token: String) -> Int? { vocab[token] }
}
