/// Key bindings and settings after the user's config file is applied to the defaults.
public struct UserConfig<Action: BindableAction> {
    public var keyMap: KeyMap<Action>
    public var settings: TerminalSettings
    /// Values of the application's own options (see `ConfigOption`), by name.
    public var options: [String: String]

    public init(keyMap: KeyMap<Action>, settings: TerminalSettings = TerminalSettings(), options: [String: String] = [:]) {
        self.keyMap = keyMap
        self.settings = settings
        self.options = options
    }

    /// Applies a parsed file in order (later lines win). All or nothing: on error, `self`
    /// is unchanged.
    public mutating func apply(_ file: ConfigFile, extraOptions: [ConfigOption] = []) throws(ConfigError) {
        var result = self
        for line in file.lines {
            func failure(_ problem: String) -> ConfigError { ConfigError(path: file.path, line: line.number, problem: problem) }
            switch line.directive {
            case .bind(let name, let keys):
                guard let action = KeyMap<Action>.action(named: name) else {
                    let known = Action.allCases.map(\.name).joined(separator: ", ")
                    throw failure("unknown action '\(name)' (actions: \(known))")
                }
                result.keyMap.bind(action, to: keys)
            case .unbind(let keys):
                for key in keys { result.keyMap.unbind(key) }
            case .set(let option, let value):
                if TerminalSettings.optionNames.contains(option) {
                    if let problem = result.settings.set(option, value) { throw failure(problem) }
                } else if let extra = extraOptions.first(where: { $0.name == option }) {
                    guard extra.isValid(value) else {
                        throw failure("invalid value '\(value)' for option '\(option)' (expected \(extra.expected))")
                    }
                    result.options[option] = value
                } else {
                    let known = (TerminalSettings.optionNames + extraOptions.map(\.name)).joined(separator: ", ")
                    throw failure("unknown option '\(option)' (options: \(known))")
                }
            }
        }
        self = result
    }

    /// Defaults plus the config file at the default location, if there is one.
    public static func load(defaults: KeyMap<Action>, settings: TerminalSettings = TerminalSettings(),
                            extraOptions: [ConfigOption] = [],
                            environment: [String: String]) throws(ConfigError) -> UserConfig {
        var config = UserConfig(keyMap: defaults, settings: settings)
        if let path = ConfigFile.defaultPath(environment: environment), let file = try ConfigFile.load(path: path) {
            try config.apply(file, extraOptions: extraOptions)
        }
        return config
    }
}
