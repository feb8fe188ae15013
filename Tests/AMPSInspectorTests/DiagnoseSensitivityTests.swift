import Foundation
import XCTest

/// `amps diagnose` finds alpha_flip by bisection between the grid's points: on the default
/// model's test instance 200005 (answered from the text unsteered) it lies in the grid step where the answer flips, within the
/// precision asked for, and steering just below and at it gives the answers it claims.
final class DiagnoseSensitivityTests: XCTestCase {
    func testAlphaFlipIsBisectedWithinTheGridStep() throws {
        let r = try AmpsRun.run(["diagnose", "--threads", "1", "--instance", "200005", "-n", "2", "--alpha-max", "4", "--alpha-steps", "4",
                                 "--sensitivity-precision", "0.01", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        guard let s = r.json?["sensitivity"] as? [String: Any] else { return XCTFail("no sensitivity in \(r.stdout.prefix(400))") }
        let grid = (s["alpha_flip_grid"] as? NSNumber)?.doubleValue
        let flip = (s["alpha_flip"] as? NSNumber)?.doubleValue
        XCTAssertEqual(s["precision"] as? Double, 0.01)
        guard let g = grid, let f = flip else {
            // No flip on the grid: then none by bisection either.
            XCTAssertNil(grid); XCTAssertNil(flip); return
        }
        XCTAssertLessThanOrEqual(f, g)
        if g == 0 { return XCTAssertEqual(f, 0, "vision at alpha 0 already") }
        XCTAssertGreaterThan(f, g - 1.0 - 1e-9, "outside the grid step (grid flip \(g))")
        XCTAssertNotEqual(f.truncatingRemainder(dividingBy: 1), 0, "read off the grid: \(f)")
    }
}
