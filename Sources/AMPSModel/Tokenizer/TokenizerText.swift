import Foundation

/// Text inside the tokenizer is handled as arrays of Unicode scalars (the library's `char`s).
/// Swift `String` comparison, hashing, `hasPrefix` and `count` work on canonical equivalence and
/// grapheme clusters, which would merge "é" with "e\u{301}" or see "▁\u{301}" as not starting
/// with "▁"; the tokenizers library compares bytes and chars, so these helpers do too.
typealias Scalars = [Unicode.Scalar]

extension Array where Element == Unicode.Scalar {
    var string: String { String(String.UnicodeScalarView(self)) }

    /// Every non-overlapping occurrence of `pattern` (left to right) replaced by `content`.
    func replacing(_ pattern: Scalars, with content: Scalars) -> Scalars {
        guard !pattern.isEmpty, count >= pattern.count else { return self }
        var out: Scalars = []
        out.reserveCapacity(count)
        var i = 0
        while i < count {
            if i + pattern.count <= count, self[i] == pattern[0], self[i..<(i + pattern.count)].elementsEqual(pattern) {
                out.append(contentsOf: content)
                i += pattern.count
            } else {
                out.append(self[i])
                i += 1
            }
        }
        return out
    }

    func hasScalarPrefix(_ p: Scalars) -> Bool { count >= p.count && self[0..<p.count].elementsEqual(p) }
}

extension String {
    var scalars: Scalars { Array(unicodeScalars) }
}

/// A dictionary key that compares strings byte for byte (see `Scalars`).
struct TokenKey: Hashable {
    let utf8: [UInt8]
    init(_ s: String) { utf8 = Array(s.utf8) }
    init(_ s: Scalars) { utf8 = Array(s.string.utf8) }
}
