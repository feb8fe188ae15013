import AMPSCore
import Foundation

/// The `pre_tokenizer` section of tokenizer.json: splits normalized text into words.
indirect enum PreTokenizer {
    case whitespace        // regex \w+|[^\w\s]+
    case whitespaceSplit   // split on white space
    case sequence([PreTokenizer])

    init(json: [String: Any], path: String) throws {
        let type = json["type"] as? String ?? "?"
        switch type {
        case "Whitespace": self = .whitespace
        case "WhitespaceSplit": self = .whitespaceSplit
        case "Sequence":
            let list = json["pretokenizers"] as? [[String: Any]] ?? []
            self = .sequence(try list.map { try PreTokenizer(json: $0, path: path) })
        default:
            throw AMPSError.unsupported("\(path): pre_tokenizer '\(type)' is not supported")
        }
    }

    func split(_ words: [String]) -> [String] {
        switch self {
        case .whitespace: return words.flatMap(PreTokenizer.wordsAndPunctuation)
        case .whitespaceSplit: return words.flatMap { $0.unicodeScalars.split { $0.properties.isWhitespace }.map { String(String.UnicodeScalarView($0)) } }
        case let .sequence(list): return list.reduce(words) { $1.split($0) }
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

    static func wordsAndPunctuation(_ s: String) -> [String] {
        var out: [String] = []
        var current = String.UnicodeScalarView()
        var currentIsWord = false
        func flush() { if !current.isEmpty { out.append(String(current)); current = String.UnicodeScalarView() } }
        for u in s.unicodeScalars {
            if u.properties.isWhitespace { flush(); continue }
            let w = isWordScalar(u)
            if !current.isEmpty && w != currentIsWord { flush() }
            currentIsWord = w
            current.append(u)
        }
        flush()
        return out
    }
}
