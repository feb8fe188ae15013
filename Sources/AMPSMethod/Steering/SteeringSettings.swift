import AMPSCore
import Foundation

/// How the steering strength for an instance is chosen.
public enum SteeringMode: String, Sendable, CaseIterable {
    case none       // no steering
    case uniform    // alpha for every input
    case amps       // alpha * (1 + gamma_i), gamma_i = beta (MCR_i - r_anchor)
    case learned    // alpha * the learned scaler's prediction (amps-scalar)
    case l2s        // alpha * g(h), the L2S network's per-instance vectors
    case ampsLearned = "amps-learned"  // alpha * g(h), the learned AMPS module

    /// The modes whose vectors come from a steering network instead of u_l.
    public var usesNetwork: Bool { self == .l2s || self == .ampsLearned }
}

/// Steering as a user sets it: mode, global strength, layer window, positions.
public struct SteeringSettings: Sendable, Equatable {
    public var mode: SteeringMode = .uniform
    public var alpha: Double = 0
    public var window: ClosedRange<Int>
    public var lastTokenOnly = false

    public init(mode: SteeringMode = .uniform, alpha: Double = 0, window: ClosedRange<Int>, lastTokenOnly: Bool = false) {
        self.mode = mode; self.alpha = alpha; self.window = window; self.lastTokenOnly = lastTokenOnly
    }

    public func validate(layers: Int) throws {
        try RequestLimits.checkAlpha(alpha, "alpha")
        guard window.lowerBound >= 0, window.upperBound < layers else {
            throw AMPSError.invalidInput("steering window \(window.lowerBound)-\(window.upperBound) is outside the model's layers 0-\(layers - 1)")
        }
    }

    /// The default window: the middle-to-late third of the decoder, where MC² finds the
    /// preference emerging.
    public static func defaultWindow(layers: Int) -> ClosedRange<Int> {
        let lo = max(0, layers / 2 - 1), hi = max(lo, min(layers - 1, lo + max(1, layers / 4)))
        return lo...hi
    }
}

/// The AMPS scaling rule: factor_i = max(0, 1 + beta (MCR_i - anchor)).
public struct AMPSScaling: Sendable, Equatable {
    public var beta: Double
    public var anchor: Double
    public init(beta: Double, anchor: Double) { self.beta = beta; self.anchor = anchor }
    public func factor(mcr: Double) -> Double { max(0, 1 + beta * (mcr - anchor)) }
}
