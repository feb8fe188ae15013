import AMPSCore
import AMPSModel
import Foundation

/// The files of a checkpoint folder: safetensors headers, config.json, the processor config
/// and the shard index.
enum CheckpointFuzzing {
    /// Any bytes as a .safetensors file; every tensor that parses is read whole.
    static let safetensors = FuzzTarget(name: "safetensors") { data in
        let f = try SafeTensorsFile(path: try ScratchFiles.write(data, as: "fuzz.safetensors"))
        for name in f.entries.keys.sorted() {
            switch f.entries[name]!.dtype {
            case .i32, .i64: _ = try? f.integers(name)
            default: if let t = try? f.tensor(name) { _ = t.allFinite }
            }
        }
    }

    /// Any bytes as config.json, against the tiny fixture's weights (the whole model loads).
    static let modelConfig = FuzzTarget(name: "config") { data in
        let folder = FuzzFixtures.linkedCopy(of: FuzzFixtures.tinyModel, as: "config-model", replacing: ["config.json"])
        _ = try ScratchFiles.write(data, as: "config-model/config.json")
        let config = try LlavaConfig(path: folder + "/config.json")
        _ = config.imageTokenCount
        _ = try LlavaModel(folder: folder)
    }

    /// Any bytes as processor_config.json; the fixture image (32x32) is then preprocessed.
    static let processorConfig = FuzzTarget(name: "processor-config") { data in
        let folder = FuzzFixtures.linkedCopy(of: FuzzFixtures.tinyModel, as: "processor-model", replacing: ["processor_config.json"])
        _ = try ScratchFiles.write(data, as: "processor-model/processor_config.json")
        let settings = try ProcessorSettings.load(folder: folder)
        if let tiny = FuzzFixtures.tinyLlava { _ = settings.imageTokenCount(imageSize: 16, config: tiny.config) }
        let processor = try ImageProcessor.load(folder: folder)
        if let image = FuzzFixtures.tinyImage { _ = try processor.pixelValues(image, expectedSize: 16, path: "fixture image") }
    }

    /// Any bytes as model.safetensors.index.json beside the sharded fixture's shards.
    static let shardIndex = FuzzTarget(name: "shard-index") { data in
        let folder = FuzzFixtures.linkedCopy(of: FuzzFixtures.shardedModel, as: "sharded-model", replacing: ["model.safetensors.index.json"])
        _ = try ScratchFiles.write(data, as: "sharded-model/model.safetensors.index.json")
        let store = try WeightStore(folder: folder)
        for name in store.names.sorted().prefix(4) { _ = try? store.tensor(name) }
    }
}
