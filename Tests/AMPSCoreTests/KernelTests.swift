@testable import AMPSCore
import CKernels
import Foundation
import XCTest

/// The kernels against naive or hand-computed results.
final class KernelTests: XCTestCase {
    func testKernelExpMatchesExpf() {
        var worst: Float = 0
        var x: Float = -80
        while x < 80 {
            worst = max(worst, abs(amps_exp(x) - expf(x)) / expf(x))
            x += 0.037
        }
        XCTAssertLessThan(worst, 5e-7)
        XCTAssertEqual(amps_exp(-200), expf(-87), accuracy: 1e-38)
    }

    /// The kernel levels this CPU can run: 0 (SSE2), 1 (AVX2 + FMA), 2 (AVX-512).
    static var levels: [Int32] { Array(0...max(0, amps_cpu_kernel_level())) }

    /// Softmax, the SiLU gate and the GELUs, on every path the CPU has.
    func testElementwiseKernelsOnEveryPath() {
        defer { amps_set_kernel_level(-1) }
        for level in Self.levels {
            amps_set_kernel_level(level)
            // 19 entries: two 8-wide blocks and a tail; softmax of (0, 1, ..., 18) - 100.
            var row = (0..<19).map { Float($0) - 100 }
            amps_softmax(&row, 19)
            let z = (0..<19).map { expf(Float($0) - 18) }.reduce(0, +)
            for i in 0..<19 { XCTAssertEqual(row[i], expf(Float(i) - 18) / z, accuracy: 1e-6, "level \(level)") }
            var one: [Float] = [-3]
            amps_softmax(&one, 1)
            XCTAssertEqual(one[0], 1)
            let n = 19
            var gate = (0..<n).map { Float($0) * 0.7 - 6 }
            let up = (0..<n).map { Float($0 % 4) - 1.5 }
            let want = zip(gate, up).map { g, u in g / (1 + expf(-g)) * u }
            gatedActivation(.silu, gate: &gate, up: up, count: n)
            for i in 0..<n { XCTAssertEqual(gate[i], want[i], accuracy: 1e-5, "level \(level)") }
            // quick_gelu and gelu_pytorch_tanh against their scalar definitions (tanhf, expf).
            let xs = (0..<41).map { Float($0) * 0.45 - 9 }
            for act in [Activation.quickGelu, .geluPytorchTanh] {
                var got = xs
                act.apply(&got, count: xs.count)
                for (x, y) in zip(xs, got) {
                    let ref = act == .quickGelu ? x / (1 + expf(-1.702 * x))
                        : 0.5 * x * (1 + tanhf(0.7978845608028654 * (x + 0.044715 * x * x * x)))
                    XCTAssertEqual(y, ref, accuracy: 2e-6 * max(1, abs(ref)), "\(act) at \(x), level \(level)")
                }
            }
        }
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
        var out = [Float](repeating: 0, count: 4)
        multiHeadAttention(q: q, qLd: 2, rows: 2, heads: 1, kvHeads: 1, headDim: 2, keys: k, values: v, kvLd: 2, keyRows: 2,
                           firstQueryPosition: 0, causal: true, scale: 1, out: &out, outLd: 2)
        XCTAssertEqual(out[0], 10, accuracy: 1e-5)
        let w1 = 1 / (1 + expf(1))  // second query: softmax(0, 1) over keys 0, 1
        XCTAssertEqual(out[2], 10 * w1, accuracy: 1e-4)
        XCTAssertEqual(out[3], 20 * (1 - w1), accuracy: 1e-4)
    }

    /// Grouped-query causal attention in query blocks (and split over two workers) against
    /// a naive per-head softmax(q·k/√d)·v, with the new rows after 5 cached positions.
    func testBlockedGroupedAttentionMatchesNaive() {
        defer { amps_set_kernel_level(-1) }
        for hd in [8, 20] {  // head sizes under one 16-float panel and over it
            let heads = 4, kvHeads = 2, s = 37, past = 5, tk = past + s
            var g = SystemRandomNumberGenerator()
            let q = (0..<(s * heads * hd)).map { _ in Float.random(in: -1...1, using: &g) }
            let k = (0..<(tk * kvHeads * hd)).map { _ in Float.random(in: -1...1, using: &g) }
            let v = (0..<(tk * kvHeads * hd)).map { _ in Float.random(in: -1...1, using: &g) }
            let scale = 1 / Float(hd).squareRoot()
            var want = [Float](repeating: 0, count: s * heads * hd)
            for i in 0..<s { for h in 0..<heads {
                let kvh = h / (heads / kvHeads), seen = past + i + 1
                let logits = (0..<seen).map { j in (0..<hd).map { q[i * heads * hd + h * hd + $0] * k[j * kvHeads * hd + kvh * hd + $0] }.reduce(0, +) * scale }
                let mx = logits.max()!, e = logits.map { expf($0 - mx) }, z = e.reduce(0, +)
                for c in 0..<hd { want[i * heads * hd + h * hd + c] = (0..<seen).map { e[$0] / z * v[$0 * kvHeads * hd + kvh * hd + c] }.reduce(0, +) }
            } }
            let savedBlock = attentionQueryBlock
            defer { attentionQueryBlock = savedBlock }
            // Level 0 multiplies through sgemm, 1 and 2 through keys and values packed for the
            // small-product kernel.
            for level in Self.levels {
                amps_set_kernel_level(level)
                for (block, workers) in [(8, 1), (32, 1), (5, 2)] {
                    attentionQueryBlock = block
                    var out = [Float](repeating: .nan, count: s * heads * hd)
                    Parallel.splittingEverything(workers: workers) {
                        multiHeadAttention(q: q, qLd: heads * hd, rows: s, heads: heads, kvHeads: kvHeads, headDim: hd, keys: k, values: v,
                                           kvLd: kvHeads * hd, keyRows: tk, firstQueryPosition: past, causal: true, scale: scale,
                                           out: &out, outLd: heads * hd)
                    }
                    for i in 0..<out.count {
                        XCTAssertEqual(out[i], want[i], accuracy: 1e-5, "head dim \(hd), level \(level), block \(block), workers \(workers), element \(i)")
                    }
                }
            }
        }
    }

