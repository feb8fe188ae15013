import AMPSCore
import Foundation

/// SentencePiece's meta-space: spaces become "▁" (the `replacement`), a "▁" is put before the text
/// (always, only before the start of the input, or never), and the text may be split before each "▁".
/// The same section type is a pre-tokenizer and a decoder.
struct Metaspace {
    enum PrependScheme: String { case always, first, never }

    let replacement: Unicode.Scalar
    let prependScheme: PrependScheme
    let split: Bool

    /// Both generations of the section: `prepend_scheme` + `split` (tokenizers >= 0.19) and the older
    /// `add_prefix_space` (true = always, false = never; `str_rep` is ignored).
    init(json: [String: Any], path: String, what: String) throws {
        let rep = (json["replacement"] as? String ?? "▁").scalars
        guard rep.count == 1 else {
            throw AMPSError.unsupported("\(path): \(what) Metaspace replacement \((json["replacement"] as? String ?? "").debugDescription) must be one character")
        }
        replacement = rep[0]
        if let s = json["prepend_scheme"] as? String {
            guard let scheme = PrependScheme(rawValue: s) else {
                throw AMPSError.unsupported("\(path): \(what) Metaspace prepend_scheme '\(s)' is not supported (supported: always, first, never)")
            }
            prependScheme = scheme
        } else if let add = json["add_prefix_space"] as? Bool {
            prependScheme = add ? .always : .never
        } else {
            prependScheme = .always
        }
        split = json["split"] as? Bool ?? true
    }

    /// Spaces to "▁", the prefix "▁" by the scheme (`first`: only for the piece that starts the input),
    /// then, with `split`, a cut before every "▁" (each "▁" starts a new word; runs give single "▁"s).
    func preTokenize(_ piece: PreTokenizer.Piece) -> [PreTokenizer.Piece] {
        var s = piece.text.map { $0 == " " ? replacement : $0 }
        let startsWithReplacement = s.first == replacement
        switch prependScheme {
        case .always: if !startsWithReplacement { s.insert(replacement, at: 0) }
        case .first: if !startsWithReplacement && piece.atStart { s.insert(replacement, at: 0) }
        case .never: break
        }
        guard split else { return [PreTokenizer.Piece(text: s, atStart: piece.atStart)] }
        var out: [PreTokenizer.Piece] = []
        var start = 0
        for i in s.indices where s[i] == replacement && i > start {
            out.append(PreTokenizer.Piece(text: Array(s[start..<i]), atStart: piece.atStart && start == 0))
            start = i
        }
        if start < s.count { out.append(PreTokenizer.Piece(text: Array(s[start...]), atStart: piece.atStart && start == 0)) }
        return out
    }

    /// Decoder: "▁" becomes a space, except that in the first token (unless the scheme is `never`) the
    /// "▁"s are dropped.
    func decode(_ tokens: [Scalars]) -> [Scalars] {
        tokens.enumerated().map { i, t in
            t.compactMap { u in
                guard u == replacement else { return u }
                return i == 0 && prependScheme != .never ? nil : " "
            }
        }
    }
}
