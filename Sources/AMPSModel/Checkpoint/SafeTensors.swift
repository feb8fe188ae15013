import AMPSCore
import Foundation

/// A memory-mapped `.safetensors` file, parsed strictly.
///
/// Layout: an 8-byte little-endian header length N, N bytes of JSON mapping each tensor
/// name to {dtype, shape, data_offsets:[begin,end]} (offsets relative to the byte after
/// the header), then the data. f32 tensors are views into the mapping (no copy); f16 and
/// bf16 tensors are widened to f32 once, on first access.
public final class SafeTensorsFile: @unchecked Sendable {
    public enum DType: String, Sendable {
        case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"
        var size: Int {
            switch self {
            case .f64, .i64: return 8
            case .f32, .i32: return 4
            case .f16, .bf16, .i16: return 2
            case .i8, .u8, .bool: return 1
            }
        }
    }

    public struct Entry: Sendable {
        public let dtype: DType
        public let shape: [Int]
        public let begin: Int  // absolute offset in the file
        public let end: Int
    }

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let base: UnsafeMutableRawPointer
    private let size: Int
    private var widened: [String: Tensor] = [:]
    private let lock = NSLock()

    /// The largest header accepted (the reference implementation's MAX_HEADER_SIZE).
    public static let maxHeaderBytes = 100_000_000

