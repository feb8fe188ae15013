import AMPSCore
import Foundation
import XCTest

/// The memory budget: what this process may still take, and the one-line refusal of more.
final class MemoryBudgetTests: XCTestCase {
    func testTheBudgetIsBelowPhysicalMemoryAndAboveNothing() {
        let left = MemoryBudget.available
        XCTAssertGreaterThan(left, 0)
        XCTAssertLessThanOrEqual(left, MemoryBudget.physicalBytes)
        // This process is running, so it holds some memory already.
        XCTAssertGreaterThan(MemoryBudget.processBytes.resident, 1e6)
        XCTAssertGreaterThanOrEqual(MemoryBudget.processBytes.virtual, MemoryBudget.processBytes.resident)
    }

    func testRequestsBeyondTheBudgetAreRefusedInOneLine() {
        XCTAssertNoThrow(try MemoryBudget.check(1e6, for: "a megabyte"))
        for bytes in [MemoryBudget.physicalBytes * 2, 1e30, .infinity, .nan] {
            XCTAssertThrowsError(try MemoryBudget.check(bytes, for: "the test request")) { e in
                let text = "\(e)"
                XCTAssertTrue(text.hasPrefix("the test request needs about "), text)
                XCTAssertTrue(text.contains("more than this process can take"), text)
                XCTAssertFalse(text.contains("\n"), text)
            }
        }
    }

    func testSizesAreShort() {
        XCTAssertEqual(MemoryBudget.describe(1_500_000_000), "1.5 GB")
        XCTAssertEqual(MemoryBudget.describe(320e6), "320 MB")
        XCTAssertEqual(MemoryBudget.describe(12_000), "12.0 KB")
        XCTAssertEqual(MemoryBudget.describe(512), "512 bytes")
        XCTAssertEqual(MemoryBudget.describe(5e13), "50.0 TB")
        XCTAssertEqual(MemoryBudget.describe(1e30), "1.0e+30 bytes")
        XCTAssertEqual(MemoryBudget.describe(.infinity), "an unbounded amount")
    }
}
