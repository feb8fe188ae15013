import AMPSCore
import Foundation

/// The `pre_tokenizer` section of tokenizer.json: splits normalized text into words.
indirect enum PreTokenizer {
    /// A piece of text on its way to the model; `atStart` when it begins at offset 0 of the input
    /// (what Metaspace's `first` scheme looks at).
    struct Piece {
        var text: Scalars
        var atStart: Bool
    }

    /// How a Split keeps its matches (the library's SplitDelimiterBehavior).
    enum SplitBehavior: String {
        case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
        case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"
    }

    case whitespace        // regex \w+|[^\w\s]+
    case whitespaceSplit   // split on white space
    case split(TokenizerRegex, SplitBehavior, invert: Bool)
    case byteLevel(addPrefixSpace: Bool, regex: TokenizerRegex?)
    case metaspace(Metaspace)
    case sequence([PreTokenizer])

    init(json: [String: Any], path: String) throws {
        let type = json["type"] as? String ?? "?"
        switch type {
        case "Whitespace": self = .whitespace
        case "WhitespaceSplit": self = .whitespaceSplit
        case "Split":
            let regex: TokenizerRegex
            if let p = json["pattern"] as? [String: Any], let r = p["Regex"] as? String {
                regex = try TokenizerRegex(pattern: r, path: path, what: "Split pre-tokenizer")
            } else if let p = json["pattern"] as? [String: Any], let s = p["String"] as? String, !s.isEmpty {
                regex = try TokenizerRegex(literal: s, path: path, what: "Split pre-tokenizer")
            } else {
                throw AMPSError.file(path, "Split pre-tokenizer has no pattern {\"Regex\": ...} or {\"String\": ...}")
            }
            let b = json["behavior"] as? String ?? "?"
            guard let behavior = SplitBehavior(rawValue: b) else {
                throw AMPSError.unsupported("\(path): Split pre-tokenizer behavior '\(b)' is not supported")
            }
            self = .split(regex, behavior, invert: json["invert"] as? Bool ?? false)
        case "ByteLevel":
            let useRegex = json["use_regex"] as? Bool ?? true
            self = .byteLevel(addPrefixSpace: json["add_prefix_space"] as? Bool ?? true,
                              regex: useRegex ? try TokenizerRegex(pattern: ByteLevel.gpt2Pattern, path: path, what: "ByteLevel pre-tokenizer") : nil)
        case "Metaspace":
            self = .metaspace(try Metaspace(json: json, path: path, what: "pre_tokenizer"))
        case "Sequence":
            let list = json["pretokenizers"] as? [[String: Any]] ?? []
            self = .sequence(try list.map { try PreTokenizer(json: $0, path: path) })
        default:
            throw AMPSError.unsupported("\(path): pre_tokenizer '\(type)' is not supported (supported: ByteLevel, Metaspace, Split, Whitespace, WhitespaceSplit, Sequence)")
        }
    }

    /// Words of `pieces`; empty words are dropped (as the library drops empty splits).
    func split(_ pieces: [Piece]) throws -> [Piece] {
        switch self {
        case .whitespace:
            return pieces.flatMap { p in PreTokenizer.wordsAndPunctuation(p.text).map { Piece(text: $0.1, atStart: p.atStart && $0.0 == 0) } }
        case .whitespaceSplit:
            return pieces.flatMap { p -> [Piece] in
                var out: [Piece] = []
                var start = 0
                for i in 0...p.text.count where i == p.text.count || p.text[i].properties.isWhitespace {
                    if i > start { out.append(Piece(text: Array(p.text[start..<i]), atStart: p.atStart && start == 0)) }
                    start = i + 1
                }
                return out
            }
        case let .split(regex, behavior, invert):
            return try pieces.flatMap { try PreTokenizer.split($0, regex: regex, behavior: behavior, invert: invert) }
        case let .byteLevel(addPrefixSpace, regex):
            return try pieces.flatMap { p -> [Piece] in
                var p = p
                if addPrefixSpace && p.text.first != " " { p.text.insert(" ", at: 0) }
                let words = try regex.map { try PreTokenizer.split(p, regex: $0, behavior: .isolated, invert: false) } ?? (p.text.isEmpty ? [] : [p])
                return words.map { Piece(text: ByteLevel.encode($0.text), atStart: $0.atStart) }
            }
        case let .metaspace(m):
            return pieces.flatMap { m.preTokenize($0).filter { !$0.text.isEmpty } }
        case let .sequence(list):
            return try list.reduce(pieces) { try $1.split($0) }
        }
    }

    /// The library's `NormalizedString::split`: find_matches, then the behavior decides which ranges
    /// become pieces.
    static func split(_ p: Piece, regex: TokenizerRegex, behavior: SplitBehavior, invert: Bool) throws -> [Piece] {
        var matches = try regex.findMatches(p.text)
        if invert { matches = matches.map { ($0.0, !$0.1) } }
        var ranges: [(Range<Int>, remove: Bool)] = []
        switch behavior {
        case .isolated: ranges = matches.map { ($0.0, false) }
        case .removed: ranges = matches.map { ($0.0, $0.1) }
        case .contiguous:
            var previous = false
            for (r, isMatch) in matches {
                if isMatch == previous, let last = ranges.last { ranges[ranges.count - 1].0 = last.0.lowerBound..<r.upperBound }
                else { ranges.append((r, false)) }
                previous = isMatch
            }
        case .mergedWithPrevious:
            var previous = false
            for (r, isMatch) in matches {
                if isMatch && !previous, let last = ranges.last { ranges[ranges.count - 1].0 = last.0.lowerBound..<r.upperBound }
                else { ranges.append((r, false)) }
                previous = isMatch
            }
        case .mergedWithNext:
            var previous = false
            for (r, isMatch) in matches.reversed() {
                if isMatch && !previous, let last = ranges.last { ranges[ranges.count - 1].0 = r.lowerBound..<last.0.upperBound }
                else { ranges.append((r, false)) }
                previous = isMatch
            }
            ranges.reverse()
        }
        return ranges.compactMap { r, remove in
            remove || r.isEmpty ? nil : Piece(text: Array(p.text[r]), atStart: p.atStart && r.lowerBound == 0)
        }
    }

    /// Rust regex's Unicode \w: Alphabetic, marks, decimal digits, connector punctuation,
    /// join controls.
    static func isWordScalar(_ u: Unicode.Scalar) -> Bool {
        let p = u.properties
        if p.isAlphabetic || p.isJoinControl { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// `\w+|[^\w\s]+` runs (with their start offsets), white space dropped.
    static func wordsAndPunctuation(_ s: Scalars) -> [(Int, Scalars)] {
        var out: [(Int, Scalars)] = []
        var current: Scalars = []
        var start = 0
        var currentIsWord = false
        for (i, u) in s.enumerated() {
            if u.properties.isWhitespace {
                if !current.isEmpty { out.append((start, current)); current = [] }
                continue
            }
            let w = isWordScalar(u)
            if !current.isEmpty && w != currentIsWord { out.append((start, current)); current = [] }
            if current.isEmpty { start = i }
            currentIsWord = w
            current.append(u)
        }
        if !current.isEmpty { out.append((start, current)) }
        return out
    }
}
