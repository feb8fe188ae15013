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

/// Whether the CPU has AVX2 and FMA (and the baseline path is not forced).
int amps_has_avx2_fma(void);

/// Floats `amps_pack_weights` writes for an [n, k] weight: ceil(n / 16) * 16 * k.
long amps_packed_size(long n, long k);

/// Packs W [n, k] (row-major) into panels of 16 output features, each [k][16], the last
/// one zero-padded: the layout the small-product kernel streams.
void amps_pack_weights(const float *w, long n, long k, float *packed);

/// C[m, n] = A[m, k] · W^T, or C += that with accumulate != 0, for W packed by
/// amps_pack_weights; A and C row-major with leading dimensions lda and ldc. For the
/// small products of small models, where packing W on every call (as sgemm does) costs
/// a third of the product. Needs AVX2 + FMA: returns 0 (and does nothing) without them.
int amps_packed_gemm(const float *a, long lda, const float *packed, long m, long n, long k,
                     float *c, long ldc, int accumulate);

/// exp(x) by the kernels' polynomial (for tests).
float amps_exp(float x);

/// With yes != 0 the kernels take their baseline (SSE2) path whatever the CPU has
/// (tests check both paths).
void amps_use_baseline_kernels(int yes);

#endif
