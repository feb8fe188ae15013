import AMPSCore
@testable import AMPSModel
import Foundation
import XCTest

/// Issue 15's hostile inputs, through the built `amps` binary: each must end quickly with
/// exit status 1 and one `amps: ` line naming the file (and key) and the problem — under an
/// address-space cap far above a clean run's need, so an allocation sized by a hostile value
/// fails the test instead of the machine.
final class HostileInputTests: XCTestCase {
    private var roots: [String] = []

    override func tearDown() {
        for r in roots { try? FileManager.default.removeItem(atPath: r) }
        roots = []
        super.tearDown()
    }

    /// A clean `forward` of the tiny fixtures peaks well under 2 GiB of address space
    /// (OpenBLAS's buffers included); 6 GiB leaves room without letting 34 GB tables through.
    static let addressSpaceKiB = 6 * 1024 * 1024
    static let timeout: TimeInterval = 30

    private func scratch(_ fixture: String = "llava_clip_llama_default") throws -> String {
        let (root, folder) = try scratchCopy(of: fixture)
        roots.append(root)
        return folder
    }

    /// Runs amps under `ulimit -v` and the timeout.
    private func amps(_ args: [String]) throws -> CommandResult {
        guard let exe = AMPSBinary.url else { throw XCTSkip("the amps executable was not found; run `swift build` first") }
        return try AMPSBinary.run(["-c", "ulimit -v \(Self.addressSpaceKiB) && exec \"$0\" \"$@\"", exe.path] + args,
                                  executable: URL(fileURLWithPath: "/bin/sh"), timeout: Self.timeout)
    }

    private func forward(_ folder: String, prompt: String? = nil, image: String? = nil, extra: [String] = []) throws -> CommandResult {
        let p = try prompt ?? BadInput.fixturePrompt("llava_clip_llama_default")
        return try amps(["forward", "--model", folder, "--image", image ?? folder + "/image.png", "--prompt", p] + extra)
    }

    private func expectFailure(_ r: CommandResult, _ needles: [String], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard !r.timedOut, !r.signalled else {
            XCTFail("\(what): \(r.timedOut ? "hung" : "crashed (signal \(r.status))"); stderr: \(r.stderr.prefix(600))", file: file, line: line)
            return
        }
        XCTAssertEqual(r.status, 1, "\(what): exit status; stderr: \(r.stderr.prefix(600))", file: file, line: line)
        XCTAssertEqual(r.stdout, "", "\(what): stdout", file: file, line: line)
        let lines = r.stderrLines
        XCTAssertEqual(lines.count, 1, "\(what): one line on stderr: \(r.stderr.prefix(600).debugDescription)", file: file, line: line)
        guard let first = lines.first else { return }
        XCTAssertTrue(first.hasPrefix("amps: "), "\(what): \(first.debugDescription)", file: file, line: line)
        XCTAssertLessThan(first.count, 600, "\(what): the line is readable", file: file, line: line)
        for n in needles where !first.lowercased().contains(n.lowercased()) {
            XCTFail("\(what): \(first.debugDescription) does not mention \(n.debugDescription)", file: file, line: line)
        }
    }

    /// The harness: the cap is real (a shell under it cannot allocate 8 GiB).
    func testTheAddressSpaceCapHolds() throws {
        let r = try AMPSBinary.run(["-c", "ulimit -v \(Self.addressSpaceKiB) && ulimit -v"], executable: URL(fileURLWithPath: "/bin/sh"))
        XCTAssertEqual(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "\(Self.addressSpaceKiB)")
        // A clean run fits under it (so the failures below are the checks, not the cap).
        let clean = try forward(Fixture.root + "/llava_clip_llama_default", extra: ["--json"])
        XCTAssertEqual(clean.status, 0, clean.stderr)
        XCTAssertFalse(clean.signalled || clean.timedOut)
    }

    // MARK: config.json

