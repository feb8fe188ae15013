import AMPSCore
import Foundation

/// What `load_model` reports about the engine's model.
public struct EngineModelInfo: Sendable, Equatable {
    public let name: String, family: String, dtype: String, device: String
    public let layers: Int, hiddenSize: Int, kvDim: Int, vocabSize: Int, specialPrefixCount: Int
    public let eosTokenIds: [Int]
}

/// A prompt prepared on the engine (its recorded pass) and what came back with it.
public struct EnginePrompt: @unchecked Sendable {
    public let handle: Int
    public let ids: [Int]
    public let imagePositions: [Int]
    public let spanPositions: [[Int]]
    public let logits: Tensor      // [V], last prompt position
}

/// Typed requests of the engine protocol (docs/ENGINE_PROTOCOL.md) over an EngineProcess.
/// Logits come back as Tensors of the shapes LlavaModel returns, so callers fold them with
/// the same code.
public final class EngineClient: @unchecked Sendable {
    public let process: EngineProcess
    public private(set) var model: EngineModelInfo?
    public var timeouts: (load: Double, prepare: Double, batch: Double, other: Double) = (1800, 300, 600, 120)

    public init(command: String, helloTimeout: Double = 120) throws {
        process = try EngineProcess(command: command, helloTimeout: helloTimeout)
    }

    func fail(_ problem: String) -> AMPSError { process.fail(problem) }

    public func loadModel(path: String, family: String = "auto", dtype: String = "auto", device: String = "auto") throws -> EngineModelInfo {
        let r = try process.request(["kind": "load_model", "path": path, "family": family, "dtype": dtype, "device": device],
                                    timeout: timeouts.load)
        guard let m = r.header["model"] as? [String: Any] else { throw fail("load_model reply has no 'model'") }
        func int(_ k: String) throws -> Int {
            guard let v = (m[k] as? NSNumber)?.intValue else { throw fail("load_model reply lacks '\(k)'") }
            return v
        }
        let info = EngineModelInfo(name: m["name"] as? String ?? "?", family: m["family"] as? String ?? "?",
                                   dtype: m["dtype"] as? String ?? "?", device: m["device"] as? String ?? "?",
                                   layers: try int("layers"), hiddenSize: try int("hidden_size"), kvDim: try int("kv_dim"),
                                   vocabSize: try int("vocab_size"), specialPrefixCount: try int("special_prefix_count"),
                                   eosTokenIds: (m["eos_token_ids"] as? [NSNumber])?.map(\.intValue) ?? [])
        model = info
        return info
    }

    func vocab() throws -> Int {
        guard let m = model else { throw fail("no model loaded") }
        return m.vocabSize
    }

    func logits(_ f: EngineFrame, rows: Int) throws -> Tensor {
        let v = try vocab()
        guard let t = f.floats("logits"), t.count == rows * v else { throw fail("\(f.kind) reply lacks logits [\(rows), \(v)]") }
        guard t.allSatisfy(\.isFinite) else { throw AMPSError.numerical("engine '\(process.command)': logits contain NaN or infinity") }
        return Tensor(shape: [rows, v], values: t)
    }

    public func prepare(prompt: String, image: Data, imageName: String, spans: [String] = []) throws -> EnginePrompt {
        try prepare(header: ["kind": "prepare", "prompt": prompt, "image_name": imageName, "spans": spans], image: image)
    }

    /// `prepare` with a header made by the caller (e.g. with a STEERING field).
    public func prepare(header: [String: Any], image: Data) throws -> EnginePrompt {
        let r = try process.request(header, tensors: [("image", EngineFrame.blob(bytes: image))], timeout: timeouts.prepare)
        guard let h = (r.header["handle"] as? NSNumber)?.intValue, let ids = r.ints("input_ids"),
              let img = r.ints("image_positions") else { throw fail("prepare reply lacks handle, input_ids or image_positions") }
        let spanPositions = (r.header["span_positions"] as? [[NSNumber]])?.map { $0.map(\.intValue) } ?? []
        guard spanPositions.count == (header["spans"] as? [String])?.count ?? 0 else { throw fail("prepare reply lacks span_positions") }
        let l = try logits(r, rows: 1)
        return EnginePrompt(handle: h, ids: ids, imagePositions: img, spanPositions: spanPositions,
                            logits: Tensor(shape: [l.count], values: (0..<l.count).map { l.data[$0] }))
    }

