#ifndef AMPS_CKERNELS_H
#define AMPS_CKERNELS_H

/// Element-wise kernels of the engine's hot loops, in C so that the compiler
/// vectorises them for the machine's widest units (AVX2 + FMA when the CPU has
/// them, chosen at load time; SSE2 otherwise). Swift's generic SIMD min/max
/// stayed out-of-line calls.

/// row[i] = exp(row[i] - max) / sum over i < n (n >= 1), in place.
void amps_softmax(float *row, long n);

/// gate[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i].
void amps_silu_mul(float *gate, const float *up, long n);

/// x[i] = x[i] * sigmoid(1.702 x[i]) (CLIP's quick_gelu).
void amps_quick_gelu(float *x, long n);

/// x[i] = 0.5 x[i] (1 + tanh(sqrt(2/pi) (x[i] + 0.044715 x[i]^3))) (gelu_pytorch_tanh).
void amps_gelu_tanh(float *x, long n);

/// exp(x) by the kernels' polynomial (for tests).
float amps_exp(float x);

/// With yes != 0 the kernels take their baseline (SSE2) path whatever the CPU has
/// (tests check both paths).
void amps_use_baseline_kernels(int yes);

#endif
