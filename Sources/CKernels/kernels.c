#include "ckernels.h"
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Each kernel is compiled twice on x86-64: for AVX2 + FMA, and for the baseline (SSE2),
// and picked by what the CPU reports. (target_clones("arch=haswell") would test the CPU
// *model*, not its features, and fall back to SSE2 on every newer Xeon.)
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define AMPS_DISPATCH 1
static int baseline_only = 0;
static int has_avx2_fma(void) {
    if (baseline_only) return 0;
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}
#endif

// exp(x): clamp to [-87, 88], x = k ln2 + r with |r| <= ln2/2 (k rounded by the
// 1.5*2^23 trick), a degree-7 Taylor polynomial for e^r (relative error < 2e-7), and
// 2^k through the exponent bits.
static inline float exp_poly(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    const float magic = 12582912.0f;
    float t = x * 1.44269504088896341f + magic;
    float k = t - magic;
    int32_t ki;
    memcpy(&ki, &t, 4);
    ki -= 0x4B400000;
    float r = x - k * 0.693359375f + k * 2.12194440e-4f;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits = (ki + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return p * scale;
}

float amps_exp(float x) { return exp_poly(x); }

void amps_use_baseline_kernels(int yes) {
#ifdef AMPS_DISPATCH
    baseline_only = yes;
#else
    (void)yes;
#endif
}

#define SOFTMAX_BODY                                                                          \
    /* Eight running maxima and sums, so the loops vectorise without reassociating. */     \
    float m[8], s[8];                                                                       \
    for (int j = 0; j < 8; j++) { m[j] = row[0]; s[j] = 0.0f; }                             \
    long i = 0;                                                                             \
    for (; i + 8 <= n; i += 8)                                                              \
        for (int j = 0; j < 8; j++) m[j] = row[i + j] > m[j] ? row[i + j] : m[j];           \
    float mx = m[0];                                                                        \
    for (int j = 1; j < 8; j++) mx = m[j] > mx ? m[j] : mx;                                 \
    for (; i < n; i++) mx = row[i] > mx ? row[i] : mx;                                      \
    i = 0;                                                                                  \
    for (; i + 8 <= n; i += 8)                                                              \
        for (int j = 0; j < 8; j++) { float e = exp_poly(row[i + j] - mx); row[i + j] = e; s[j] += e; } \
    float sum = 0.0f;                                                                       \
    for (int j = 0; j < 8; j++) sum += s[j];                                                \
    for (; i < n; i++) { float e = exp_poly(row[i] - mx); row[i] = e; sum += e; }           \
    float inv = 1.0f / sum;                                                                 \
    for (i = 0; i < n; i++) row[i] *= inv;

#define SILU_MUL_BODY                                                                         \
    for (long i = 0; i < n; i++) {                                                          \
        float g = gate[i];                                                                  \
        gate[i] = g / (1.0f + exp_poly(-g)) * up[i];                                        \
    }

#define QUICK_GELU_BODY                                                                       \
    for (long i = 0; i < n; i++) x[i] = x[i] / (1.0f + exp_poly(-1.702f * x[i]));

// tanh(u) = 1 - 2 / (e^{2u} + 1), exact at both ends of exp_poly's clamp.
#define GELU_TANH_BODY                                                                        \
    for (long i = 0; i < n; i++) {                                                          \
        float v = x[i], u = 0.7978845608028654f * (v + 0.044715f * v * v * v);              \
        x[i] = 0.5f * v * (2.0f - 2.0f / (exp_poly(2.0f * u) + 1.0f));                      \
    }

static void quick_gelu_baseline(float *x, long n) { QUICK_GELU_BODY }
static void gelu_tanh_baseline(float *x, long n) { GELU_TANH_BODY }
static void softmax_baseline(float *row, long n) { SOFTMAX_BODY }
static void silu_mul_baseline(float *gate, const float *up, long n) { SILU_MUL_BODY }

#ifdef AMPS_DISPATCH
__attribute__((target("avx2,fma"))) static void softmax_avx2(float *row, long n) { SOFTMAX_BODY }
__attribute__((target("avx2,fma"))) static void quick_gelu_avx2(float *x, long n) { QUICK_GELU_BODY }
__attribute__((target("avx2,fma"))) static void gelu_tanh_avx2(float *x, long n) { GELU_TANH_BODY }
__attribute__((target("avx2,fma"))) static void silu_mul_avx2(float *gate, const float *up, long n) { SILU_MUL_BODY }
#endif

void amps_softmax(float *row, long n) {
#ifdef AMPS_DISPATCH
    if (has_avx2_fma()) { softmax_avx2(row, n); return; }
#endif
    softmax_baseline(row, n);
}

void amps_silu_mul(float *gate, const float *up, long n) {
#ifdef AMPS_DISPATCH
    if (has_avx2_fma()) { silu_mul_avx2(gate, up, n); return; }
#endif
    silu_mul_baseline(gate, up, n);
}

void amps_quick_gelu(float *x, long n) {
#ifdef AMPS_DISPATCH
    if (has_avx2_fma()) { quick_gelu_avx2(x, n); return; }
#endif
    quick_gelu_baseline(x, n);
}

void amps_gelu_tanh(float *x, long n) {
#ifdef AMPS_DISPATCH
    if (has_avx2_fma()) { gelu_tanh_avx2(x, n); return; }
#endif
    gelu_tanh_baseline(x, n);
}

int amps_has_avx2_fma(void) {
#ifdef AMPS_DISPATCH
    return has_avx2_fma();
#else
    return 0;
#endif
}

long amps_packed_size(long n, long k) { return (n + 15) / 16 * 16 * k; }

void amps_pack_weights(const float *w, long n, long k, float *packed) {
    for (long p = 0; p < n; p += 16)
        for (long kk = 0; kk < k; kk++)
            for (long j = 0; j < 16; j++)
                packed[(p / 16) * 16 * k + kk * 16 + j] = p + j < n ? w[(p + j) * k + kk] : 0.0f;
}

#ifdef AMPS_DISPATCH
// One R x 16 tile of C: R rows of A against one packed panel, over all of k; `cols`
// (<= 16) of the tile's columns are stored.
#define TILE(R)                                                                                   \
    static inline __attribute__((always_inline, target("avx2,fma"))) void tile##R(                \
        const float *a, long lda, const float *wp, long k, float *c, long ldc, long cols, int acc) { \
        __m256 s0[R], s1[R];                                                                      \
        for (int r = 0; r < R; r++) { s0[r] = _mm256_setzero_ps(); s1[r] = _mm256_setzero_ps(); }  \
        for (long kk = 0; kk < k; kk++) {                                                         \
            __m256 w0 = _mm256_loadu_ps(wp + kk * 16), w1 = _mm256_loadu_ps(wp + kk * 16 + 8);    \
            for (int r = 0; r < R; r++) {                                                         \
                __m256 x = _mm256_broadcast_ss(a + r * lda + kk);                                 \
                s0[r] = _mm256_fmadd_ps(x, w0, s0[r]);                                            \
                s1[r] = _mm256_fmadd_ps(x, w1, s1[r]);                                            \
            }                                                                                     \
        }                                                                                         \
        for (int r = 0; r < R; r++) {                                                             \
            float *cr = c + r * ldc;                                                              \
            float t[16];                                                                          \
            _mm256_storeu_ps(t, s0[r]);                                                           \
            _mm256_storeu_ps(t + 8, s1[r]);                                                       \
            for (long j = 0; j < cols; j++) cr[j] = acc ? cr[j] + t[j] : t[j];                   \
        }                                                                                         \
    }
