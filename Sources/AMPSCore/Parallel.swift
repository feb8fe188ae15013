import Foundation
import Synchronization

/// Parallelism above BLAS: independent pieces of work (the sequences of a batched pass,
/// the row blocks of a long one, the probes of an evaluation) spread over the engine's
/// cores, each worker running BLAS single-threaded.
///
/// Why not leave it to OpenBLAS: these models' products are small (a 128-wide layer,
/// ~100 rows per sequence), and OpenBLAS's workers spent a fifth of their time in
/// sched_yield between them. Whole sequences on separate cores need no synchronisation
/// until the end; a single sequence synchronises twice per layer instead of at every
/// product.
/// glibc's gettid (2.30+), which the Glibc module does not bring in.
@_silgen_name("gettid")
private func threadID() -> Int32

public enum Parallel {
    /// Workers a region may use (the command sets it with BLAS's thread count).
    nonisolated(unsafe) public static var workers = 1

    /// Niceness the helper threads take at their next job (the inspector lowers its
    /// engine's priority below the UI thread's: on two cores, two busy workers otherwise
    /// delay key handling by a scheduler slice now and then).
    nonisolated(unsafe) public static var helperNiceness: Int32 = 0

    /// Lowers the calling thread's priority to `niceness` (Linux: per-thread nice).
    public static func setThreadNiceness(_ niceness: Int32) {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(threadID()), niceness)
        #endif
    }

    /// Below this many rows per worker, rows are not split (synchronising costs more).
    nonisolated(unsafe) public static var minimumRowsPerWorker = 24
    /// Below this many multiply-adds (a decoding row counted as 8), a product or an
    /// attention call runs on one worker.
    nonisolated(unsafe) public static var minimumWork = 1 << 21

    /// 1 while a region runs: a region entered from inside another (a batched pass inside
    /// a parallel evaluation) runs sequentially on its worker.
    private static let busy = Atomic<Int>(0)

    /// The helper threads, made on first use and grown when `workers` grows. A pool the
    /// system would not give every thread is kept as it is (its caller takes the pieces of
    /// the missing helpers): asking again would only pile up more threads.
    private static let pools = Mutex<WorkerPool?>(nil)
    static func pool(workers: Int, start: (@escaping () -> Void) -> Int32 = WorkerPool.startThread) -> WorkerPool {
        pools.withLock { p in
            if let existing = p, existing.helpers >= workers - 1 || existing.startFailure != nil { return existing }
            let made = WorkerPool(helpers: workers - 1, start: start)
            if let existing = p, existing.helpers >= made.helpers { return existing }
            p = made  // a smaller pool's threads stay parked
            return made
        }
    }

    /// Sets `workers` and starts their helper threads now, so that a thread the system
    /// refuses is an error before any work, never a hang or a silent slowdown.
    public static func start(workers count: Int) throws {
        precondition(count >= 1)
        try start(workers: count, using: WorkerPool.startThread)
    }

    static func start(workers count: Int, using start: (@escaping () -> Void) -> Int32) throws {
        workers = count
        guard count > 1 else { return }
        let p = pool(workers: count, start: start)
        if p.helpers < count - 1 {
            let reason = p.startFailure.map { String(cString: strerror($0)) } ?? "refused"
            workers = p.helpers + 1
            throw AMPSError.unsupported("only \(p.helpers + 1) of \(count) engine threads could be started (creating thread \(p.helpers + 2): \(reason))")
        }
    }

    /// Runs `body` with `workers` workers and the split thresholds lowered so that even the
    /// smallest shapes split (tests drive every split path with small checkpoints), BLAS
    /// single-threaded; the settings are restored afterwards.
    public static func splittingEverything<T>(workers count: Int = 2, _ body: () throws -> T) rethrows -> T {
        let saved = (workers, minimumRowsPerWorker, minimumWork, BLAS.threadCount)
        (workers, minimumRowsPerWorker, minimumWork) = (count, 2, 1)
        BLAS.threadCount = 1
        defer { (workers, minimumRowsPerWorker, minimumWork) = (saved.0, saved.1, saved.2); BLAS.threadCount = saved.3 }
        return try body()
    }

    /// Whether a region entered now would run on several workers.
    public static var available: Bool { workers > 1 && busy.load(ordering: .relaxed) == 0 }

    /// The workers of a region: `run(n, body)` calls body(0..<n) concurrently, one index
    /// per worker (n at most `count`).
    public struct Workers {
        public let count: Int
        /// No helpers: `run` calls the bodies in turn on the caller's thread.
        public static let caller = Workers(count: 1)
        public func run(_ n: Int, _ body: (Int) -> Void) {
            precondition(n <= max(count, 1))
            if n <= 1 || count <= 1 { for i in 0..<n { body(i) }; return }
            Parallel.pool(workers: count).run(n, body)
        }
    }

    /// Runs `body` with the workers reserved for it and BLAS single-threaded meanwhile;
    /// with one worker (none free, or a single core) `body` sees Workers(count: 1).
    public static func reserve<T>(_ body: (Workers) throws -> T) rethrows -> T {
        guard workers > 1, busy.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged else {
            return try body(Workers(count: 1))
        }
        defer { busy.store(0, ordering: .releasing) }
        let blasThreads = BLAS.threadCount
        if blasThreads != 1 { BLAS.threadCount = 1 }
        defer { if blasThreads != 1 { BLAS.threadCount = blasThreads } }
        return try body(Workers(count: workers))
    }

    /// body(i) for i in 0..<count, results in index order. Indices are handed out one at a
    /// time (uneven pieces balance); the first error thrown is rethrown once all stop.
    public static func map<T>(_ count: Int, _ body: (Int) throws -> T) throws -> [T] {
        try reserve { w in
            if w.count <= 1 || count <= 1 { return try (0..<count).map(body) }
            let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
            results.initialize(repeating: nil)
            defer { results.deinitialize(); results.deallocate() }
            let next = Atomic<Int>(0)
            let failure = Mutex<Error?>(nil)
            w.run(min(w.count, count)) { _ in
                while true {
                    let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if i >= count || failure.withLock({ $0 != nil }) { return }
                    do { results[i] = try body(i) } catch { failure.withLock { if $0 == nil { $0 = error } } }
                }
            }
            if let e = failure.withLock({ $0 }) { throw e }
            return results.map { $0! }
        }
    }

    public static func forEach(_ count: Int, _ body: (Int) throws -> Void) throws {
        _ = try map(count, body)
    }

    /// 0..<count in at most `parts` contiguous chunks of near-equal size.
    public static func chunks(_ count: Int, parts: Int = workers) -> [Range<Int>] {
        let w = max(1, min(parts, count))
        return (0..<w).map { i in (count * i / w)..<(count * (i + 1) / w) }
    }
}
