import AMPSCore
import AMPSModel
import Foundation

/// An engine in another process (or on another host) that speaks docs/ENGINE_PROTOCOL.md:
/// `amps-torch-engine`, or any command given with `--engine-command`. Requests go one at a
/// time; a prompt's handle is released on the engine when its last EngineInput / EnginePass
/// is gone (queued, and sent before the next request). Steering vectors are uploaded once per
/// content and then referred to by name. The noise of the MCS is drawn on the engine's side
/// from the request's seed and tags, bit for bit as the Swift engine draws it.
public final class ProtocolEngine: ModelEngine, @unchecked Sendable {
    public let client: EngineClient
    public let info: EngineModelInfo
    public let folder: String
    public var name: String { info.name }
    public var layerCount: Int { info.layers }
    public var hiddenSize: Int { info.hiddenSize }
    public var kvDim: Int { info.kvDim }
    public var vocabSize: Int { info.vocabSize }
    public var imageMarker: String { "<image>" }
    public var engineName: String { client.process.command }

    /// One request at a time.
    private let lock = NSLock()
    /// The release queue and the token cache: a handle may be dropped on any thread, even
    /// inside a request on this one, so queueing never waits for `lock`.
    private let stateLock = NSLock()
    private var releases: [Int] = []
    private var uploaded: [VectorKey: String] = [:]
    private var slots: [String] = []
    private var nextSlot = 0
    private var tokenCache: [String: [Int]] = [:]
    /// Vector sets kept on the engine at once (the oldest name is reused after).
    static let vectorSlots = 32

    /// Starts `command`, checks its protocol version and loads the checkpoint at `path` (a
    /// path where the engine runs).
    public init(command: String, modelPath: String, dtype: String = "auto", device: String = "auto") throws {
        client = try EngineClient(command: command)
        do { info = try client.loadModel(path: modelPath, dtype: dtype, device: device) }
        catch { client.shutdown(); throw error }
        folder = modelPath
    }

    deinit { client.shutdown() }

    public func shutdown() { lock.lock(); client.shutdown(); lock.unlock() }

    /// Which engine computes, where and how, for the screen: "amps-torch-engine cuda:0
    /// bfloat16" (the hello's engine name, the model's device and dtype).
    public var label: String {
        "\(client.process.helloReply["engine"] as? String ?? "engine") \(info.device) \(info.dtype)"
    }

    /// Whether the engine process is gone (died, was killed, or sent garbage).
    public var isLost: Bool { client.process.isDead }

    /// One request at a time; the handles released since the last request go first.
    private func serially<T>(_ body: () throws -> T) throws -> T {
        lock.lock(); defer { lock.unlock() }
        while let h = stateLock.withLock({ releases.popLast() }) {
            _ = try client.process.request(["kind": "release", "handle": h], timeout: client.timeouts.other)
        }
        return try body()
    }

    fileprivate func queueRelease(_ handle: Int) {
        stateLock.withLock { releases.append(handle) }
    }

    // MARK: prompts

    public func prepare(prompt: String, imagePath: String, spans: [String]) throws -> EngineInput {
        let source = RemotePrompt(prompt: prompt, image: Data(try RGBImage.fileBytes(path: imagePath)), imageName: imagePath, spans: spans)
        let (handle, p) = try prepared(source, steering: nil)
        return EngineInput(ids: p.ids, imagePositions: p.imagePositions, spanPositions: p.spanPositions,
                           backing: RemoteInput(source: source, clean: handle, logits: p.logits))
    }

    private func prepared(_ s: RemotePrompt, steering: Steering?) throws -> (RemoteHandle, EnginePrompt) {
        try serially {
            var header: [String: Any] = ["kind": "prepare", "prompt": s.prompt, "image_name": s.imageName, "spans": s.spans]
            if let steering { header["steering"] = try steeringField(steering) }
            let p = try client.prepare(header: header, image: s.image)
            return (RemoteHandle(p.handle, engine: self), p)
        }
    }

    public func tokenize(_ text: String) throws -> [Int] {
        if let c = (stateLock.withLock { tokenCache[text] }) { return c }
        let ids = try serially { try client.tokenize([text]) }[0]
        stateLock.withLock { if tokenCache.count > 4096 { tokenCache.removeAll() }; tokenCache[text] = ids }
        return ids
    }

    public func decode(_ ids: [Int]) throws -> String { ids.isEmpty ? "" : try serially { try client.decode(ids) } }
    public func tokenNames(_ ids: [Int]) throws -> [String] { ids.isEmpty ? [] : try serially { try client.detokenize(ids) } }

    // MARK: passes

    private func remote(_ input: EngineInput) throws -> RemoteInput {
        guard let r = input.backing as? RemoteInput else { throw client.fail("was given a prompt prepared by another engine") }
        return r
    }

    private func handle(_ pass: EnginePass) throws -> RemoteHandle {
        guard let h = pass.backing as? RemoteHandle else { throw client.fail("was given a pass of another engine") }
        return h
    }

    public func run(_ input: EngineInput, steering: Steering?) throws -> EnginePass {
        let r = try remote(input)
        guard let steering else { return EnginePass(input: input, logits: r.logits, steering: nil, backing: r.clean) }
        if steering.scales.count == 1 && client.supports("steered_pass") {
            // Recorded from the clean pass on the engine, from the first steered layer up.
            let (id, logits) = try serially { try client.steeredPass(handle: r.clean.id, steering: try steeringField(steering)) }
            return EnginePass(input: input, logits: logits, steering: steering, backing: RemoteHandle(id, engine: self))
        }
        // An engine without steered_pass records it from the prompt (the image is sent again).
        let (h, p) = try prepared(r.source, steering: steering)
        return EnginePass(input: input, logits: p.logits, steering: steering, backing: h)
    }

