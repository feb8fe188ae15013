import AMPSCore
import Foundation

/// Writes f32 tensors as a `.safetensors` file (header padded to 8 bytes, tensors in
/// name order), with string metadata.
public enum SafeTensorsWriter {
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + t.count * 4]]
            offset += t.count * 4
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (json.count + 8) % 8 != 0 { json.append(0x20) }
        var out = Data()
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            let t = tensors[name]!
            out.append(Data(bytes: t.data, count: t.count * 4))
        }
        guard FileManager.default.createFile(atPath: path, contents: out) else {
            throw AMPSError.file(path, "cannot be written")
        }
    }
}
