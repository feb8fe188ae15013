#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The user's config file, parsed into directives (syntax and key names checked; action and
/// option names are checked by `UserConfig`, which knows them). Format: CONFIG_FORMAT.md.
public struct ConfigFile: Hashable, Sendable {
    public enum Directive: Hashable, Sendable {
        case bind(action: String, keys: [Key])
        case unbind(keys: [Key])
        case set(option: String, value: String)
    }

    public struct Line: Hashable, Sendable {
        /// 1-based line number in the file.
        public var number: Int
        public var directive: Directive
    }

    public var path: String
    public var lines: [Line]

    /// Parses the text of a config file; `path` is only used in error messages.
    public static func parse(_ text: String, path: String) throws(ConfigError) -> ConfigFile {
        var lines: [Line] = []
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = index + 1
            func failure(_ problem: String) -> ConfigError { ConfigError(path: path, line: number, problem: problem) }
            let words = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            // Comments are whole lines, so '#' is still usable as a key: "bind help #".
            guard let command = words.first, !command.hasPrefix("#") else { continue }
            let arguments = Array(words.dropFirst())
            switch command {
            case "bind":
                guard arguments.count >= 2 else {
                    throw failure("malformed line: expected 'bind <action> <key> [<key>...]'")
                }
                lines.append(Line(number: number, directive: .bind(action: arguments[0],
                                                                   keys: try keys(arguments.dropFirst(), failure))))
            case "unbind":
                guard !arguments.isEmpty else { throw failure("malformed line: expected 'unbind <key> [<key>...]'") }
                lines.append(Line(number: number, directive: .unbind(keys: try keys(arguments[...], failure))))
            case "set":
                guard arguments.count == 2 else { throw failure("malformed line: expected 'set <option> <value>'") }
                lines.append(Line(number: number, directive: .set(option: arguments[0], value: arguments[1])))
            default:
                throw failure("unknown command '\(command)' (expected bind, unbind or set)")
            }
        }
        return ConfigFile(path: path, lines: lines)
    }

    private static func keys(_ names: ArraySlice<String>, _ failure: (String) -> ConfigError) throws(ConfigError) -> [Key] {
        var keys: [Key] = []
        for name in names {
            guard let key = Key(name: name) else {
                throw failure("unknown key '\(name)' (write keys like q, C-c, enter, S-tab, pgdn, f5, space)")
            }
            guard key.isBindable else { throw failure("key '\(name)' cannot be bound") }
            keys.append(key)
        }
        return keys
    }

    /// `$XDG_CONFIG_HOME/amps/config`, or `$HOME/.config/amps/config` when XDG_CONFIG_HOME is
    /// unset, empty or relative (the XDG spec says to ignore relative values); nil without HOME.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return xdg + "/amps/config"
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.config/amps/config"
    }

    /// The largest file read: a config file is a few dozen short lines, and reading stops
    /// here on anything else (a wrong path, a device such as /dev/zero, which never ends).
    public static let maximumBytes = 1 << 20

    /// Reads and parses the file at `path`; nil when there is no such file (having no config
    /// file is normal). Other read failures are errors.
    public static func load(path: String) throws(ConfigError) -> ConfigFile? {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            let code = errno
            if code == ENOENT { return nil }
            throw ConfigError(path: path, line: nil, problem: "cannot read: \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConfigError(path: path, line: nil, problem: "cannot read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
            guard bytes.count <= maximumBytes else {
                throw ConfigError(path: path, line: nil, problem: "is larger than \(maximumBytes >> 20) MiB; a config file is a few dozen lines (is this the right file?)")
            }
        }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path)
    }
}
