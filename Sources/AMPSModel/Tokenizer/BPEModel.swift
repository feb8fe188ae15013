import AMPSCore
import Foundation

/// The `BPE` model of tokenizer.json: a word's characters (or, with `byte_fallback`, the `<0xXX>`
/// tokens of the bytes of characters missing from the vocabulary) are merged pairwise, always taking
/// the adjacent pair whose merge comes first in `merges` (leftmost on ties), until no listed merge
/// applies — the tokenizers library's algorithm, stale-entry checks included. Words are cached.
final class BPEModel: TokenizerModel, @unchecked Sendable {
    struct Merge { let rank: Int32; let id: Int32 }

    let path: String
    private let vocab: [TokenKey: Int]
    private let reverse: [String?]
    private let scalarIds: [UInt32: Int]
    private let merges: [UInt64: Merge]
    private let unkToken: String?
    private let unkId: Int?
    private let fuseUnk: Bool
    private let byteFallback: Bool
    private let byteIds: [Int?]
    private let ignoreMerges: Bool

    private var cache: [TokenKey: [Int]] = [:]
    private let cacheLock = NSLock()
    static let cacheCapacity = 10_000
    static let cachedWordLength = 256

    /// `vocabPairs`: the vocab object's entries exactly as written (see `TokenizerJSON`); when nil the
    /// `vocab` dictionary of `json` is used.
    init(json: [String: Any], vocabPairs: [(String, Any)]?, path: String) throws {
        self.path = path
        func fail(_ what: String) -> AMPSError { AMPSError.file(path, "BPE model: \(what)") }
        if let d = json["dropout"], !(d is NSNull) {
            guard let p = d as? NSNumber, p.doubleValue == 0 else {
                throw AMPSError.unsupported("\(path): BPE dropout \(d) is not supported (it must be null: tokenization would be random)")
            }
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let v = json[key], !(v is NSNull) {
                guard let s = v as? String, s.isEmpty else {
                    throw AMPSError.unsupported("\(path): BPE \(key) \(String(describing: v).debugDescription) is not supported (only null or \"\")")
                }
            }
        }
        let pairs: [(String, Any)]
        if let vocabPairs { pairs = vocabPairs }
        else if let v = json["vocab"] as? [String: Any] { pairs = Array(v) }
        else { throw fail("has no vocab object") }

        var vocab: [TokenKey: Int] = [:]
        vocab.reserveCapacity(pairs.count)
        var scalarIds: [UInt32: Int] = [:]
        var maxId = -1
        for (token, value) in pairs {
            guard let id = JSONObject.integer(value), id >= 0 else {
                throw fail("vocab id of \(token.debugDescription) must be a non-negative integer")
            }
            // The id-to-token table is sized by the largest id: bounded like a model's vocabulary.
            guard id < CheckpointLimits.vocabSize else {
                throw fail("vocab id \(id) of \(token.debugDescription) is above amps' limit of \(CheckpointLimits.vocabSize) token ids")
            }
            vocab[TokenKey(token)] = id
            let us = token.scalars
            if us.count == 1 { scalarIds[us[0].value] = id }
            maxId = max(maxId, id)
        }
        var reverse = [String?](repeating: nil, count: maxId + 1)
        for (token, value) in pairs { reverse[JSONObject.integer(value)!] = token }
        self.vocab = vocab
        self.reverse = reverse
        self.scalarIds = scalarIds

        guard let mergeList = json["merges"] as? [Any] else { throw fail("has no merges list") }
        var merges: [UInt64: Merge] = [:]
        merges.reserveCapacity(mergeList.count)
        for (rank, m) in mergeList.enumerated() {
            let a: String, b: String
            if let s = m as? String {
                // The older "a b" form, cut at the first space.
                let us = s.scalars
                guard let sp = us.firstIndex(of: " ") else { throw fail("merge \(s.debugDescription) is not two tokens separated by a space") }
                a = Array(us[..<sp]).string; b = Array(us[(sp + 1)...]).string
            } else if let p = m as? [Any], p.count == 2, let x = p[0] as? String, let y = p[1] as? String {
                a = x; b = y
            } else {
                throw fail("merge #\(rank) is neither \"a b\" nor [a, b]")
            }
            guard let ia = vocab[TokenKey(a)], let ib = vocab[TokenKey(b)] else {
                throw fail("merge \((a + " " + b).debugDescription) uses a token missing from the vocab")
            }
            guard let id = vocab[TokenKey(a + b)] else {
                throw fail("merge \((a + " " + b).debugDescription) makes \((a + b).debugDescription), which is missing from the vocab")
            }
            merges[UInt64(ia) << 32 | UInt64(ib)] = Merge(rank: Int32(rank), id: Int32(id))
        }
        self.merges = merges

        unkToken = json["unk_token"] as? String
        unkId = unkToken.flatMap { vocab[TokenKey($0)] }
        fuseUnk = json["fuse_unk"] as? Bool ?? false
        byteFallback = json["byte_fallback"] as? Bool ?? false
        ignoreMerges = json["ignore_merges"] as? Bool ?? false
        byteIds = (0..<256).map { vocab[TokenKey(String(format: "<0x%02X>", $0))] }
    }

