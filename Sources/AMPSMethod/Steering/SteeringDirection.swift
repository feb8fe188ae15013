import AMPSCore
import Foundation

/// Which modality steering pushes toward. Toward text the steering vectors (and the
/// per-instance targets) are negated; the AMPS rule reads the text share 1 - MCR in place
/// of MCR, so gamma_i = beta ((1 - MCR_i) - (1 - r_anchor)) = -beta (MCR_i - r_anchor).
public enum SteeringDirection: String, Sendable, CaseIterable, Codable {
    case vision, text

    /// Multiplies the steering scale.
    public var sign: Double { self == .vision ? 1 : -1 }

    public static func parse(_ s: String, option: String = "--toward") throws -> [SteeringDirection] {
        if s == "both" { return allCases }
        guard let d = SteeringDirection(rawValue: s) else {
            throw AMPSError.invalidInput("\(option) must be vision, text or both (got '\(s)')")
        }
        return [d]
    }
}

extension AMPSScaling {
    /// The rule's factor when steering toward `direction` (text: the text share's deviation).
    public func factor(mcr: Double, toward direction: SteeringDirection) -> Double {
        direction == .vision ? factor(mcr: mcr) : max(0, 1 - beta * (mcr - anchor))
    }
}
