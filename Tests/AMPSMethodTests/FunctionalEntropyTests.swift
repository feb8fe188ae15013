@testable import AMPSMethod
import XCTest

/// Hand-checked small cases of the estimators behind MCS.
final class FunctionalEntropyTests: XCTestCase {
    func testConstantFunctionHasZeroEntropy() throws {
        let e = try FunctionalEntropy(samples: [0.7, 0.7, 0.7, 0.7])
        XCTAssertEqual(e.value, 0, accuracy: 1e-15)
        XCTAssertEqual(e.standardError, 0, accuracy: 1e-15)
    }

    func testTwoPointCaseByHand() throws {
        // f = {1, e}: E[f log f] = e/2, E[f] = (1+e)/2, Ent = e/2 - (1+e)/2 * log((1+e)/2)
        let e = M_E
        let expected = e / 2 - (1 + e) / 2 * log((1 + e) / 2)
        let fe = try FunctionalEntropy(samples: [1, e])
        XCTAssertEqual(fe.value, expected, accuracy: 1e-12)
        XCTAssertGreaterThan(fe.value, 0)
    }

    func testEntropyIsHomogeneousOfDegreeOne() throws {
        // Ent(c f) = c Ent(f) for c > 0.
        let f: [Double] = [0.2, 0.9, 1.7, 0.4, 3.1]
        let a = try FunctionalEntropy(samples: f).value
        let b = try FunctionalEntropy(samples: f.map { $0 * 3 }).value
        XCTAssertEqual(b, 3 * a, accuracy: 1e-12)
    }

    func testStandardErrorShrinksWithMoreSamples() throws {
        var g = NoiseGenerator(seed: 7)
        let small = try FunctionalEntropy(samples: (0..<50).map { _ in exp(g.gaussian()) })
        let large = try FunctionalEntropy(samples: (0..<5000).map { _ in exp(g.gaussian()) })
        XCTAssertLessThan(large.standardError, small.standardError)
        // log-normal(0,1): E[f log f] = e^{1/2} * 1, E[f] = e^{1/2}: Ent = e^{1/2} - e^{1/2} * 1/2 = e^{1/2}/2
        XCTAssertEqual(large.value, exp(0.5) / 2, accuracy: 4 * large.standardError + 0.02)
    }

    func testRejectsTooFewOrBadSamples() {
        XCTAssertThrowsError(try FunctionalEntropy(samples: [1]))
        XCTAssertThrowsError(try FunctionalEntropy(samples: [1, .nan]))
        XCTAssertThrowsError(try FunctionalEntropy(samples: [1, -0.5]))
    }

    func testFunctionals() {
        let clean = [0.7, 0.2, 0.1], pert = [0.5, 0.4, 0.1]
        XCTAssertEqual(Functional.crossEntropy.evaluate(clean: clean, perturbed: pert),
                       -(0.7 * log(0.5) + 0.2 * log(0.4) + 0.1 * log(0.1)), accuracy: 1e-12)
        XCTAssertEqual(Functional.kl.evaluate(clean: clean, perturbed: pert),
                       0.7 * log(0.7 / 0.5) + 0.2 * log(0.2 / 0.4), accuracy: 1e-12)
        XCTAssertEqual(Functional.kl.evaluate(clean: clean, perturbed: clean), 0, accuracy: 1e-12)
        XCTAssertEqual(Functional.cleanAnswerProbability.evaluate(clean: clean, perturbed: pert), 0.5)
    }

    func testNoiseIsDeterministicAndScaledPerFeature() {
        var a = NoiseGenerator(seed: 42), b = NoiseGenerator(seed: 42)
        let ta = a.noise(samples: 200, positions: 10, sigma: [0.5, 2])
        let tb = b.noise(samples: 200, positions: 10, sigma: [0.5, 2])
        XCTAssertEqual(ta.array, tb.array)
        var s0 = 0.0, s1 = 0.0
        for i in 0..<2000 { s0 += Double(ta[2 * i] * ta[2 * i]); s1 += Double(ta[2 * i + 1] * ta[2 * i + 1]) }
        XCTAssertEqual((s0 / 2000).squareRoot(), 0.5, accuracy: 0.05)
        XCTAssertEqual((s1 / 2000).squareRoot(), 2, accuracy: 0.2)
        XCTAssertNotEqual(NoiseGenerator.seed(0, "a"), NoiseGenerator.seed(0, "b"))
    }

    func testCorrelationByHand() {
        let c = Correlation([1, 2, 3, 4], [2, 4, 6, 8.5])
        XCTAssertEqual(c.spearman!, 1, accuracy: 1e-12)
        XCTAssertGreaterThan(c.pearson!, 0.99)
        XCTAssertEqual(Correlation([1, 2, 3], [3, 2, 1]).pearson!, -1, accuracy: 1e-12)
        XCTAssertNil(Correlation([1, 1, 1], [1, 2, 3]).pearson)
        XCTAssertEqual(Correlation.ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1])
    }

    func testTallyRatios() {
        var t = AnswerTally()
        for c in [AnswerClass.vision, .vision, .text, .other] { t.add(c) }
        XCTAssertEqual(t.visionRatio!, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(t.collapseRate!, 0.25, accuracy: 1e-12)
        XCTAssertNil(AnswerTally().visionRatio)
    }

    func testAMPSRuleReducesSteeringOnOneSide() {
        let rule = AMPSScaling(beta: -2, anchor: 0.4)
        XCTAssertEqual(rule.factor(mcr: 0.4), 1, accuracy: 1e-12)
        XCTAssertEqual(rule.factor(mcr: 0.6), 0.6, accuracy: 1e-12)
        XCTAssertEqual(rule.factor(mcr: 1.2), 0)  // clamped at zero, never reversed
    }
}
