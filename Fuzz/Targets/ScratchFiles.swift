import Foundation

/// The fuzzed loaders read files, so each input is written to a file first: one private
/// folder per process (in /dev/shm when there is one, so a run costs no disk writes), one
/// file name per input kind, overwritten by every run.
public enum ScratchFiles {
    public static let folder: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = base + "/amps-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // Removed when the process exits normally (libFuzzer's runs end with exit()); a crashed
        // run leaves it, next to the crashing input.
        atexit { try? FileManager.default.removeItem(atPath: ScratchFiles.folder) }
        return path
    }()

    /// Writes `data` to `folder/name` and returns the path.
    public static func write(_ data: Data, as name: String) throws -> String {
        let path = folder + "/" + name
        let dir = (path as NSString).deletingLastPathComponent
        if dir != folder { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }
}
