import AMPSEngine
import Foundation

/// The engine protocol's frames as the client reads them off an engine's stdout (prefix,
/// JSON header, tensor payload): a garbage-speaking engine must give an error, never a trap
/// or an allocation sized by what it claims.
enum EngineFuzzing {
    static let frame = FuzzTarget(name: "engine-frame") { data in
        guard case let .success(f) = EngineFrame.parse(data) else { return }
        for name in f.order {
            _ = f.floats(name); _ = f.doubles(name); _ = f.ints(name); _ = f.tensor(name)
        }
        _ = f.kind
    }
}
