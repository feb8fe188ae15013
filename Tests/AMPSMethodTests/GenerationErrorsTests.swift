@testable import AMPSMethod
import Foundation
import XCTest

/// Generation errors, MCR definedness and the fit objective on hand-made cases whose
/// answers were worked out by hand (docs/METHOD.md, "Generation errors").
final class GenerationErrorsTests: XCTestCase {
    func item(_ conflict: Bool, _ v: AnswerClass?, _ t: AnswerClass?) -> ItemAnswers {
        var a: [OptionOrder: AnswerClass] = [:]
        if let v { a[.visionFirst] = v }
        if let t { a[.textFirst] = t }
        return ItemAnswers(isConflict: conflict, answers: a)
    }

    func testLetterCollapseIsTheSameLetterInBothOrders() {
        // vision-first: A = vision; text-first: A = text.
        XCTAssertEqual(item(true, .vision, .text).letterCollapse, true)    // A, A
        XCTAssertEqual(item(true, .text, .vision).letterCollapse, true)    // B, B
        XCTAssertEqual(item(true, .vision, .vision).letterCollapse, false) // A, B: a consistent vision preference
        XCTAssertEqual(item(true, .text, .text).letterCollapse, false)
        XCTAssertEqual(item(true, .other, .text).letterCollapse, false)    // an "other", counted as (a)
        XCTAssertNil(item(true, .vision, nil).letterCollapse)              // one order: cannot be seen
        XCTAssertEqual(ItemAnswers.letter(.vision, order: .textFirst), 1)
        XCTAssertTrue(item(false, .vision, .text).nonConflictError)
        XCTAssertFalse(item(false, .vision, .vision).isError)
    }

    func testRatesOnAHandMadeSplit() {
        var e = GenerationErrors()
        // conflict items: VV (fine), VT (A,A collapse), TV (B,B collapse), TT (fine), OV (other), VO (other)
        for (v, t) in [(AnswerClass.vision, AnswerClass.vision), (.vision, .text), (.text, .vision), (.text, .text), (.other, .vision), (.vision, .other)] {
            e.add(item(true, v, t))
        }
        // non-conflict items: VV (correct), VT (one wrong), OV (other and wrong), VV
        for (v, t) in [(AnswerClass.vision, AnswerClass.vision), (.vision, .text), (.other, .vision), (.vision, .vision)] {
            e.add(item(false, v, t))
        }
        XCTAssertEqual(e.items, 10)
        XCTAssertEqual(e.otherRate!, 3.0 / 10, accuracy: 1e-12)           // OV, VO, non-conflict OV
        XCTAssertEqual(e.letterCollapseRate!, 2.0 / 6, accuracy: 1e-12)   // VT, TV of 6 conflict items
        XCTAssertEqual(e.accuracyNonConflict!, 6.0 / 8, accuracy: 1e-12)  // 8 probes, VT and OV miss one each
        // errors: VT, TV, OV, VO (conflict) + VT, OV (non-conflict) = 6 of 10
        XCTAssertEqual(e.errorRate!, 6.0 / 10, accuracy: 1e-12)
        XCTAssertNil(GenerationErrors().errorRate)
        XCTAssertNil(GenerationErrors().letterCollapseRate)
    }

