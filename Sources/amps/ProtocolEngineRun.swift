import AMPSCore
import AMPSEngine
import AMPSModel
import Foundation

/// `forward` and `generate` on an engine that speaks the protocol (the PyTorch engine,
/// locally or over SSH), through the engine interface: the same output as on the Swift
/// engine, the image sent as the file's bytes (the engine may run on another host; the model
/// path is one there).
enum ProtocolEngineRun {
    static func start(_ command: String, model: String, input: PromptOptions) throws -> (ProtocolEngine, EngineInput) {
        // Before the engine starts: a wrong path should not wait for a model to load.
        guard FileManager.default.isReadableFile(atPath: input.image) else {
            throw AMPSError.file(input.image, "image not found or unreadable")
        }
        let engine = try ProtocolEngine(command: command, modelPath: model)
        do {
            return (engine, try engine.prepare(prompt: input.prompt, imagePath: input.image, spans: []))
        } catch {
            engine.shutdown()
            throw error
        }
    }

    static func forward(command: String, model: String, input: PromptOptions, top: Int, json: Bool) throws {
        let (engine, p) = try start(command, model: model, input: input)
        defer { engine.shutdown() }
        let logits = try engine.run(p).logits.array
        let probs = softmax(logits)
        let order = Array(probs.indices.sorted { probs[$0] > probs[$1] }.prefix(top))
        let names = try engine.tokenNames(order)
        if json {
            try writeJSON([
                "input_ids": p.ids,
                "logits": logits.map(Double.init),
                "top": zip(order, names).map { ["id": $0, "token": $1, "prob": probs[$0]] as [String: Any] },
                "engine": command,
            ])
        } else {
            print("tokens: \(p.ids.count) (\(p.imagePositions.count) image tokens)")
            for (i, name) in zip(order, names) { print(String(format: "%8.4f  %6d  %@", probs[i], i, name)) }
        }
    }

    static func generate(command: String, model: String, input: PromptOptions, maxNewTokens: Int, json: Bool) throws {
        let (engine, p) = try start(command, model: model, input: input)
        defer { engine.shutdown() }
        let ids = try engine.generate(p, maxNewTokens: maxNewTokens, steering: nil)
        let text = try engine.decode(ids)
        if json { try writeJSON(["generated_ids": ids, "text": text]) } else { print(text) }
    }
}