TILE(1) TILE(2) TILE(3) TILE(4) TILE(5) TILE(6)

__attribute__((target("avx2,fma")))
static void packed_gemm_avx2(const float *a, long lda, const float *packed, long m, long n, long k,
                             float *c, long ldc, int acc) {
    for (long p = 0; p < n; p += 16) {
        const float *wp = packed + (p / 16) * 16 * k;
        long cols = n - p < 16 ? n - p : 16;
        long i = 0;
        for (; i + 6 <= m; i += 6) tile6(a + i * lda, lda, wp, k, c + i * ldc + p, ldc, cols, acc);
        switch (m - i) {
        case 5: tile5(a + i * lda, lda, wp, k, c + i * ldc + p, ldc, cols, acc); break;
        case 4: tile4(a + i * lda, lda, wp, k, c + i * ldc + p, ldc, cols, acc); break;
        case 3: tile3(a + i * lda, lda, wp, k, c + i * ldc + p, ldc, cols, acc); break;
        case 2: tile2(a + i * lda, lda, wp, k, c + i * ldc + p, ldc, cols, acc); break;
        case 1: tile1(a + i * lda, lda, wp, k, c + i * ldc + p, ldc, cols, acc); break;
        default: break;
        }
    }
}
#endif

int amps_packed_gemm(const float *a, long lda, const float *packed, long m, long n, long k,
                     float *c, long ldc, int accumulate) {
#ifdef AMPS_DISPATCH
    if (has_avx2_fma()) { packed_gemm_avx2(a, lda, packed, m, n, k, c, ldc, accumulate); return 1; }
#endif
    (void)a; (void)lda; (void)packed; (void)m; (void)n; (void)k; (void)c; (void)ldc; (void)accumulate;
    return 0;
}
