import AMPSCore
import AMPSModel
import ArgumentParser
import Foundation

struct PromptOptions: ParsableArguments {
    @Option(name: .long, help: "Image file (PNG).")
    var image: String

    @Option(name: .long, help: "The literal prompt; <image> marks where the image goes.")
    var prompt: String
}

struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run one forward pass and print the next-token distribution at the last position.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var input: PromptOptions

    @Option(name: .long, help: "How many top tokens to print.")
    var top: Int = 5

    @Flag(name: .long, help: "Print one JSON object: input_ids, logits (full vocabulary), top tokens.")
    var json = false

    func run() throws {
        try reportingErrors {
            guard top >= 1 else { throw AMPSError.invalidInput("--top must be at least 1 (got \(top))") }
            if let command = try model.protocolEngineCommand() {
                return try ProtocolEngineRun.forward(command: command, model: model.model, input: input, top: top, json: json)
            }
            let m = try model.load()
            let x = try m.prepare(prompt: input.prompt, imagePath: input.image)
            let pass = m.run(x)
            guard pass.logits.allFinite else { throw AMPSError.numerical("the forward pass produced NaN or infinite logits") }
            let probs = softmax(pass.logits.array)
            let order = probs.indices.sorted { probs[$0] > probs[$1] }.prefix(top)
            if json {
                try writeJSON([
                    "input_ids": x.ids,
                    "logits": pass.logits.array.map(Double.init),
                    "top": order.map { ["id": $0, "token": m.tokenizer.token(for: $0) ?? "", "prob": probs[$0]] as [String: Any] },
                ])
            } else {
                print("tokens: \(x.length) (\(x.imagePositions.count) image tokens)")
                for i in order {
                    print(String(format: "%8.4f  %6d  %@", probs[i], i, m.tokenizer.token(for: i) ?? "?"))
                }
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
            if let command = try model.protocolEngineCommand() {
                return try ProtocolEngineRun.generate(command: command, model: model.model, input: input, maxNewTokens: maxNewTokens, json: json)
            }
            let m = try model.load()
            let x = try m.prepare(prompt: input.prompt, imagePath: input.image)
            try m.checkSequenceLength(prompt: x.length, generating: maxNewTokens)
            try MemoryBudget.check(m.generationBytes(promptLength: x.length, maxNewTokens: maxNewTokens),
                                   for: "--max-new-tokens \(maxNewTokens) (the KV cache of \(x.length) + \(maxNewTokens) tokens)")
            let ids = m.generate(x, maxNewTokens: maxNewTokens)
            let text = m.tokenizer.decode(ids, skipSpecialTokens: true)
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
