import AMPSInspector
import AMPSTerminal
import Foundation

/// The inspector's config file, read from $XDG_CONFIG_HOME/amps/config as `amps inspect` reads it.
enum TerminalFuzzing {
    static let inspectorConfig = FuzzTarget(name: "inspector-config") { data in
        _ = try ScratchFiles.write(data, as: "xdg/amps/config")
        let env = ["XDG_CONFIG_HOME": ScratchFiles.folder + "/xdg", "HOME": ScratchFiles.folder]
        do {
            _ = try UserConfig.load(defaults: InspectorAction.defaultKeyMap, environment: env)
        } catch {
            _ = String(describing: error)
        }
    }
}
