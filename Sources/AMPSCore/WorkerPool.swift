import Foundation
import Synchronization

/// The helper threads behind `Parallel`: fork–join for short jobs, with the caller as
/// worker 0.
///
/// Why not Dispatch: a decoding step through a 0.5B model is ~170 products of a few
/// hundred microseconds, each split in two; waking a parked Dispatch worker for each
/// cost more than the split saved. Helpers here spin for a short while after a job (the
/// next one usually follows within microseconds) and only then park on a condition
/// variable, so an idle engine costs no CPU.
final class WorkerPool: @unchecked Sendable {
    let helpers: Int
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

    init(helpers: Int) {
        self.helpers = helpers
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        for i in stride(from: 1, through: helpers, by: 1) {
            let t = Thread { [unowned self] in self.helperLoop(index: i) }
            t.name = "amps-worker-\(i)"
            t.start()
        }
    }

    /// body(i) for i in 0..<n, n <= helpers + 1; returns when all are done. A call from
    /// inside a job runs inline.
    func run(_ n: Int, _ body: (Int) -> Void) {
        guard n > 1, helpers > 0, inJob.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for i in 0..<n { body(i) }
            return
        }
        precondition(n <= helpers + 1, "\(n) jobs for \(helpers + 1) workers")
        withoutActuallyEscaping(body) { body in
            job = body
            jobCount = n
            pending.store(helpers, ordering: .sequentiallyConsistent)
            generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(&mutex); pthread_cond_broadcast(&wake); pthread_mutex_unlock(&mutex)
            }
            body(0)
            while pending.load(ordering: .acquiring) > 0 {}
            job = nil
        }
        inJob.store(false, ordering: .releasing)
    }

    private func helperLoop(index: Int) {
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