    func token(for id: Int) -> String? { id >= 0 && id < reverse.count ? reverse[id] : nil }
    func id(for token: String) -> Int? { vocab[TokenKey(token)] }

    func tokenize(_ word: Scalars) throws -> [Int] {
        if word.isEmpty { return [] }
        let key = TokenKey(word)
        if ignoreMerges, let id = vocab[key] { return [id] }
        cacheLock.lock()
        let hit = cache[key]
        cacheLock.unlock()
        if let hit { return hit }
        let ids = try mergeWord(word)
        if word.count < BPEModel.cachedWordLength {
            cacheLock.lock()
            if cache.count < BPEModel.cacheCapacity { cache[key] = ids }
            cacheLock.unlock()
        }
        return ids
    }

    private func unk() throws -> Int {
        guard let unkId else {
            throw AMPSError.file(path, "BPE unk_token \(unkToken!.debugDescription) is not in the vocab")
        }
        return unkId
    }

    /// Initial symbols (characters, byte tokens, unks), then `mergeAll`.
    private func mergeWord(_ word: Scalars) throws -> [Int] {
        var ids: [Int32] = []
        ids.reserveCapacity(word.count)
        var pendingUnk = false
        for u in word {
            if let id = scalarIds[u.value] {
                if pendingUnk { ids.append(Int32(try unk())); pendingUnk = false }
                ids.append(Int32(id))
                continue
            }
            if byteFallback {
                let bytes = Array(String(u).utf8)
                if bytes.allSatisfy({ byteIds[Int($0)] != nil }) {
                    // As in the library, byte tokens do not flush a pending unk first.
                    for b in bytes { ids.append(Int32(byteIds[Int(b)]!)) }
                    continue
                }
            }
            guard unkToken != nil else { continue }  // no unk token: the library drops the character
            if pendingUnk && !fuseUnk { ids.append(Int32(try unk())) }
            pendingUnk = true
        }
        if pendingUnk { ids.append(Int32(try unk())) }
        return mergeAll(ids)
    }

    private struct HeapEntry {
        let rank: Int32
        let pos: Int32
        let id: Int32
        @inline(__always) func before(_ o: HeapEntry) -> Bool { rank != o.rank ? rank < o.rank : pos < o.pos }
    }

    private func mergeAll(_ initial: [Int32]) -> [Int] {
        let n = initial.count
        if n < 2 { return initial.map(Int.init) }
        var sym = initial
        var prev = [Int32](unsafeUninitializedCapacity: n) { b, c in for i in 0..<n { b[i] = Int32(i - 1) }; c = n }
        var next = [Int32](unsafeUninitializedCapacity: n) { b, c in for i in 0..<n { b[i] = i + 1 < n ? Int32(i + 1) : -1 }; c = n }
        var alive = [Bool](repeating: true, count: n)

        var heap: [HeapEntry] = []
        heap.reserveCapacity(n)
        func push(_ e: HeapEntry) {
            heap.append(e)
            var c = heap.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                guard heap[c].before(heap[p]) else { break }
                heap.swapAt(c, p); c = p
            }
        }
        func pop() -> HeapEntry? {
            guard let top = heap.first else { return nil }
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var p = 0
                while true {
                    let l = 2 * p + 1, r = l + 1
                    var m = p
                    if l < heap.count && heap[l].before(heap[m]) { m = l }
                    if r < heap.count && heap[r].before(heap[m]) { m = r }
                    if m == p { break }
                    heap.swapAt(p, m); p = m
                }
            }
            return top
        }
        @inline(__always) func lookup(_ a: Int32, _ b: Int32) -> Merge? { merges[UInt64(UInt32(a)) << 32 | UInt64(UInt32(b))] }

        for i in 0..<(n - 1) {
            if let m = lookup(sym[i], sym[i + 1]) { push(HeapEntry(rank: m.rank, pos: Int32(i), id: m.id)) }
        }
        while let top = pop() {
            let p = Int(top.pos)
            guard alive[p], next[p] >= 0 else { continue }
            let q = Int(next[p])
            // Skip entries that no longer describe the pair at `p`.
            guard let current = lookup(sym[p], sym[q]), current.id == top.id else { continue }
            sym[p] = top.id
            alive[q] = false
            next[p] = next[q]
            if next[q] >= 0 { prev[Int(next[q])] = Int32(p) }
            if prev[p] >= 0, let m = lookup(sym[Int(prev[p])], sym[p]) {
                push(HeapEntry(rank: m.rank, pos: prev[p], id: m.id))
            }
            if next[p] >= 0, let m = lookup(sym[p], sym[Int(next[p])]) {
                push(HeapEntry(rank: m.rank, pos: Int32(p), id: m.id))
            }
        }
        var out: [Int] = []
        out.reserveCapacity(n)
        var i = 0
        while i >= 0 && i < n { out.append(Int(sym[i])); i = Int(next[i]) }
        return out
    }
}
