import AMPSCore

/// Which token positions a hook touches. Positions are absolute (0 = first prompt token);
/// positions at or past `DecoderHooks.promptLength` are generated tokens.
public enum PositionFilter: Sendable, Equatable {
    /// every prompt position and every generated token
    case all
    /// the listed prompt positions, and every generated token when `generated` is set
    case positions(Set<Int>, generated: Bool)

    func contains(_ position: Int, promptLength: Int) -> Bool {
        switch self {
        case .all: return true
        case let .positions(set, generated): return position >= promptLength ? generated : set.contains(position)
        }
    }
}

/// Adds `scale[b] * vector[l]` to the residual output of decoder layer l, for each l in
/// `vectors`, at the chosen positions. One scale per batch element, so a whole grid of
/// steering strengths runs as one batched pass.
public struct Steering: @unchecked Sendable {
    public var vectors: [Int: Tensor]   // layer -> [D]
    public var scales: [Float]          // [B] (a single value broadcasts)
    public var positions: PositionFilter

    public init(vectors: [Int: Tensor], scales: [Float], positions: PositionFilter = .all) {
        self.vectors = vectors; self.scales = scales; self.positions = positions
    }

    func scale(for batch: Int) -> Float { scales.count == 1 ? scales[0] : scales[batch] }
}

/// Caller-supplied noise added to K and V of one layer — to the outputs of k_proj and
/// v_proj, so K is perturbed before the rotary embedding turns it into the cached key.
/// Batch element b gets noise sample b.
public struct KVNoise: @unchecked Sendable {
    public var layer: Int
    public var positions: [Int]   // P absolute prompt positions
    public var k: Tensor?         // [B, P, kvHeads*headDim]
    public var v: Tensor?         // [B, P, kvHeads*headDim]

    public init(layer: Int, positions: [Int], k: Tensor?, v: Tensor?) {
        self.layer = layer; self.positions = positions; self.k = k; self.v = v
    }
}

/// Caller-supplied noise added to the residual stream entering one decoder layer.
public struct ResidualNoise: @unchecked Sendable {
    public var layer: Int
    public var positions: [Int]   // P absolute prompt positions
    public var noise: Tensor      // [B, P, D]

    public init(layer: Int, positions: [Int], noise: Tensor) {
        self.layer = layer; self.positions = positions; self.noise = noise
    }
}

/// Everything a forward pass may do besides computing: add steering, add noise, and
/// record internal states.
public struct DecoderHooks: @unchecked Sendable {
    public var promptLength: Int = .max
    public var steering: Steering?
    public var kvNoise: KVNoise?
    public var residualNoise: ResidualNoise?
    /// Record the residual stream after these layers (`captured.residual[l]`: [B, S, D]).
    public var captureResidual: Set<Int> = []
    /// Record k_proj / v_proj outputs (before RoPE) of these layers ([B, S, kvDim]).
    public var captureKV: Set<Int> = []
    /// Every batch element enters the first layer of the call with the same rows (copies
    /// of one clean pass, no residual noise): that layer's RMSNorm and Q/K/V products run
    /// once and are copied, before the K/V noise makes the elements differ.
    public var identicalInputs = false

    public init() {}

    /// The hooks of batch elements `range` (their steering scales and noise samples).
    func slice(batch range: Range<Int>) -> DecoderHooks {
        var h = self
        if let st = steering, st.scales.count > 1 { h.steering!.scales = Array(st.scales[range]) }
        if let kn = kvNoise {
            h.kvNoise!.k = kn.k?.slice(first: range)
            h.kvNoise!.v = kn.v?.slice(first: range)
        }
        if let rn = residualNoise { h.residualNoise!.noise = rn.noise.slice(first: range) }
        return h
    }
}

/// States recorded by a forward pass (rows are the new tokens of that pass).
public final class CapturedStates: @unchecked Sendable {
    public var residual: [Int: Tensor] = [:]
    public var keys: [Int: Tensor] = [:]
    public var values: [Int: Tensor] = [:]
    public init() {}
}
