@testable import AMPSCore
import Foundation
import XCTest

/// The kernels against naive or hand-computed results.
final class KernelTests: XCTestCase {
    func testVectorExpMatchesExpf() {
        var worst: Float = 0
        var x: Float = -80
        while x < 80 {
            let v = exp8(SIMD8<Float>(repeating: x))[3]
            worst = max(worst, abs(v - expf(x)) / expf(x))
            x += 0.037
        }
        XCTAssertLessThan(worst, 5e-7)
        XCTAssertEqual(exp8(SIMD8(repeating: -200))[0], expf(-87), accuracy: 1e-38)
    }

    func testGemmNTAgainstNaiveProduct() {
        let m = 5, n = 7, k = 3
        let a = (0..<(m * k)).map { Float($0 % 5) - 2 }, b = (0..<(n * k)).map { Float($0 % 3) * 0.5 }
        var c = [Float](repeating: 0, count: m * n)
        BLAS.gemmNT(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, c: &c, ldc: n)
        for i in 0..<m { for j in 0..<n {
            let want = (0..<k).map { a[i * k + $0] * b[j * k + $0] }.reduce(0, +)
            XCTAssertEqual(c[i * n + j], want, accuracy: 1e-6)
        } }
    }

    func testRMSNormByHand() {
        // x = (3, 4): mean square 12.5, so x / sqrt(12.5) with unit weight.
        var out = [Float](repeating: 0, count: 2)
        rmsNorm([3, 4], rows: 1, dim: 2, weight: [1, 2], eps: 0, into: &out)
        XCTAssertEqual(out[0], 3 / Float(12.5).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(out[1], 2 * 4 / Float(12.5).squareRoot(), accuracy: 1e-6)
    }

    func testLayerNormByHand() {
        var out = [Float](repeating: 0, count: 3)
        layerNorm([1, 2, 3], rows: 1, dim: 3, weight: [1, 1, 1], bias: [0, 0, 1], eps: 0, into: &out)
        let s = (2.0 / 3.0).squareRoot()
        XCTAssertEqual(out[0], Float(-1 / s), accuracy: 1e-5)
        XCTAssertEqual(out[2], Float(1 / s) + 1, accuracy: 1e-5)
    }

    func testRotaryEmbeddingRotatesPairsAndKeepsNorms() {
        let rope = RotaryEmbedding(headDim: 4, theta: 10000)
        var x: [Float] = [1, 2, 3, 4]
        rope.apply(&x, rows: 1, heads: 1, ld: 4, firstPosition: 1)
        // pairs (x0, x2) and (x1, x3) rotate by angles 1 and 1/100
        XCTAssertEqual(x[0], 1 * cosf(1) - 3 * sinf(1), accuracy: 1e-6)
        XCTAssertEqual(x[2], 3 * cosf(1) + 1 * sinf(1), accuracy: 1e-6)
        XCTAssertEqual(x[1], 2 * cosf(0.01) - 4 * sinf(0.01), accuracy: 1e-6)
        XCTAssertEqual(x.map { $0 * $0 }.reduce(0, +), 30, accuracy: 1e-4)
    }

    func testCausalAttentionByHand() {
        // One head, two positions; the first query sees only key 0.
        let q: [Float] = [1, 0, 0, 1], k: [Float] = [1, 0, 0, 1], v: [Float] = [10, 0, 0, 20]
        var scores = [Float](repeating: 0, count: 4), out = [Float](repeating: 0, count: 4)
        multiHeadAttention(q: q, qLd: 2, rows: 2, heads: 1, kvHeads: 1, headDim: 2, keys: k, values: v, kvLd: 2, keyRows: 2,
                           firstQueryPosition: 0, causal: true, scale: 1, scores: &scores, out: &out, outLd: 2)
        XCTAssertEqual(out[0], 10, accuracy: 1e-5)
        let w1 = 1 / (1 + expf(1))  // second query: softmax(0, 1) over keys 0, 1
        XCTAssertEqual(out[2], 10 * w1, accuracy: 1e-4)
        XCTAssertEqual(out[3], 20 * (1 - w1), accuracy: 1e-4)
    }

    func testSiLUGateVectorAndScalarPathsAgree() {
        let n = 19
        var gate = (0..<n).map { Float($0) * 0.7 - 6 }
        let up = (0..<n).map { Float($0 % 4) - 1.5 }
        let want = zip(gate, up).map { g, u in g / (1 + expf(-g)) * u }
        gatedActivation(.silu, gate: &gate, up: up, count: n)
        for i in 0..<n { XCTAssertEqual(gate[i], want[i], accuracy: 1e-5) }
    }
}
