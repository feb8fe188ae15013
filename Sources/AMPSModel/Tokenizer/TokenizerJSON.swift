import AMPSCore
import Foundation

/// A JSON reader for tokenizer.json that keeps one chosen object's keys exactly as written.
///
/// Foundation's JSONSerialization builds `[String: Any]`, and Swift strings compare by canonical
/// equivalence, so two vocabulary entries such as "é" (U+00E9) and "e\u{301}" would collapse into one
/// key. The tokenizers library compares bytes; this reader returns the object at `keepPairsAt` (the
/// BPE / WordLevel `model.vocab`) as ordered (key, value) pairs besides the usual Foundation tree
/// (NSNumber, String, NSNull, [Any], [String: Any]) used for everything else.
struct TokenizerJSON {
    let root: [String: Any]
    let keptPairs: [(String, Any)]?

    static func load(path: String, keepPairsAt: [String]) throws -> TokenizerJSON {
        try parse(try BoundedFileRead.bytes(path, limit: CheckpointLimits.tokenizerFileBytes), path: path, keepPairsAt: keepPairsAt)
    }

    /// `rejectDuplicateKeys`: a key written twice in one object is an error (the safetensors
    /// header) instead of the last one winning.
    static func parse(_ bytes: [UInt8], path: String, keepPairsAt: [String], rejectDuplicateKeys: Bool = false,
                      maxDepth: Int = CheckpointLimits.tokenizerJSONDepth) throws -> TokenizerJSON {
        try bytes.withUnsafeBufferPointer { buf in
            var p = Parser(b: buf, path: path, keepPath: keepPairsAt)
            p.rejectDuplicates = rejectDuplicateKeys
            p.maxDepth = maxDepth
            p.skipSpace()
            let v = try p.value(path: [])
            p.skipSpace()
            guard p.i == buf.count else { throw p.fail("trailing characters after the JSON value") }
            guard let root = v as? [String: Any] else { throw AMPSError.file(path, "is not a JSON object") }
            return TokenizerJSON(root: root, keptPairs: p.kept)
        }
    }

    private struct Parser {
        let b: UnsafeBufferPointer<UInt8>
        let path: String
        let keepPath: [String]
        var i = 0
        var kept: [(String, Any)]?
        var rejectDuplicates = false
        // Nesting is bounded so that a file of a million '[' is an error, not a stack overflow.
        var maxDepth = CheckpointLimits.tokenizerJSONDepth
        var depth = 0

        init(b: UnsafeBufferPointer<UInt8>, path: String, keepPath: [String]) {
            self.b = b; self.path = path; self.keepPath = keepPath
        }

        func fail(_ what: String) -> AMPSError { AMPSError.file(path, "is not valid JSON (\(what) at byte \(i))") }

        mutating func skipSpace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        mutating func expect(_ word: String) throws {
            for c in word.utf8 {
                guard i < b.count, b[i] == c else { throw fail("expected '\(word)'") }
                i += 1
            }
        }

        mutating func enter() throws {
            depth += 1
            guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth) levels") }
        }

        mutating func value(path keys: [String]) throws -> Any {
            guard i < b.count else { throw fail("unexpected end") }
            switch b[i] {
            case UInt8(ascii: "{"):
                try enter()
                defer { depth -= 1 }
                return try object(path: keys)
            case UInt8(ascii: "["):
                try enter()
                defer { depth -= 1 }
                i += 1
                var out: [Any] = []
                skipSpace()
                if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return out }
                while true {
                    skipSpace()
                    out.append(try value(path: keys + ["[]"]))
                    skipSpace()
                    guard i < b.count else { throw fail("unterminated array") }
                    if b[i] == UInt8(ascii: ",") { i += 1; continue }
                    if b[i] == UInt8(ascii: "]") { i += 1; return out }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return try string()
            case UInt8(ascii: "t"): try expect("true"); return NSNumber(value: true)
            case UInt8(ascii: "f"): try expect("false"); return NSNumber(value: false)
            case UInt8(ascii: "n"): try expect("null"); return NSNull()
            default: return try number()
            }
        }

        mutating func object(path keys: [String]) throws -> Any {
            i += 1
            let keep = keys == keepPath
            var dict: [String: Any] = [:]
            var pairs: [(String, Any)] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") {
                i += 1
                if keep { kept = pairs }
                return dict
            }
            while true {
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                let keyStart = i
                let k = try string()
                if rejectDuplicates, dict[k] != nil || (keep && pairs.contains { $0.0 == k }) {
                    i = keyStart
                    throw fail("duplicate key \(String(k.prefix(80)).debugDescription)")
                }
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipSpace()
                let v = try value(path: keys + [k])
                if keep { pairs.append((k, v)) } else { dict[k] = v }
                skipSpace()
                guard i < b.count else { throw fail("unterminated object") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; break }
                throw fail("expected ',' or '}'")
            }
            if keep {
                kept = pairs
                // The Foundation view of a kept object still exists (lossy), for code that reads it.
                for (k, v) in pairs { dict[k] = v }
            }
            return dict
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= b.count else { throw fail("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = b[i]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw fail("bad \\u escape")
                }
                v = v * 16 + d
                i += 1
            }
            return v
        }

        mutating func string() throws -> String {
            i += 1
            var out: [UInt8] = []
            var start = i
            while true {
                guard i < b.count else { throw fail("unterminated string") }
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    if out.isEmpty { let s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self); i += 1; return s }
                    out.append(contentsOf: b[start..<i])
                    i += 1
                    return String(decoding: out, as: UTF8.self)
                }
                if c == UInt8(ascii: "\\") {
                    out.append(contentsOf: b[start..<i])
                    i += 1
                    guard i < b.count else { throw fail("unterminated escape") }
                    let e = b[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "/"): out.append(0x2F)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var u = try hex4()
                        if (0xD800..<0xDC00).contains(u), i + 6 <= b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
                            let save = i
                            i += 2
                            let lo = try hex4()
                            if (0xDC00..<0xE000).contains(lo) { u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00) } else { i = save }
                        }
                        let scalar = Unicode.Scalar(u) ?? "\u{FFFD}"  // a lone surrogate cannot be held
                        out.append(contentsOf: Array(String(scalar).utf8))
                    default: throw fail("bad escape")
                    }
                    start = i
                    continue
                }
                i += 1
            }
        }

        mutating func number() throws -> Any {
            let start = i
            var integral = true
            if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
            while i < b.count {
                let c = b[i]
                if c >= 0x30 && c <= 0x39 { i += 1; continue }
                if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                    integral = false; i += 1; continue
                }
                break
            }
            guard i > start else { throw fail("unexpected character") }
            let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
            if integral, let n = Int(text) { return NSNumber(value: n) }
            guard let d = Double(text) else { throw fail("bad number '\(text)'") }
            return NSNumber(value: d)
        }
    }
}
