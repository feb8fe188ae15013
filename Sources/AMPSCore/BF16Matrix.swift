import CKernels

/// A weight kept in bfloat16, as a bf16 checkpoint stores it: [rows, cols] row-major, half
/// the bytes of its f32 copy. Widening a bf16 value to f32 is exact (its bits are the upper
/// half of the float's), so products over it equal those over the widened copy up to the
/// order of the sums. Decoding reads every weight once per token and runs at the memory's
/// speed: half the bytes, nearly half the time.
public final class BF16Matrix: @unchecked Sendable {
    public let rows: Int, cols: Int
    public let data: UnsafeMutablePointer<UInt16>

    /// Copies rows * cols bf16 values from `source` (any alignment).
    public init(rows: Int, cols: Int, copying source: UnsafeRawPointer) {
        self.rows = rows
        self.cols = cols
        data = .allocate(capacity: rows * cols)
        UnsafeMutableRawPointer(data).copyMemory(from: source, byteCount: rows * cols * 2)
    }

    /// The upper halves of f32 values (exact for values that are bf16 already; for tests).
    public convenience init(truncating t: Tensor) {
        precondition(t.shape.count == 2)
        let bits = (0..<t.count).map { UInt16(truncatingIfNeeded: t.data[$0].bitPattern >> 16) }
        self.init(rows: t.shape[0], cols: t.shape[1], copying: bits)
    }

    deinit { data.deallocate() }

    /// dst[r - range.lowerBound][c] = self[r][c] as f32 for r in `range`.
    public func widen(rows range: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        amps_bf16_widen(data + range.lowerBound * cols, range.count * cols, dst)
    }
}
