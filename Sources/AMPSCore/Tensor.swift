import Foundation

/// A dense row-major float32 tensor.
///
/// Reference semantics on purpose: activations live in buffers that forward passes
/// allocate once and overwrite, and weights point straight into a memory-mapped
/// checkpoint (`owner` keeps the mapping alive), so no forward pass copies weights.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let count: Int
    public let data: UnsafeMutablePointer<Float>
    private let owner: AnyObject?
    private let ownsMemory: Bool

    /// A new zero-filled tensor.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.data = .allocate(capacity: max(count, 1))
        self.data.initialize(repeating: 0, count: max(count, 1))
        self.owner = nil
        self.ownsMemory = true
    }

    /// A new tensor whose contents are undefined (for buffers that are written before read).
    public init(uninitialized shape: [Int]) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.data = .allocate(capacity: max(count, 1))
        self.owner = nil
        self.ownsMemory = true
    }

    /// A copy of `count` floats from `source`, shaped `shape`.
    public convenience init(copying source: UnsafePointer<Float>, shape: [Int]) {
        self.init(uninitialized: shape)
        data.update(from: source, count: count)
    }

    public convenience init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A view of memory owned by `owner` (e.g. a memory-mapped checkpoint).
    public init(borrowing pointer: UnsafeMutablePointer<Float>, shape: [Int], owner: AnyObject) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.data = pointer
        self.owner = owner
        self.ownsMemory = false
    }

    /// Whether `other` holds exactly the same floats (bit for bit), whatever its shape.
    public func hasSameValues(as other: Tensor) -> Bool {
        self === other || (count == other.count && memcmp(data, other.data, count * MemoryLayout<Float>.size) == 0)
    }

    /// Elements `range` of the first dimension, sharing this tensor's memory.
    public func slice(first range: Range<Int>) -> Tensor {
        precondition(!shape.isEmpty && range.lowerBound >= 0 && range.upperBound <= shape[0], "slice \(range) outside \(shape)")
        let inner = shape.count > 1 ? count / shape[0] : 1
        return Tensor(borrowing: data + range.lowerBound * inner, shape: [range.count] + shape.dropFirst(), owner: self)
    }

    deinit { if ownsMemory { data.deallocate() } }

    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    public subscript(i: Int) -> Float {
        get { data[i] }
        set { data[i] = newValue }
    }

    /// Row `r` of a tensor seen as [shape[0], rest].
    public func row(_ r: Int) -> UnsafeMutablePointer<Float> { data + r * (count / shape[0]) }

    public func copy() -> Tensor {
        let t = Tensor(zeros: shape)
        t.data.update(from: data, count: count)
        return t
    }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    /// True if every element is finite; the method layers check this before printing.
    public var allFinite: Bool {
        for i in 0..<count where !data[i].isFinite { return false }
        return true
    }
}
