/// Assigns ncurses colour pair numbers to (foreground, background) combinations on first
/// use. ncurses has a limited number of pairs (COLOR_PAIRS); pair 0 is the terminal default
/// and cannot be changed, so numbering starts at 1.
struct ColorPairCache {
    struct Key: Hashable {
        var foreground: Int32
        var background: Int32
    }

    /// Highest usable pair number + 1 (that is, COLOR_PAIRS).
    let capacity: Int
    private(set) var pairs: [Key: Int32] = [:]

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var isFull: Bool { pairs.count >= capacity - 1 }

    /// The pair for `key` and whether it is new (the caller must then init_extended_pair it);
    /// nil when all pairs are taken.
    mutating func pair(for key: Key) -> (number: Int32, isNew: Bool)? {
        if key.foreground == -1 && key.background == -1 { return (0, false) }
        if let number = pairs[key] { return (number, false) }
        guard !isFull else { return nil }
        let number = Int32(pairs.count + 1)
        pairs[key] = number
        return (number, true)
    }

    mutating func removeAll() { pairs.removeAll() }
}