    /// Linear on one worker and split over two — by rows for many rows, by feature blocks
    /// for few — through the packed small-product kernel and through sgemm (the baseline
    /// path), gives the naive product, with bias, and when accumulating.
    func testLinearOnEveryPathMatchesNaiveProduct() {
        defer { amps_set_kernel_level(-1) }
        let n = 37, k = 5  // 37 features: three 16-float panels, the last one partial
        let w = Tensor(shape: [n, k], values: (0..<(n * k)).map { Float($0 % 7) - 3 })
        let bias = Tensor(shape: [n], values: (0..<n).map { Float($0) * 0.25 })
        let lin = Linear(weight: w, bias: bias)
        for (workers, level) in [(1, amps_cpu_kernel_level())] + Self.levels.map({ (2, $0) }) {
            amps_set_kernel_level(level)
            for m in [1, 2, 9, 14, 25] {
                let x = (0..<(m * k)).map { Float($0 % 4) * 0.5 - 1 }
                var y = [Float](repeating: 1, count: m * n), acc = [Float](repeating: 1, count: m * n)
                Parallel.splittingEverything(workers: workers) {
                    lin(x, rows: m, into: &y)
                    lin(x, rows: m, into: &acc, accumulate: true)
                }
                for i in 0..<m { for j in 0..<n {
                    let dot = (0..<k).map { x[i * k + $0] * w.data[j * k + $0] }.reduce(0, +) + bias.data[j]
                    XCTAssertEqual(y[i * n + j], dot, accuracy: 1e-5, "workers \(workers), level \(level), rows \(m) [\(i), \(j)]")
                    XCTAssertEqual(acc[i * n + j], 1 + dot, accuracy: 1e-5, "workers \(workers), level \(level), rows \(m) accumulated [\(i), \(j)]")
                } }
            }
        }
    }

    /// The packed small-product kernel itself, on every level the CPU has, against the naive
    /// product: panel counts odd and even, partial last panels (AVX-512 takes panels in
    /// pairs), every row-tile remainder, overwriting and accumulating into a wider C.
    func testPackedKernelOnEveryLevelMatchesNaiveProduct() {
        defer { amps_set_kernel_level(-1) }
        let k = 7, ldc = 70
        for level in Self.levels {
            amps_set_kernel_level(level)
            for n in [5, 16, 27, 37, 64] {
                let w = (0..<(n * k)).map { Float(($0 * 5) % 11) - 5 }
                var packed = [Float](repeating: .nan, count: amps_packed_size(n, k))
                amps_pack_weights(w, n, k, &packed)
                for m in Array(1...13) + [25] {
                    let a = (0..<(m * k)).map { Float(($0 * 3) % 7) * 0.5 - 1.5 }
                    for accumulate in [Int32(0), 1] {
                        var c = [Float](repeating: 2, count: m * ldc)
                        let ran = amps_packed_gemm(a, k, packed, m, n, k, &c, ldc, accumulate)
                        XCTAssertEqual(ran, level >= 1 ? 1 : 0, "level \(level)")
                        guard ran == 1 else { continue }
                        for i in 0..<m { for j in 0..<ldc {
                            let want: Float = j < n ? (0..<k).map { a[i * k + $0] * w[j * k + $0] }.reduce(0, +) + (accumulate == 1 ? 2 : 0) : 2
                            XCTAssertEqual(c[i * ldc + j], want, accuracy: 1e-4, "level \(level), n \(n), m \(m), acc \(accumulate) [\(i), \(j)]")
                        } }
                    }
                }
            }
        }
    }

