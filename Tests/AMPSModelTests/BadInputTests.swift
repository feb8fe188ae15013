import AMPSCore
@testable import AMPSModel
import Foundation
import XCTest

// MARK: - A catalogue of broken inputs, shared with CommandLineTests

/// One way of breaking a checkpoint folder or a request, and what the error must say.
///
/// `apply` breaks a fresh copy of a fixture folder; the request then loads `modelPath`
/// with `prompt` and `imagePath`. The error must name `namedPath` (a path under the copy,
/// "" for the folder itself; nil when the problem is the prompt, which is no file) and
/// contain every one of `keywords` (case-insensitive).
struct BadInput {
    let name: String
    var fixture = "llava_clip_llama_default"
    var apply: (String) throws -> Void = { _ in }
    var model: (String) -> String = { $0 }
    var image: (String) -> String = { $0 + "/image.png" }
    var prompt: String? = nil
    let namedPath: String?
    let keywords: [String]

    /// The fixture's own prompt (with one <image>).
    static func fixturePrompt(_ fixture: String) throws -> String {
        try Fixture(fixture).expected["prompt"] as! String
    }

    static let all: [BadInput] = [
        // Folder and config.json
        BadInput(name: "missing model folder", model: { $0 + "/no-such-model" }, namedPath: "/no-such-model",
                 keywords: ["model folder not found"]),
        BadInput(name: "missing config.json", apply: { try removeFile($0 + "/config.json") }, namedPath: "/config.json",
                 keywords: ["not found"]),
        BadInput(name: "config.json not JSON", apply: { try writeFile("{ \"model_type\": \"llava\", ", to: $0 + "/config.json") },
                 namedPath: "/config.json", keywords: ["not valid JSON"]),
        BadInput(name: "config.json is a JSON array", apply: { try writeFile("[1, 2, 3]", to: $0 + "/config.json") },
                 namedPath: "/config.json", keywords: ["not a JSON object"]),
        BadInput(name: "config field of the wrong type", apply: { try editConfig($0) { c in c["text_config", "hidden_size"] = "large" } },
                 namedPath: "/config.json", keywords: ["text_config.hidden_size", "must be an integer"]),
        BadInput(name: "config field true instead of a number", apply: { try editConfig($0) { c in c["vision_config", "patch_size"] = true } },
                 namedPath: "/config.json", keywords: ["vision_config.patch_size", "must be an integer"]),
        BadInput(name: "config sub-object of the wrong type", apply: { try editConfig($0) { c in c.raw["text_config"] = [1, 2] } },
                 namedPath: "/config.json", keywords: ["text_config", "must be an object"]),
        BadInput(name: "zero attention heads", apply: { try editConfig($0) { c in c["text_config", "num_attention_heads"] = 0 } },
                 namedPath: "/config.json", keywords: ["text_config.num_attention_heads", "positive"]),
        BadInput(name: "zero key-value heads", apply: { try editConfig($0) { c in c["text_config", "num_key_value_heads"] = 0 } },
                 namedPath: "/config.json", keywords: ["num_key_value_heads", "positive"]),
        BadInput(name: "negative layer count", apply: { try editConfig($0) { c in c["text_config", "num_hidden_layers"] = -1 } },
                 namedPath: "/config.json", keywords: ["num_hidden_layers", "positive"]),
        BadInput(name: "zero patch size", apply: { try editConfig($0) { c in c["vision_config", "patch_size"] = 0 } },
                 namedPath: "/config.json", keywords: ["vision_config.patch_size", "positive"]),
        BadInput(name: "absurd image size", apply: { try editConfig($0) { c in c["vision_config", "image_size"] = 1 << 40 } },
                 namedPath: "/config.json", keywords: ["vision_config.image_size"]),
        BadInput(name: "missing model_type", apply: { try editConfig($0) { c in c.raw["model_type"] = nil } },
                 namedPath: "/config.json", keywords: ["model_type", "missing"]),
        BadInput(name: "unknown model_type", apply: { try editConfig($0) { c in c.raw["model_type"] = "no_such_model" } },
                 namedPath: "/config.json", keywords: ["model_type 'no_such_model'", "not supported"]),
        BadInput(name: "unknown text model_type", apply: { try editConfig($0) { c in c["text_config", "model_type"] = "no_such_text_model" } },
                 namedPath: "/config.json", keywords: ["text model_type 'no_such_text_model'", "not supported"]),
        BadInput(name: "unknown vision model_type", apply: { try editConfig($0) { c in c["vision_config", "model_type"] = "no_such_vision_model" } },
                 namedPath: "/config.json", keywords: ["vision model_type 'no_such_vision_model'", "not supported"]),
        BadInput(name: "unsupported text activation", apply: { try editConfig($0) { c in c["text_config", "hidden_act"] = "swiglu_fancy" } },
                 namedPath: "/config.json", keywords: ["text_config.hidden_act", "swiglu_fancy", "not supported"]),
        BadInput(name: "unsupported vision activation", apply: { try editConfig($0) { c in c["vision_config", "hidden_act"] = "mish" } },
                 namedPath: "/config.json", keywords: ["vision_config.hidden_act", "mish", "not supported"]),
        BadInput(name: "unsupported projector activation", apply: { try editConfig($0) { c in c.raw["projector_hidden_act"] = "elu" } },
                 namedPath: "/config.json", keywords: ["projector_hidden_act", "elu", "not supported"]),
        BadInput(name: "unsupported rope type", apply: { try editConfig($0) { c in
                     c["text_config", "rope_parameters"] = ["rope_theta": 10000.0, "rope_type": "yarn"] } },
                 namedPath: "/config.json", keywords: ["rope_type 'yarn'", "not supported"]),
        BadInput(name: "vision_feature_layer out of range", apply: { try editConfig($0) { c in c.raw["vision_feature_layer"] = 7 } },
                 namedPath: "/config.json", keywords: ["vision_feature_layer 7"]),
        BadInput(name: "empty vision_feature_layer list", apply: { try editConfig($0) { c in c.raw["vision_feature_layer"] = [Int]() } },
                 namedPath: "/config.json", keywords: ["vision_feature_layer", "empty"]),
        BadInput(name: "image token outside the vocabulary", apply: { try editConfig($0) { c in c.raw["image_token_index"] = 65 } },
                 namedPath: "/config.json", keywords: ["image token id 65", "vocabulary"]),
        BadInput(name: "config size disagrees with the weights", apply: { try editConfig($0) { c in c["text_config", "intermediate_size"] = 128 } },
                 namedPath: "/model.safetensors", keywords: ["mlp.gate_proj.weight", "has shape [96, 64], expected [128, 64]"]),

        // tokenizer.json and the processor config
        BadInput(name: "missing tokenizer.json", apply: { try removeFile($0 + "/tokenizer.json") }, namedPath: "/tokenizer.json",
                 keywords: ["not found"]),
        BadInput(name: "tokenizer.json not JSON", apply: { try writeFile("\u{0}\u{1}binary", to: $0 + "/tokenizer.json") },
                 namedPath: "/tokenizer.json", keywords: ["not valid JSON"]),
        BadInput(name: "tokenizer.json with an unsupported model", apply: { try editJSON($0 + "/tokenizer.json") { t in
                     t["model"] = ["type": "Unigram", "vocab": [["a", 0.0]], "unk_id": 0] } },
                 namedPath: "/tokenizer.json", keywords: ["tokenizer model 'Unigram'", "not supported"]),
        BadInput(name: "tokenizer.json without a model section", apply: { try editJSON($0 + "/tokenizer.json") { t in t["model"] = nil } },
                 namedPath: "/tokenizer.json", keywords: ["no 'model' section"]),
        BadInput(name: "tokenizer vocab with fractional ids", apply: { try editJSON($0 + "/tokenizer.json") { t in
                     var m = t["model"] as! [String: Any]; var v = m["vocab"] as! [String: Any]; v["ball"] = 1.5; m["vocab"] = v; t["model"] = m } },
                 namedPath: "/tokenizer.json", keywords: ["vocab", "integers"]),
        BadInput(name: "tokenizer with an unsupported normalizer", apply: { try editJSON($0 + "/tokenizer.json") { t in
                     t["normalizer"] = ["type": "Precompiled", "precompiled_charsmap": "AAAA"] } },
                 namedPath: "/tokenizer.json", keywords: ["normalizer 'Precompiled'", "not supported"]),
        BadInput(name: "word outside a vocabulary without unk", apply: { try editJSON($0 + "/tokenizer.json") { t in
                     var m = t["model"] as! [String: Any]; var v = m["vocab"] as! [String: Any]; v["<unk>"] = nil; m["vocab"] = v
                     m["unk_token"] = "<nothing>"; t["model"] = m } },
                 prompt: "<image>\nzyzzyva ?", namedPath: "/tokenizer.json", keywords: ["\"zyzzyva\"", "not in the WordLevel vocabulary"]),
        BadInput(name: "missing processor config", apply: { try removeFile($0 + "/processor_config.json") }, namedPath: "",
                 keywords: ["processor_config.json", "preprocessor_config.json"]),
        BadInput(name: "processor config not JSON", apply: { try writeFile("image_processor: CLIP", to: $0 + "/processor_config.json") },
                 namedPath: "/processor_config.json", keywords: ["not valid JSON"]),
        BadInput(name: "processor config without image_processor", apply: { try editJSON($0 + "/processor_config.json") { p in p["image_processor"] = nil } },
                 namedPath: "/processor_config.json", keywords: ["image_processor", "missing"]),
        BadInput(name: "unsupported image processor", apply: { try editJSON($0 + "/processor_config.json") { p in
                     var ip = p["image_processor"] as! [String: Any]; ip["image_processor_type"] = "ConvNextImageProcessor"; p["image_processor"] = ip } },
                 namedPath: "/processor_config.json", keywords: ["ConvNextImageProcessor", "not supported"]),
        BadInput(name: "processor image_std with a zero", apply: { try editJSON($0 + "/processor_config.json") { p in
                     var ip = p["image_processor"] as! [String: Any]; ip["image_std"] = [0.5, 0, 0.5]; p["image_processor"] = ip } },
                 namedPath: "/processor_config.json", keywords: ["image_std"]),
        BadInput(name: "processor token count disagrees with the tower", apply: { try editJSON($0 + "/processor_config.json") { p in
                     p["num_additional_image_tokens"] = 3 } },
                 namedPath: "/processor_config.json", keywords: ["<image>", "features"]),

        // Weights
        BadInput(name: "missing model.safetensors", apply: { try removeFile($0 + "/model.safetensors") }, namedPath: "",
                 keywords: ["no model.safetensors"]),
        BadInput(name: "zero-length model.safetensors", apply: { try writeFile("", to: $0 + "/model.safetensors") },
                 namedPath: "/model.safetensors", keywords: ["truncated", "0 bytes"]),
        BadInput(name: "model.safetensors truncated in the data", apply: { try truncateFile($0 + "/model.safetensors", keepingFraction: 0.6) },
                 namedPath: "/model.safetensors", keywords: ["data_offsets", "outside", "truncated"]),
        BadInput(name: "model.safetensors truncated in the header", apply: { try truncateFile($0 + "/model.safetensors", keepingBytes: 100) },
                 namedPath: "/model.safetensors", keywords: ["header length", "does not fit"]),
        BadInput(name: "header points outside the file", apply: { f in try editHeader(f + "/model.safetensors") { h, dataSize in
                     h[victim] = ["dtype": "F32", "shape": [64], "data_offsets": [dataSize, dataSize + 256]] } },
                 namedPath: "/model.safetensors", keywords: [victim, "data_offsets", "outside"]),
        BadInput(name: "header not JSON", apply: { f in try rewriteHeaderBytes(f + "/model.safetensors") { n in
                     Data(("not json" + String(repeating: " ", count: n)).utf8.prefix(n)) } },
                 namedPath: "/model.safetensors", keywords: ["header", "JSON"]),
        BadInput(name: "tensor of the wrong shape", apply: { f in try editHeader(f + "/model.safetensors") { h, _ in
                     var e = h[shapeVictim] as! [String: Any]; e["shape"] = [64, 32]; h[shapeVictim] = e } },
                 namedPath: "/model.safetensors", keywords: [shapeVictim, "has shape [64, 32], expected [32, 64]"]),
        BadInput(name: "tensor of the wrong dtype", apply: { f in try editHeader(f + "/model.safetensors") { h, _ in
                     var e = h[victim] as! [String: Any]; e["dtype"] = "I32"; h[victim] = e } },
                 namedPath: "/model.safetensors", keywords: [victim, "dtype I32", "F32"]),
        BadInput(name: "tensor of an unknown dtype", apply: { f in try editHeader(f + "/model.safetensors") { h, _ in
                     var e = h[victim] as! [String: Any]; e["dtype"] = "Q4_K"; h[victim] = e } },
                 namedPath: "/model.safetensors", keywords: [victim, "unknown dtype 'Q4_K'"]),
        BadInput(name: "tensor whose bytes do not match its shape", apply: { f in try editHeader(f + "/model.safetensors") { h, _ in
                     var e = h[victim] as! [String: Any]; e["shape"] = [65]; h[victim] = e } },
                 namedPath: "/model.safetensors", keywords: [victim, "256 bytes do not hold shape [65]"]),
        BadInput(name: "tensor absent", apply: { f in try editHeader(f + "/model.safetensors") { h, _ in h[absentVictim] = nil } },
                 namedPath: "/model.safetensors", keywords: ["tensor '\(absentVictim)' is missing"]),
        BadInput(name: "vision tower absent", apply: { f in try editHeader(f + "/model.safetensors") { h, _ in
                     for k in h.keys where k.hasPrefix("vision_tower.") { h[k] = nil } } },
                 namedPath: "/model.safetensors", keywords: ["vision tower"]),
        BadInput(name: "overlapping tensors", apply: { f in try editHeader(f + "/model.safetensors") { h, _ in
                     var e = h[victim] as! [String: Any]; let other = h[absentVictim] as! [String: Any]
                     let begin = ((other["data_offsets"] as! [Int])[0]); e["data_offsets"] = [begin, begin + 256]; h[victim] = e } },
                 namedPath: "/model.safetensors", keywords: ["overlap"]),

        // Sharded weights (model.safetensors.index.json)
        BadInput(name: "index lists a missing shard", fixture: "llava_clip_llama_sharded",
                 apply: { try removeFile($0 + "/model-00002-of-00003.safetensors") },
                 namedPath: "/model.safetensors.index.json", keywords: ["model-00002-of-00003.safetensors", "missing"]),
        BadInput(name: "index not JSON", fixture: "llava_clip_llama_sharded",
                 apply: { try writeFile("{\"weight_map\": ", to: $0 + "/model.safetensors.index.json") },
                 namedPath: "/model.safetensors.index.json", keywords: ["weight_map"]),
        BadInput(name: "index without weight_map", fixture: "llava_clip_llama_sharded",
                 apply: { try editJSON($0 + "/model.safetensors.index.json") { i in i["weight_map"] = nil } },
                 namedPath: "/model.safetensors.index.json", keywords: ["weight_map"]),
        BadInput(name: "index points a tensor at the wrong shard", fixture: "llava_clip_llama_sharded",
                 apply: { try editJSON($0 + "/model.safetensors.index.json") { i in
                     var m = i["weight_map"] as! [String: String]; m[shardedVictim] = "model-00001-of-00003.safetensors"; i["weight_map"] = m } },
                 namedPath: "/model-00001-of-00003.safetensors", keywords: ["tensor '\(shardedVictim)'", "not in this shard"]),
        BadInput(name: "truncated shard", fixture: "llava_clip_llama_sharded",
                 apply: { try truncateFile($0 + "/model-00003-of-00003.safetensors", keepingFraction: 0.5) },
                 namedPath: "/model-00003-of-00003.safetensors", keywords: ["outside", "truncated"]),

        // Image
        BadInput(name: "missing image", image: { $0 + "/no-such-image.png" }, namedPath: "/no-such-image.png", keywords: ["not found"]),
        BadInput(name: "corrupt PNG", apply: { try corruptPNG($0 + "/image.png") }, namedPath: "/image.png",
                 keywords: ["PNG does not decode"]),
        BadInput(name: "truncated PNG", apply: { try truncateFile($0 + "/image.png", keepingFraction: 0.5) }, namedPath: "/image.png",
                 keywords: ["PNG does not decode"]),
        BadInput(name: "a JPEG", apply: { try writeFile(Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]) + Data("JFIF\0 not really".utf8), to: $0 + "/photo.jpg") },
                 image: { $0 + "/photo.jpg" }, namedPath: "/photo.jpg", keywords: ["JPEG"]),
        BadInput(name: "text file named .png", apply: { try writeFile("this is not an image\n", to: $0 + "/notes.png") },
                 image: { $0 + "/notes.png" }, namedPath: "/notes.png", keywords: ["not a PNG"]),
        BadInput(name: "empty image file", apply: { try writeFile("", to: $0 + "/empty.png") },
                 image: { $0 + "/empty.png" }, namedPath: "/empty.png", keywords: ["not a PNG"]),
        BadInput(name: "image of the wrong size", apply: { try writePNG(width: 8, height: 8, to: $0 + "/small.png") },
                 image: { $0 + "/small.png" }, namedPath: "/small.png", keywords: ["8x8", "16x16"]),

        // Prompt
        BadInput(name: "prompt without <image>", prompt: "Question: what color is the ball ?\nAnswer:", namedPath: nil,
                 keywords: ["prompt has no <image> marker"]),
        BadInput(name: "prompt with two <image>", prompt: "<image> and <image>\nAnswer:", namedPath: nil,
                 keywords: ["prompt has 2 <image> markers"]),
    ]

    /// Tensors the weight cases break (in llava_clip_llama_default).
    static let victim = "language_model.model.norm.weight"                           // [64]
    static let shapeVictim = "language_model.model.layers.1.self_attn.k_proj.weight" // [32, 64]
    static let absentVictim = "language_model.model.layers.2.mlp.up_proj.weight"
    static let shardedVictim = "language_model.model.layers.1.mlp.up_proj.weight"  // in shard 2 of llava_clip_llama_sharded

    static func named(_ name: String) -> BadInput {
        guard let c = all.first(where: { $0.name == name }) else { fatalError("no bad-input case '\(name)'") }
        return c
    }
}

