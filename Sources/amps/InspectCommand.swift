import AMPSCore
import AMPSInspector
import AMPSMethod
import AMPSModel
import AMPSTerminal
import ArgumentParser
import Foundation

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "The terminal inspector (the default command): browse instances, steer live, step through layers.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var method: MethodOptions
    @OptionGroup var networks: SteeringNetworkOptions

    @Option(name: .long, help: "Initial steering strength (default: the fitted one, else 0).")
    var alpha: Double?

    func run() throws {
        // Before anything slow: the inspector needs a terminal on both ends.
        if let message = InteractiveCheck.failureMessage(program: "amps") {
            FileHandle.standardError.write(Data((message + "\n").utf8))
            throw ExitCode(InteractiveCheck.exitStatus)
        }
        if let message = TerminalCapabilityCheck.failureMessage(program: "amps") {
            FileHandle.standardError.write(Data((message + "\n").utf8))
            throw ExitCode(TerminalCapabilityCheck.exitStatus)
        }
        let env = ProcessEnvironment.current()
        let config: UserConfig<InspectorAction>
        do {
            config = try UserConfig.load(defaults: InspectorAction.defaultKeyMap, environment: env)
        } catch {
            FileHandle.standardError.write(Data("amps: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
        let setup: InspectorApp.Setup = try reportingErrors {
            try checkOptionBounds()
            FileHandle.standardError.write(Data("amps: loading \(model.model) …\n".utf8))
            let m = try model.startEngine()
            let set = try method.instances()
            let template = try method.template(m)
            _ = try template.answerTokenIds(encode: m.tokenize, vocabularySize: m.vocabSize)
            let vpath = method.artifact(method.vectors, "steering_vectors.safetensors", model: m)
            var resources = (FileManager.default.fileExists(atPath: vpath) || method.vectors != nil) ? try method.resources(m) : nil
            var window = try method.layerWindow(m)
            var a = alpha ?? 0
            let sp = method.artifact(method.scaling, "scaling.json", model: m)
            if FileManager.default.fileExists(atPath: sp) {
                let rule = try ScalingFit.loadRule(path: sp, layers: m.layerCount)
                if method.window == nil, rule.window.upperBound < m.layerCount { window = rule.window }
                if alpha == nil { a = rule.alpha }
            }
            guard a.isFinite else { throw AMPSError.invalidInput("--alpha must be finite") }
            if resources != nil {
                // Networks trained for another window are simply not offered by `m`.
                var withNetworks = resources!
                if (try? networks.load(into: &withNetworks, model: m, window: window,
                                       folder: URL(fileURLWithPath: sp).deletingLastPathComponent().path)) != nil {
                    resources = withNetworks
                }
            }
            return InspectorApp.Setup(model: m, template: template, instances: set, resources: resources, window: window,
                                      perturbation: try method.perturbation(), alpha: a, keyMap: config.keyMap,
                                      terminalSettings: config.settings, scoring: try method.scoring())
        }
        let status: Int32
        do {
            status = try InspectorApp.run(setup)
        } catch let e as TerminalError {
            FileHandle.standardError.write(Data("amps: \(e.description)\n".utf8))
            throw ExitCode(1)
        }
        // The terminal is restored by now. Leave without running exit handlers: OpenBLAS's
        // own teardown can deadlock joining its thread pool after another thread (the
        // engine) has used it, and the engine thread may still be mid-computation.
        fflush(stdout)
        fflush(stderr)
        _exit(status)
    }
}
