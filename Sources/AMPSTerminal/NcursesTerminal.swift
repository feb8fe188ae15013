import CNcurses
#if canImport(Glibc)
import Glibc
#endif

/// The real terminal, through ncurses: shows `Frame`s and reads `Key`s.
///
/// Threading: ncurses is not thread-safe. Create, use and shut down this object on one
/// thread only (the UI thread); other threads (e.g. the engine) hand data to the UI thread,
/// which draws. Only one instance may be live at a time (ncurses has one current screen).
///
/// Typical loop:
///
///     if let problem = InteractiveCheck.failureMessage() { print(problem); exit(InteractiveCheck.exitStatus) }
///     let terminal = try NcursesTerminal(settings: config.settings, environment: ProcessEnvironment.current())
///     defer { terminal.shutdown() }
///     while running {
///         var frame = Frame(size: terminal.size)
///         /* draw widgets with terminal.renderContext */
///         terminal.draw(frame)
///         if let key = terminal.readKey(timeoutMilliseconds: 50) { ... }
///     }
public final class NcursesTerminal {
    /// Where the terminal is. `.standard` is the process's stdin/stdout; `.streams` lets
    /// tests run the backend on a pseudo-terminal.
    public enum Device {
        case standard
        case streams(input: UnsafeMutablePointer<FILE>, output: UnsafeMutablePointer<FILE>, terminalType: String?)
    }

    /// The colour mode frames are shown in: the requested mode, capped by what ncurses can
    /// emit for this terminal (truecolor needs a direct-colour terminfo entry; otherwise
    /// RGB is shown as the nearest of 256 colours).
    public let colorMode: ColorMode
    public let glyphs: GlyphSet
    public let mouseEnabled: Bool
    /// ncurses COLORS.
    public let terminalColors: Int

    private var colorNumbers: CursesColorNumbers
    private var pairCache: ColorPairCache
    private var previousFrame: Frame?
    private var screen: OpaquePointer?
    private var isShutDown = false

    /// Enters full-screen mode. Throws when the terminal cannot be initialised (unknown
    /// TERM, not a terminal).
    public init(settings: TerminalSettings = TerminalSettings(), environment: [String: String],
                device: Device = .standard, escapeDelayMilliseconds: Int32 = 25) throws(TerminalError) {
        // Wide characters need the user's locale; ncurses reads it at initialisation.
        setlocale(LC_ALL, "")
        TerminalRestore.install()
        switch device {
        case .standard:
            screen = newterm(nil, stdout, stdin)
        case .streams(let input, let output, let terminalType):
            screen = terminalType.map { newterm($0, output, input) } ?? newterm(nil, output, input)
        }
        guard screen != nil else {
            let term = environment["TERM"] ?? "(unset)"
            throw TerminalError("cannot initialise the terminal (TERM=\(term)); is TERM set to a known terminal type?")
        }
        TerminalRestore.isActive = true

        raw()                 // Ctrl-C, Ctrl-Z arrive as keys: the key map decides what they do
        noecho()
        nonl()                // Enter arrives as CR; no output translation
        keypad(amps_stdscr(), true)
        set_escdelay(escapeDelayMilliseconds)   // a lone Esc should feel immediate
        curs_set(0)
        leaveok(amps_stdscr(), true)

        // The colour count comes from terminfo; colour is only started when it will be used,
        // so in `.none` mode (NO_COLOR) ncurses emits no colour sequences at all.
        let colors = has_colors() ? Int(max(0, tigetnum("colors"))) : 0
        let cursesMode: ColorMode = colors >= 1 << 24 ? .truecolor : colors >= 256 ? .ansi256 : colors >= 8 ? .ansi16 : .none
        terminalColors = colors
        colorMode = min(settings.resolvedColorMode(environment: environment, terminalColors: colors), cursesMode)
        var hasDefaultColors = false
        if colorMode != .none {
            start_color()
            hasDefaultColors = use_default_colors() == amps_ok()
        }
        glyphs = settings.resolvedGlyphs(environment: environment)
        colorNumbers = CursesColorNumbers(colors: terminalColors, hasDefaultColors: hasDefaultColors)
        pairCache = ColorPairCache(capacity: colorMode != .none ? Int(amps_color_pairs()) : 1)

        mouseEnabled = settings.mouse
        if settings.mouse {
            mousemask(amps_all_mouse_events(), nil)
            mouseinterval(0)  // report presses at once instead of waiting to detect clicks
        }
    }

    deinit { shutdown() }