    public init(path: String) throws {
        self.path = path
        // O_NONBLOCK: a FIFO in a model folder must not hang the open (it is refused below).
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else {
            throw AMPSError.file(path, FileManager.default.fileExists(atPath: path) ? "cannot be opened" : "file not found")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw AMPSError.file(path, "cannot be read") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw AMPSError.file(path, "is not a regular file") }
        size = Int(st.st_size)
        guard size >= 8 else { throw AMPSError.file(path, "truncated safetensors file: \(size) bytes, no header") }
        guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw AMPSError.file(path, "cannot be memory-mapped")
        }
        base = m
        do {
            (entries, metadata) = try SafeTensorsFile.parseHeader(base: m, size: size, path: path)
        } catch {
            munmap(m, size)
            throw error
        }
    }

    deinit { munmap(base, size) }

    private static func parseHeader(base: UnsafeMutableRawPointer, size: Int, path: String) throws -> ([String: Entry], [String: String]) {
        let n64 = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard n64 > 0, n64 <= UInt64(size - 8) else {
            throw AMPSError.file(path, "safetensors header length \(n64) does not fit in a \(size)-byte file (truncated or not a safetensors file)")
        }
        // The format's reference implementation refuses headers above 100 MB as well.
        guard n64 <= UInt64(SafeTensorsFile.maxHeaderBytes) else {
            throw AMPSError.file(path, "safetensors header length \(n64) is above the format's limit of \(SafeTensorsFile.maxHeaderBytes) bytes")
        }
        let n = Int(n64)
        let headerBytes = [UInt8](UnsafeRawBufferPointer(start: base + 8, count: n))
        // Read by the strict reader: a tensor named twice is an error, as in the reference
        // implementation, not "the last one wins".
        // The header must be UTF-8 (the reference refuses anything else; the reader would
        // replace bad bytes, so two different names could read alike).
        guard String(bytes: headerBytes, encoding: .utf8) != nil else {
            throw AMPSError.file(path, "safetensors header is not a JSON object (not valid UTF-8)")
        }
        let dict: [String: Any]
        do {
            dict = try TokenizerJSON.parse(headerBytes, path: path, keepPairsAt: [], rejectDuplicateKeys: true, maxDepth: 8).root
        } catch let e as AMPSError {
            // The reader's own detail, e.g. "(duplicate key "w" at byte 80)".
            let text = e.description.hasPrefix(path + ": ") ? String(e.description.dropFirst(path.count + 2)) : e.description
            let detail = text.firstIndex(of: "(").map { " " + text[$0...] } ?? ""
            throw AMPSError.file(path, "safetensors header is not a JSON object" + detail)
        }
        let dataStart = 8 + n
        let dataSize = size - dataStart
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(Int, Int, String)] = []
        for (name, value) in dict {
            if name == "__metadata__" {
                guard let md = value as? [String: Any] else {
                    throw AMPSError.file(path, "safetensors __metadata__ is not an object")
                }
                for (k, v) in md {
                    guard let s = v as? String else { throw AMPSError.file(path, "safetensors __metadata__ value for '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any],
                  let dtypeName = info["dtype"] as? String,
                  let shapeAny = info["shape"] as? [Any],
                  let offsAny = info["data_offsets"] as? [Any], offsAny.count == 2 else {
                throw AMPSError.file(path, "tensor '\(name)': header entry must have dtype, shape and two data_offsets")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw AMPSError.file(path, "tensor '\(name)': unknown dtype '\(dtypeName)'")
            }
            var shape: [Int] = []
            for s in shapeAny {
                guard let v = JSONObject.integer(s), v >= 0 else {
                    throw AMPSError.file(path, "tensor '\(name)': shape must be non-negative integers")
                }
                shape.append(v)
            }
            guard let b = JSONObject.integer(offsAny[0]), let e = JSONObject.integer(offsAny[1]), b >= 0, b <= e else {
                throw AMPSError.file(path, "tensor '\(name)': malformed data_offsets")
            }
            guard e <= dataSize else {
                throw AMPSError.file(path, "tensor '\(name)': data_offsets [\(b), \(e)] point outside the file's \(dataSize) data bytes (truncated file?)")
            }
            var expected = shape.contains(0) ? 0 : dtype.size
            for s in shape where expected > 0 {
                let (p, overflow) = expected.multipliedReportingOverflow(by: s)
                guard !overflow else {
                    throw AMPSError.file(path, "tensor '\(name)': shape \(shape) of \(dtypeName) is too large to address")
                }
                expected = p
            }
            guard e - b == expected else {
                throw AMPSError.file(path, "tensor '\(name)': \(e - b) bytes do not hold shape \(shape) of \(dtypeName) (\(expected) bytes)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: dataStart + b, end: dataStart + e)
            ranges.append((b, e, name))
        }
        ranges.sort { $0.0 < $1.0 }
        for i in 1..<max(ranges.count, 1) where ranges[i].0 < ranges[i - 1].1 {
            throw AMPSError.file(path, "tensors '\(ranges[i - 1].2)' and '\(ranges[i].2)' overlap in the data section")
        }
        return (entries, metadata)
    }

    public func has(_ name: String) -> Bool { entries[name] != nil }

    /// The tensor as f32, checked against `shape` when given (and, with `checkFinite`, for NaN
    /// and infinity before it is widened or borrowed).
    public func tensor(_ name: String, shape expected: [Int]? = nil, checkFinite: Bool = false) throws -> Tensor {
        guard let e = entries[name] else { throw AMPSError.file(path, "tensor '\(name)' is missing") }
        if let expected, expected != e.shape {
            throw AMPSError.file(path, "tensor '\(name)' has shape \(e.shape), expected \(expected)")
        }
        if checkFinite { try self.checkFinite(name) }
        let count = e.shape.reduce(1, *)
        switch e.dtype {
        case .f32:
            let p = base + e.begin
            if Int(bitPattern: p) % MemoryLayout<Float>.alignment == 0 {
                return Tensor(borrowing: p.assumingMemoryBound(to: Float.self), shape: e.shape, owner: self)
            }
            let t = Tensor(zeros: e.shape)
            memcpy(t.data, p, count * 4)
            return t
        case .f16, .bf16:
            lock.lock(); defer { lock.unlock() }
            if let t = widened[name] { return t }
            let t = Tensor(zeros: e.shape)
            let src = base + e.begin
            for i in 0..<count {
                let bits = src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                t.data[i] = e.dtype == .bf16 ? Float(bitPattern: UInt32(bits) << 16) : Float(Float16(bitPattern: bits))
            }
            widened[name] = t
            // The half-precision bytes are not needed any more: drop their pages from this
            // process's resident set, so a half checkpoint costs its f32 size, not f32 + half.
            releasePages(e)
            return t
        default:
            throw AMPSError.file(path, "tensor '\(name)' has dtype \(e.dtype.rawValue); model weights must be F32, F16 or BF16")
        }
    }

    /// A 2-D bf16 weight kept in bf16 (see `Linear.halfPrecisionMinimumElements`), checked
    /// against `shape`; nil when the tensor is not bf16 or is small (take `tensor` then).
    public func halfMatrix(_ name: String, shape expected: [Int], checkFinite: Bool = false) throws -> BF16Matrix? {
        guard let e = entries[name] else { throw AMPSError.file(path, "tensor '\(name)' is missing") }
        guard expected == e.shape else { throw AMPSError.file(path, "tensor '\(name)' has shape \(e.shape), expected \(expected)") }
        guard e.dtype == .bf16, e.shape.count == 2, e.shape[0] * e.shape[1] >= Linear.halfPrecisionMinimumElements else { return nil }
        if checkFinite { try self.checkFinite(name) }
        let m = BF16Matrix(rows: e.shape[0], cols: e.shape[1], copying: base + e.begin)
        releasePages(e)
        return m
    }

    /// Drops a tensor's file pages from this process's resident set once it is copied.
    private func releasePages(_ e: Entry) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lo = (e.begin + page - 1) / page * page, hi = e.end / page * page
        if hi > lo { madvise(base + lo, hi - lo, MADV_DONTNEED) }
    }

    /// Throws when a floating-point tensor holds a NaN or an infinity, naming the tensor and
    /// the first such element: one bad weight otherwise turns every answer into NaN, or into
    /// a silent argmax of 0. Reads the stored bytes (all exponent bits set), any float dtype.
    public func checkFinite(_ name: String) throws {
        guard let e = entries[name] else { throw AMPSError.file(path, "tensor '\(name)' is missing") }
        let count = e.shape.reduce(1, *), src = UnsafeRawPointer(base + e.begin)
        func first<T: FixedWidthInteger>(_: T.Type, mask: T) -> Int? {
            // Blocks with a branch-free OR, so the common all-finite case runs at memory speed.
            var i = 0
            while i < count {
                let end = min(count, i + 4096)
                var hit: UInt8 = 0
                for j in i..<end { hit |= src.loadUnaligned(fromByteOffset: j * MemoryLayout<T>.size, as: T.self) & mask == mask ? 1 : 0 }
                if hit != 0 {
                    for j in i..<end where src.loadUnaligned(fromByteOffset: j * MemoryLayout<T>.size, as: T.self) & mask == mask { return j }
                }
                i = end
            }
            return nil
        }
        let bad: Int?
        switch e.dtype {
        case .f32: bad = first(UInt32.self, mask: 0x7F80_0000)
        case .bf16: bad = first(UInt16.self, mask: 0x7F80)
        case .f16: bad = first(UInt16.self, mask: 0x7C00)
        case .f64: bad = first(UInt64.self, mask: 0x7FF0_0000_0000_0000)
        default: bad = nil
        }
        if let bad {
            throw AMPSError.file(path, "tensor '\(name)' holds NaN or infinity (element \(bad) of shape \(e.shape)); the checkpoint is damaged")
        }
    }

    /// Integer tensors (e.g. input_ids in a dump) widened to Int.
    public func integers(_ name: String) throws -> [Int] {
        guard let e = entries[name] else { throw AMPSError.file(path, "tensor '\(name)' is missing") }
        let count = e.shape.reduce(1, *)
        let src = base + e.begin
        switch e.dtype {
        case .i64: return (0..<count).map { Int(src.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
        case .i32: return (0..<count).map { Int(src.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
        default: throw AMPSError.file(path, "tensor '\(name)' is \(e.dtype.rawValue), not an integer tensor")
        }
    }
}

/// The weights of a checkpoint folder: one `model.safetensors`, or the shards listed in
/// `model.safetensors.index.json`.
public final class WeightStore: @unchecked Sendable {
    public let folder: String
    private var files: [SafeTensorsFile] = []
    private var owner: [String: SafeTensorsFile] = [:]

    public init(folder: String) throws {
        self.folder = folder
        let fm = FileManager.default
        let single = folder + "/model.safetensors"
        let index = folder + "/model.safetensors.index.json"
        if fm.fileExists(atPath: index) {
            let data = Data(try BoundedFileRead.bytes(index, limit: CheckpointLimits.jsonFileBytes))
            guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = json["weight_map"] as? [String: String] else {
                throw AMPSError.file(index, "not a valid safetensors index (needs a weight_map object)")
            }
            var byShard: [String: SafeTensorsFile] = [:]
            for shard in Set(map.values).sorted() {
                // A shard is a file of this folder: an absolute path or a ".." step would
                // make a downloaded index read files from anywhere.
                let steps = shard.split(separator: "/", omittingEmptySubsequences: false)
                guard !shard.isEmpty, !shard.hasPrefix("/"), !shard.contains("\0"), !steps.contains(".."), !steps.contains("") else {
                    throw AMPSError.file(index, "shard path \(String(shard.prefix(200)).debugDescription) leaves the model folder (shards must be files inside it)")
                }
                let p = folder + "/" + shard
                guard fm.fileExists(atPath: p) else {
                    throw AMPSError.file(index, "lists shard '\(shard)', which is missing from the folder")
                }
                byShard[shard] = try SafeTensorsFile(path: p)
            }
            files = Array(byShard.values)
            for (name, shard) in map {
                guard let f = byShard[shard], f.has(name) else {
                    throw AMPSError.file(folder + "/" + shard, "tensor '\(name)' listed in the index is not in this shard")
                }
                owner[name] = f
            }
        } else if fm.fileExists(atPath: single) {
            let f = try SafeTensorsFile(path: single)
            files = [f]
            for name in f.entries.keys { owner[name] = f }
        } else {
            throw AMPSError.file(folder, "no model.safetensors or model.safetensors.index.json in the checkpoint folder")
        }
    }

    public var names: [String] { Array(owner.keys) }

    /// How many numbered layers the weights hold under `prefix` (e.g. "…layers."): one more
    /// than the largest index that has a tensor.
    public func layerCount(under prefix: String) -> Int {
        var count = 0
        for name in owner.keys where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            if let dot = rest.firstIndex(of: "."), let i = Int(rest[..<dot]), i >= 0 { count = max(count, i + 1) }
        }
        return count
    }
    public func has(_ name: String) -> Bool { owner[name] != nil }

    /// A weight, checked for shape and then for NaN and infinity (every weight the engine
    /// reads comes through here or `halfMatrix`, so every command refuses a damaged checkpoint).
    public func tensor(_ name: String, shape: [Int]? = nil) throws -> Tensor {
        guard let f = owner[name] else {
            throw AMPSError.file(folder + "/model.safetensors", "tensor '\(name)' is missing")
        }
        return try f.tensor(name, shape: shape, checkFinite: true)
    }

    public func halfMatrix(_ name: String, shape: [Int]) throws -> BF16Matrix? {
        guard let f = owner[name] else {
            throw AMPSError.file(folder + "/model.safetensors", "tensor '\(name)' is missing")
        }
        return try f.halfMatrix(name, shape: shape, checkFinite: true)
    }

    /// A weight as a Linear: kept in bf16 when the checkpoint stores it so and it is large.
    public func linear(_ name: String, out: Int, in: Int, bias: String?) throws -> Linear {
        let b = try bias.map { try tensor($0, shape: [out]) }
        if let h = try halfMatrix(name, shape: [out, `in`]) { return Linear(halfWeight: h, bias: b) }
        return Linear(weight: try tensor(name, shape: [out, `in`]), bias: b)
    }

    /// The first of several conventional prefixes under which `probe` exists.
    public func prefix(among candidates: [String], probe: String) -> String? {
        candidates.first { has($0 + probe) }
    }
}
