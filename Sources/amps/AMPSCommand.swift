import AMPSEngine
import AMPSCore
import AMPSModel
import AMPSTerminal
import ArgumentParser
import Foundation

@main
struct AMPSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amps",
        abstract: "Inspect and steer the modality preference of multimodal LLMs (AMPS).",
        version: AMPSVersion.description,
        subcommands: [InspectCommand.self, ForwardCommand.self, GenerateCommand.self, VectorsCommand.self, DiagnoseCommand.self, FitCommand.self, EvalCommand.self, BenchCommand.self, KeysCommand.self],
        defaultSubcommand: InspectCommand.self)

    static func main() {
        // OpenBLAS chooses its kernels as it loads, before any of our code runs; when it
        // fell back to a generic set on a CPU newer than it knows, start again with the
        // right OPENBLAS_CORETYPE (once: the variable is then set).
        if let core = BLAS.betterCoreType {
            setenv("OPENBLAS_CORETYPE", core, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            // exec failed: carry on with OpenBLAS's choice
        }
        Self.main(nil)
    }
}

/// What `amps --version` prints: the release, and the kernels this build runs on this CPU.
enum AMPSVersion {
    static let release = "0.6.0"
    static var description: String {
        "amps \(release)\nengine kernels: \(BLAS.kernelInstructionSet); OpenBLAS \(BLAS.coreName) (\(BLAS.configuration))"
    }
}

/// Options every command that loads a model shares.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Hugging Face checkpoint folder (config.json, model.safetensors, tokenizer.json, processor config).")
    var model: String = DefaultPaths.model

    @Option(name: .long, help: "Engine threads (default: every core of the machine).")
    var threads: Int?

    @Option(name: .long, help: "Engine that runs the model: swift (in this process, default) or torch (starts amps-torch-engine from PATH).")
    var engine: String = "swift"

    @Option(name: .customLong("engine-command"), help: ArgumentHelp("Any command that speaks the engine protocol (docs/ENGINE_PROTOCOL.md), e.g. \"ssh gpu-box amps-torch-engine --device cuda\"; --model is then a path where it runs.", valueName: "command"))
    var engineCommand: String?

    /// The command of the protocol engine chosen, or nil for the Swift engine.
    func protocolEngineCommand() throws -> String? {
        guard ["swift", "torch"].contains(engine) else { throw AMPSError.invalidInput("--engine must be swift or torch (got '\(engine)')") }
        if let engineCommand {
            guard !engineCommand.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw AMPSError.invalidInput("--engine-command is empty")
            }
            return engineCommand
        }
        return engine == "torch" ? "amps-torch-engine" : nil
    }

    /// The engine the command runs on: the Swift engine in this process, or the protocol
    /// engine started from the command chosen, with the checkpoint loaded.
    func startEngine() throws -> any ModelEngine {
        if let command = try protocolEngineCommand() {
            try startThreads()  // the method's own parallel parts (noise folding, training)
            return try ProtocolEngine(command: command, modelPath: model)
        }
        return try load()
    }

    /// The Swift engine (LlavaModel), for what only it does (benchmarks, its own checks).
    func load() throws -> LlavaModel {
        if try protocolEngineCommand() != nil {
            throw AMPSError.unsupported("\(engineCommand != nil ? "--engine-command" : "--engine torch"): this command measures the swift engine; `amps bench --engine-map` times the MCS map on any engine, and the PyTorch engine has its own benchmark (`amps-torch-engine bench`)")
        }
        // Set explicitly, whatever OPENBLAS_NUM_THREADS says: OpenBLAS runs single-threaded
        // and the engine spreads its own work (sequences, row blocks, heads, feature
        // blocks) over this many workers. OpenBLAS's pool threads, once woken, spin in
        // sched_yield for a long while and took a core from those workers.
        try startThreads()
        BLAS.threadCount = 1
        Allocator.keepFreedBuffers()
        return try LlavaModel(folder: model)
    }
}

/// Where the shipped default model and data live: next to the working directory when
/// run from the repository, else found relative to the executable (.build/<config>/amps).
enum DefaultPaths {
    static var root: String {
        let fm = FileManager.default
        if fm.fileExists(atPath: "samples/model/config.json") { return "." }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            if fm.fileExists(atPath: url.appendingPathComponent("samples/model/config.json").path) { return url.path }
            url.deleteLastPathComponent()
        }
        return "."
    }
    static var model: String { root + "/samples/model" }
    static var data: String { root + "/samples/data/test.jsonl" }
    static var prompts: String { root + "/samples/prompts" }

    /// The prompt names that ship in samples/prompts (the real model families' formats).
    static var promptNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: prompts)) ?? [])
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// `--prompt-file` takes a path, or the name of a shipped prompt file (`llava-1.5`).
    static func promptFile(_ given: String) throws -> String {
        if FileManager.default.fileExists(atPath: given) { return given }
        let named = prompts + "/" + given + ".json"
        if !given.contains("/"), FileManager.default.fileExists(atPath: named) { return named }
        if !given.contains("/"), !given.hasSuffix(".json") {
            throw AMPSError.invalidInput("--prompt-file '\(given)' is neither a file nor a shipped prompt (\(promptNames.joined(separator: ", ")))")
        }
        throw AMPSError.file(given, "prompt file not found")
    }
}

/// Runs `body`, turning the engine's errors into one line on stderr and exit status 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as AMPSError {
        // Escaped and cut: messages quote paths and values from the files they are about.
        FileHandle.standardError.write(Data("amps: \(MessageText.oneLine(e.description, limit: 2000))\n".utf8))
        throw ExitCode(1)
    }
}

func writeJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}
