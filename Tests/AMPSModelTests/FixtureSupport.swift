import AMPSCore
import AMPSModel
import Foundation
import XCTest

/// A transformers-made fixture folder (tools/make_fixtures.py): the checkpoint as
/// save_pretrained wrote it plus expected.json / expected.safetensors dumps.
struct Fixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let cases = ["llava_clip_llama_default", "llava_clip_llama_full", "llava_clip_llama_multilayer",
                        "llava_clip_llama_bf16", "llava_clip_llama_f16", "llava_clip_llama_sharded",
                        "llava_siglip_qwen2", "llava_siglip_mistral"]

    let name: String
    let folder: String
    let expected: [String: Any]
    let tensors: SafeTensorsFile

    init(_ name: String) throws {
        self.name = name
        folder = Fixture.root + "/" + name
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/expected.json"))
        expected = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        tensors = try SafeTensorsFile(path: folder + "/expected.safetensors")
    }

    func ints(_ key: String) -> [Int] { (expected[key] as! [NSNumber]).map(\.intValue) }
    func int(_ key: String) -> Int { (expected[key] as! NSNumber).intValue }
    func float(_ key: String) -> Float { (expected[key] as! NSNumber).floatValue }
    func tensor(_ key: String) throws -> Tensor { try tensors.tensor(key) }
}

/// Largest |a - b| over two equally long buffers.
func maxAbsDiff(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var m: Float = 0
    for i in 0..<count { m = max(m, abs(a[i] - b[i])) }
    return m
}

func assertClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(what): element count", file: file, line: line)
    guard actual.count == expected.count else { return }
    let d = maxAbsDiff(actual.data, expected.data, count: actual.count)
    XCTAssertLessThanOrEqual(d, tolerance, "\(what): max abs difference \(d) exceeds \(tolerance)", file: file, line: line)
}
