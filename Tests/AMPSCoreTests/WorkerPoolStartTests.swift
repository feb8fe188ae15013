@testable import AMPSCore
import Foundation
import XCTest

/// A helper thread the system refuses is noticed: the pool runs with the helpers it has
/// (the caller takes the missing ones' pieces) instead of waiting forever for them.
final class WorkerPoolStartTests: XCTestCase {
    /// Starts the first `allowed` threads for real, then fails as pthread_create does
    /// under RLIMIT_NPROC.
    func starter(allowing allowed: Int) -> (@escaping () -> Void) -> Int32 {
        var started = 0
        return { body in
            guard started < allowed else { return EAGAIN }
            started += 1
            return WorkerPool.startThread(body)
        }
    }

    /// Runs `body` on another thread and fails when it does not finish within `seconds`.
    func finishes(within seconds: Double, _ what: String, _ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { body(); done.signal() }
        XCTAssertEqual(done.wait(timeout: .now() + seconds), .success, "\(what) hung")
    }

    func testRefusedHelpersAreCountedAndTheirPiecesStillRun() {
        let pool = WorkerPool(helpers: 5, start: starter(allowing: 2))
        XCTAssertEqual(pool.helpers, 2)
        XCTAssertEqual(pool.startFailure, EAGAIN)
        finishes(within: 20, "a run of 6 pieces on 3 workers") {
            let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: 6)
            hits.initialize(repeating: 0)
            for _ in 0..<50 { pool.run(6) { i in hits[i] += 1 } }
            XCTAssertEqual(Array(hits), Array(repeating: 50, count: 6))
            hits.deallocate()
        }
    }

    func testAPoolWithNoHelpersRunsEverythingOnTheCaller() {
        let pool = WorkerPool(helpers: 3, start: { _ in EAGAIN })
        XCTAssertEqual(pool.helpers, 0)
        finishes(within: 10, "a run on a pool without helpers") {
            var seen: [Int] = []
            pool.run(4) { seen.append($0) }
            XCTAssertEqual(seen, [0, 1, 2, 3])
        }
    }

    func testAllHelpersStartNormally() {
        let pool = WorkerPool(helpers: 2)
        XCTAssertEqual(pool.helpers, 2)
        XCTAssertNil(pool.startFailure)
        let sums = UnsafeMutableBufferPointer<Int>.allocate(capacity: 3)
        sums.initialize(repeating: 0)
        defer { sums.deallocate() }
        pool.run(3) { i in for k in 0...1000 { sums[i] += k * (i + 1) } }
        XCTAssertEqual(Array(sums), [500_500, 1_001_000, 1_501_500])
    }
}
