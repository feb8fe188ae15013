/// Compares expected and actual snapshot text and explains the difference line by line.
///
/// Lives in the library (not a test target) so every test target can write a thin
/// `assertSnapshot` around it; reading and recording snapshot files stays in the tests.
public enum SnapshotComparison {
    public enum DiffLine: Hashable, Sendable {
        case same(String)
        case removed(String)
        case added(String)
    }

    /// nil when the texts match (ignoring one trailing newline on either side, which editors
    /// add to files); otherwise a readable report: "-" lines are expected, "+" lines actual.
    public static func difference(expected: String, actual: String, name: String = "snapshot") -> String? {
        let expectedLines = lines(of: expected)
        let actualLines = lines(of: actual)
        guard expectedLines != actualLines else { return nil }
        let diff = lineDiff(expected: expectedLines, actual: actualLines)
        var report = ["\(name) differs (- expected, + actual):"]
        // Keep two lines of context around each change, elide the rest.
        let changed = diff.indices.filter { if case .same = diff[$0] { return false } else { return true } }
        var lastPrinted = -1
        for (i, line) in diff.enumerated() {
            let nearChange = changed.contains { abs($0 - i) <= 2 }
            guard nearChange else { continue }
            if lastPrinted >= 0, i > lastPrinted + 1 { report.append("  ...") }
            switch line {
            case .same(let text): report.append("  " + text)
            case .removed(let text): report.append("- " + text)
            case .added(let text): report.append("+ " + text)
            }
            lastPrinted = i
        }
        return report.joined(separator: "\n")
    }

    /// Longest-common-subsequence line diff. Quadratic, which is fine for screen-sized text.
    public static func lineDiff(expected: [String], actual: [String]) -> [DiffLine] {
        let n = expected.count, m = actual.count
        // lcs[i][j] = LCS length of expected[i...] and actual[j...]
        var lcs = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i][j] = expected[i] == actual[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var result: [DiffLine] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, expected[i] == actual[j] {
                result.append(.same(expected[i]))
                i += 1
                j += 1
            } else if j < m, i == n || lcs[i][j + 1] >= lcs[i + 1][j] {
                result.append(.added(actual[j]))
                j += 1
            } else {
                result.append(.removed(expected[i]))
                i += 1
            }
        }
        // Show removals before additions within a changed block; it reads like a replacement.
        return reorderedChanges(result)
    }

    private static func reorderedChanges(_ diff: [DiffLine]) -> [DiffLine] {
        var result: [DiffLine] = []
        var removed: [DiffLine] = [], added: [DiffLine] = []
        func flush() {
            result.append(contentsOf: removed)
            result.append(contentsOf: added)
            removed.removeAll()
            added.removeAll()
        }
        for line in diff {
            switch line {
            case .same: flush(); result.append(line)
            case .removed: removed.append(line)
            case .added: added.append(line)
            }
        }
        flush()
        return result
    }

    private static func lines(of text: String) -> [String] {
        var text = text
        if text.last?.isNewline == true { text.removeLast() }
        return text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
    }
}
