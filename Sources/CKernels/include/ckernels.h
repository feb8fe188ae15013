#ifndef AMPS_CKERNELS_H
#define AMPS_CKERNELS_H

/// Element-wise kernels of the engine's hot loops and its small-product kernel, in C so
/// that they run on the machine's widest units: AVX-512, AVX2 + FMA or SSE2, chosen at
/// run time from what the CPU has (see amps_kernel_level). Swift's generic SIMD min/max
/// stayed out-of-line calls.

/// row[i] = exp(row[i] - max) / sum over i < n (n >= 1), in place.
void amps_softmax(float *row, long n);

/// gate[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i].
void amps_silu_mul(float *gate, const float *up, long n);

/// x[i] = x[i] * sigmoid(1.702 x[i]) (CLIP's quick_gelu).
void amps_quick_gelu(float *x, long n);

/// x[i] = 0.5 x[i] (1 + tanh(sqrt(2/pi) (x[i] + 0.044715 x[i]^3))) (gelu_pytorch_tanh).
void amps_gelu_tanh(float *x, long n);

/// The instruction set the kernels use: 0 baseline (SSE2), 1 AVX2 + FMA, 2 AVX-512 —
/// the CPU's best, capped at 1 when OPENBLAS_CORETYPE names a core without AVX-512 (so
/// one setting decides OpenBLAS's kernels and the engine's), or as amps_set_kernel_level
/// says.
int amps_kernel_level(void);

/// The best level this CPU supports (whatever the cap).
int amps_cpu_kernel_level(void);

/// Caps the level at `level` (tests check every path); -1 restores the automatic choice.
void amps_set_kernel_level(int level);

/// Floats `amps_pack_weights` writes for an [n, k] weight: ceil(n / 16) * 16 * k.
long amps_packed_size(long n, long k);

/// Packs W [n, k] (row-major) into panels of 16 output features, each [k][16], the last
/// one zero-padded: the layout the small-product kernel streams.
void amps_pack_weights(const float *w, long n, long k, float *packed);

/// amps_pack_weights for W rows `ldw` floats apart (attention's keys inside a K/V row).
void amps_pack_weights_strided(const float *w, long ldw, long n, long k, float *packed);

/// C[m, n] = A[m, k] · W^T, or C += that with accumulate != 0, for W packed by
/// amps_pack_weights; A and C row-major with leading dimensions lda and ldc. For the
/// small products of small models, where packing W on every call (as sgemm does) costs
/// a third of the product. Needs AVX2 + FMA (level >= 1): returns 0 (and does nothing)
/// at level 0.
int amps_packed_gemm(const float *a, long lda, const float *packed, long m, long n, long k,
                     float *c, long ldc, int accumulate);

/// amps_packed_gemm over panels `panelStride` floats apart (>= 16 k): a packed matrix with
/// more rows of k than this product uses (attention's keys up to the causal limit).
int amps_packed_gemm_strided(const float *a, long lda, const float *packed, long panelStride, long m, long n, long k,
                             float *c, long ldc, int accumulate);

/// Packs B [k, n] (row stride ldb) for C = A · B: panels of 16 columns, each [k][16], the
/// last zero-padded (amps_packed_size(n, k) floats) — B^T in amps_pack_weights' layout.
void amps_pack_columns(const float *b, long ldb, long k, long n, float *packed);

/// dst[i] = the float of the bfloat16 src[i] (exact: the bf16 bits are a float's upper half).
void amps_bf16_widen(const unsigned short *src, long n, float *dst);

/// amps_pack_weights for W rows `ldw` floats apart (attention's keys inside a K/V row).
void amps_pack_weights_strided(const float *w, long ldw, long n, long k, float *packed);

/// C[m, n] = A[m, k] · W^T, or C += that with accumulate != 0, for W [n, k] in bfloat16
/// (row stride ldw), widened in registers: few rows (decoding), where the product is
/// bound by reading W and bf16 halves the bytes. A and C row-major (lda, ldc).
void amps_bf16_gemm_small(const float *a, long lda, const unsigned short *w, long ldw, long m, long n, long k,
                          float *c, long ldc, int accumulate);

/// exp(x) by the kernels' polynomial (for tests).
float amps_exp(float x);

#endif
