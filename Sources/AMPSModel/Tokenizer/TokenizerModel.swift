import AMPSCore
import Foundation

/// The `model` section of tokenizer.json: maps a pre-tokenized word to ids.
protocol TokenizerModel {
    func tokenize(_ word: String) throws -> [Int]
    func token(for id: Int) -> String?
    func id(for token: String) -> Int?
}

/// `WordLevel`: one id per whole word, unknown words become the unk token.
struct WordLevelModel: TokenizerModel {
    let vocab: [String: Int]
    let reverse: [Int: String]
    let unkId: Int?
    let unkToken: String

    init(json: [String: Any], path: String) throws {
        guard let v = json["vocab"] as? [String: NSNumber] else {
            throw AMPSError.file(path, "WordLevel model has no vocab object")
        }
        vocab = v.mapValues(\.intValue)
        reverse = Dictionary(vocab.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        unkToken = json["unk_token"] as? String ?? "<unk>"
        unkId = vocab[unkToken]
    }

    func tokenize(_ word: String) throws -> [Int] {
        if let id = vocab[word] { return [id] }
        guard let unkId else {
            throw AMPSError.invalidInput("word '\(word)' is not in the WordLevel vocabulary and the tokenizer has no unk token")
        }
        return [unkId]
    }

    func token(for id: Int) -> String? { reverse[id] }
    func id(for token: String) -> Int? { vocab[token] }
}