    func testConfigValuesOutOfBounds() throws {
        let cases: [(String, (inout ConfigEdit) -> Void, [String])] = [
            ("a billion layers", { $0["text_config", "num_hidden_layers"] = 1e9 }, ["text_config.num_hidden_layers", "1000000000", "limit of 1024"]),
            ("a billion vision layers", { $0["vision_config", "num_hidden_layers"] = 1_000_000_000 }, ["vision_config.num_hidden_layers", "limit of 1024"]),
            ("more layers than the weights hold", { $0["text_config", "num_hidden_layers"] = 7 }, ["num_hidden_layers", "is 7", "hold 3 decoder layers"]),
            ("vocabulary of 2^40", { $0["text_config", "vocab_size"] = 1 << 40 }, ["text_config.vocab_size", "limit"]),
            ("hidden size of 2^31 - 1", { $0["text_config", "hidden_size"] = Int(Int32.max) }, ["text_config.hidden_size", "limit"]),
            ("rope_theta 0", { $0["text_config", "rope_theta"] = 0.0; $0["text_config", "rope_parameters"] = nil }, ["rope_theta", "above 0"]),
            ("negative rope_theta in rope_parameters", { $0["text_config", "rope_parameters"] = ["rope_theta": -10000.0, "rope_type": "default"] },
             ["rope_parameters.rope_theta", "above 0"]),
            ("negative rms_norm_eps", { $0["text_config", "rms_norm_eps"] = -1e-6 }, ["text_config.rms_norm_eps", "above 0"]),
            ("zero layer_norm_eps", { $0["vision_config", "layer_norm_eps"] = 0.0 }, ["vision_config.layer_norm_eps", "above 0"]),
            ("epsilon below a float", { $0["text_config", "rms_norm_eps"] = 1e-300 }, ["text_config.rms_norm_eps", "32-bit float"]),
            ("max_position_embeddings of 2^40", { $0["text_config", "max_position_embeddings"] = 1 << 40 }, ["max_position_embeddings", "limit"]),
            ("a boolean for a string", { $0["text_config", "hidden_act"] = true }, ["text_config.hidden_act", "must be a string"]),
            ("a number for a string", { $0.raw["model_type"] = 1 }, ["model_type", "must be a string"]),
        ]
        for (what, edit, needles) in cases {
            let folder = try scratch()
            try editConfig(folder, edit)
            expectFailure(try forward(folder), [folder + "/config.json"] + needles, what)
        }
    }

    func testInvalidJSONSaysWhere() throws {
        let folder = try scratch()
        try writeFile("{\"model_type\": \"llava\",\n \"text_config\": }", to: folder + "/config.json")
        expectFailure(try forward(folder), [folder + "/config.json", "not valid JSON", "character"], "config.json with a syntax error")
        let deep = try scratch()
        try writeFile(String(repeating: "[", count: 1_000_000), to: deep + "/config.json")
        expectFailure(try forward(deep), [deep + "/config.json", "not valid JSON", "nested"], "config.json nested a million deep")
    }

    /// An oversized (sparse, so the test writes nothing) config.json, and FIFOs in place of
    /// the JSON files, are refused without reading or blocking.
    func testOversizedAndNonRegularJSONFilesAreRefused() throws {
        let big = try scratch()
        XCTAssertEqual(truncate(big + "/config.json", 100 << 20), 0)
        expectFailure(try forward(big), [big + "/config.json", "104857600 bytes", "limit of 67108864"], "a 100 MB config.json")
        for name in ["config.json", "tokenizer.json", "processor_config.json", "image.png"] {
            let folder = try scratch()
            try removeFile(folder + "/" + name)
            XCTAssertEqual(mkfifo(folder + "/" + name, 0o600), 0)
            expectFailure(try forward(folder), [folder + "/" + name, "not a regular file"], "a FIFO as \(name)")
        }
    }

    // MARK: processor config and images

    private func editProcessor(_ folder: String, _ body: @escaping (inout [String: Any]) -> Void) throws {
        try editJSON(folder + "/processor_config.json") { p in
            var ip = p["image_processor"] as! [String: Any]
            body(&ip)
            p["image_processor"] = ip
        }
    }

