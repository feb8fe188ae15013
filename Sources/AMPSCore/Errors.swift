/// Every error the engine reports to a user: one line naming the input and the problem.
public enum AMPSError: Error, CustomStringConvertible, Equatable {
    case file(String, String)        // path, problem
    case unsupported(String)
    case invalidInput(String)
    case numerical(String)

    public var description: String {
        switch self {
        case let .file(path, problem): return "\(path): \(problem)"
        case let .unsupported(what): return what
        case let .invalidInput(what): return what
        case let .numerical(what): return what
        }
    }
}
