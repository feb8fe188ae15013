import AMPSMethod
import XCTest

/// The generation errors of one instance along the alpha grid, on hand-made curves.
final class ErrorKindsAlongAlphaTests: XCTestCase {
    func d(_ c: AnswerClass) -> AnswerDistribution {
        AnswerDistribution(pVision: c == .vision ? 0.8 : 0.1, pText: c == .text ? 0.8 : 0.1, argmaxClass: c, topTokenId: 0)
    }

    func testConflictItem() {
        let grid: [Double] = [0, 0.5, 1, 1.5, 2]
        // vision-first: T V V V O;  text-first: T T V V V  → letters: vf B A A A -, tf A A B B B (V in text-first is B)
        let vf = SensitivityCurve(alphas: grid, answers: [.text, .vision, .vision, .vision, .other].map(d))
        let tf = SensitivityCurve(alphas: grid, answers: [.text, .text, .vision, .vision, .vision].map(d))
        let k = ErrorKindsAlongAlpha(curve: vf, order: .visionFirst, otherCurve: tf, isConflict: true)
        XCTAssertEqual(k.other, [2])
        // α 0: vf T = B, tf T = A → different letters; α 0.5: vf V = A, tf T = A → same letter.
        XCTAssertEqual(k.letterCollapse, [0.5])
        XCTAssertEqual(k.nonConflictWrong, [Double]())
        XCTAssertEqual(ErrorKindsAlongAlpha.ranges([0.5, 1, 2], grid: grid) { String($0) }, "0.5–1.0, 2.0")
        XCTAssertEqual(ErrorKindsAlongAlpha.ranges([], grid: grid) { String($0) }, "none")
        // One order alone: only its own "other" answers can be seen.
        let alone = ErrorKindsAlongAlpha(curve: vf, order: .visionFirst, otherCurve: nil, isConflict: true)
        XCTAssertEqual(alone.other, [2])
        XCTAssertEqual(alone.letterCollapse, [Double]())
    }

    func testNonConflictItem() {
        let grid: [Double] = [0, 1, 2]
        let vf = SensitivityCurve(alphas: grid, answers: [.vision, .text, .vision].map(d))
        let tf = SensitivityCurve(alphas: grid, answers: [.vision, .vision, .other].map(d))
        let k = ErrorKindsAlongAlpha(curve: vf, order: .visionFirst, otherCurve: tf, isConflict: false)
        XCTAssertEqual(k.nonConflictWrong, [1, 2])
        XCTAssertEqual(k.other, [2])
        XCTAssertEqual(k.letterCollapse, [Double]())
    }
}
