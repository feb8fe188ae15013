import Foundation

/// One run of the `amps` binary from the repository root, output to files (no pipe can
/// fill up), with a deadline.
struct AmpsRun {
    let status: Int32
    let stdout: String
    let stderr: String
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] }

    static func run(_ args: [String], timeout: TimeInterval = 300) throws -> AmpsRun {
        guard let bin = InspectorEndToEndTests.binary else { throw E2EError(message: "amps binary not found (build it first)") }
        let dir = FileManager.default.temporaryDirectory
        let out = dir.appendingPathComponent("amps-run-\(UUID().uuidString).out")
        let err = dir.appendingPathComponent("amps-run-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
        let p = Process()
        p.executableURL = bin
        p.currentDirectoryURL = InspectorEndToEndTests.repo
        p.arguments = args
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning { p.terminate(); throw E2EError(message: "amps \(args.first ?? "") did not finish in \(Int(timeout)) s") }
        return AmpsRun(status: p.terminationStatus, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                       stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}