    func testProcessorValuesOutOfBounds() throws {
        let cases: [(String, (inout [String: Any]) -> Void, [String])] = [
            ("bare size 2^62", { $0["size"] = 1 << 62; $0["do_resize"] = true }, ["image_processor.size'", "limit of 16384"]),
            ("bare crop_size 2^62", { $0["crop_size"] = 1 << 62; $0["do_center_crop"] = true }, ["image_processor.crop_size'", "limit of 16384"]),
            ("shortest_edge 2^62", { $0["size"] = ["shortest_edge": 1 << 62]; $0["do_resize"] = true }, ["size.shortest_edge", "limit"]),
            ("rescale_factor 1e308", { $0["rescale_factor"] = 1e308 }, ["rescale_factor", "at most 1"]),
            ("negative rescale_factor", { $0["rescale_factor"] = -0.5 }, ["rescale_factor"]),
            ("a boolean for the processor type", { $0["image_processor_type"] = true }, ["image_processor_type", "must be a string"]),
        ]
        for (what, edit, needles) in cases {
            let folder = try scratch()
            try editProcessor(folder, edit)
            expectFailure(try forward(folder), [folder + "/processor_config.json"] + needles, what)
        }
    }

    /// num_additional_image_tokens of Int.max overflowed the image-token count (a trap);
    /// the input is kept in Fuzz/Regressions/processor-config.
    func testAHugeAdditionalImageTokenCountIsRefused() throws {
        let folder = try scratch()
        try editJSON(folder + "/processor_config.json") { $0["num_additional_image_tokens"] = Int.max }
        expectFailure(try forward(folder), [folder + "/processor_config.json", "num_additional_image_tokens", "outside 0...1024"], "Int.max additional tokens")
    }

    /// A crop of 16000 on the 32x32 fixture image used to pad it to 16000x16000 first.
    func testALargeCropIsRefusedBeforePadding() throws {
        let folder = try scratch()
        try editProcessor(folder) { $0["crop_size"] = 16000; $0["do_center_crop"] = true }
        let t0 = Date()
        expectFailure(try forward(folder), [folder + "/image.png", "16000x16000", "16x16"], "crop 16000")
        XCTAssertLessThan(Date().timeIntervalSince(t0), 15)
    }

    /// A 1,000,000 x 1 PNG resized to a shortest edge of 16 would be 16,000,000 x 16: with a
    /// crop after it, the resize target itself is refused; without, the output size is.
    func testAResizeTargetIsCheckedBeforeItIsAllocated() throws {
        let folder = try scratch()
        try writeStoredPNG(width: 1_000_000, height: 1, to: folder + "/wide.png")
        try editProcessor(folder) { $0["do_resize"] = true; $0["size"] = ["shortest_edge": 16]; $0["do_center_crop"] = true; $0["crop_size"] = 16 }
        let t0 = Date()
        expectFailure(try forward(folder, image: folder + "/wide.png"),
                      [folder + "/wide.png", "1000000x1", "16000000x16", folder + "/processor_config.json", "limit of 64000000 pixels"], "1,000,000 x 1 PNG, cropped")
        XCTAssertLessThan(Date().timeIntervalSince(t0), 15)
        try editProcessor(folder) { $0["do_center_crop"] = false }
        expectFailure(try forward(folder, image: folder + "/wide.png"), [folder + "/wide.png", "16000000x16 after preprocessing", "expects 16x16"],
                      "1,000,000 x 1 PNG, not cropped")
    }

    func testAHugePNGIsRefusedFromItsHeader() throws {
        let folder = try scratch()
        try writeStoredPNG(width: 1, height: 1, to: folder + "/huge.png", declaredWidth: 100_000, declaredHeight: 100_000)
        expectFailure(try forward(folder, image: folder + "/huge.png"), [folder + "/huge.png", "100000x100000", "limit"], "100000x100000 PNG")
    }