    /// Whether the engine answers requests of `kind` (its hello lists them; an engine that
    /// lists none is taken to answer only the requests of protocol 1 as first published).
    public func supports(_ kind: String) -> Bool {
        (process.helloReply["requests"] as? [String])?.contains(kind) ?? false
    }

    /// The steered pass of a prepared prompt from its clean pass (`steered_pass`): a new
    /// handle and its last-position logits [V]; the image is not sent again.
    public func steeredPass(handle: Int, steering: [String: Any]) throws -> (handle: Int, logits: Tensor) {
        let r = try process.request(["kind": "steered_pass", "handle": handle, "steering": steering], timeout: timeouts.prepare)
        guard let h = (r.header["handle"] as? NSNumber)?.intValue else { throw fail("steered_pass reply lacks handle") }
        let l = try logits(r, rows: 1)
        return (h, Tensor(shape: [l.count], values: (0..<l.count).map { l.data[$0] }))
    }

    public func uploadVectors(name: String, vectors: [Int: Tensor]) throws {
        let layers = vectors.keys.sorted()
        let blobs = layers.map { l in ("layer.\(l)", EngineFrame.blob((0..<vectors[l]!.count).map { vectors[l]!.data[$0] })) }
        _ = try process.request(["kind": "upload_vectors", "name": name, "layers": layers], tensors: blobs, timeout: timeouts.other)
    }

    static func steeringField(vectors: String, layers: [Int], scales: [Float], lastTokenOf length: Int?) -> [String: Any] {
        var s: [String: Any] = ["vectors": vectors, "layers": layers, "scales": scales.map(Double.init)]
        if let length { s["positions"] = ["positions": [length - 1], "generated": true] }
        return s
    }

    /// Last-position logits [B, V], one row per scale (`logitsWithSteering`).
    public func steer(_ p: EnginePrompt, vectors: String, layers: [Int], scales: [Float], lastTokenOnly: Bool = false) throws -> Tensor {
        let st = EngineClient.steeringField(vectors: vectors, layers: layers, scales: scales, lastTokenOf: lastTokenOnly ? p.ids.count : nil)
        return try steer(handle: p.handle, steering: st, rows: scales.count)
    }

    public func steer(handle: Int, steering: [String: Any], rows: Int) throws -> Tensor {
        let r = try process.request(["kind": "steer", "handle": handle, "steering": steering], timeout: timeouts.batch)
        return try logits(r, rows: rows)
    }

    /// Last-position logits [N, V] under N perturbations drawn on the engine's side
    /// (`logitsWithKVNoise` / `logitsWithResidualNoise` with ModalityContribution's noise).
    public func perturb(_ p: EnginePrompt, layer: Int, target: String, positions: [Int], samples: Int,
                        sigmaScale: Double, seed: UInt64, tags: String) throws -> Tensor {
        try perturb(handle: p.handle, layer: layer, target: target, positions: positions, sigmaPositions: nil, samples: samples,
                    sigmaScale: sigmaScale, seed: seed, tags: tags)
    }

    /// `sigmaPositions`: the positions whose spread gives σ, when not `positions` themselves.
    public func perturb(handle: Int, layer: Int, target: String, positions: [Int], sigmaPositions: [Int]?, samples: Int,
                        sigmaScale: Double, seed: UInt64, tags: String) throws -> Tensor {
        var h: [String: Any] = ["kind": "perturb", "handle": handle, "layer": layer, "target": target, "positions": positions,
                                "samples": samples, "sigma_scale": sigmaScale, "seed": NSNumber(value: seed), "tags": tags]
        if let sigmaPositions { h["sigma_positions"] = sigmaPositions }
        return try logits(try process.request(h, timeout: timeouts.batch), rows: samples)
    }

