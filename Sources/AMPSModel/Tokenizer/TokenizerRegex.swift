import AMPSCore
import Foundation

/// A regular expression from tokenizer.json (`{"Regex": ...}` patterns of Split, Replace), run by
/// ICU through NSRegularExpression. The tokenizers library uses Oniguruma; for the constructs these
/// patterns use (\p{L}, \p{N}, \s, (?i:...), lookahead, character classes) the two agree, which the
/// byte-level parity fixtures check on scripts, digits, white space and contractions.
///
/// ICU backtracks, so a hostile pattern such as `(a+)+$` takes exponential time on a short
/// input. Every run therefore has a step budget: ICU reports progress every 10,000 matching
/// steps (NSRegularExpression's `.reportProgress`), and past `baseReports` plus one report per
/// `scalarsPerReport` input scalars the run stops with an error naming the file and pattern.
/// The patterns real tokenizers use (GPT-2's, Llama 3's, Qwen2's) take tens of steps a scalar.
final class TokenizerRegex: @unchecked Sendable {
    let pattern: String
    private let re: NSRegularExpression
    private let path: String
    private let what: String
    /// ~10^7 steps (about half a second) on any input, plus ~1,000 steps per input scalar: GPT-2's and
    /// Llama 3's patterns used under 40 a scalar on 300 K of mixed text (TokenizerRegexBudgetTests).
    static let baseReports = 1_000
    static let scalarsPerReport = 10

    init(pattern: String, path: String, what: String) throws {
        self.pattern = pattern
        self.path = path
        self.what = what
        do { re = try NSRegularExpression(pattern: pattern, options: []) }
        catch { throw AMPSError.unsupported("\(path): \(what) regex \(pattern.debugDescription) cannot be compiled by the regex engine (ICU)") }
    }

    /// An exact literal (`{"String": ...}` patterns).
    convenience init(literal: String, path: String, what: String) throws {
        try self.init(pattern: NSRegularExpression.escapedPattern(for: literal), path: path, what: what)
    }

    /// Matches as scalar ranges, left to right, non-overlapping.
    func matches(in s: Scalars) throws -> [Range<Int>] {
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
        let budget = TokenizerRegex.baseReports + s.count / TokenizerRegex.scalarsPerReport
        var reports = 0
        var exceeded = false
        re.enumerateMatches(in: text, options: [.reportProgress], range: NSRange(location: 0, length: text.utf16.count)) { m, flags, stop in
            if flags.contains(.progress) {
                reports += 1
                if reports > budget { exceeded = true; stop.pointee = true }
                return
            }
            guard let r = m?.range, r.location != NSNotFound else { return }
            out.append(toScalar[r.location]..<toScalar[r.location + r.length])
        }
        if exceeded {
            throw AMPSError.file(path, "\(what) regex \(String(pattern.prefix(200)).debugDescription) exceeded its step budget on a \(s.count)-character input (catastrophic backtracking); the pattern cannot be used")
        }
        return out
    }

    /// The library's `Pattern::find_matches`: the whole text cut into (range, isMatch) pieces.
    func findMatches(_ s: Scalars) throws -> [(Range<Int>, Bool)] {
        if s.isEmpty { return [(0..<0, false)] }
        var out: [(Range<Int>, Bool)] = []
        var prev = 0
        for m in try matches(in: s) {
            if prev != m.lowerBound { out.append((prev..<m.lowerBound, false)) }
            out.append((m, true))
            prev = m.upperBound
        }
        if prev != s.count { out.append((prev..<s.count, false)) }
        return out
    }

    /// Every match replaced by `content` (literal).
    func replacing(in s: Scalars, with content: Scalars) throws -> Scalars {
        var out: Scalars = []
        var prev = 0
        for m in try matches(in: s) {
            out.append(contentsOf: s[prev..<m.lowerBound])
            out.append(contentsOf: content)
            prev = m.upperBound
        }
        out.append(contentsOf: s[prev...])
        return out
    }
}
