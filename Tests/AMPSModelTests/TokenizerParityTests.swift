import AMPSModel
import Foundation
import XCTest

/// WordLevel tokenizer against the `tokenizers` library's own ids
/// (Fixtures/tokenizer_cases.json, written by tools/make_fixtures.py).
final class TokenizerParityTests: XCTestCase {
    func testEveryCaseMatchesTheTokenizersLibrary() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixture.root + "/tokenizer_cases.json"))
        let json = try JSONSerialization.jsonObject(with: data)
        let cases = (json as? [[String: Any]]) ?? ((json as? [String: Any])?["cases"] as? [[String: Any]]) ?? []
        XCTAssertGreaterThan(cases.count, 50)
        let tok = try Tokenizer(path: Fixture.root + "/llava_clip_llama_default/tokenizer.json")
        for c in cases {
            let text = c["text"] as! String
            XCTAssertEqual(try tok.encode(text), (c["ids"] as! [NSNumber]).map(\.intValue), "with special tokens: \(text.debugDescription)")
            XCTAssertEqual(try tok.encode(text, addSpecialTokens: false), (c["ids_no_special"] as! [NSNumber]).map(\.intValue),
                           "without special tokens: \(text.debugDescription)")
        }
    }
}
