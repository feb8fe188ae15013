import CKernels
import Foundation

/// The element-wise activations that Hugging Face configs name in `hidden_act`.
public enum Activation: String, Sendable {
    case gelu                       // exact, erf-based
    case geluPytorchTanh = "gelu_pytorch_tanh"
    case geluNew = "gelu_new"
    case quickGelu = "quick_gelu"   // x * sigmoid(1.702 x), CLIP
    case silu                       // x * sigmoid(x), Llama's SwiGLU gate
    case relu

    public init(configName: String) throws {
        let name = configName == "swish" ? "silu" : configName
        guard let a = Activation(rawValue: name) else {
            throw AMPSError.unsupported("activation '\(configName)' is not supported (supported: gelu, gelu_pytorch_tanh, gelu_new, quick_gelu, silu, relu)")
        }
        self = a
    }

    @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch self {
        case .gelu: return 0.5 * x * (1 + erff(x * 0.70710678118654752))
        case .geluPytorchTanh, .geluNew:
            let c: Float = 0.7978845608028654 // sqrt(2/pi)
            return 0.5 * x * (1 + tanhf(c * (x + 0.044715 * x * x * x)))
        case .quickGelu: return x / (1 + expf(-1.702 * x))
        case .silu: return x / (1 + expf(-x))
        case .relu: return max(x, 0)
        }
    }

    /// x[i] = act(x[i]) in place (the vectorised kernels where there are).
    public func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .quickGelu: amps_quick_gelu(x, count)
        case .geluPytorchTanh, .geluNew: amps_gelu_tanh(x, count)
        default: for i in 0..<count { x[i] = apply(x[i]) }
        }
    }
}

/// SwiGLU: gate[i] = act(gate[i]) * up[i] in place over `count` elements.
public func gatedActivation(_ act: Activation, gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
    if act == .silu {
        amps_silu_mul(gate, up, count)
        return
    }
    for i in 0..<count { gate[i] = act.apply(gate[i]) * up[i] }
}
