import Foundation

/// One item (an instance) as a method answered it in each option order it was asked in:
/// the unit the generation errors are counted over, since a letter collapse shows only
/// when the two orders are read together.
public struct ItemAnswers: Sendable, Equatable {
    public var isConflict: Bool
    public var answers: [OptionOrder: AnswerClass]

    public init(isConflict: Bool, answers: [OptionOrder: AnswerClass] = [:]) {
        self.isConflict = isConflict; self.answers = answers
    }

    /// The option letter (0 = A, 1 = B) an answer class stands for in an order; nil for other.
    public static func letter(_ c: AnswerClass, order: OptionOrder) -> Int? {
        switch (c, order) {
        case (.vision, .visionFirst), (.text, .textFirst): return 0
        case (.text, .visionFirst), (.vision, .textFirst): return 1
        case (.other, _): return nil
        }
    }

    /// (a) Some order's answer is neither option.
    public var hasOther: Bool { answers.values.contains(.other) }

    /// (b) A conflict item answered with the same letter in both orders: its two answers
    /// name different modalities, so neither reflects a preference. Nil when the item was
    /// not asked in both orders (the collapse cannot be seen).
    public var letterCollapse: Bool? {
        guard let v = answers[.visionFirst], let t = answers[.textFirst] else { return nil }
        guard isConflict, let lv = ItemAnswers.letter(v, order: .visionFirst), let lt = ItemAnswers.letter(t, order: .textFirst) else { return false }
        return lv == lt
    }

    /// (c) A non-conflict item (vision = the correct option) answered wrongly in some order.
    public var nonConflictError: Bool { !isConflict && answers.values.contains { $0 != .vision } }

    /// Any of (a), (b), (c).
    public var isError: Bool { hasOther || letterCollapse == true || nonConflictError }
}

/// The generation errors of one method over a split, counted per item. Rates are
/// fractions 0-1, nil where their denominator is empty (see docs/METHOD.md):
///   other_rate            = items with an "other" answer in some order / items
///   letter_collapse_rate  = conflict items with the same letter in both orders / conflict items asked in both orders
///   accuracy_non_conflict = non-conflict probes answered correctly / non-conflict probes
///   error_rate            = items with any error (other; letter collapse; a wrong non-conflict answer) / items
public struct GenerationErrors: Sendable, Equatable, Codable {
    public var items = 0
    public var conflictItems = 0
    public var conflictItemsBothOrders = 0
    public var nonConflictItems = 0
    public var otherItems = 0
    public var letterCollapseItems = 0
    public var nonConflictProbes = 0
    public var nonConflictCorrectProbes = 0
    public var errorItems = 0

    public init() {}

    public mutating func add(_ item: ItemAnswers) {
        guard !item.answers.isEmpty else { return }
        items += 1
        if item.isConflict {
            conflictItems += 1
            if let c = item.letterCollapse { conflictItemsBothOrders += 1; if c { letterCollapseItems += 1 } }
        } else {
            nonConflictItems += 1
            nonConflictProbes += item.answers.count
            nonConflictCorrectProbes += item.answers.values.filter { $0 == .vision }.count
        }
        if item.hasOther { otherItems += 1 }
        if item.isError { errorItems += 1 }
    }

    static func share(_ n: Int, _ d: Int) -> Double? { d > 0 ? Double(n) / Double(d) : nil }
    public var otherRate: Double? { Self.share(otherItems, items) }
    public var letterCollapseRate: Double? { Self.share(letterCollapseItems, conflictItemsBothOrders) }
    public var accuracyNonConflict: Double? { Self.share(nonConflictCorrectProbes, nonConflictProbes) }
    public var errorRate: Double? { Self.share(errorItems, items) }
}
