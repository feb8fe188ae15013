import AMPSCore
import Foundation

/// The `normalizer` section of tokenizer.json.
indirect enum Normalizer {
    case nfc, nfd, nfkc, nfkd, lowercase
    case strip(left: Bool, right: Bool)
    case replace(pattern: Scalars, content: Scalars)
    case replaceRegex(TokenizerRegex, content: Scalars)
    case prepend(String)
    case sequence([Normalizer])

    init(json: [String: Any], path: String) throws {
        let type = json["type"] as? String ?? "?"
        switch type {
        case "NFC": self = .nfc
        case "NFD": self = .nfd
        case "NFKC": self = .nfkc
        case "NFKD": self = .nfkd
        case "Lowercase": self = .lowercase
        case "Strip": self = .strip(left: json["strip_left"] as? Bool ?? true, right: json["strip_right"] as? Bool ?? true)
        case "Prepend": self = .prepend(json["prepend"] as? String ?? "")
        case "Replace":
            let content = (json["content"] as? String ?? "").scalars
            if let pattern = json["pattern"] as? [String: Any], let s = pattern["String"] as? String, !s.isEmpty {
                self = .replace(pattern: s.scalars, content: content)
            } else if let pattern = json["pattern"] as? [String: Any], let r = pattern["Regex"] as? String {
                self = .replaceRegex(try TokenizerRegex(pattern: r, path: path, what: "Replace normalizer"), content: content)
            } else {
                throw AMPSError.file(path, "Replace normalizer has no pattern {\"String\": ...} or {\"Regex\": ...}")
            }
        case "Sequence":
            let list = json["normalizers"] as? [[String: Any]] ?? []
            self = .sequence(try list.map { try Normalizer(json: $0, path: path) })
        default:
            throw AMPSError.unsupported("\(path): normalizer '\(type)' is not supported (supported: NFC, NFD, NFKC, NFKD, Lowercase, Strip, Prepend, Replace, Sequence)")
        }
    }

    func apply(_ s: String) throws -> String {
        switch self {
        case .nfc: return s.precomposedStringWithCanonicalMapping
        case .nfd: return s.decomposedStringWithCanonicalMapping
        case .nfkc: return s.precomposedStringWithCompatibilityMapping
        case .nfkd: return s.decomposedStringWithCompatibilityMapping
        case .lowercase: return s.lowercased()
        case let .strip(left, right):
            var scalars = Substring(s).unicodeScalars[...]
            if left { while let f = scalars.first, f.properties.isWhitespace { scalars.removeFirst() } }
            if right { while let l = scalars.last, l.properties.isWhitespace { scalars.removeLast() } }
            return String(String.UnicodeScalarView(scalars))
        case let .replace(pattern, content): return s.scalars.replacing(pattern, with: content).string
        case let .replaceRegex(regex, content): return try regex.replacing(in: s.scalars, with: content).string
        case let .prepend(p): return s.isEmpty ? s : p + s
        case let .sequence(list): return try list.reduce(s) { try $1.apply($0) }
        }
    }
}
