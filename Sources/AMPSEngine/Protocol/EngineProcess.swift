import AMPSCore
import Foundation

/// An engine process started from a command line (`/bin/sh -c COMMAND`), e.g.
/// `amps-torch-engine --device cuda` or `ssh gpu-box amps-torch-engine`: frames go to its stdin
/// and come back on its stdout, one reply per request; its stderr is kept (the last lines) to
/// explain a failure. Every wait has a timeout; a dead or silent engine becomes one error line
/// naming the engine command, never a hang.
public final class EngineProcess: @unchecked Sendable {
    public static let protocolVersion = 1
    public let command: String
    let process = Process()
    let stdinPipe = Pipe(), stdoutPipe = Pipe(), stderrPipe = Pipe()
    private let lock = NSLock()
    private var replies: [Result<EngineFrame, EngineFailure>] = []
    private let available = DispatchSemaphore(value: 0)
    private var stderrTail = Data()
    private var nextId = 0
    private var dead = false
    /// Why the engine is gone, repeated to every later request: whichever thread asks first,
    /// the user reads the cause (exited, garbage, a timeout), not "no longer running".
    private var lostBecause: String?
    /// Whether the engine is gone (exited, killed after a timeout, or stopped for speaking garbage).
    public var isDead: Bool { dead }

    enum EngineFailure: Error { case eof, garbage(String) }

    /// Starts the command and completes the hello handshake within `helloTimeout` seconds.
    public init(command: String, helloTimeout: Double = 120) throws {
        self.command = command
        signal(SIGPIPE, SIG_IGN)  // a dead engine's closed stdin is an error to report, not a signal
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        stderrPipe.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self, !d.isEmpty else { return }
            self.lock.lock()
            self.stderrTail.append(d)
            if self.stderrTail.count > 8192 { self.stderrTail = self.stderrTail.suffix(4096) }
            self.lock.unlock()
        }
        do { try process.run() } catch { throw fail("cannot be started (\(error.localizedDescription))") }
        let reader = Thread { [weak self] in self?.readLoop() }
        reader.stackSize = 1 << 20
        reader.start()
        let hello = try request(["kind": "hello", "protocol": EngineProcess.protocolVersion, "client": "amps"], timeout: helloTimeout, what: "hello")
        guard hello.kind == "hello" else { throw fail("answered the handshake with '\(hello.kind)'") }
        let v = (hello.header["protocol"] as? NSNumber)?.intValue ?? -1
        guard v == EngineProcess.protocolVersion else {
            close()
            throw fail("speaks engine protocol \(v), amps needs \(EngineProcess.protocolVersion)")
        }
        helloReply = hello.header
    }

    public private(set) var helloReply: [String: Any] = [:]

    func fail(_ problem: String) -> AMPSError {
        .invalidInput("engine '\(command)': \(problem)")
    }

    private var lastStderrLine: String {
        lock.lock(); defer { lock.unlock() }
        let text = String(decoding: stderrTail, as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).last.map { String($0.prefix(200)) } ?? ""
    }

    // MARK: reading

    /// Reads n bytes, growing the buffer as they arrive (at most 64 MiB at a time): a frame
    /// that declares gigabytes and sends nothing costs nothing.
    private func readExactly(_ fd: Int32, _ n: Int) -> Data? {
        var out = Data()
        var chunk = Data(count: min(n, 64 << 20))
        while out.count < n {
            let want = min(chunk.count, n - out.count)
            let r = chunk.withUnsafeMutableBytes { p in read(fd, p.baseAddress!, want) }
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { return nil }
            out.append(chunk.prefix(r))
        }
        return out
    }

    private func post(_ r: Result<EngineFrame, EngineFailure>) {
        lock.lock(); replies.append(r); lock.unlock()
        available.signal()
    }

    private func readLoop() {
        let fd = stdoutPipe.fileHandleForReading.fileDescriptor
        while true {
            guard let prefix = readExactly(fd, 16) else { post(.failure(.eof)); return }
            guard Array(prefix.prefix(4)) == EngineFrame.magic else {
                var shown = String(decoding: prefix.map { (32..<127).contains($0) ? $0 : 46 }, as: UTF8.self)
                if let more = readExactlyAvailable(fd) { shown += more }
                post(.failure(.garbage(String(shown.prefix(80))))); return
            }
            let hl: Int, pl: Int
            switch EngineFrame.lengths(ofPrefix: prefix) {
            case let .success(l): (hl, pl) = l
            case let .failure(e): post(.failure(.garbage(e.text))); return
            }
            guard let h = readExactly(fd, hl), let p = readExactly(fd, pl) else { post(.failure(.eof)); return }
            switch EngineFrame.decode(header: h, payload: p) {
            case let .success(f): post(.success(f))
            case let .failure(e): post(.failure(.garbage(e.text))); return
            }
        }
    }

    /// Up to 64 more printable bytes already waiting (for showing what a non-engine printed).
    private func readExactlyAvailable(_ fd: Int32) -> String? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, 100) > 0 else { return nil }
        var buf = [UInt8](repeating: 0, count: 64)
        let r = read(fd, &buf, 64)
        guard r > 0 else { return nil }
        return String(decoding: buf[0..<r].map { (32..<127).contains($0) ? $0 : 46 }, as: UTF8.self)
    }

    // MARK: requests

    /// Sends one request and waits up to `timeout` seconds for its reply. An `error` reply
    /// becomes an AMPSError carrying the engine's one-line message.
    public func request(_ header: [String: Any], tensors: [(String, EngineFrame.Blob)] = [], timeout: Double, what: String? = nil) throws -> EngineFrame {
        let name = what ?? (header["kind"] as? String ?? "request")
        guard !dead else { throw fail(lock.withLock { lostBecause } ?? "is no longer running") }
        nextId += 1
        var h = header
        h["id"] = nextId
        let data = try EngineFrame(header: h, tensors: tensors).encoded()
        let fd = stdinPipe.fileHandleForWriting.fileDescriptor
        var sent = 0
        while sent < data.count {
            let r = data.withUnsafeBytes { p in write(fd, p.baseAddress! + sent, data.count - sent) }
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { break }
            sent += r
        }
        if available.wait(timeout: .now() + timeout) == .timedOut {
            close()
            throw lost("no reply to \(name) within \(Int(timeout)) s")
        }
        lock.lock()
        let r = replies.removeFirst()
        lock.unlock()
        switch r {
        case let .success(f):
            if f.kind == "error" {
                let code = f.header["code"] as? String ?? "error"
                let msg = f.header["message"] as? String ?? "(no message)"
                if f.header["fatal"] as? Bool == true { close(); _ = lost(msg) }
                throw code == "numerical" ? AMPSError.numerical("engine '\(command)': \(msg)")
                    : code == "unsupported" ? AMPSError.unsupported("engine '\(command)': \(msg)") : fail(msg)
            }
            return f
        case .failure(.eof):
            dead = true
            process.waitUntilExit()
            let tail = lastStderrLine
            throw lost("exited (status \(process.terminationStatus))" + (tail.isEmpty ? "" : "; last message: \(tail)"))
        case let .failure(.garbage(shown)):
            close()
            throw lost("is not a protocol engine: it printed '\(shown)'")
        }
    }

    private func lost(_ problem: String) -> AMPSError {
        lock.withLock { if lostBecause == nil { lostBecause = problem } }
        return fail(problem)
    }

    /// Stops the engine: closes its stdin, then kills it if it has not exited within a second.
    public func close() {
        if dead { return }
        dead = true
        try? stdinPipe.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(1)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        stderrPipe.fileHandleForReading.readabilityHandler = nil
    }

    deinit { close() }
}