    /// Logit lens [layers, V] at the last prompt position.
    public func logitLens(_ p: EnginePrompt, layers: [Int]) throws -> Tensor { try logitLens(handle: p.handle, layers: layers) }

    public func logitLens(handle: Int, layers: [Int]) throws -> Tensor {
        try logits(try process.request(["kind": "logit_lens", "handle": handle, "layers": layers], timeout: timeouts.other), rows: layers.count)
    }

    public func generate(_ p: EnginePrompt, maxNewTokens: Int, stopAtEOS: Bool = true) throws -> [Int] {
        try generate(handle: p.handle, maxNewTokens: maxNewTokens, stopAtEOS: stopAtEOS)
    }

    public func generate(handle: Int, maxNewTokens: Int, stopAtEOS: Bool = true, steering: [String: Any]? = nil) throws -> [Int] {
        var h: [String: Any] = ["kind": "generate", "handle": handle, "max_new_tokens": maxNewTokens, "stop_at_eos": stopAtEOS]
        if let steering { h["steering"] = steering }
        let r = try process.request(h, timeout: timeouts.batch)
        guard let t = r.ints("tokens"), t.count <= maxNewTokens, t.allSatisfy({ (0..<(model?.vocabSize ?? Int.max)).contains($0) }) else {
            throw fail("generate reply lacks tokens (or has ids outside the vocabulary)")
        }
        return t
    }

    /// Recorded states of a prepared prompt: `what` = residual (after layer l), layer_input
    /// (entering l), k or v (k_proj / v_proj outputs); positions may count from the end (-1).
    /// Returns layer -> [positions, F].
    public func capture(_ p: EnginePrompt, what: String, layers: [Int], positions: [Int]) throws -> [Int: Tensor] {
        try capture(handle: p.handle, what: what, layers: layers, positions: positions)
    }

    public func capture(handle: Int, what: String, layers: [Int], positions: [Int]) throws -> [Int: Tensor] {
        let r = try process.request(["kind": "capture", "handle": handle, "what": what, "layers": layers, "positions": positions],
                                    timeout: timeouts.other)
        var out: [Int: Tensor] = [:]
        for l in layers {
            guard let t = r.tensor("\(what).\(l)") else { throw fail("capture reply lacks \(what).\(l)") }
            guard t.allFinite else { throw AMPSError.numerical("engine '\(process.command)': captured \(what).\(l) contains NaN or infinity") }
            out[l] = t
        }
        return out
    }

    /// Token ids of each text (no image expansion), as the engine's tokenizer makes them.
    public func tokenize(_ texts: [String], addSpecialTokens: Bool = false) throws -> [[Int]] {
        let r = try process.request(["kind": "tokenize", "texts": texts, "add_special_tokens": addSpecialTokens], timeout: timeouts.other)
        guard let ids = r.ints("ids"), let lengths = (r.header["lengths"] as? [NSNumber])?.map(\.intValue),
              lengths.reduce(0, +) == ids.count else { throw fail("tokenize reply lacks ids or lengths") }
        var out: [[Int]] = [], at = 0
        for n in lengths { out.append(Array(ids[at..<(at + n)])); at += n }
        return out
    }

    /// The vocabulary strings of ids (for showing top tokens).
    public func detokenize(_ ids: [Int]) throws -> [String] {
        let r = try process.request(["kind": "detokenize", "ids": ids], timeout: timeouts.other)
        guard let t = r.header["tokens"] as? [String], t.count == ids.count else { throw fail("detokenize reply lacks tokens") }
        return t
    }

    /// The text of ids as the engine's tokenizer decodes them, special tokens dropped.
    public func decode(_ ids: [Int]) throws -> String {
        let r = try process.request(["kind": "detokenize", "ids": ids], timeout: timeouts.other)
        guard let t = r.header["text"] as? String else { throw fail("detokenize reply lacks text") }
        return t
    }

    public func release(_ p: EnginePrompt) throws {
        _ = try process.request(["kind": "release", "handle": p.handle], timeout: timeouts.other)
    }

    public func shutdown() {
        _ = try? process.request(["kind": "shutdown"], timeout: 10)
        process.close()
    }
}
