import Foundation

/// One fuzzed input kind: a body that takes arbitrary bytes to the loader or parser that reads
/// that kind of file. A body may throw (bad input is expected to be refused); what it must
/// never do is crash, hang or run away with memory — libFuzzer and the address sanitizer
/// watch for that (`make fuzz`), and the replay test runs the committed corpora through the
/// same bodies in every `make test`.
public struct FuzzTarget: Sendable {
    public let name: String
    /// Folder of the seed corpus under Fuzz/Corpus.
    public var corpus: String { name }
    public let body: @Sendable (Data) throws -> Void

    public init(name: String, body: @escaping @Sendable (Data) throws -> Void) {
        self.name = name
        self.body = body
    }

    /// Runs the body, swallowing the errors a refused input throws.
    public func run(_ data: Data) {
        _ = try? body(data)
    }
}

/// Every target, by name. A new input kind is one more entry here and a seed folder
/// Fuzz/Corpus/NAME; `make fuzz` picks it up from `amps-fuzz --list`.
public enum FuzzTargets {
    public static let all: [FuzzTarget] = [
        CheckpointFuzzing.safetensors, CheckpointFuzzing.modelConfig, CheckpointFuzzing.processorConfig,
        CheckpointFuzzing.shardIndex,
        TokenizerFuzzing.load, TokenizerFuzzing.encode,
        MethodFuzzing.promptFile, MethodFuzzing.instances,
        MethodFuzzing.steeringVectors, MethodFuzzing.scaling, MethodFuzzing.learnedScaler,
        TerminalFuzzing.inspectorConfig,
        ImageFuzzing.decodeAndPreprocess,
        EngineFuzzing.frame,
    ]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    /// The repository root, found from this file's place in it (Fuzz/Targets/).
    public static let repositoryRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    public static var corpusRoot: String { repositoryRoot + "/Fuzz/Corpus" }
    /// Inputs that once crashed a target, replayed by the tests forever after.
    public static var regressionRoot: String { repositoryRoot + "/Fuzz/Regressions" }
}