    /// The committed 36x52 progressive JPEG with its frame header saying 65500x65500.
    func testAHugeProgressiveJPEGIsRefusedAtOnce() throws {
        let folder = try scratch()
        var jpeg = try Data(contentsOf: URL(fileURLWithPath: Fixture.root + "/images/progressive_36x52.jpg"))
        let bytes = [UInt8](jpeg)
        guard let sof = (0..<(bytes.count - 9)).first(where: { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC2 }) else {
            return XCTFail("the fixture has no SOF2 marker")
        }
        // FF C2, length (2), precision (1), height (2), width (2).
        jpeg.replaceSubrange((sof + 5)..<(sof + 9), with: [0xFF, 0xDC, 0xFF, 0xDC])
        try writeFile(jpeg, to: folder + "/huge.jpg")
        let t0 = Date()
        expectFailure(try forward(folder, image: folder + "/huge.jpg"), [folder + "/huge.jpg", "65500x65500", "limit"], "65500x65500 progressive JPEG")
        XCTAssertLessThan(Date().timeIntervalSince(t0), 10, "refused from the header, not after decoding")
    }

    // MARK: tokenizer.json

    func testABPEVocabIdOf2To31IsRefused() throws {
        let folder = try scratch()
        try writeFile(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 2147483648}, "merges": []}}"#, to: folder + "/tokenizer.json")
        expectFailure(try forward(folder), [folder + "/tokenizer.json", "vocab id 2147483648", "limit"], "BPE id 2^31")
    }

    func testAMillionNestedBracketsIsAnErrorNotAStackOverflow() throws {
        let folder = try scratch()
        try writeFile("{\"model\": " + String(repeating: "[", count: 1_000_000), to: folder + "/tokenizer.json")
        expectFailure(try forward(folder), [folder + "/tokenizer.json", "nesting deeper than 128"], "tokenizer.json nested a million deep")
    }

    func testACatastrophicSplitRegexRunsOutOfBudget() throws {
        let folder = try scratch()
        try editJSON(folder + "/tokenizer.json") { t in
            t["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": "(a+)+$"], "behavior": "Isolated", "invert": false]
        }
        let t0 = Date()
        let r = try forward(folder, prompt: "<image> " + String(repeating: "a", count: 200) + "!")
        expectFailure(r, [folder + "/tokenizer.json", "(a+)+$", "step budget"], "(a+)+$ on 200 a's")
        XCTAssertLessThan(Date().timeIntervalSince(t0), 20)
    }

    // MARK: weights

    func testADuplicateTensorNameIsRefused() throws {
        let folder = try scratch()
        let path = folder + "/model.safetensors"
        let (header, data) = try readSafetensors(path)
        var json = String(decoding: try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]), as: UTF8.self)
        let entry = try JSONSerialization.data(withJSONObject: header[BadInput.victim]!, options: [.sortedKeys])
        json.removeLast()  // the closing brace
        json += ",\"\(BadInput.victim)\":" + String(decoding: entry, as: UTF8.self) + "}"
        try writeFile(safetensorsBytes(rawHeader: Data(json.utf8), data: data), to: path)
        expectFailure(try forward(folder), [path, "duplicate key", BadInput.victim], "a tensor named twice")
    }

    func testAShardOutsideTheFolderIsRefused() throws {
        let folder = try scratch("llava_clip_llama_sharded")
        // The shard exists where the index points, outside the model folder: it must not be read.
        let outside = (folder as NSString).deletingLastPathComponent + "/x.safetensors"
        try FileManager.default.copyItem(atPath: folder + "/model-00001-of-00003.safetensors", toPath: outside)
        for shard in ["../x.safetensors", outside, "sub/../../x.safetensors"] {
            try editJSON(folder + "/model.safetensors.index.json") { i in
                var m = i["weight_map"] as! [String: String]
                for (k, v) in m where v == "model-00001-of-00003.safetensors" { m[k] = shard }
                i["weight_map"] = m
            }
            expectFailure(try forward(folder, prompt: try BadInput.fixturePrompt("llava_clip_llama_sharded")),
                          [folder + "/model.safetensors.index.json", "leaves the model folder"], "shard \(shard)")
        }
    }

    func testAFIFOInPlaceOfTheWeightsDoesNotHang() throws {
        let folder = try scratch()
        try removeFile(folder + "/model.safetensors")
        XCTAssertEqual(mkfifo(folder + "/model.safetensors", 0o600), 0)
        expectFailure(try forward(folder), [folder + "/model.safetensors", "not a regular file"], "a FIFO")
    }

    /// Sets element `index` of an F32 tensor to `value` in place.
    private func poison(_ path: String, tensor: String, index: Int = 3, value: Float) throws {
        var d = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = Int(d.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        let header = try JSONSerialization.jsonObject(with: d.subdata(in: 8..<(8 + n))) as! [String: Any]
        let entry = header[tensor] as! [String: Any]
        XCTAssertEqual(entry["dtype"] as? String, "F32")
        let begin = 8 + n + (entry["data_offsets"] as! [Int])[0] + 4 * index
        d.replaceSubrange(begin..<(begin + 4), with: withUnsafeBytes(of: value.bitPattern.littleEndian) { Data($0) })
        try writeFile(d, to: path)
    }

    /// generate used to print [0,0,0,0,0] on a NaN lm_head; every command loads through the
    /// same checked path.
    func testNonFiniteWeightsAreRefusedByEveryCommand() throws {
        for (tensor, value) in [("language_model.lm_head.weight", Float.nan), ("language_model.model.layers.1.mlp.down_proj.weight", Float.infinity),
                                ("vision_tower.embeddings.class_embedding", -Float.infinity)] {
            let folder = try scratch()
            try poison(folder + "/model.safetensors", tensor: tensor, value: value)
            let p = try BadInput.fixturePrompt("llava_clip_llama_default")
            let base = ["--model", folder, "--image", folder + "/image.png", "--prompt", p]
            for cmd in [["forward"] + base + ["--json"], ["generate"] + base + ["--max-new-tokens", "5", "--json"]] {
                expectFailure(try amps(cmd), [folder + "/model.safetensors", tensor, "NaN or infinity"], "\(cmd[0]) with \(value) in \(tensor)")
            }
        }
    }

    /// The method commands on a copy of the default model with a NaN in lm_head.
    func testNonFiniteWeightsAreRefusedByTheMethodCommands() throws {
        let repo = URL(fileURLWithPath: Fixture.root).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("amps-nan-\(UUID().uuidString)").path
        roots.append(dir)
        let model = dir + "/model"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: repo + "/samples/model", toPath: model)
        try poison(model + "/model.safetensors", tensor: "language_model.lm_head.weight", value: .nan)
        let data = repo + "/samples/data/test.jsonl"
        let id = "200000"
        let commands: [[String]] = [
            ["diagnose", "--model", model, "--data", data, "--instance", id, "-n", "2"],
            ["eval", "--model", model, "--data", data, "--limit", "2", "-n", "2", "--uniform-only"],
            ["vectors", "--model", model, "--data", data, "--output", dir + "/v.safetensors"],
        ]
        for cmd in commands {
            expectFailure(try amps(cmd), [model + "/model.safetensors", "language_model.lm_head.weight", "NaN or infinity"], cmd[0])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/v.safetensors"))
    }

    func testBF16WeightsAreCheckedToo() throws {
        let folder = try scratch("llava_clip_llama_bf16")
        let path = folder + "/model.safetensors"
        var d = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = Int(d.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        let header = try JSONSerialization.jsonObject(with: d.subdata(in: 8..<(8 + n))) as! [String: Any]
        let name = "language_model.lm_head.weight"
        let entry = try XCTUnwrap(header[name] as? [String: Any])
        XCTAssertEqual(entry["dtype"] as? String, "BF16")
        let begin = 8 + n + (entry["data_offsets"] as! [Int])[0] + 2 * 5
        d.replaceSubrange(begin..<(begin + 2), with: [0xC0, 0x7F])  // bf16 NaN, little-endian
        try writeFile(d, to: path)
        let err = try XCTUnwrap({ () -> AMPSError? in
            do { _ = try LlavaModel(folder: folder); return nil } catch let e as AMPSError { return e }
        }())
        XCTAssertTrue(err.description.contains(name) && err.description.contains("element 5"), err.description)
    }

    // MARK: prompt length

    func testAPromptLongerThanThePositionsIsRefused() throws {
        let folder = try scratch()
        let long = "<image>\n" + Array(repeating: "ball", count: 400).joined(separator: " ")
        expectFailure(try forward(folder, prompt: long), ["prompt of", "tokens", "max_position_embeddings of 256", folder + "/config.json"], "a 400-word prompt")
        let p = try BadInput.fixturePrompt("llava_clip_llama_default")
        let r = try amps(["generate", "--model", folder, "--image", folder + "/image.png", "--prompt", p, "--max-new-tokens", "300"])
        expectFailure(r, ["plus 300 new tokens", "max_position_embeddings of 256"], "generation past the positions")
    }

    /// An instance with a 100 KB context used to run for minutes: now one error naming the
    /// instance, the prompt's length and the model's bound, before any pass runs.
    func testAnInstanceWithAHugeContextIsRefused() throws {
        let repo = URL(fileURLWithPath: Fixture.root).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("amps-long-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        roots.append(dir)
        try FileManager.default.createSymbolicLink(atPath: dir + "/images", withDestinationPath: repo + "/samples/data/images")
        let first = try String(contentsOfFile: repo + "/samples/data/test.jsonl", encoding: .utf8).split(separator: "\n")[0]
        var obj = try JSONSerialization.jsonObject(with: Data(first.utf8)) as! [String: Any]
        obj["context"] = Array(repeating: "the circle is red .", count: 5300).joined(separator: " ")  // ~100 KB
        try writeFile(try JSONSerialization.data(withJSONObject: obj), to: dir + "/data.jsonl")
        let id = "\(obj["image_id"]!)"
        let t0 = Date()
        let r = try amps(["diagnose", "--model", repo + "/samples/model", "--data", dir + "/data.jsonl", "--instance", id, "-n", "2"])
        expectFailure(r, ["data.jsonl:1 (image_id \(id))", "prompt of", "max_position_embeddings of"], "a 100 KB context")
        XCTAssertLessThan(Date().timeIntervalSince(t0), 20)
    }
}

/// A grey 8-bit PNG in stored (uncompressed) deflate blocks, any size; `declared*` overrides
/// the header's size (the pixel data then no longer matches it, which a header check must
/// notice before decoding).
func writeStoredPNG(width: Int, height: Int, to path: String, declaredWidth: Int? = nil, declaredHeight: Int? = nil) throws {
    func be32(_ v: UInt32) -> Data { Data([UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]) }
    var table = [UInt32](repeating: 0, count: 256)
    for i in 0..<256 {
        var c = UInt32(i)
        for _ in 0..<8 { c = (c >> 1) ^ (c & 1 == 1 ? 0xEDB8_8320 : 0) }
        table[i] = c
    }
    func crc32(_ d: Data) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in d { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return ~c
    }
    func chunk(_ type: String, _ body: Data) -> Data { be32(UInt32(body.count)) + Data(type.utf8) + body + be32(crc32(Data(type.utf8) + body)) }
    var raw = [UInt8]()
    raw.reserveCapacity(height * (width + 1))
    for _ in 0..<height { raw.append(0); raw.append(contentsOf: repeatElement(128, count: width)) }
    var a: UInt32 = 1, b: UInt32 = 0
    for x in raw { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
    var zlib = Data([0x78, 0x01])
    var offset = 0
    repeat {
        let n = min(65535, raw.count - offset)
        let last: UInt8 = offset + n == raw.count ? 1 : 0
        let len = UInt16(n)
        zlib.append(contentsOf: [last, UInt8(len & 0xFF), UInt8(len >> 8), UInt8(~len & 0xFF), UInt8(~len >> 8)])
        zlib.append(contentsOf: raw[offset..<(offset + n)])
        offset += n
    } while offset < raw.count
    zlib.append(be32(b << 16 | a))
    let ihdr = be32(UInt32(declaredWidth ?? width)) + be32(UInt32(declaredHeight ?? height)) + Data([8, 0, 0, 0, 0])
    let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + chunk("IHDR", ihdr) + chunk("IDAT", zlib) + chunk("IEND", Data())
    try writeFile(png, to: path)
}