    /// The engine keeps every prompt's clean pass, so this is `run(_:steering:)`: the steered
    /// pass starts from it on the engine's side.
    public func run(_ input: EngineInput, steering: Steering, resumingFrom clean: EnginePass) throws -> EnginePass {
        try run(input, steering: steering)
    }

    public func lastLogits(_ input: EngineInput, steering: Steering?) throws -> Tensor {
        try run(input, steering: steering).logits
    }

    public func logitsWithSteering(_ pass: EnginePass, steering: Steering, batch: Int) throws -> Tensor {
        let h = try handle(pass)
        let scales = steering.scales.count == 1 && batch > 1 ? [Float](repeating: steering.scales[0], count: batch) : steering.scales
        var st = steering
        st.scales = scales
        return try serially {
            try client.steer(handle: h.id, steering: try steeringField(st), rows: scales.count)
        }
    }

    public func perturbedLogits(_ pass: EnginePass, _ r: PerturbationRequest) throws -> Tensor {
        let h = try handle(pass)
        return try serially {
            try client.perturb(handle: h.id, layer: r.layer, target: r.target.rawValue, positions: r.positions,
                               sigmaPositions: r.sigmaPositions == r.positions ? nil : r.sigmaPositions, samples: r.samples,
                               sigmaScale: r.sigmaScale, seed: r.seed, tags: r.tags)
        }
    }

    public func residuals(_ pass: EnginePass, layers: [Int], position: Int) throws -> [Int: [Float]] {
        let h = try handle(pass)
        let c = try serially { try client.capture(handle: h.id, what: "residual", layers: layers, positions: [position]) }
        var out: [Int: [Float]] = [:]
        for (l, t) in c {
            guard t.count == hiddenSize else { throw client.fail("capture reply for layer \(l) is not [1, \(hiddenSize)]") }
            out[l] = t.array
        }
        return out
    }

    public func logitLens(_ pass: EnginePass, layer: Int) throws -> Tensor {
        let h = try handle(pass)
        let t = try serially { try client.logitLens(handle: h.id, layers: [layer]) }
        return Tensor(shape: [vocabSize], values: t.array)
    }

    public func generate(_ input: EngineInput, maxNewTokens: Int, steering: Steering?) throws -> [Int] {
        let r = try remote(input)
        return try serially {
            try client.generate(handle: r.clean.id, maxNewTokens: maxNewTokens, steering: try steering.map(steeringField))
        }
    }

    public func resumedBatchBytes(_ pass: EnginePass, fromLayer: Int, firstPosition: Int, batch: Int) -> Double? { nil }

    // MARK: steering vectors by name

    private struct VectorKey: Hashable {
        let layers: [Int]
        let digest: [UInt64]
    }

    /// The STEERING field of a request; its vectors uploaded under a name first when this
    /// content has not been (called inside `serially`).
    private func steeringField(_ s: Steering) throws -> [String: Any] {
        let layers = s.vectors.keys.sorted()
        var d1: UInt64 = 0xCBF2_9CE4_8422_2325, d2: UInt64 = 0x8422_2325_CBF2_9CE4
        for l in layers {
            let v = s.vectors[l]!
            d1 = (d1 ^ UInt64(l)) &* 0x0000_0100_0000_01B3
            for i in 0..<v.count {
                let b = UInt64(v.data[i].bitPattern)
                d1 = (d1 ^ b) &* 0x0000_0100_0000_01B3
                d2 = (d2 &+ b &* 0x9E37_79B9_7F4A_7C15) ^ (d2 >> 29)
            }
        }
        let key = VectorKey(layers: layers, digest: [d1, d2, UInt64(s.vectors.values.first?.count ?? 0)])
        let name: String
        if let n = uploaded[key] {
            name = n
        } else {
            name = "v\(nextSlot % ProtocolEngine.vectorSlots)"
            nextSlot += 1
            if let old = uploaded.first(where: { $0.value == name })?.key { uploaded[old] = nil }
            try client.uploadVectors(name: name, vectors: s.vectors)
            uploaded[key] = name
        }
        var field: [String: Any] = ["vectors": name, "layers": layers, "scales": s.scales.map(Double.init)]
        switch s.positions {
        case .all: field["positions"] = "all"
        case let .positions(set, generated): field["positions"] = ["positions": set.sorted(), "generated": generated]
        }
        return field
    }
}

/// What a remote prompt was made from (to record it again under steering).
struct RemotePrompt {
    let prompt: String, image: Data, imageName: String, spans: [String]
}

final class RemoteInput: @unchecked Sendable {
    let source: RemotePrompt
    let clean: RemoteHandle
    let logits: Tensor
    init(source: RemotePrompt, clean: RemoteHandle, logits: Tensor) { self.source = source; self.clean = clean; self.logits = logits }
}

/// A handle on the engine, released there when the last reference goes.
final class RemoteHandle: @unchecked Sendable {
    let id: Int
    weak var engine: ProtocolEngine?
    init(_ id: Int, engine: ProtocolEngine) { self.id = id; self.engine = engine }
    deinit { engine?.queueRelease(id) }
}
