import Foundation

/// Counts of answer classes, and the ratios the MC² evaluation reports.
public struct AnswerTally: Sendable, Equatable, Codable {
    public var vision = 0
    public var text = 0
    public var other = 0
    public init() {}

    public mutating func add(_ c: AnswerClass) {
        switch c { case .vision: vision += 1; case .text: text += 1; case .other: other += 1 }
    }

    public var total: Int { vision + text + other }
    /// vision / (vision + text); nil when no answer picked either option.
    public var visionRatio: Double? { vision + text > 0 ? Double(vision) / Double(vision + text) : nil }
    public var textRatio: Double? { visionRatio.map { 1 - $0 } }
    public var collapseRate: Double? { total > 0 ? Double(other) / Double(total) : nil }
    /// For non-conflict probes "vision" is the correct option.
    public var accuracy: Double? { total > 0 ? Double(vision) / Double(total) : nil }
}
