/// Which cells changed between two frames, as runs of adjacent cells on a row, so the
/// backend only sends what changed. ncurses diffs again against the physical screen; this
/// diff saves building and copying the cells that did not change.
enum FrameDiff {
    struct Run: Hashable {
        var y: Int
        var x: Int
        var count: Int
    }

    /// Every cell of `next` is in a run when there is no usable previous frame (none, or a
    /// different size).
    static func changedRuns(from previous: Frame?, to next: Frame) -> [Run] {
        var runs: [Run] = []
        let full = previous == nil || previous!.size != next.size
        for y in 0..<next.height {
            if full {
                if next.width > 0 { runs.append(Run(y: y, x: 0, count: next.width)) }
                continue
            }
            var start: Int?
            for x in 0..<next.width {
                let changed = previous![x, y] != next[x, y]
                if changed, start == nil { start = x }
                if !changed, let s = start {
                    runs.append(Run(y: y, x: s, count: x - s))
                    start = nil
                }
            }
            if let s = start { runs.append(Run(y: y, x: s, count: next.width - s)) }
        }
        return runs
    }
}
