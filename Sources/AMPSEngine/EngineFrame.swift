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
    static func decode(header raw: Data, payload: Data) -> Result<EngineFrame, FrameProblem> {
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
            let size = shape.reduce(1, *) * dt.size
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

struct FrameProblem: Error { let text: String; init(_ t: String) { text = t } }
