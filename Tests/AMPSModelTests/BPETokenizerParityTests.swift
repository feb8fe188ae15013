import AMPSCore
import AMPSModel
import Foundation
import XCTest

/// BPE tokenizers (byte-level Qwen2/GPT-2 style and SentencePiece-style Llama, current and legacy
/// tokenizer.json forms) against the `tokenizers` library's own ids and decodes
/// (Fixtures/tokenizers, written by tools/make_tokenizer_fixtures.py).
final class BPETokenizerParityTests: XCTestCase {
    static let root = Fixture.root + "/tokenizers"

    private static let cases: [String: Any] = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: root + "/cases.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    private func entry(_ name: String) -> [String: Any] {
        (Self.cases["tokenizers"] as! [String: Any])[name] as! [String: Any]
    }

    /// The named tokenizer: its folder's tokenizer.json, with the variant's overrides applied.
    private func tokenizer(_ name: String) throws -> Tokenizer {
        let e = entry(name)
        let path = Self.root + "/" + (e["folder"] as! String) + "/tokenizer.json"
        guard let overrides = e["overrides"] as? [String: Any] else { return try Tokenizer(path: path) }
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        for (k, v) in overrides {
            if k == "model" {
                var m = json["model"] as! [String: Any]
                for (mk, mv) in v as! [String: Any] { m[mk] = mv }
                json["model"] = m
            } else {
                json[k] = v
            }
        }
        return try Tokenizer(json: json, path: path + " (variant \(name))")
    }

    private static func ints(_ v: Any?) -> [Int] { (v as! [NSNumber]).map(\.intValue) }

    /// Exact (scalar by scalar) text equality: Swift's == would accept canonically equivalent strings.
    private static func same(_ a: String, _ b: String) -> Bool { a.unicodeScalars.elementsEqual(b.unicodeScalars) }

    private func checkParity(_ name: String) throws {
        let tok = try tokenizer(name)
        let e = entry(name)
        let strings = Self.cases["strings"] as! [String]
        let cases = e["cases"] as! [[String: Any]]
        XCTAssertEqual(strings.count, cases.count)
        XCTAssertGreaterThanOrEqual(strings.count, 500)
        let prefix = Self.ints(e["special_prefix"]), suffix = Self.ints(e["special_suffix"])
        var failures: [String] = []
        func fail(_ s: String) { failures.append(s) }
        for (text, c) in zip(strings, cases) {
            let want = Self.ints(c["ids"])
            let got = try tok.encode(text, addSpecialTokens: false)
            if got != want { fail("encode \(text.debugDescription): \(got) != \(want)") }
            let gotSpecial = try tok.encode(text, addSpecialTokens: true)
            if gotSpecial != prefix + want + suffix { fail("encode with special tokens \(text.debugDescription): \(gotSpecial) != \(prefix + want + suffix)") }
            let decoded = c["decoded"] as? String ?? text
            let gotDecoded = tok.decode(want)
            if !Self.same(gotDecoded, decoded) { fail("decode \(want) of \(text.debugDescription): \(gotDecoded.debugDescription) != \(decoded.debugDescription)") }
            let skipped = c["decoded_skip"] as? String ?? decoded
            let gotSkipped = tok.decode(prefix + want + suffix, skipSpecialTokens: true)
            if !Self.same(gotSkipped, skipped) { fail("decode (skip special) of \(text.debugDescription): \(gotSkipped.debugDescription) != \(skipped.debugDescription)") }
        }
        for p in e["pairs"] as? [[String: Any]] ?? [] {
            let a = p["a"] as! String, b = p["b"] as! String
            let got = try tok.encode(a, pair: b)
            if got != Self.ints(p["ids"]) { fail("pair \(a.debugDescription) / \(b.debugDescription): \(got) != \(Self.ints(p["ids"]))") }
        }
        for d in e["random_decodes"] as! [[String: Any]] {
            let ids = Self.ints(d["ids"])
            let text = tok.decode(ids), skipped = tok.decode(ids, skipSpecialTokens: true)
            if !Self.same(text, d["text"] as! String) { fail("decode \(ids): \(text.debugDescription) != \((d["text"] as! String).debugDescription)") }
            if !Self.same(skipped, d["text_skip"] as! String) { fail("decode \(ids) skipping specials: \(skipped.debugDescription) != \((d["text_skip"] as! String).debugDescription)") }
        }
        for f in failures.prefix(15) { XCTFail("\(name): \(f)") }
        XCTAssertTrue(failures.isEmpty, "\(name): \(failures.count) mismatches")
    }

    func testQwen2ByteLevel() throws { try checkParity("qwen2_bytelevel") }
    func testGPT2ByteLevelWithPrefixSpaceAndTemplate() throws { try checkParity("gpt2_bytelevel") }
    func testLlamaMetaspace() throws { try checkParity("llama_metaspace") }
    func testLlamaLegacyNormalizerForm() throws { try checkParity("llama_legacy") }
    func testMetaspaceAlwaysWithMetaspaceDecoderAndUnk() throws { try checkParity("llama_metaspace_always") }
    func testMetaspaceNeverWithFusedUnk() throws { try checkParity("llama_metaspace_never") }

    /// "é" and "e\u{301}" are different tokens (the library compares bytes).
    func testCanonicallyEquivalentTokensStayDistinct() throws {
        let tok = try Tokenizer(path: Self.root + "/canonical_bpe/tokenizer.json")
        for c in Self.cases["canonical_bpe"] as! [[String: Any]] {
            let text = c["text"] as! String
            XCTAssertEqual(try tok.encode(text), Self.ints(c["ids"]), "\(Array(text.unicodeScalars))")
            XCTAssertTrue(Self.same(tok.decode(Self.ints(c["ids"])), c["decoded"] as! String))
        }
    }

    func testLongPromptIsFast() throws {
        let tok = try tokenizer("llama_metaspace")
        let text = String(repeating: "The red ball is left of the cube. 😀 Привет ", count: 200)
        let start = Date()
        let ids = try tok.encode(text)
        XCTAssertGreaterThan(ids.count, 1000)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    // MARK: unsupported features are named

    private func baseJSON(_ folder: String) throws -> [String: Any] {
        let path = Self.root + "/" + folder + "/tokenizer.json"
        return try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    private func assertUnsupported(_ json: [String: Any], mentions: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try Tokenizer(json: json, path: "some/tokenizer.json")
            XCTFail("accepted a tokenizer.json with \(mentions)", file: file, line: line)
        } catch let AMPSError.unsupported(message) {
            XCTAssertTrue(message.contains("some/tokenizer.json"), message, file: file, line: line)
            XCTAssertTrue(message.contains(mentions), "\(message) does not mention \(mentions)", file: file, line: line)
        } catch {
            XCTFail("\(error) is not AMPSError.unsupported", file: file, line: line)
        }
    }

    func testUnsupportedFeaturesGiveNamedErrors() throws {
        var j = try baseJSON("qwen2_bytelevel")
        var m = j["model"] as! [String: Any]
        m["dropout"] = 0.1
        j["model"] = m
        assertUnsupported(j, mentions: "dropout")

        j = try baseJSON("qwen2_bytelevel"); m = j["model"] as! [String: Any]
        m["continuing_subword_prefix"] = "##"; j["model"] = m
        assertUnsupported(j, mentions: "continuing_subword_prefix")

        j = try baseJSON("qwen2_bytelevel"); m = j["model"] as! [String: Any]
        m["end_of_word_suffix"] = "</w>"; j["model"] = m
        assertUnsupported(j, mentions: "end_of_word_suffix")

        j = try baseJSON("qwen2_bytelevel"); m = j["model"] as! [String: Any]
        m["type"] = "Unigram"; j["model"] = m
        assertUnsupported(j, mentions: "Unigram")

        j = try baseJSON("qwen2_bytelevel")
        j["pre_tokenizer"] = ["type": "Digits", "individual_digits": true]
        assertUnsupported(j, mentions: "Digits")

        j = try baseJSON("qwen2_bytelevel")
        j["decoder"] = ["type": "WordPiece", "prefix": "##", "cleanup": true]
        assertUnsupported(j, mentions: "WordPiece")

        j = try baseJSON("qwen2_bytelevel")
        j["post_processor"] = ["type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0]]
        assertUnsupported(j, mentions: "RobertaProcessing")

        j = try baseJSON("qwen2_bytelevel")
        j["normalizer"] = ["type": "Precompiled", "precompiled_charsmap": "AAAA"]
        assertUnsupported(j, mentions: "Precompiled")

        j = try baseJSON("llama_metaspace")
        j["pre_tokenizer"] = ["type": "Metaspace", "replacement": "▁", "prepend_scheme": "sometimes", "split": false]
        assertUnsupported(j, mentions: "prepend_scheme")
    }

    func testBrokenMergesNameTheFile() throws {
        var j = try baseJSON("qwen2_bytelevel")
        var m = j["model"] as! [String: Any]
        m["merges"] = [["h", "no-such-token"]]
        j["model"] = m
        XCTAssertThrowsError(try Tokenizer(json: j, path: "x/tokenizer.json")) { error in
            XCTAssertTrue("\(error)".contains("x/tokenizer.json") && "\(error)".contains("merge"), "\(error)")
        }
    }
}