// MARK: - File surgery

/// A fresh copy of a fixture folder in a temporary directory.
func scratchCopy(of fixture: String) throws -> (root: String, folder: String) {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("amps-bad-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    let folder = root + "/" + fixture
    try FileManager.default.copyItem(atPath: Fixture.root + "/" + fixture, toPath: folder)
    return (root, folder)
}

func removeFile(_ path: String) throws { try FileManager.default.removeItem(atPath: path) }

func writeFile(_ text: String, to path: String) throws { try writeFile(Data(text.utf8), to: path) }

func writeFile(_ data: Data, to path: String) throws { try data.write(to: URL(fileURLWithPath: path)) }

func truncateFile(_ path: String, keepingFraction f: Double) throws {
    let d = try Data(contentsOf: URL(fileURLWithPath: path))
    try writeFile(d.prefix(Int(Double(d.count) * f)), to: path)
}

func truncateFile(_ path: String, keepingBytes n: Int) throws {
    try writeFile(try Data(contentsOf: URL(fileURLWithPath: path)).prefix(n), to: path)
}

/// Rewrites a JSON object file.
func editJSON(_ path: String, _ body: (inout [String: Any]) throws -> Void) throws {
    var obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    try body(&obj)
    try writeFile(try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), to: path)
}

/// config.json with two-level subscripts: c["text_config", "hidden_size"] = 1.
struct ConfigEdit {
    var raw: [String: Any]
    subscript(section: String, key: String) -> Any? {
        get { (raw[section] as? [String: Any])?[key] }
        set { var s = raw[section] as! [String: Any]; s[key] = newValue; raw[section] = s }
    }
}