    /// bf16 widening is exact, and the few-row bf16 product equals the f32 product of the
    /// widened weight on every level: weight rows not a multiple of four, k not a multiple
    /// of 16, every A-row remainder, overwriting and accumulating into a wider C.
    func testBF16KernelsOnEveryLevelMatchTheWidenedProduct() {
        defer { amps_set_kernel_level(-1) }
        let bits: [UInt16] = [0x3F80, 0xBF80, 0x4049, 0x0000, 0x8000, 0x7F80, 0x3E4C, 0xC2F7, 0x0001]
        for level in Self.levels {
            amps_set_kernel_level(level)
            var out = [Float](repeating: .nan, count: bits.count)
            amps_bf16_widen(bits, bits.count, &out)
            XCTAssertEqual(out.map(\.bitPattern), bits.map { UInt32($0) << 16 }, "level \(level)")
            let k = 37, ldc = 12
            for n in [1, 4, 7, 9] {
                let w: [UInt16] = (0..<(n * k)).map { i in
                    let magnitude = UInt16(0x3F00 + (i * 7) % 200)
                    return i % 3 == 0 ? magnitude | 0x8000 : magnitude
                }
                var wide = [Float](repeating: 0, count: n * k)
                amps_bf16_widen(w, n * k, &wide)
                for m in [1, 2, 3, 4, 5, 6] {
                    let a = (0..<(m * k)).map { Float(($0 * 5) % 9) * 0.25 - 1 }
                    for accumulate in [Int32(0), 1] {
                        var c = [Float](repeating: 3, count: m * ldc)
                        amps_bf16_gemm_small(a, k, w, k, m, n, k, &c, ldc, accumulate)
                        for i in 0..<m { for j in 0..<ldc {
                            let want: Float = j < n ? (0..<k).map { a[i * k + $0] * wide[j * k + $0] }.reduce(0, +) + (accumulate == 1 ? 3 : 0) : 3
                            XCTAssertEqual(c[i * ldc + j], want, accuracy: 1e-3 * max(1, abs(want)), "level \(level), n \(n), m \(m), acc \(accumulate) [\(i), \(j)]")
                        } }
                    }
                }
            }
        }
    }

    /// A Linear over a bf16 weight equals the Linear over its f32 widening on every path:
    /// few rows in registers, more rows through widened blocks and sgemm, split by rows or
    /// by features over two workers; with bias, accumulating, and its rows read back.
    func testHalfPrecisionLinearMatchesTheF32Linear() {
        defer { amps_set_kernel_level(-1) }
        let n = 53, k = 40
        // bf16-exact values: small integers times powers of two.
        let w = Tensor(shape: [n, k], values: (0..<(n * k)).map { Float(($0 * 7) % 15 - 7) * 0.125 })
        let bias = Tensor(shape: [n], values: (0..<n).map { Float($0 % 5) * 0.5 })
        let full = Linear(weight: w, bias: bias), half = Linear(halfWeight: BF16Matrix(truncating: w), bias: bias)
        XCTAssertNil(half.weight)
        XCTAssertEqual(half.inFeatures, k)
        XCTAssertEqual(half.outFeatures, n)
        var row = [Float](repeating: 0, count: k)
        half.weightRow(17, into: &row)
        XCTAssertEqual(row, (0..<k).map { w.data[17 * k + $0] })
        for (workers, level) in [(1, amps_cpu_kernel_level())] + Self.levels.map({ (2, $0) }) {
            amps_set_kernel_level(level)
            for m in [1, 3, 8, 9, 30] {
                let x = (0..<(m * k)).map { Float(($0 * 3) % 11) * 0.1 - 0.5 }
                var y = [Float](repeating: 1, count: m * n), acc = [Float](repeating: 1, count: m * n)
                var yf = y, accf = acc
                Parallel.splittingEverything(workers: workers) {
                    half(x, rows: m, into: &y)
                    half(x, rows: m, into: &acc, accumulate: true)
                    full(x, rows: m, into: &yf)
                    full(x, rows: m, into: &accf, accumulate: true)
                }
                for i in 0..<(m * n) {
                    XCTAssertEqual(y[i], yf[i], accuracy: 1e-4, "workers \(workers), level \(level), rows \(m), element \(i)")
                    XCTAssertEqual(acc[i], accf[i], accuracy: 1e-4, "workers \(workers), level \(level), rows \(m), accumulated \(i)")
                }
            }
        }
    }

    /// Parallel.map keeps index order, runs nested regions inline, and rethrows.
    func testParallelMapOrderNestingAndErrors() throws {
        let saved = Parallel.workers
        Parallel.workers = 2
        defer { Parallel.workers = saved }
        let squares = try Parallel.map(50) { i -> Int in
            XCTAssertFalse(Parallel.available, "a region is running")
            return try Parallel.map(3) { j in i * i + j }.reduce(0, +)  // nested: runs inline
        }
        XCTAssertEqual(squares, (0..<50).map { 3 * $0 * $0 + 3 })
        XCTAssertTrue(Parallel.available)
        struct Boom: Error {}
        XCTAssertThrowsError(try Parallel.map(10) { i -> Int in if i == 7 { throw Boom() }; return i })
        XCTAssertTrue(Parallel.available, "the region is released after an error")
    }
}
