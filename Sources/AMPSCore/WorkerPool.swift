import Foundation
import Synchronization

/// glibc's pthread_setname_np (a GNU extension the Glibc module does not bring in).
@_silgen_name("pthread_setname_np")
private func setThreadName(_ thread: pthread_t, _ name: UnsafePointer<CChar>) -> Int32

/// The helper threads behind `Parallel`: fork–join for short jobs, with the caller as
/// worker 0.
///
/// Why not Dispatch: a decoding step through a 0.5B model is ~170 products of a few
/// hundred microseconds, each split in two; waking a parked Dispatch worker for each
/// cost more than the split saved. Helpers here spin for a short while after a job (the
/// next one usually follows within microseconds) and only then park on a condition
/// variable, so an idle engine costs no CPU.
final class WorkerPool: @unchecked Sendable {
    /// Helpers actually running: fewer than asked for when the system refused a thread.
    private(set) var helpers = 0
    /// The error of the first helper that could not be started (nil when all started).
    private(set) var startFailure: Int32?
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let inJob = Atomic<Bool>(false)
    nonisolated(unsafe) private var job: ((Int) -> Void)?
    nonisolated(unsafe) private var jobCount = 0
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    /// Spins of a waiting helper before it parks (tens of microseconds).
    static let spinsBeforeParking = 40_000

    /// Starts `helpers` threads; stops at the first the system refuses (RLIMIT_NPROC, no
    /// memory for its stack), so that `run` never waits for a helper that does not exist
    /// (Foundation's Thread.start ignores pthread_create's error, and the caller then spun
    /// forever on the pending count). `start` is pthread_create's stand-in for tests.
    init(helpers wanted: Int, start: (@escaping () -> Void) -> Int32 = WorkerPool.startThread) {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        // Helpers read only the job fields, never `helpers`, which is final once init returns.
        for i in stride(from: 1, through: wanted, by: 1) {
            let code = start { [unowned self] in self.helperLoop(index: i) }
            if code != 0 { startFailure = code; break }
            helpers += 1
        }
    }

    /// pthread_create with the default attributes, detached; the error number, 0 on success.
    static func startThread(_ body: @escaping () -> Void) -> Int32 {
        final class Box { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let code = pthread_create(&thread, nil, { arg in
            let b = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            b.body()
            return nil
        }, box)
        if code != 0 { Unmanaged<Box>.fromOpaque(box).release(); return code }
        pthread_detach(thread)
        return 0
    }

    /// body(i) for i in 0..<n; returns when all are done. Pieces beyond helpers + 1 run on
    /// the caller after its own. A call from inside a job runs inline.
    func run(_ n: Int, _ body: (Int) -> Void) {
        guard n > 1, helpers > 0, inJob.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for i in 0..<n { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            job = body
            jobCount = n
            pending.store(helpers, ordering: .sequentiallyConsistent)
            generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(&mutex); pthread_cond_broadcast(&wake); pthread_mutex_unlock(&mutex)
            }
            body(0)
            // More pieces than workers (a pool that could not start every helper): the
            // caller takes the rest. The bodies of a run never wait for one another.
            for i in stride(from: helpers + 1, to: n, by: 1) { body(i) }
            while pending.load(ordering: .acquiring) > 0 {}
            job = nil
        }
        inJob.store(false, ordering: .releasing)
    }

    private func helperLoop(index: Int) {
        _ = setThreadName(pthread_self(), "amps-worker-\(index)")
        var seen = 0
        var niceness: Int32 = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < WorkerPool.spinsBeforeParking { continue }
                pthread_mutex_lock(&mutex)
                sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
                while generation.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(&wake, &mutex) }
                sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(&mutex)
            }
            seen = generation.load(ordering: .acquiring)
            if niceness != Parallel.helperNiceness {
                niceness = Parallel.helperNiceness
                Parallel.setThreadNiceness(niceness)
            }
            if index < jobCount, let job { job(index) }
            pending.wrappingSubtract(1, ordering: .releasing)
        }
    }
}
