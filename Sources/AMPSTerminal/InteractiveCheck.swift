#if canImport(Glibc)
import Glibc
#endif

/// Whether the process can run a full-screen UI: both standard input and output must be
/// terminals. Callers check before creating the backend and exit with `exitStatus` and
/// the message otherwise, rather than let ncurses fail obscurely or garble a pipe.
public enum InteractiveCheck {
    /// The exit status to use when the check fails (2: usage/environment error).
    public static let exitStatus: Int32 = 2

    /// nil when the UI can run; otherwise a one-line message naming what is not a terminal.
    public static func failureMessage(program: String = "amps") -> String? {
        failureMessage(program: program, stdinIsTerminal: isatty(0) == 1, stdoutIsTerminal: isatty(1) == 1)
    }

    public static func failureMessage(program: String, stdinIsTerminal: Bool, stdoutIsTerminal: Bool) -> String? {
        let missing: String
        switch (stdinIsTerminal, stdoutIsTerminal) {
        case (true, true): return nil
        case (false, true): missing = "standard input is not a terminal"
        case (true, false): missing = "standard output is not a terminal"
        case (false, false): missing = "standard input and output are not terminals"
        }
        return "\(program): the interactive inspector needs a terminal, but \(missing) (redirected or piped?)"
    }
}
