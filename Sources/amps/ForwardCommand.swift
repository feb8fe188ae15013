import AMPSCore
import AMPSEngine
import AMPSModel
import ArgumentParser
import Foundation

struct PromptOptions: ParsableArguments {
    @Option(name: .long, help: "Image file (PNG).")
    var image: String

    @Option(name: .long, help: "The literal prompt; <image> marks where the image goes.")
    var prompt: String

    /// The engine chosen by `model`, started, with this prompt prepared on it. For a protocol
    /// engine the image is checked first, so a wrong path does not wait for a remote model to
    /// load (the engine process stops when its ProtocolEngine goes, as in every command).
    func prepared(on model: ModelOptions) throws -> (any ModelEngine, EngineInput) {
        if try model.protocolEngineCommand() != nil, !FileManager.default.isReadableFile(atPath: image) {
            throw AMPSError.file(image, "image not found or unreadable")
        }
        let engine = try model.startEngine()
        return (engine, try engine.prepare(prompt: prompt, imagePath: image, spans: []))
    }
}

struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run one forward pass and print the next-token distribution at the last position.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var input: PromptOptions

    @Option(name: .long, help: "How many top tokens to print.")
    var top: Int = 5

    @Flag(name: .long, help: "Print one JSON object: input_ids, logits (full vocabulary), top tokens, engine.")
    var json = false

    func run() throws {
        try reportingErrors {
            guard top >= 1 else { throw AMPSError.invalidInput("--top must be at least 1 (got \(top))") }
            let (engine, x) = try input.prepared(on: model)
            let logits = try engine.run(x).logits
            guard logits.allFinite else { throw AMPSError.numerical("the forward pass produced NaN or infinite logits") }
            let probs = softmax(logits.array)
            let order = Array(probs.indices.sorted { probs[$0] > probs[$1] }.prefix(top))
            let names = try engine.tokenNames(order)
            if json {
                try writeJSON([
                    "input_ids": x.ids,
                    "logits": logits.array.map(Double.init),
                    "top": zip(order, names).map { ["id": $0, "token": $1, "prob": probs[$0]] as [String: Any] },
                    "engine": engine.engineName,
                ])
            } else {
                print("tokens: \(x.length) (\(x.imagePositions.count) image tokens)")
                for (i, name) in zip(order, names) { print(String(format: "%8.4f  %6d  %@", probs[i], i, name)) }
            }
        }
    }
}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Greedy generation with a KV cache; prints the continuation.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var input: PromptOptions

    @Option(name: .long, help: "Most tokens to generate.")
    var maxNewTokens: Int = 16

    @Flag(name: .long, help: "Print JSON: generated ids and text.")
    var json = false

    func run() throws {
        try reportingErrors {
            guard maxNewTokens >= 1 else { throw AMPSError.invalidInput("--max-new-tokens must be at least 1 (got \(maxNewTokens))") }
            try checkOptionBounds()
            let (engine, x) = try input.prepared(on: model)
            if let m = engine as? LlavaModel {
                // In process the memory is ours to check; a protocol engine reports its own.
                try m.checkSequenceLength(prompt: x.length, generating: maxNewTokens)
                try MemoryBudget.check(m.generationBytes(promptLength: x.length, maxNewTokens: maxNewTokens),
                                       for: "--max-new-tokens \(maxNewTokens) (the KV cache of \(x.length) + \(maxNewTokens) tokens)")
            }
            let ids = try engine.generate(x, maxNewTokens: maxNewTokens, steering: nil)
            let text = try engine.decode(ids)
            if json { try writeJSON(["generated_ids": ids, "text": text]) } else { print(text) }
        }
    }
}

/// Probabilities from logits, in double precision.
func softmax(_ logits: [Float]) -> [Double] {
    let mx = Double(logits.max() ?? 0)
    let e = logits.map { exp(Double($0) - mx) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}
