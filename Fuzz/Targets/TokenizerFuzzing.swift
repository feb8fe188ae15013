import AMPSModel
import Foundation

/// tokenizer.json: loading any bytes, and encoding any text with the committed tokenizers.
enum TokenizerFuzzing {
    static let sample = "Hello world <image> 123 ça  va\n\tdon't 東京 🙂"

    /// Any bytes as tokenizer.json; what loads then encodes and decodes a fixed sample.
    static let load = FuzzTarget(name: "tokenizer-load") { data in
        let t = try Tokenizer(path: try ScratchFiles.write(data, as: "tokenizer/tokenizer.json"))
        let ids = try t.encode(sample)
        _ = t.decode(ids)
    }

    static let tokenizers: [Tokenizer] = ["qwen2_bytelevel", "llama_metaspace", "llama_legacy", "canonical_bpe"].compactMap {
        try? Tokenizer(path: FuzzFixtures.root + "/Tests/AMPSModelTests/Fixtures/tokenizers/\($0)/tokenizer.json")
    }

    /// Any bytes (as UTF-8, invalid sequences replaced) encoded by each committed tokenizer.
    static let encode = FuzzTarget(name: "tokenizer-encode") { data in
        let text = String(decoding: data, as: UTF8.self)
        for t in tokenizers {
            let ids = try t.encode(text)
            _ = t.decode(ids, skipSpecialTokens: true)
        }
    }
}
