import Foundation

/// GPT-2's byte-level alphabet: every byte is shown as one printable scalar so that BPE works on
/// bytes without a vocabulary of raw control characters. Printable Latin-1 bytes ('!'...'~', '¡'...'¬',
/// '®'...'ÿ') stand for themselves; the other 68 bytes, in increasing order, become U+0100, U+0101, ...
enum ByteLevel {
    static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    static let scalarToByte: [UInt32: UInt8] = {
        var m: [UInt32: UInt8] = [:]
        for (b, u) in byteToScalar.enumerated() { m[u.value] = UInt8(b) }
        return m
    }()

    /// The pre-tokenizer's regex when `use_regex` is true (GPT-2's).
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// The UTF-8 bytes of `s`, each as its byte-level scalar.
    static func encode(_ s: Scalars) -> Scalars {
        var out: Scalars = []
        out.reserveCapacity(s.count)
        for b in s.string.utf8 { out.append(byteToScalar[Int(b)]) }
        return out
    }

    /// The ByteLevel decoder: each token's scalars mapped back to bytes (a token with a scalar outside
    /// the alphabet, such as an added token, contributes its own UTF-8 bytes), then all bytes decoded as
    /// UTF-8 with U+FFFD for each invalid sequence (Rust's `from_utf8_lossy`).
    static func decode(_ tokens: [Scalars]) -> [Scalars] {
        var bytes: [UInt8] = []
        for t in tokens {
            var mapped: [UInt8] = []
            mapped.reserveCapacity(t.count)
            var ok = true
            for u in t {
                guard let b = scalarToByte[u.value] else { ok = false; break }
                mapped.append(b)
            }
            bytes += ok ? mapped : Array(t.string.utf8)
        }
        return [lossyUTF8(bytes).scalars]
    }

    /// UTF-8 decoding with one U+FFFD per maximal invalid subpart, as Rust's `String::from_utf8_lossy`
    /// (and Swift's own decoder, which follows the same Unicode recommendation).
    static func lossyUTF8(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
