@testable import AMPSModel
import AMPSCore
import Foundation
import XCTest

/// The regex step budget stops a catastrophic pattern and never a real one.
final class TokenizerRegexBudgetTests: XCTestCase {
    private func regex(_ pattern: String) throws -> TokenizerRegex {
        try TokenizerRegex(pattern: pattern, path: "/models/x/tokenizer.json", what: "Split pre-tokenizer")
    }

    func testCatastrophicBacktrackingEndsWithAnErrorNamingFileAndPattern() throws {
        let r = try regex("(a+)+$")
        let text = (String(repeating: "a", count: 200) + "!").scalars
        let t0 = Date()
        XCTAssertThrowsError(try r.matches(in: text)) { e in
            let s = (e as? AMPSError)?.description ?? ""
            XCTAssertTrue(s.hasPrefix("/models/x/tokenizer.json: "), s)
            XCTAssertTrue(s.contains("\"(a+)+$\"") && s.contains("step budget") && s.contains("201-character"), s)
        }
        XCTAssertLessThan(Date().timeIntervalSince(t0), 10)
    }

    /// GPT-2's and Llama 3's patterns over 300 KB of mixed text stay far inside the budget.
    func testTheRealPatternsFitTheBudgetOnLongInputs() throws {
        let llama3 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let piece = "Don't stop: the 12345 red circles,   at (7, 16) — ça va? 東京タワー 🙂\n\n\tx  "
        let text = String(repeating: piece, count: 4000).scalars  // ~300 K scalars
        for pattern in [ByteLevel.gpt2Pattern, llama3] {
            let m = try regex(pattern).matches(in: text)
            XCTAssertGreaterThan(m.count, 50_000)
            XCTAssertEqual(m.last?.upperBound, text.count)
        }
        // A long run of one class (one huge word, one huge space) is linear too.
        XCTAssertEqual(try regex(llama3).matches(in: String(repeating: "a", count: 200_000).scalars).count, 1)
        XCTAssertEqual(try regex(llama3).matches(in: String(repeating: " ", count: 200_000).scalars).count, 1)
    }
}
