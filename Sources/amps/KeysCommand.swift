import AMPSInspector
import AMPSTerminal
import ArgumentParser

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Print the inspector's default key table (Markdown, as docs/USAGE.md holds it).")

    func run() throws {
        print(InspectorAction.defaultKeyMap.markdownTable(), terminator: "")
    }
}
