import CNcurses
#if canImport(Glibc)
import Glibc
#endif

/// Whether the terminal named by TERM can show a full-screen UI: it must be known to the
/// terminfo database and move the cursor to any cell (`cup`). Checked before curses
/// starts: on `TERM=dumb` ncurses drew a garbled screen line by line and exited 0.
public enum TerminalCapabilityCheck {
    /// The exit status when the check fails (2, as for a missing terminal).
    public static let exitStatus: Int32 = 2

    /// nil when the terminal can run the UI; otherwise a one-line message naming TERM.
    public static func failureMessage(program: String = "amps", term: String? = getenv("TERM").map { String(cString: $0) }) -> String? {
        guard let term, !term.isEmpty else {
            return "\(program): the interactive inspector needs a terminal type, but TERM is not set"
        }
        let shown = term.count > 40 ? String(term.prefix(40)) + "…" : term
        let safe = String(shown.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        var status: Int32 = 0
        // Reads the terminfo entry only; the screen is not touched (fd 1 is merely recorded).
        guard setupterm(term, 1, &status) == amps_ok() else {
            return status == 0
                ? "\(program): TERM=\(safe) is not in the terminfo database; the interactive inspector needs a terminal it knows (e.g. TERM=xterm-256color)"
                : "\(program): the terminfo database cannot be read for TERM=\(safe)"
        }
        let cup = tigetstr("cup")
        // tigetstr returns (char *)-1 for a name that is not a string capability, NULL when absent.
        guard let cup, Int(bitPattern: cup) != -1, cup.pointee != 0, tigetflag("hc") <= 0 else {
            return "\(program): TERM=\(safe) cannot move the cursor (no cursor addressing); the interactive inspector needs a full-screen terminal"
        }
        return nil
    }
}
