import AMPSCore
import AMPSMethod
import AMPSModel
import Foundation

/// The method's inputs: prompt files, instance files, and the artifacts amps writes and
/// reads back (steering vectors, the scaling rule, the learned scaler).
enum MethodFuzzing {
    static let instance = Instance(id: "7", imagePath: "images/7.png", task: "color", question: "What color is the circle ?",
                                   answerVision: "red", answerText: "blue", context: "The circle is blue .", kind: .conflict)

    /// Any bytes as prompt.json; what loads renders an instance and tokenizes its answer letters.
    static let promptFile = FuzzTarget(name: "prompt") { data in
        let template = try PromptTemplate(path: try ScratchFiles.write(data, as: "prompt.json"))
        for order in OptionOrder.allCases { for i in Instruction.allCases { _ = template.render(instance, order: order, instruction: i) } }
        if let m = FuzzFixtures.defaultLlava { _ = try template.answerTokenIds(m.tokenizer) }
    }

    /// Any bytes as an instance file (next to an images/ folder holding images/7.png).
    static let instances = FuzzTarget(name: "instances") { data in
        let folder = ScratchFiles.folder + "/instances"
        if !FileManager.default.fileExists(atPath: folder + "/images/7.png") {
            try FileManager.default.createDirectory(atPath: folder + "/images", withIntermediateDirectories: true)
            try? FileManager.default.createSymbolicLink(atPath: folder + "/images/7.png", withDestinationPath: FuzzFixtures.tinyModel + "/image.png")
        }
        _ = try InstanceSet.load(path: try ScratchFiles.write(data, as: "instances/data.jsonl"))
    }

    static let steeringVectors = FuzzTarget(name: "steering-vectors") { data in
        guard let m = FuzzFixtures.defaultLlava else { return }
        let v = try SteeringVectorSet.load(path: try ScratchFiles.write(data, as: "steering_vectors.safetensors"), for: m)
        _ = v.steering(window: 0...(m.layerCount - 1), scales: [1])
    }

    static let scaling = FuzzTarget(name: "scaling") { data in
        _ = try ScalingFit.loadRule(path: try ScratchFiles.write(data, as: "scaling.json"))
    }

    static let learnedScaler = FuzzTarget(name: "learned-scaler") { data in
        guard let m = FuzzFixtures.defaultLlava else { return }
        _ = try LearnedScaler.load(path: try ScratchFiles.write(data, as: "scaler.safetensors"), for: m)
    }
}