func editConfig(_ folder: String, _ body: (inout ConfigEdit) -> Void) throws {
    try editJSON(folder + "/config.json") { obj in
        var c = ConfigEdit(raw: obj)
        body(&c)
        obj = c.raw
    }
}

/// Splits a .safetensors file into its header object and data section.
func readSafetensors(_ path: String) throws -> (header: [String: Any], data: Data) {
    let d = try Data(contentsOf: URL(fileURLWithPath: path))
    let n = Int(d.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
    let header = try JSONSerialization.jsonObject(with: d.subdata(in: 8..<(8 + n))) as! [String: Any]
    return (header, d.subdata(in: (8 + n)..<d.count))
}

/// A .safetensors file from a header object and a data section (header padded to 8 bytes).
func safetensorsBytes(header: [String: Any], data: Data) throws -> Data {
    var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    while json.count % 8 != 0 { json.append(0x20) }
    return safetensorsBytes(rawHeader: json, data: data)
}

func safetensorsBytes(rawHeader: Data, data: Data, declaredLength: UInt64? = nil) -> Data {
    var out = Data()
    var n = (declaredLength ?? UInt64(rawHeader.count)).littleEndian
    withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
    return out + rawHeader + data
}

/// Rewrites the header of a .safetensors file in place, keeping the data section.
func editHeader(_ path: String, _ body: (inout [String: Any], Int) throws -> Void) throws {
    var (header, data) = try readSafetensors(path)
    try body(&header, data.count)
    try writeFile(try safetensorsBytes(header: header, data: data), to: path)
}

/// Replaces the header's bytes with `body(n)` (same length n), keeping the declared length.
func rewriteHeaderBytes(_ path: String, _ body: (Int) -> Data) throws {
    var d = try Data(contentsOf: URL(fileURLWithPath: path))
    let n = Int(d.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
    let replacement = body(n)
    precondition(replacement.count == n)
    d.replaceSubrange(8..<(8 + n), with: replacement)
    try writeFile(d, to: path)
}

/// Flips bytes inside the PNG's first IDAT chunk (its data, not its length or type), so
/// the file still has a PNG signature and a readable header but does not decode.
func corruptPNG(_ path: String) throws {
    var d = try Data(contentsOf: URL(fileURLWithPath: path))
    guard let r = d.range(of: Data("IDAT".utf8)) else { throw AMPSError.file(path, "test fixture has no IDAT chunk") }
    for i in (r.upperBound + 2)..<min(r.upperBound + 12, d.count - 12) { d[i] ^= 0x5A }
    try writeFile(d, to: path)
}

/// A valid grey PNG of the given size (stored zlib blocks), for the wrong-size case.
func writePNG(width: Int, height: Int, to path: String) throws {
    func be32(_ v: UInt32) -> Data { Data([UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]) }
    func crc32(_ d: Data) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in d { c ^= UInt32(b); for _ in 0..<8 { c = (c >> 1) ^ (c & 1 == 1 ? 0xEDB8_8320 : 0) } }
        return ~c
    }
    func chunk(_ type: String, _ body: Data) -> Data { be32(UInt32(body.count)) + Data(type.utf8) + body + be32(crc32(Data(type.utf8) + body)) }
    var raw = Data()
    for _ in 0..<height { raw.append(0); raw.append(contentsOf: [UInt8](repeating: 128, count: width)) }
    var a: UInt32 = 1, b: UInt32 = 0
    for x in raw { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
    let len = UInt16(raw.count)
    let zlib = Data([0x78, 0x01, 0x01, UInt8(len & 0xFF), UInt8(len >> 8), UInt8(~len & 0xFF), UInt8(~len >> 8)]) + raw + be32(b << 16 | a)
    let ihdr = be32(UInt32(width)) + be32(UInt32(height)) + Data([8, 0, 0, 0, 0])
    let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + chunk("IHDR", ihdr) + chunk("IDAT", zlib) + chunk("IEND", Data())
    try writeFile(png, to: path)
}

// MARK: - Tests

/// Every broken input gives an AMPSError whose one-line description names the offending
/// file and the problem; none crashes, none loads.
final class BadInputTests: XCTestCase {
    private var roots: [String] = []

    override func tearDown() {
        for r in roots { try? FileManager.default.removeItem(atPath: r) }
        roots = []
        super.tearDown()
    }

    private func scratch(_ fixture: String = "llava_clip_llama_default") throws -> String {
        let (root, folder) = try scratchCopy(of: fixture)
        roots.append(root)
        return folder
    }

    /// Asserts `body` throws an AMPSError of one line containing every needle (case-insensitive).
    private func assertError<T>(_ body: @autoclosure () throws -> T, contains needles: [String], _ what: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try body()
            XCTFail("\(what): no error was thrown", file: file, line: line)
        } catch let e as AMPSError {
            let text = e.description
            XCTAssertFalse(text.contains("\n"), "\(what): error is not one line: \(text.debugDescription)", file: file, line: line)
            for n in needles where !text.lowercased().contains(n.lowercased()) {
                XCTFail("\(what): error \(text.debugDescription) does not mention \(n.debugDescription)", file: file, line: line)
            }
        } catch {
            XCTFail("\(what): threw \(type(of: error)) \(error), not an AMPSError", file: file, line: line)
        }
    }

    /// Breaks a fresh copy as `c` says, then loads and prepares the request.
    private func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let c = BadInput.named(name)
        let folder = try scratch(c.fixture)
        try c.apply(folder)
        let prompt = try c.prompt ?? BadInput.fixturePrompt(c.fixture)
        let model = c.model(folder), image = c.image(folder)
        let needles = (c.namedPath.map { [folder + $0] } ?? []) + c.keywords
        assertError(try LlavaModel(folder: model).prepare(prompt: prompt, imagePath: image), contains: needles, name, file: file, line: line)
    }

    func testTheCatalogueIsCoveredHere() {
        // Every catalogue entry has a test below (the command-line tests run them all too).
        let covered = Set(Self.coveredNames)
        for c in BadInput.all { XCTAssertTrue(covered.contains(c.name), "no BadInputTests method for '\(c.name)'") }
    }

    static let coveredNames = [
        "missing model folder", "missing config.json", "config.json not JSON", "config.json is a JSON array",
        "config field of the wrong type", "config field true instead of a number", "config sub-object of the wrong type",
        "zero attention heads", "zero key-value heads", "negative layer count", "zero patch size", "absurd image size",
        "missing model_type", "unknown model_type", "unknown text model_type", "unknown vision model_type",
        "unsupported text activation", "unsupported vision activation", "unsupported projector activation",
        "unsupported rope type", "vision_feature_layer out of range", "empty vision_feature_layer list",
        "image token outside the vocabulary", "config size disagrees with the weights",
        "missing tokenizer.json", "tokenizer.json not JSON", "tokenizer.json with an unsupported model",
        "tokenizer.json without a model section", "tokenizer vocab with fractional ids", "tokenizer with an unsupported normalizer",
        "word outside a vocabulary without unk",
        "missing processor config", "processor config not JSON", "processor config without image_processor",
        "unsupported image processor", "processor image_std with a zero", "processor token count disagrees with the tower",
        "missing model.safetensors", "zero-length model.safetensors", "model.safetensors truncated in the data",
        "model.safetensors truncated in the header", "header points outside the file", "header not JSON",
        "tensor of the wrong shape", "tensor of the wrong dtype", "tensor of an unknown dtype",
        "tensor whose bytes do not match its shape", "tensor absent", "vision tower absent", "overlapping tensors",
        "index lists a missing shard", "index not JSON", "index without weight_map", "index points a tensor at the wrong shard",
        "truncated shard",
        "missing image", "corrupt PNG", "truncated PNG", "a JPEG", "text file named .png", "empty image file",
        "image of the wrong size", "prompt without <image>", "prompt with two <image>",
    ]

    // Folder and config.json
    func testMissingModelFolder() throws { try check("missing model folder") }
    func testMissingConfig() throws { try check("missing config.json") }
    func testConfigNotJSON() throws { try check("config.json not JSON") }
    func testConfigIsJSONArray() throws { try check("config.json is a JSON array") }
    func testConfigFieldOfWrongType() throws {
        try check("config field of the wrong type")
        try check("config field true instead of a number")
        try check("config sub-object of the wrong type")
    }
    func testConfigSizesMustBePositive() throws {
        try check("zero attention heads")
        try check("zero key-value heads")
        try check("negative layer count")
        try check("zero patch size")
        try check("absurd image size")
    }
    func testMissingModelType() throws { try check("missing model_type") }
    func testUnknownModelType() throws { try check("unknown model_type") }
    func testUnknownTextModelType() throws { try check("unknown text model_type") }
    func testUnknownVisionModelType() throws { try check("unknown vision model_type") }
    func testUnsupportedActivation() throws {
        try check("unsupported text activation")
        try check("unsupported vision activation")
        try check("unsupported projector activation")
    }
    func testUnsupportedRopeType() throws { try check("unsupported rope type") }
    func testVisionFeatureLayer() throws {
        try check("vision_feature_layer out of range")
        try check("empty vision_feature_layer list")
    }
    func testImageTokenOutsideVocabulary() throws { try check("image token outside the vocabulary") }
    func testConfigDisagreesWithWeights() throws { try check("config size disagrees with the weights") }

    // Tokenizer and processor
    func testMissingTokenizer() throws { try check("missing tokenizer.json") }
    func testTokenizerNotJSON() throws { try check("tokenizer.json not JSON") }
    func testTokenizerWithUnsupportedModelType() throws { try check("tokenizer.json with an unsupported model") }
    func testTokenizerWithoutModel() throws { try check("tokenizer.json without a model section") }
    func testTokenizerVocabWithFractionalIds() throws { try check("tokenizer vocab with fractional ids") }
    func testTokenizerWithUnsupportedNormalizer() throws { try check("tokenizer with an unsupported normalizer") }
    func testUnknownWordWithoutUnkToken() throws { try check("word outside a vocabulary without unk") }
    func testMissingProcessorConfig() throws { try check("missing processor config") }
    func testProcessorConfigNotJSON() throws { try check("processor config not JSON") }
    func testProcessorConfigWithoutImageProcessor() throws { try check("processor config without image_processor") }
    func testUnsupportedImageProcessor() throws { try check("unsupported image processor") }
    func testProcessorStdWithZero() throws { try check("processor image_std with a zero") }
    func testProcessorTokenCountDisagrees() throws { try check("processor token count disagrees with the tower") }

    // Weights
    func testMissingWeights() throws { try check("missing model.safetensors") }
    func testZeroLengthWeights() throws { try check("zero-length model.safetensors") }
    func testTruncatedSafetensors() throws {
        try check("model.safetensors truncated in the data")
        try check("model.safetensors truncated in the header")
    }
    func testHeaderPointsOutsideTheFile() throws { try check("header points outside the file") }
    func testHeaderNotJSON() throws { try check("header not JSON") }
    func testTensorOfWrongShape() throws { try check("tensor of the wrong shape") }
    func testTensorOfWrongDtype() throws {
        try check("tensor of the wrong dtype")
        try check("tensor of an unknown dtype")
    }
    func testTensorBytesDoNotMatchShape() throws { try check("tensor whose bytes do not match its shape") }
    func testTensorAbsent() throws {
        try check("tensor absent")
        try check("vision tower absent")
    }
    func testOverlappingTensorsInCheckpoint() throws { try check("overlapping tensors") }

    // Sharded weights
    func testIndexListsMissingShard() throws { try check("index lists a missing shard") }
    func testMalformedIndex() throws {
        try check("index not JSON")
        try check("index without weight_map")
    }
    func testIndexPointsAtWrongShard() throws { try check("index points a tensor at the wrong shard") }
    func testTruncatedShard() throws { try check("truncated shard") }

    // Image and prompt
    func testMissingImage() throws { try check("missing image") }
    func testCorruptPNG() throws {
        try check("corrupt PNG")
        try check("truncated PNG")
    }
    func testJPEG() throws { try check("a JPEG") }
    func testTextFileNamedPNG() throws {
        try check("text file named .png")
        try check("empty image file")
    }
    func testImageOfWrongSize() throws { try check("image of the wrong size") }
    func testPromptWithoutImageMarker() throws { try check("prompt without <image>") }
    func testPromptWithTwoImageMarkers() throws { try check("prompt with two <image>") }

    /// The unbroken copy loads and prepares (so each failure above is the breakage's doing).
    func testUnbrokenCopyLoads() throws {
        let folder = try scratch()
        let m = try LlavaModel(folder: folder)
        let x = try m.prepare(prompt: try BadInput.fixturePrompt("llava_clip_llama_default"), imagePath: folder + "/image.png")
        XCTAssertEqual(x.ids, try Fixture("llava_clip_llama_default").ints("input_ids"))
        // The PNG the wrong-size case writes decodes (so that case fails on size, not decoding).
        try writePNG(width: 8, height: 8, to: folder + "/small.png")
        let img = try RGBImage.load(path: folder + "/small.png")
        XCTAssertEqual([img.width, img.height], [8, 8])
        XCTAssertEqual(img.pixels.first, 128)
    }

    // MARK: safetensors files directly

    private func safetensorsFile(_ bytes: Data) throws -> String {
        let folder = try scratchDir()
        let path = folder + "/t.safetensors"
        try writeFile(bytes, to: path)
        return path
    }

    private func scratchDir() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("amps-bad-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        roots.append(root)
        return root
    }

    private let floats16 = Data(count: 16 * 4)

    private func oneTensorHeader(shape: [Any] = [16], offsets: [Any] = [0, 64], dtype: String = "F32") -> [String: Any] {
        ["w": ["dtype": dtype, "shape": shape, "data_offsets": offsets]]
    }

    func testSafetensorsHeaderLengthLargerThanFile() throws {
        let json = try JSONSerialization.data(withJSONObject: oneTensorHeader())
        for declared: UInt64 in [UInt64(json.count + 64 + 1), 1 << 40, UInt64(Int64.max), UInt64.max] {
            let p = try safetensorsFile(safetensorsBytes(rawHeader: json, data: floats16, declaredLength: declared))
            assertError(try SafeTensorsFile(path: p), contains: [p, "header length \(declared)", "does not fit"], "header length \(declared)")
        }
        let p = try safetensorsFile(safetensorsBytes(rawHeader: json, data: floats16, declaredLength: 0))
        assertError(try SafeTensorsFile(path: p), contains: [p, "header length 0"], "header length 0")
    }

    func testSafetensorsHeaderNotJSON() throws {
        for (what, header) in [("not JSON", Data("this is not json".utf8)), ("JSON array", Data("[1, 2, 3]".utf8)),
                               ("invalid UTF-8", Data([0x7B, 0xFF, 0xFE, 0x7D]))] {
            let p = try safetensorsFile(safetensorsBytes(rawHeader: header, data: floats16))
            assertError(try SafeTensorsFile(path: p), contains: [p, "header is not a JSON object"], what)
        }
    }

    func testSafetensorsOverlappingTensors() throws {
        let header: [String: Any] = ["a": ["dtype": "F32", "shape": [8], "data_offsets": [0, 32]],
                                     "b": ["dtype": "F32", "shape": [8], "data_offsets": [16, 48]]]
        let p = try safetensorsFile(try safetensorsBytes(header: header, data: floats16))
        assertError(try SafeTensorsFile(path: p), contains: [p, "'a' and 'b' overlap"], "overlap")
    }

    func testSafetensorsZeroLengthAndTinyFiles() throws {
        for n in [0, 1, 7] {
            let p = try safetensorsFile(Data(count: n))
            assertError(try SafeTensorsFile(path: p), contains: [p, "truncated", "\(n) bytes"], "\(n)-byte file")
        }
        let missing = try scratchDir() + "/absent.safetensors"
        assertError(try SafeTensorsFile(path: missing), contains: [missing, "not found"], "missing file")
    }

    func testSafetensorsOffsetsOutsideTheData() throws {
        let p = try safetensorsFile(try safetensorsBytes(header: oneTensorHeader(offsets: [64, 128]), data: floats16))
        assertError(try SafeTensorsFile(path: p), contains: [p, "'w'", "[64, 128]", "outside", "64 data bytes"], "offsets past the end")
        let q = try safetensorsFile(try safetensorsBytes(header: oneTensorHeader(offsets: [32, 0]), data: floats16))
        assertError(try SafeTensorsFile(path: q), contains: [q, "malformed data_offsets"], "end before begin")
        let r = try safetensorsFile(try safetensorsBytes(header: oneTensorHeader(offsets: [-8, 56]), data: floats16))
        assertError(try SafeTensorsFile(path: r), contains: [r, "malformed data_offsets"], "negative offset")
        let s = try safetensorsFile(try safetensorsBytes(header: oneTensorHeader(offsets: [0, 1e30]), data: floats16))
        assertError(try SafeTensorsFile(path: s), contains: [s, "malformed data_offsets"], "huge offset")
    }

    func testSafetensorsShapeChecks() throws {
        let cases: [(String, [Any], [String])] = [
            ("overflowing shape", [4_294_967_296, 4_294_967_296, 4], ["too large"]),
            ("fractional shape", [15.5], ["non-negative integers"]),
            ("negative shape", [-16], ["non-negative integers"]),
            ("string shape", ["16"], ["non-negative integers"]),
            ("shape needing more bytes", [17], ["64 bytes do not hold shape [17]"]),
        ]
        for (what, shape, needles) in cases {
            let p = try safetensorsFile(try safetensorsBytes(header: oneTensorHeader(shape: shape), data: floats16))
            assertError(try SafeTensorsFile(path: p), contains: [p, "'w'"] + needles, what)
        }
        let p = try safetensorsFile(try safetensorsBytes(header: ["w": ["dtype": "F32", "shape": [16]]], data: floats16))
        assertError(try SafeTensorsFile(path: p), contains: [p, "dtype, shape and two data_offsets"], "entry without offsets")
        let m = try safetensorsFile(try safetensorsBytes(header: oneTensorHeader().merging(["__metadata__": ["k": 1]]) { a, _ in a }, data: floats16))
        assertError(try SafeTensorsFile(path: m), contains: [m, "__metadata__", "'k'"], "non-string metadata")
    }

    func testSafetensorsTensorAccessErrors() throws {
        let header: [String: Any] = ["w": ["dtype": "F32", "shape": [4, 2], "data_offsets": [0, 32]],
                                     "ids": ["dtype": "I64", "shape": [4], "data_offsets": [32, 64]]]
        let p = try safetensorsFile(try safetensorsBytes(header: header, data: floats16))
        let f = try SafeTensorsFile(path: p)
        XCTAssertEqual(try f.tensor("w", shape: [4, 2]).shape, [4, 2])
        assertError(try f.tensor("w", shape: [8]), contains: [p, "'w' has shape [4, 2], expected [8]"], "shape")
        assertError(try f.tensor("nope"), contains: [p, "'nope' is missing"], "missing")
        assertError(try f.tensor("ids"), contains: [p, "'ids' has dtype I64"], "dtype")
        assertError(try f.integers("w"), contains: [p, "not an integer tensor"], "integers of floats")
        XCTAssertEqual(try f.integers("ids"), [0, 0, 0, 0])
    }

    // MARK: SafeTensorsWriter

    func testSafeTensorsWriterRoundTrip() throws {
        let dir = try scratchDir()
        let path = dir + "/round.safetensors"
        let a = Tensor(shape: [2, 3], values: [1, -2, 3.5, .pi, -0.0, 1e-30])
        let b = Tensor(shape: [5], values: [Float.greatestFiniteMagnitude, -1, 0, 7, Float.leastNonzeroMagnitude])
        let c = Tensor(shape: [1, 1, 1], values: [42])
        try SafeTensorsWriter.write(["b.weight": b, "a": a, "c": c], metadata: ["format": "pt", "note": "round trip ✓"], to: path)

        let f = try SafeTensorsFile(path: path)
        XCTAssertEqual(Set(f.entries.keys), ["a", "b.weight", "c"])
        XCTAssertEqual(f.metadata, ["format": "pt", "note": "round trip ✓"])
        for (name, t) in [("a", a), ("b.weight", b), ("c", c)] {
            let r = try f.tensor(name, shape: t.shape)
            XCTAssertEqual(r.shape, t.shape, name)
            XCTAssertEqual(r.array.map(\.bitPattern), t.array.map(\.bitPattern), name)
        }
        // Header padded so the data section (and every f32 tensor) is 8-byte aligned.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = Int(bytes.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        XCTAssertEqual((8 + n) % 8, 0)
        XCTAssertEqual(bytes.count, 8 + n + (6 + 5 + 1) * 4)
        // Tensors are stored in name order, back to back.
        XCTAssertEqual(f.entries["a"]!.begin, 8 + n)
        XCTAssertEqual(f.entries["b.weight"]!.begin, f.entries["a"]!.end)
        XCTAssertEqual(f.entries["c"]!.begin, f.entries["b.weight"]!.end)

        // No metadata, no tensors: still a valid file.
        let empty = dir + "/empty.safetensors"
        try SafeTensorsWriter.write([:], to: empty)
        XCTAssertTrue(try SafeTensorsFile(path: empty).entries.isEmpty)

        // An unwritable destination is an AMPSError naming it.
        let bad = dir + "/no-such-dir/x.safetensors"
        assertError(try SafeTensorsWriter.write(["a": a], to: bad), contains: [bad, "cannot be written"], "unwritable path")
    }

    /// A whole checkpoint rewritten by SafeTensorsWriter still matches transformers' logits.
    func testSafeTensorsWriterRewritesACheckpoint() throws {
        let folder = try scratch()
        let original = try SafeTensorsFile(path: folder + "/model.safetensors")
        var all: [String: Tensor] = [:]
        for name in original.entries.keys { all[name] = try original.tensor(name).copy() }
        try SafeTensorsWriter.write(all, metadata: original.metadata, to: folder + "/model.safetensors")

        let f = try Fixture("llava_clip_llama_default")
        let m = try LlavaModel(folder: folder)
        let pass = m.run(try m.prepare(prompt: f.expected["prompt"] as! String, imagePath: folder + "/image.png"))
        assertClose(pass.logits, try f.tensor("logits"), tolerance: 1e-4, "rewritten checkpoint: logits")
    }
}
