import AMPSCore
import Foundation

/// The `decoder` section of tokenizer.json: turns the tokens of ids back into text. Each decoder maps
/// a list of token strings to a list of strings (the library's `decode_chain`); the results are joined.
indirect enum TokenDecoder {
    case byteLevel
    case metaspace(Metaspace)
    case replace(pattern: Scalars, content: Scalars)
    case replaceRegex(TokenizerRegex, content: Scalars)
    case byteFallback
    case fuse
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    case sequence([TokenDecoder])

    init(json: [String: Any], path: String) throws {
        let type = json["type"] as? String ?? "?"
        switch type {
        case "ByteLevel": self = .byteLevel
        case "Metaspace": self = .metaspace(try Metaspace(json: json, path: path, what: "decoder"))
        case "Replace":
            let content = (json["content"] as? String ?? "").scalars
            if let p = json["pattern"] as? [String: Any], let s = p["String"] as? String, !s.isEmpty {
                self = .replace(pattern: s.scalars, content: content)
            } else if let p = json["pattern"] as? [String: Any], let r = p["Regex"] as? String {
                self = .replaceRegex(try TokenizerRegex(pattern: r, path: path, what: "Replace decoder"), content: content)
            } else {
                throw AMPSError.file(path, "Replace decoder has no pattern {\"String\": ...} or {\"Regex\": ...}")
            }
        case "ByteFallback": self = .byteFallback
        case "Fuse": self = .fuse
        case "Strip":
            let c = (json["content"] as? String ?? " ").scalars
            guard c.count == 1 else { throw AMPSError.unsupported("\(path): Strip decoder content must be one character") }
            let start = json["start"].flatMap(JSONObject.integer) ?? 0
            let stop = json["stop"].flatMap(JSONObject.integer) ?? 0
            guard start >= 0, stop >= 0 else { throw AMPSError.file(path, "Strip decoder start/stop must be non-negative") }
            self = .strip(content: c[0], start: start, stop: stop)
        case "Sequence":
            let list = json["decoders"] as? [[String: Any]] ?? []
            self = .sequence(try list.map { try TokenDecoder(json: $0, path: path) })
        default:
            throw AMPSError.unsupported("\(path): decoder '\(type)' is not supported (supported: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence)")
        }
    }

    func decodeChain(_ tokens: [Scalars]) -> [Scalars] {
        switch self {
        case .byteLevel: return ByteLevel.decode(tokens)
        case let .metaspace(m): return m.decode(tokens)
        case let .replace(pattern, content): return tokens.map { $0.replacing(pattern, with: content) }
        // decode() cannot fail (display only): a token whose regex runs out of budget is kept as it is.
        case let .replaceRegex(regex, content): return tokens.map { (try? regex.replacing(in: $0, with: content)) ?? $0 }
        case .byteFallback: return TokenDecoder.byteFallback(tokens)
        case .fuse: return [tokens.flatMap { $0 }]
        case let .strip(content, start, stop):
            return tokens.map { t in
                var lo = 0
                while lo < min(start, t.count), t[lo] == content { lo += 1 }
                var hi = t.count
                var cut = 0
                while cut < stop, hi > lo, t[hi - 1] == content { hi -= 1; cut += 1 }
                return Array(t[lo..<hi])
            }
        case let .sequence(list): return list.reduce(tokens) { $1.decodeChain($0) }
        }
    }

    /// `<0xXX>` tokens become bytes; each run of them is decoded as UTF-8 when valid, else every byte of
    /// the run becomes one U+FFFD.
    static func byteFallback(_ tokens: [Scalars]) -> [Scalars] {
        var out: [Scalars] = []
        var run: [UInt8] = []
        func flush() {
            guard !run.isEmpty else { return }
            if let s = String(validatingUTF8Bytes: run) { out.append(s.scalars) }
            else { out.append(contentsOf: Array(repeating: ["\u{FFFD}"], count: run.count)) }
            run.removeAll()
        }
        for t in tokens {
            if let b = byteToken(t) { run.append(b) } else { flush(); out.append(t) }
        }
        flush()
        return out
    }

    /// The byte of a `<0xXX>` token (six UTF-8 bytes, hex digits of either case; like Rust's
    /// `u8::from_str_radix`, a leading '+' is accepted).
    static func byteToken(_ t: Scalars) -> UInt8? {
        guard t.count <= 6, t.first == "<", t.last == ">" else { return nil }
        let u = Array(t.string.utf8)
        guard u.count == 6, u[1] == UInt8(ascii: "0"), u[2] == UInt8(ascii: "x") else { return nil }
        var v = 0
        for k in 3..<5 {
            let c = u[k]
            let d: Int
            switch c {
            case 0x30...0x39: d = Int(c) - 0x30
            case 0x41...0x46: d = Int(c) - 0x41 + 10
            case 0x61...0x66: d = Int(c) - 0x61 + 10
            case UInt8(ascii: "+") where k == 3: d = 0
            default: return nil
            }
            v = v * 16 + d
        }
        return UInt8(v)
    }
}

extension String {
    /// `bytes` as a String when they are valid UTF-8, else nil.
    init?(validatingUTF8Bytes bytes: [UInt8]) {
        var it = bytes.makeIterator()
        var codec = UTF8()
        var scalars = String.UnicodeScalarView()
        loop: while true {
            switch codec.decode(&it) {
            case let .scalarValue(u): scalars.append(u)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = String(scalars)
    }
}
