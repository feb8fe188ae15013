import CNcurses

/// Turns what `wget_wch` returns into `Key`s. Pure (no terminal needed), so the mapping is
/// unit-tested with raw ncurses codes.
enum CursesKeyTranslator {
    /// A character read by `wget_wch` (return value OK): control bytes become named keys.
    static func translate(character code: UInt32) -> Key? {
        switch code {
        case 9: return .tab
        case 10, 13: return .enter       // LF with nl(), CR with nonl() or raw terminals
        case 27: return .escape
        case 8, 127: return .backspace   // ^H or DEL, depending on the terminal
        case 1...26: return .control(Character(Unicode.Scalar(code + 96)!))
        case 0, 28...31: return nil      // Ctrl-@, Ctrl-\ ... : nothing to bind them to
        default:
            guard let scalar = Unicode.Scalar(code) else { return nil }
            let character = Character(scalar)
            return Key.isPrintable(character) ? .character(character) : nil
        }
    }

    /// A key code read by `wget_wch` (return value KEY_CODE_YES). KEY_MOUSE is not handled
    /// here: it needs `getmouse`.
    static func translate(keyCode code: Int32) -> Key? {
        switch code {
        case amps_key_up(): return .up
        case amps_key_down(): return .down
        case amps_key_left(): return .left
        case amps_key_right(): return .right
        case amps_key_ppage(): return .pageUp
        case amps_key_npage(): return .pageDown
        case amps_key_home(): return .home
        case amps_key_end(): return .end
        case amps_key_backspace(): return .backspace
        case amps_key_dc(): return .delete
        case amps_key_ic(): return .insert
        case amps_key_btab(): return .backTab
        case amps_key_enter(): return .enter
        case amps_key_resize(): return .resize
        case amps_key_f(1)...amps_key_f(12): return .function(Int(code - amps_key_f(0)))
        default: return nil
        }
    }

    /// A mouse report (`MEVENT.bstate`, x, y): presses and wheel steps; releases and
    /// motion give nil.
    static func translate(mouseState state: mmask_t, x: Int32, y: Int32) -> Key? {
        let button: MouseEvent.Button
        if state & amps_button1_pressed() != 0 {
            button = .left
        } else if state & amps_button2_pressed() != 0 {
            button = .middle
        } else if state & amps_button3_pressed() != 0 {
            button = .right
        } else if state & amps_button4_pressed() != 0 {
            button = .wheelUp
        } else if state & amps_button5_pressed() != 0 {
            button = .wheelDown
        } else {
            return nil
        }
        return .mouse(MouseEvent(button: button, x: Int(x), y: Int(y)))
    }
}
