/// A problem in the user's config file, as one line the caller can print:
/// "/home/ana/.config/amps/config, line 3: unknown action 'qiut' (actions: quit, help)".
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    /// 1-based; nil for problems with the file as a whole (cannot be read).
    public var line: Int?
    public var problem: String

    public init(path: String, line: Int?, problem: String) {
        self.path = path
        self.line = line
        self.problem = problem
    }

    /// One line whatever the file holds: its text is escaped and cut (`MessageText`).
    public var description: String {
        if let line { return MessageText.oneLine("\(path), line \(line): \(problem)") }
        return MessageText.oneLine("\(path): \(problem)")
    }
}
