import AMPSCore
import AMPSModel
import Foundation

/// One measured workload: wall time (median of repeats) and the GEMM work it issued.
public struct BenchmarkResult: Sendable, Codable {
    public var name: String
    public var seconds: Double
    public var repeats: Int
    public var gflop: Double
    public var gflops: Double { seconds > 0 ? gflop / seconds : 0 }
    public var detail: String
}

/// The machine's sgemm throughput at one shape: C[M,N] = A[M,K] · B[N,K]^T.
public struct GemmResult: Sendable, Codable {
    public var m: Int, n: Int, k: Int
    public var gflops: Double
    public var label: String
}

public enum Benchmark {
    public static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// Median wall time of `body` over `repeats` runs after one warm-up; also the GFLOP of one run.
    public static func measure(_ name: String, repeats: Int, detail: String = "", _ body: () throws -> Void) rethrows -> BenchmarkResult {
        try body()
        var times: [Double] = []
        var flop = 0.0
        for _ in 0..<max(1, repeats) {
            let f0 = BLAS.flops, t0 = now()
            try body()
            times.append(now() - t0)
            flop = BLAS.flops - f0
        }
        times.sort()
        return BenchmarkResult(name: name, seconds: times[times.count / 2], repeats: times.count, gflop: flop / 1e9, detail: detail)
    }

    /// sgemm throughput at a shape (the roofline the engine is compared with).
    public static func gemm(m: Int, n: Int, k: Int, label: String, minSeconds: Double = 0.3) -> GemmResult {
        let a = Tensor(zeros: [m, k]), b = Tensor(zeros: [n, k]), c = Tensor(zeros: [m, n])
        var g = NoiseGenerator(seed: 1)
        for i in 0..<a.count { a.data[i] = Float(g.uniform() - 0.5) }
        for i in 0..<b.count { b.data[i] = Float(g.uniform() - 0.5) }
        BLAS.gemmNT(m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: k, c: c.data, ldc: n)
        var reps = 0
        let t0 = now()
        var elapsed = 0.0
        repeat {
            BLAS.gemmNT(m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: k, c: c.data, ldc: n)
            reps += 1
            elapsed = now() - t0
        } while elapsed < minSeconds
        return GemmResult(m: m, n: n, k: k, gflops: 2 * Double(m) * Double(n) * Double(k) * Double(reps) / elapsed / 1e9, label: label)
    }

    /// The GEMM shapes a decoder layer runs for `rows` token rows.
    public static func modelShapes(_ c: TextConfig, rows: Int, label: String) -> [(Int, Int, Int, String)] {
        let d = c.hiddenSize, q = c.heads * c.headDim, kv = c.kvHeads * c.headDim, f = c.intermediateSize
        return [(rows, q, d, "\(label) q_proj"), (rows, kv, d, "\(label) k/v_proj"), (rows, d, q, "\(label) o_proj"),
                (rows, f, d, "\(label) gate/up"), (rows, d, f, "\(label) down")]
    }
}
