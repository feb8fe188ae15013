/// An option the application adds to the config file's `set` command, beyond the terminal
/// settings. Its value is checked when the file is applied, so a bad value is reported with
/// its file and line like any other error.
public struct ConfigOption: Sendable {
    public var name: String
    /// Completes "expected ..." in the error message, e.g. "a number of milliseconds".
    public var expected: String
    public var isValid: @Sendable (String) -> Bool

    public init(name: String, expected: String, isValid: @escaping @Sendable (String) -> Bool) {
        self.name = name
        self.expected = expected
        self.isValid = isValid
    }
}
