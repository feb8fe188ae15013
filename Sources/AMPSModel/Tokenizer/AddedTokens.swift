import Foundation

/// An `added_tokens` entry of tokenizer.json. `pattern` is what is searched for: the content, or for
/// a `normalized` token the content passed through the normalizer.
struct AddedToken {
    let id: Int
    let content: Scalars
    let pattern: Scalars
    let singleWord: Bool
    let lstrip: Bool
    let rstrip: Bool
    let normalized: Bool
    let special: Bool
}

/// Finds added tokens in text the way the library's AddedVocabulary does: non-overlapping
/// leftmost-longest matches scanned left to right (Aho-Corasick); a `single_word` match next to a word
/// character (Rust regex \w) is dropped without looking for another token inside it; `lstrip` / `rstrip`
/// take the white space before / after the match into the token.
struct AddedTokenMatcher {
    private let tokens: [AddedToken]
    private let byFirst: [UInt32: [Int]]   // indices into tokens, longest pattern first

    init(_ tokens: [AddedToken]) {
        self.tokens = tokens
        var m: [UInt32: [Int]] = [:]
        for (i, t) in tokens.enumerated() where !t.pattern.isEmpty { m[t.pattern[0].value, default: []].append(i) }
        byFirst = m.mapValues { $0.sorted { tokens[$0].pattern.count > tokens[$1].pattern.count || (tokens[$0].pattern.count == tokens[$1].pattern.count && $0 < $1) } }
    }

    /// `s` cut into text ranges (token nil) and token ranges (token id); empty text ranges are left out.
    func split(_ s: Scalars) -> [(Range<Int>, Int?)] {
        guard !byFirst.isEmpty else { return s.isEmpty ? [] : [(0..<s.count, nil)] }
        var out: [(Range<Int>, Int?)] = []
        var textStart = 0
        var i = 0
        while i < s.count {
            guard let candidates = byFirst[s[i].value],
                  let k = candidates.first(where: { c in
                      let p = tokens[c].pattern
                      return i + p.count <= s.count && s[i..<(i + p.count)].elementsEqual(p)
                  }) else { i += 1; continue }
            let t = tokens[k]
            var start = i, stop = i + t.pattern.count
            i = stop
            if t.singleWord {
                let wordBefore = start > 0 && PreTokenizer.isWordScalar(s[start - 1])
                let wordAfter = stop < s.count && PreTokenizer.isWordScalar(s[stop])
                if wordBefore || wordAfter { continue }
            }
            if t.lstrip { while start > textStart && s[start - 1].properties.isWhitespace { start -= 1 } }
            if t.rstrip { while stop < s.count && s[stop].properties.isWhitespace { stop += 1 } }
            start = max(start, textStart)
            if textStart < start { out.append((textStart..<start, nil)) }
            out.append((start..<stop, t.id))
            textStart = stop
        }
        if textStart < s.count { out.append((textStart..<s.count, nil)) }
        return out
    }
}