    func testAnswerAlwaysALooksLikeAFiftyPercentVisionRatioAndAFullCollapse() {
        // The default model at uniform alpha >= 1 (docs/RESULTS.md): letter A whatever the options.
        var e = GenerationErrors(), t = AnswerTally()
        for _ in 0..<5 {
            e.add(item(true, .vision, .text)); t.add(.vision); t.add(.text)
            e.add(item(false, .vision, .text))
        }
        XCTAssertEqual(t.visionRatio!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(t.collapseRate!, 0, accuracy: 1e-12)   // the old metric saw nothing
        XCTAssertEqual(e.letterCollapseRate!, 1, accuracy: 1e-12)
        XCTAssertEqual(e.accuracyNonConflict!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(e.errorRate!, 1, accuracy: 1e-12)
    }

    func testMCRIsUndefinedUnlessClearlyAboveZero() throws {
        // Values like a random checkpoint's: 1e-17 each.
        XCTAssertNil(ContributionRatio.ratio(vision: 1e-17, visionSE: 1e-18, text: 3e-17, textSE: 1e-18))
        // Both within 2 standard errors of zero.
        XCTAssertNil(ContributionRatio.ratio(vision: 1e-3, visionSE: 0.6e-3, text: 2e-3, textSE: 1.5e-3))
        // One clearly non-zero is enough: the other modality then contributes ~nothing.
        XCTAssertEqual(ContributionRatio.ratio(vision: 3e-3, visionSE: 1e-3, text: 1e-3, textSE: 1e-3)!, 0.75, accuracy: 1e-12)
        // From samples: a constant functional has entropy 0 and SE 0 in both modalities.
        let flat = try FunctionalEntropy(samples: [1, 1, 1, 1])
        XCTAssertNil(LayerContribution(layer: 0, vision: flat, text: flat).ratio)
        let moving = try FunctionalEntropy(samples: [0.1, 2, 0.3, 3, 0.2, 2.5])
        XCTAssertEqual(LayerContribution(layer: 0, vision: moving, text: flat).ratio!, 1, accuracy: 1e-12)
        XCTAssertNil(ContributionMap(layers: [LayerContribution(layer: 3, vision: flat, text: flat)]).ratio(window: 3...3))
    }

    func testTheObjectivePicksTheBetaAHandComputationPicks() {
        // lambda = 2: J = shift - 2 * error.
        //   beta -1: shift 0.10, error 0.00 -> 0.10
        //   beta  0: shift 0.20, error 0.04 -> 0.12
        //   beta  1: shift 0.30, error 0.10 -> 0.10
        //   beta  2: shift 0.40, error 0.30 -> -0.20
        // By hand the best is beta 0; with lambda 0 it is beta 2 (the largest shift).
        let cases: [(Double, Double, Double)] = [(-1, 0.10, 0), (0, 0.20, 0.04), (1, 0.30, 0.10), (2, 0.40, 0.30)]
        func rows(_ lambda: Double) -> [ScalingFit.Row] {
            cases.map { ScalingFit.Row(alpha: 0.5, beta: $0.0, visionRatio: nil, shift: $0.1, otherRate: 0, letterCollapseRate: $0.2,
                                       errorRate: $0.2, objective: ScalingFit.Row.objective(shift: $0.1, errorRate: $0.2, lambda: lambda)) }
        }
        XCTAssertEqual(ScalingFit.best(rows(2))!.beta, 0)
        XCTAssertEqual(ScalingFit.best(rows(2))!.objective!, 0.12, accuracy: 1e-12)
        XCTAssertEqual(ScalingFit.best(rows(0))!.beta, 2)
        // A tie (beta -1 and 1 at lambda 2 without beta 0) goes to the smaller |beta|, then alpha.
        let tie = rows(2).filter { $0.beta != 0 }
        XCTAssertEqual(abs(ScalingFit.best(tie)!.beta), 1)
        XCTAssertNil(ScalingFit.Row.objective(shift: nil, errorRate: 0, lambda: 1))
    }

    func testTheRuleTowardTextReadsTheTextShare() {
        let rule = AMPSScaling(beta: 2, anchor: 0.4)
        // Toward text: gamma = beta ((1 - MCR) - (1 - anchor)).
        XCTAssertEqual(rule.factor(mcr: 0.6, toward: .text), 1 + 2 * ((1 - 0.6) - (1 - 0.4)), accuracy: 1e-12)
        XCTAssertEqual(rule.factor(mcr: 0.6, toward: .vision), rule.factor(mcr: 0.6), accuracy: 1e-12)
        XCTAssertEqual(SteeringDirection.text.sign, -1)
        XCTAssertThrowsError(try SteeringDirection.parse("up")) { XCTAssertTrue("\($0)".contains("--toward")) }
    }
}
