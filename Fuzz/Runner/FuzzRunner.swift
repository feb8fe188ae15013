import AMPSFuzzTargets
import Foundation

// Built two ways. With -D AMPS_LIBFUZZER (make fuzz: -sanitize=fuzzer,address) this is a
// libFuzzer target: AMPS_FUZZ_TARGET names the input kind, libFuzzer's main drives it.
// Otherwise it is a plain tool that replays files through a target (and lists the targets),
// for reproducing a crash without the sanitizers.

#if AMPS_LIBFUZZER

nonisolated(unsafe) private var selected: FuzzTarget?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let name = ProcessInfo.processInfo.environment["AMPS_FUZZ_TARGET"] ?? ""
    if name == "list" {
        for t in FuzzTargets.all { print(t.name) }
        exit(0)
    }
    guard let t = FuzzTargets.named(name) else {
        let names = FuzzTargets.all.map(\.name).joined(separator: ", ")
        FileHandle.standardError.write(Data("amps-fuzz: set AMPS_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    selected = t
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: size) } ?? Data()
    selected?.run(data)
    return 0
}

#else

@main
struct FuzzReplay {
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        if args == ["--list"] {
            for t in FuzzTargets.all { print(t.name) }
            return
        }
        guard args.count >= 2, let target = FuzzTargets.named(args[0]) else {
            let names = FuzzTargets.all.map(\.name).joined(separator: ", ")
            FileHandle.standardError.write(Data("usage: amps-fuzz --list | amps-fuzz TARGET FILE... (targets: \(names))\n".utf8))
            exit(64)
        }
        for path in args.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("amps-fuzz: \(path): cannot be read\n".utf8))
                exit(1)
            }
            do { try target.body(data); print("\(path): accepted") }
            catch { print("\(path): refused: \(error)") }
        }
    }
}

#endif
