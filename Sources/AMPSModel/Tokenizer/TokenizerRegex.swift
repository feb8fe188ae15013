import AMPSCore
import Foundation

/// A regular expression from tokenizer.json (`{"Regex": ...}` patterns of Split, Replace), run by
/// ICU through NSRegularExpression. The tokenizers library uses Oniguruma; for the constructs these
/// patterns use (\p{L}, \p{N}, \s, (?i:...), lookahead, character classes) the two agree, which the
/// byte-level parity fixtures check on scripts, digits, white space and contractions.
final class TokenizerRegex: @unchecked Sendable {
    let pattern: String
    private let re: NSRegularExpression

    init(pattern: String, path: String, what: String) throws {
        self.pattern = pattern
        do { re = try NSRegularExpression(pattern: pattern, options: []) }
        catch { throw AMPSError.unsupported("\(path): \(what) regex \(pattern.debugDescription) cannot be compiled by the regex engine (ICU)") }
    }

    /// An exact literal (`{"String": ...}` patterns).
    convenience init(literal: String, path: String, what: String) throws {
        try self.init(pattern: NSRegularExpression.escapedPattern(for: literal), path: path, what: what)
    }

    /// Matches as scalar ranges, left to right, non-overlapping.
    func matches(in s: Scalars) -> [Range<Int>] {
        guard !s.isEmpty else { return [] }
        // UTF-16 offset -> scalar index.
        var toScalar = [Int](repeating: 0, count: 1)
        toScalar.reserveCapacity(s.count * 2 + 1)
        for (k, u) in s.enumerated() {
            if u.value > 0xFFFF { toScalar.append(k) }  // the low surrogate's offset (never a match edge)
            toScalar.append(k + 1)
        }
        let text = s.string
        var out: [Range<Int>] = []
        re.enumerateMatches(in: text, options: [], range: NSRange(location: 0, length: text.utf16.count)) { m, _, _ in
            guard let r = m?.range, r.location != NSNotFound else { return }
            out.append(toScalar[r.location]..<toScalar[r.location + r.length])
        }
        return out
    }

    /// The library's `Pattern::find_matches`: the whole text cut into (range, isMatch) pieces.
    func findMatches(_ s: Scalars) -> [(Range<Int>, Bool)] {
        if s.isEmpty { return [(0..<0, false)] }
        var out: [(Range<Int>, Bool)] = []
        var prev = 0
        for m in matches(in: s) {
            if prev != m.lowerBound { out.append((prev..<m.lowerBound, false)) }
            out.append((m, true))
            prev = m.upperBound
        }
        if prev != s.count { out.append((prev..<s.count, false)) }
        return out
    }

    /// Every match replaced by `content` (literal).
    func replacing(in s: Scalars, with content: Scalars) -> Scalars {
        var out: Scalars = []
        var prev = 0
        for m in matches(in: s) {
            out.append(contentsOf: s[prev..<m.lowerBound])
            out.append(contentsOf: content)
            prev = m.upperBound
        }
        out.append(contentsOf: s[prev...])
        return out
    }
}
