import AMPSCore
import Foundation

/// One frame of the engine protocol (docs/ENGINE_PROTOCOL.md): magic "AMPS", header length
/// (u32 LE), payload length (u64 LE), a JSON header listing the payload's tensors, then
/// their raw little-endian bytes in that order.
public struct EngineFrame: @unchecked Sendable {
    public enum DType: String, Sendable { case f32 = "F32", f64 = "F64", i64 = "I64", i32 = "I32", u8 = "U8"
        var size: Int { switch self { case .f32, .i32: 4; case .f64, .i64: 8; case .u8: 1 } }
    }
    public struct Blob: Sendable {
        public var dtype: DType
        public var shape: [Int]
        public var bytes: Data
    }

    public var header: [String: Any]
    public var tensors: [String: Blob]
    /// Names in payload order.
    public var order: [String]

    public init(header: [String: Any], tensors: [(String, Blob)] = []) {
        self.header = header
        self.tensors = Dictionary(tensors, uniquingKeysWith: { a, _ in a })
        order = tensors.map(\.0)
    }

    public static let magic: [UInt8] = Array("AMPS".utf8)
    public static let maxHeader = 16 << 20
    /// The largest payload a frame may declare (a 7B model's logits for a batch of 256 are
    /// ~33 MB; 2^36 bytes is far beyond any reply). Read as it arrives, never allocated up
    /// front from the declaration.
    public static let maxPayload: UInt64 = 1 << 36

    /// The header and payload lengths of a frame's 16-byte prefix, or what is wrong with it.
    public static func lengths(ofPrefix prefix: Data) -> Result<(header: Int, payload: Int), FrameProblem> {
        guard prefix.count == 16, Array(prefix.prefix(4)) == magic else { return .failure(FrameProblem("not a frame (no AMPS magic)")) }
        let hl = prefix.subdata(in: 4..<8).withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
        let pl = prefix.subdata(in: 8..<16).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard hl >= 2, hl <= maxHeader, pl < maxPayload else {
            return .failure(FrameProblem("a frame with header length \(hl), payload \(pl)"))
        }
        return .success((hl, Int(pl)))
    }

    /// A whole frame in `data` (prefix, header, payload), as the reader takes it off a pipe:
    /// what the fuzz target drives.
    public static func parse(_ data: Data) -> Result<EngineFrame, FrameProblem> {
        guard data.count >= 16 else { return .failure(FrameProblem("truncated frame prefix")) }
        switch lengths(ofPrefix: data.prefix(16)) {
        case let .failure(p): return .failure(p)
        case let .success((hl, pl)):
            guard data.count - 16 >= hl, data.count - 16 - hl == pl else { return .failure(FrameProblem("frame lengths do not match its bytes")) }
            let start = data.startIndex + 16
            return decode(header: data.subdata(in: start..<(start + hl)), payload: data.subdata(in: (start + hl)..<data.endIndex))
        }
    }

    public var kind: String { header["kind"] as? String ?? "" }

    public func encoded() throws -> Data {
        var h = header
        if !order.isEmpty {
            h["tensors"] = order.map { n -> [String: Any] in
                let b = tensors[n]!
                return ["name": n, "dtype": b.dtype.rawValue, "shape": b.shape]
            }
        }
        let json = try JSONSerialization.data(withJSONObject: h, options: [.sortedKeys])
        var out = Data(EngineFrame.magic)
        var hl = UInt32(json.count).littleEndian
        let payload = order.reduce(0) { $0 + tensors[$1]!.bytes.count }
        var pl = UInt64(payload).littleEndian
        withUnsafeBytes(of: &hl) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: &pl) { out.append(contentsOf: $0) }
        out.append(json)
        for n in order { out.append(tensors[n]!.bytes) }
        return out
    }

    /// Parses header + payload (the 16-byte prefix already read and checked). `problem` names
    /// what is wrong in one line.
    public static func decode(header raw: Data, payload: Data) -> Result<EngineFrame, FrameProblem> {
        guard let obj = try? JSONSerialization.jsonObject(with: raw), let h = obj as? [String: Any] else {
            return .failure(FrameProblem("reply header is not a JSON object"))
        }
        var f = EngineFrame(header: h)
        var offset = 0
        for (i, spec) in ((h["tensors"] as? [[String: Any]]) ?? []).enumerated() {
            guard let name = spec["name"] as? String, let dt = (spec["dtype"] as? String).flatMap(DType.init(rawValue:)),
                  let shape = (spec["shape"] as? [NSNumber])?.map(\.intValue), shape.allSatisfy({ $0 >= 0 }) else {
                return .failure(FrameProblem("reply tensors[\(i)] lacks a name, a known dtype or a shape"))
            }
            // Sizes from the header are checked without overflow: a garbage-speaking engine
            // must get an error line, not a trap.
            var size = dt.size
            for d in shape {
                let (m, over) = size.multipliedReportingOverflow(by: d)
                guard !over, m <= payload.count else { return .failure(FrameProblem("reply tensor '\(name)' overruns the payload")) }
                size = m
            }
            guard offset + size <= payload.count else { return .failure(FrameProblem("reply tensor '\(name)' overruns the payload")) }
            f.tensors[name] = Blob(dtype: dt, shape: shape, bytes: payload.subdata(in: offset..<(offset + size)))
            f.order.append(name)
            offset += size
        }
        guard offset == payload.count else { return .failure(FrameProblem("reply payload has \(payload.count - offset) bytes beyond its tensors")) }
        return .success(f)
    }

    // MARK: typed views

    public func floats(_ name: String) -> [Float]? {
        guard let b = tensors[name], b.dtype == .f32 else { return nil }
        return b.bytes.withUnsafeBytes { raw in (0..<(b.bytes.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
    }

    public func doubles(_ name: String) -> [Double]? {
        guard let b = tensors[name], b.dtype == .f64 else { return nil }
        return b.bytes.withUnsafeBytes { raw in (0..<(b.bytes.count / 8)).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) } }
    }

    public func ints(_ name: String) -> [Int]? {
        guard let b = tensors[name], b.dtype == .i64 else { return nil }
        return b.bytes.withUnsafeBytes { raw in (0..<(b.bytes.count / 8)).map { Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self))) } }
    }

    /// An F32 tensor as a Tensor of its shape.
    public func tensor(_ name: String) -> Tensor? {
        guard let v = floats(name), let b = tensors[name] else { return nil }
        return Tensor(shape: b.shape.isEmpty ? [1] : b.shape, values: v)
    }

    public static func blob(_ values: [Float], shape: [Int]? = nil) -> Blob {
        var d = Data(capacity: values.count * 4)
        for v in values { var x = v.bitPattern.littleEndian; withUnsafeBytes(of: &x) { d.append(contentsOf: $0) } }
        return Blob(dtype: .f32, shape: shape ?? [values.count], bytes: d)
    }

    public static func blob(bytes: Data) -> Blob { Blob(dtype: .u8, shape: [bytes.count], bytes: bytes) }
}

public struct FrameProblem: Error { public let text: String; init(_ t: String) { text = t } }
