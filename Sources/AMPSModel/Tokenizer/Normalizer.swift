import AMPSCore
import Foundation

/// The `normalizer` section of tokenizer.json.
indirect enum Normalizer {
    case nfc, nfd, nfkc, nfkd, lowercase
    case strip(left: Bool, right: Bool)
    case replace(pattern: String, content: String)
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
            guard let pattern = json["pattern"] as? [String: Any], let s = pattern["String"] as? String else {
                throw AMPSError.unsupported("\(path): Replace normalizer with a regex pattern is not supported")
            }
            self = .replace(pattern: s, content: json["content"] as? String ?? "")
        case "Sequence":
            let list = json["normalizers"] as? [[String: Any]] ?? []
            self = .sequence(try list.map { try Normalizer(json: $0, path: path) })
        default:
            throw AMPSError.unsupported("\(path): normalizer '\(type)' is not supported")
        }
    }

    func apply(_ s: String) -> String {
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
        case let .replace(pattern, content): return s.replacingOccurrences(of: pattern, with: content)
        case let .prepend(p): return s.isEmpty ? s : p + s
        case let .sequence(list): return list.reduce(s) { $1.apply($0) }
        }
    }
}
