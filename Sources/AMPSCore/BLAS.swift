import CKernels
import COpenBLAS
import Glibc
import Synchronization

/// The one place the engine calls BLAS. Every matrix product of the models goes here.
public enum BLAS {
    /// Floating-point operations issued through these wrappers (2·m·n·k per product),
    /// from every thread. The benchmark reads it.
    public static var flops: Double { Double(flopCount.load(ordering: .relaxed)) }
    private static let flopCount = Atomic<UInt64>(0)
    @inline(__always) static func count(_ m: Int, _ n: Int, _ k: Int) {
        flopCount.wrappingAdd(UInt64(2 * m * n * k), ordering: .relaxed)
    }

    /// C[M,N] = alpha * A[M,K] · B[N,K]^T + beta * C — the shape of `x · W^T` for a
    /// PyTorch Linear weight W stored [out, in]. Leading dimensions allow strided views
    /// (one attention head inside a [T, H*hd] buffer) without copies.
    @inline(__always)
    public static func gemmNT(m: Int, n: Int, k: Int,
                              a: UnsafePointer<Float>, lda: Int,
                              b: UnsafePointer<Float>, ldb: Int,
                              c: UnsafeMutablePointer<Float>, ldc: Int,
                              alpha: Float = 1, beta: Float = 0) {
        count(m, n, k)
        if m == 1 {
            // One row (decoding, a single query): sgemv streams B once; OpenBLAS's sgemm
            // packs it first, which made decoding ~3x slower than PyTorch.
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, Int32(ldb), a, 1, beta, c, 1)
            return
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C[M,N] = alpha * A[M,K] · B[K,N] + beta * C.
    @inline(__always)
    public static func gemmNN(m: Int, n: Int, k: Int,
                              a: UnsafePointer<Float>, lda: Int,
                              b: UnsafePointer<Float>, ldb: Int,
                              c: UnsafeMutablePointer<Float>, ldc: Int,
                              alpha: Float = 1, beta: Float = 0) {
        count(m, n, k)
        if m == 1 {  // c[N] = B^T[N,K] · a[K]
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha, b, Int32(ldb), a, 1, beta, c, 1)
            return
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C[M,N] = alpha * A[K,M]^T · B[K,N] + beta * C (used for weight gradients).
    @inline(__always)
    public static func gemmTN(m: Int, n: Int, k: Int,
                              a: UnsafePointer<Float>, lda: Int,
                              b: UnsafePointer<Float>, ldb: Int,
                              c: UnsafeMutablePointer<Float>, ldc: Int,
                              alpha: Float = 1, beta: Float = 0) {
        count(m, n, k)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// OpenBLAS's own thread pool size. The engine sets it explicitly (one engine thread
    /// owns BLAS), so results and timings do not depend on what the environment says.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }

    public static var configuration: String {
        guard let p = openblas_get_config() else { return "OpenBLAS" }
        return String(cString: p)
    }

    /// The instruction set of the engine's own kernels (CKernels), which follows the same
    /// OPENBLAS_CORETYPE cap as OpenBLAS's.
    public static var kernelInstructionSet: String {
        switch amps_kernel_level() {
        case 2: return "AVX-512"
        case 1: return "AVX2+FMA"
        default: return "SSE2"
        }
    }

    /// Runs `body` with the engine's kernels at the CPU's best instruction set whatever
    /// OPENBLAS_CORETYPE caps (tests run the other one under the cap).
    public static func withBestKernels<T>(_ body: () throws -> T) rethrows -> T {
        amps_set_kernel_level(amps_cpu_kernel_level())
        defer { amps_set_kernel_level(-1) }
        return try body()
    }

    /// The kernel set OpenBLAS picked when it loaded ("Haswell", "SkylakeX", ...).
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// The OPENBLAS_CORETYPE this process should have been started with, when OpenBLAS
    /// fell back to an old generic kernel set on a CPU it does not know (0.3.21 picks
    /// Prescott, SSE3, on Sapphire Rapids; its sgemm is then ~4x slower than it can be):
    /// SkylakeX on CPUs with AVX-512, Haswell on CPUs with AVX2. Nil when the variable is
    /// set (the user chose) or OpenBLAS's choice is fine.
    public static var betterCoreType: String? {
        guard getenv("OPENBLAS_CORETYPE") == nil else { return nil }
        let fallbacks: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "sandybridge", "atom", "katmai",
                                      "coppermine", "northwood", "banias", "unknown"]
        guard fallbacks.contains(coreName.lowercased()) else { return nil }
        switch amps_cpu_kernel_level() {
        case 2: return "SkylakeX"
        case 1: return "Haswell"
        default: return nil
        }
    }
}
