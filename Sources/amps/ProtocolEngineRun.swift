import AMPSCore
import AMPSEngine
import AMPSModel
import Foundation

/// `forward` and `generate` on an engine that speaks the protocol (the PyTorch engine,
/// locally or over SSH): the same output as on the Swift engine, the image sent as the
/// file's bytes (the engine may run on another host; the model path is one there).
enum ProtocolEngineRun {
    static func start(_ command: String, model: String, input: PromptOptions) throws -> (EngineClient, EnginePrompt) {
        let bytes = Data(try RGBImage.fileBytes(path: input.image))
        let client = try EngineClient(command: command)
        do {
            _ = try client.loadModel(path: model)
            return (client, try client.prepare(prompt: input.prompt, image: bytes, imageName: input.image))
        } catch {
            client.shutdown()
            throw error
        }
    }

    static func forward(command: String, model: String, input: PromptOptions, top: Int, json: Bool) throws {
        let (client, p) = try start(command, model: model, input: input)
        defer { client.shutdown() }
        let logits = p.logits.array
        let probs = softmax(logits)
        let order = Array(probs.indices.sorted { probs[$0] > probs[$1] }.prefix(top))
        let names = try client.detokenize(order)
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
        let (client, p) = try start(command, model: model, input: input)
        defer { client.shutdown() }
        let ids = try client.generate(p, maxNewTokens: maxNewTokens)
        let text = try client.decode(ids)
        if json { try writeJSON(["generated_ids": ids, "text": text]) } else { print(text) }
    }
}
