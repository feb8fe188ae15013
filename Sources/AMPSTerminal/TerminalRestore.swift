import CNcurses
#if canImport(Glibc)
import Glibc
#endif

/// Process-wide safety net that gives the terminal back (leaves curses mode) when the
/// process ends without `NcursesTerminal.shutdown()`: on exit(), on SIGINT/SIGTERM/SIGHUP
/// (then exits with 128+signo, the shell convention) and on crashes (then lets the previous
/// handler — the Swift backtracer or the default core dump — proceed).
///
/// Signal-safety: the handlers only read a flag, call endwin() and sigaction/raise/_exit.
/// endwin() is not formally async-signal-safe, but it only writes the terminal reset
/// sequences and restores termios; every full-screen program does this (ncurses' own
/// handlers included) because the alternative is leaving the user's shell unusable.
enum TerminalRestore {
    /// Whether curses mode is on (set by the backend on the UI thread; read by handlers).
    nonisolated(unsafe) static var isActive = false
    nonisolated(unsafe) private static var isInstalled = false

    static let exitSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    static let crashSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]

    /// Installs the handlers once per process. Call from the UI thread.
    static func install() {
        guard !isInstalled else { return }
        isInstalled = true
        atexit { TerminalRestore.restore() }
        for signo in exitSignals {
            setHandler(signo) { signo in
                TerminalRestore.restore()
                _exit(128 + signo)
            }
        }
        for signo in crashSignals {
            let previous = currentAction(signo)
            previousCrashActions[Int(signo)] = previous
            setHandler(signo) { signo in
                TerminalRestore.restore()
                // Put back whoever handled this before us and re-deliver: the signal is
                // blocked while we run, so it fires again as soon as we return.
                if var previous = TerminalRestore.previousCrashActions[Int(signo)] {
                    sigaction(signo, &previous, nil)
                } else {
                    signal(signo, SIG_DFL)
                }
                raise(signo)
            }
        }
    }

    /// Indexed by signal number; filled before the handlers are installed, read-only after.
    nonisolated(unsafe) private static var previousCrashActions: [sigaction?] = Array(repeating: nil, count: 65)

    static func restore() {
        guard isActive else { return }
        isActive = false
        endwin()
    }

    private static func currentAction(_ signo: Int32) -> sigaction {
        var action = sigaction()
        sigaction(signo, nil, &action)
        return action
    }

    private static func setHandler(_ signo: Int32, _ handler: @convention(c) (Int32) -> Void) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(signo, &action, nil)
    }
}