    /// Widgets draw with this: the terminal's colour mode and glyphs, the standard theme.
    public var renderContext: RenderContext { RenderContext(colorMode: colorMode, glyphs: glyphs) }

    /// Current size in cells (changes after a `.resize` key).
    public var size: Size {
        Size(width: Int(amps_getmaxx(amps_stdscr())), height: Int(amps_getmaxy(amps_stdscr())))
    }

    /// Shows `frame`, sending only cells that differ from the last frame shown. A frame of a
    /// different size than the screen is clipped or leaves the rest unchanged.
    public func draw(_ frame: Frame) {
        guard !isShutDown else { return }
        let shown = frame.converted(to: colorMode)
        // New pairs may redefine numbers still on screen; starting over with a full repaint
        // keeps the screen consistent.
        if pairCache.isFull {
            pairCache.removeAll()
            previousFrame = nil
        }
        if previousFrame == nil || previousFrame!.size != shown.size {
            werase(amps_stdscr())
        }
        let screenSize = size
        var cell = cchar_t()
        for run in FrameDiff.changedRuns(from: previousFrame, to: shown) where run.y < screenSize.height {
            for x in run.x..<min(run.x + run.count, screenSize.width) {
                encode(shown[x, run.y], into: &cell)
                mvwadd_wch(amps_stdscr(), Int32(run.y), Int32(x), &cell)
            }
        }
        wnoutrefresh(amps_stdscr())
        doupdate()
        previousFrame = shown
    }

    /// Forgets what is on screen so the next `draw` repaints everything (for Ctrl-L, or
    /// after something else wrote to the terminal).
    public func invalidate() {
        previousFrame = nil
        clearok(amps_stdscr(), true)
    }

    /// Waits up to `timeoutMilliseconds` (negative: forever, 0: just poll) for input. nil on
    /// timeout or for input that maps to no key. A `.resize` also makes the next draw
    /// repaint fully.
    public func readKey(timeoutMilliseconds: Int) -> Key? {
        guard !isShutDown else { return nil }
        wtimeout(amps_stdscr(), Int32(clamping: timeoutMilliseconds))
        var code: wint_t = 0
        let status = wget_wch(amps_stdscr(), &code)
        if status == amps_err() { return nil }
        if status == amps_key_code_yes() {
            let keyCode = Int32(bitPattern: code)
            if keyCode == amps_key_mouse() {
                var event = MEVENT()
                guard getmouse(&event) == amps_ok() else { return nil }
                return CursesKeyTranslator.translate(mouseState: event.bstate, x: event.x, y: event.y)
            }
            let key = CursesKeyTranslator.translate(keyCode: keyCode)
            if key == .resize { invalidate() }
            return key
        }
        return CursesKeyTranslator.translate(character: UInt32(code))
    }

    /// Leaves full-screen mode and restores the terminal. Safe to call more than once; the
    /// object is unusable afterwards.
    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        if mouseEnabled { mousemask(0, nil) }
        curs_set(1)
        TerminalRestore.restore()
    }

    private func encode(_ cell: Cell, into target: inout cchar_t) {
        let foreground = colorNumbers.number(for: cell.foreground, isForeground: true)
        let background = colorNumbers.number(for: cell.background, isForeground: false)
        var attributes = attr_t(0)
        if cell.attributes.contains(.bold) || foreground.needsBold { attributes |= attr_t(amps_a_bold()) }
        if cell.attributes.contains(.dim) { attributes |= attr_t(amps_a_dim()) }
        if cell.attributes.contains(.reverse) { attributes |= attr_t(amps_a_reverse()) }
        if cell.attributes.contains(.underline) { attributes |= attr_t(amps_a_underline()) }

        var pair: Int32 = 0
        if colorMode != .none,
           let entry = pairCache.pair(for: .init(foreground: foreground.number, background: background.number)) {
            if entry.isNew { init_extended_pair(entry.number, foreground.number, background.number) }
            pair = entry.number
        }
        // setcchar takes the spacing character plus combining marks, zero-terminated.
        var characters: [wchar_t] = cell.glyph.unicodeScalars.prefix(Int(CCHARW_MAX) - 1).map { wchar_t(bitPattern: $0.value) }
        characters.append(0)
        // Pair numbers above 32767 do not fit the short parameter; ncurses reads the
        // extended pair through the last argument instead.
        var extendedPair = pair
        setcchar(&target, characters, attributes, Int16(clamping: pair), &extendedPair)
    }
}
