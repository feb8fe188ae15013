#include "ckernels.h"
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Each kernel is compiled for AVX-512, for AVX2 + FMA and for the baseline (SSE2), and
// picked by what the CPU reports. (target_clones("arch=haswell") would test the CPU
// *model*, not its features, and fall back to SSE2 on every newer Xeon.) The level is
// capped at AVX2 when OPENBLAS_CORETYPE names a core without AVX-512, so that the one
// setting that caps OpenBLAS's kernels caps the engine's own as well.
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define AMPS_DISPATCH 1
#include <ctype.h>
#include <stdlib.h>
enum { LEVEL_BASELINE = 0, LEVEL_AVX2 = 1, LEVEL_AVX512 = 2 };
static int forced_level = -1;
static int cpu_level_cached = -1, env_cap_cached = -1;

static int cpu_level(void) {
    if (cpu_level_cached < 0) {
        __builtin_cpu_init();
        int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        cpu_level_cached = avx2 && __builtin_cpu_supports("avx512f") ? LEVEL_AVX512 : avx2 ? LEVEL_AVX2 : LEVEL_BASELINE;
    }
    return cpu_level_cached;
}

// OpenBLAS's names of the x86 cores with AVX-512 kernels; any other name caps at AVX2.
static int env_cap(void) {
    if (env_cap_cached < 0) {
        const char *e = getenv("OPENBLAS_CORETYPE");
        env_cap_cached = LEVEL_AVX512;
        if (e && *e) {
            char name[32] = {0};
            for (int i = 0; i < 31 && e[i]; i++) name[i] = (char)tolower((unsigned char)e[i]);
            if (strcmp(name, "skylakex") && strcmp(name, "cooperlake") && strcmp(name, "sapphirerapids"))
                env_cap_cached = LEVEL_AVX2;
        }
    }
    return env_cap_cached;
}

static int level(void) {
    int l = cpu_level(), cap = forced_level >= 0 ? forced_level : env_cap();
    return l < cap ? l : cap;
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

int amps_kernel_level(void) {
#ifdef AMPS_DISPATCH
    return level();
#else
    return 0;
#endif
}

int amps_cpu_kernel_level(void) {
#ifdef AMPS_DISPATCH
    return cpu_level();
#else
    return 0;
#endif
}

void amps_set_kernel_level(int l) {
#ifdef AMPS_DISPATCH
    forced_level = l;
#else
    (void)l;
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
// The vector versions: exp_poly's steps lane-wise (the same polynomial and clamp), with
// masked loads and stores for the last partial vector. (Left to the auto-vectoriser, the
// loops above ran at 1.4-2.2 ns an element; a softmax over 50 keys is most of a row.)
#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f,avx2,fma")))

AVX2 static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    __m256 t = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), magic);
    __m256 k = _mm256_sub_ps(t, magic);
    __m256i ki = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(0x4B400000));
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fmadd_ps(k, _mm256_set1_ps(2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(ki, _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

AVX512 static inline __m512 exp16(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    __m512 t = _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), magic);
    __m512 k = _mm512_sub_ps(t, magic);
    __m512i ki = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000));
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fmadd_ps(k, _mm512_set1_ps(2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(ki, _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}

// Lanes [0, left) of an 8-lane vector (left may exceed 8).
AVX2 static inline __m256i lanes8(long left) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(left > 8 ? 8 : (int)left), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline __mmask16 lanes16(long left) { return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1); }

AVX2 static inline float hsum8(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
    return _mm_cvtss_f32(x);
}
AVX2 static inline float hmax8(__m256 v) {
    __m128 x = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_max_ps(x, _mm_movehl_ps(x, x));
    x = _mm_max_ss(x, _mm_shuffle_ps(x, x, 1));
    return _mm_cvtss_f32(x);
}

// Full vectors by plain loads and stores, the tail masked (masked loads do not take
// their data from the stores just made to the same row, and stall).
AVX2 static inline __m256 load8(const float *p, long left) {
    return left >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lanes8(left));
}
AVX2 static inline void store8(float *p, long left, __m256 v) {
    if (left >= 8) _mm256_storeu_ps(p, v); else _mm256_maskstore_ps(p, lanes8(left), v);
}

AVX2 static void softmax_avx2(float *row, long n) {
    __m256 first = _mm256_set1_ps(row[0]), vm = first;
    for (long i = 0; i < n; i += 8) {
        __m256 v = load8(row + i, n - i);
        if (n - i < 8) v = _mm256_blendv_ps(first, v, _mm256_castsi256_ps(lanes8(n - i)));
        vm = _mm256_max_ps(vm, v);
    }
    __m256 mx = _mm256_set1_ps(hmax8(vm)), vs = _mm256_setzero_ps();
    for (long i = 0; i < n; i += 8) {
        __m256 e = exp8(_mm256_sub_ps(load8(row + i, n - i), mx));
        if (n - i < 8) e = _mm256_and_ps(e, _mm256_castsi256_ps(lanes8(n - i)));
        store8(row + i, n - i, e);
        vs = _mm256_add_ps(vs, e);
    }
    __m256 inv = _mm256_set1_ps(1.0f / hsum8(vs));
    for (long i = 0; i < n; i += 8) store8(row + i, n - i, _mm256_mul_ps(load8(row + i, n - i), inv));
}

AVX512 static void softmax_avx512(float *row, long n) {
    __m512 first = _mm512_set1_ps(row[0]), vm = first;
    for (long i = 0; i < n; i += 16) vm = _mm512_max_ps(vm, _mm512_mask_loadu_ps(first, lanes16(n - i), row + i));
    __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vm)), vs = _mm512_setzero_ps();
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = lanes16(n - i);
        __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, row + i), mx));
        _mm512_mask_storeu_ps(row + i, mask, e);
        vs = _mm512_mask_add_ps(vs, mask, vs, e);
    }
    __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vs));
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = lanes16(n - i);
        _mm512_mask_storeu_ps(row + i, mask, _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, row + i), inv));
    }
}

// x -> x / (1 + exp(c x)) lane-wise: SiLU (c = -1), quick_gelu (c = -1.702).
AVX2 static inline __m256 sigmoid_scaled8(__m256 x, float c) {
    return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), exp8(_mm256_mul_ps(x, _mm256_set1_ps(c)))));
}
AVX512 static inline __m512 sigmoid_scaled16(__m512 x, float c) {
    return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), exp16(_mm512_mul_ps(x, _mm512_set1_ps(c)))));
}
AVX2 static inline __m256 gelu_tanh8(__m256 v) {
    __m256 u = _mm256_mul_ps(_mm256_set1_ps(0.7978845608028654f),
                             _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(0.044715f), v), _mm256_mul_ps(v, v), v));
    __m256 t = _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(exp8(_mm256_add_ps(u, u)), _mm256_set1_ps(1.0f)));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), _mm256_sub_ps(_mm256_set1_ps(2.0f), t));
}
AVX512 static inline __m512 gelu_tanh16(__m512 v) {
    __m512 u = _mm512_mul_ps(_mm512_set1_ps(0.7978845608028654f),
                             _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(0.044715f), v), _mm512_mul_ps(v, v), v));
    __m512 t = _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(exp16(_mm512_add_ps(u, u)), _mm512_set1_ps(1.0f)));
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), v), _mm512_sub_ps(_mm512_set1_ps(2.0f), t));
}

AVX2 static void silu_mul_avx2(float *gate, const float *up, long n) {
    for (long i = 0; i < n; i += 8) {
        __m256 g = sigmoid_scaled8(load8(gate + i, n - i), -1.0f);
        store8(gate + i, n - i, _mm256_mul_ps(g, load8(up + i, n - i)));
    }
}
AVX512 static void silu_mul_avx512(float *gate, const float *up, long n) {
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = lanes16(n - i);
        __m512 g = sigmoid_scaled16(_mm512_maskz_loadu_ps(mask, gate + i), -1.0f);
        _mm512_mask_storeu_ps(gate + i, mask, _mm512_mul_ps(g, _mm512_maskz_loadu_ps(mask, up + i)));
    }
}
AVX2 static void quick_gelu_avx2(float *x, long n) {
    for (long i = 0; i < n; i += 8) {
        store8(x + i, n - i, sigmoid_scaled8(load8(x + i, n - i), -1.702f));
    }
}
AVX512 static void quick_gelu_avx512(float *x, long n) {
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = lanes16(n - i);
        _mm512_mask_storeu_ps(x + i, mask, sigmoid_scaled16(_mm512_maskz_loadu_ps(mask, x + i), -1.702f));
    }
}
AVX2 static void gelu_tanh_avx2(float *x, long n) {
    for (long i = 0; i < n; i += 8) {
        store8(x + i, n - i, gelu_tanh8(load8(x + i, n - i)));
    }
}
AVX512 static void gelu_tanh_avx512(float *x, long n) {
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = lanes16(n - i);
        _mm512_mask_storeu_ps(x + i, mask, gelu_tanh16(_mm512_maskz_loadu_ps(mask, x + i)));
    }
}
#endif

void amps_softmax(float *row, long n) {
#ifdef AMPS_DISPATCH
    switch (level()) {
    case LEVEL_AVX512: softmax_avx512(row, n); return;
    case LEVEL_AVX2: softmax_avx2(row, n); return;
    default: break;
    }
#endif
    softmax_baseline(row, n);
}

void amps_silu_mul(float *gate, const float *up, long n) {
#ifdef AMPS_DISPATCH
    switch (level()) {
    case LEVEL_AVX512: silu_mul_avx512(gate, up, n); return;
    case LEVEL_AVX2: silu_mul_avx2(gate, up, n); return;
    default: break;
    }
#endif
    silu_mul_baseline(gate, up, n);
}

void amps_quick_gelu(float *x, long n) {
#ifdef AMPS_DISPATCH
    switch (level()) {
    case LEVEL_AVX512: quick_gelu_avx512(x, n); return;
    case LEVEL_AVX2: quick_gelu_avx2(x, n); return;
    default: break;
    }
#endif
    quick_gelu_baseline(x, n);
}

void amps_gelu_tanh(float *x, long n) {
#ifdef AMPS_DISPATCH
    switch (level()) {
    case LEVEL_AVX512: gelu_tanh_avx512(x, n); return;
    case LEVEL_AVX2: gelu_tanh_avx2(x, n); return;
    default: break;
    }
#endif
    gelu_tanh_baseline(x, n);
}

long amps_packed_size(long n, long k) { return (n + 15) / 16 * 16 * k; }

void amps_pack_weights_strided(const float *w, long ldw, long n, long k, float *packed) {
    for (long p = 0; p < n; p += 16)
        for (long kk = 0; kk < k; kk++)
            for (long j = 0; j < 16; j++)
                packed[(p / 16) * 16 * k + kk * 16 + j] = p + j < n ? w[(p + j) * ldw + kk] : 0.0f;
}

void amps_pack_weights(const float *w, long n, long k, float *packed) { amps_pack_weights_strided(w, k, n, k, packed); }

void amps_pack_columns(const float *b, long ldb, long k, long n, float *packed) {
    for (long p = 0; p < n; p += 16) {
        long cols = n - p < 16 ? n - p : 16;
        float *dst = packed + (p / 16) * 16 * k;
        for (long kk = 0; kk < k; kk++) {
            const float *src = b + kk * ldb + p;
            for (long j = 0; j < 16; j++) dst[kk * 16 + j] = j < cols ? src[j] : 0.0f;
        }
    }
}

// The accumulators live in registers only if the loops over rows and panels are unrolled
// completely (clang keeps a 12-row array on the stack otherwise).
#if defined(__clang__)
#define UNROLL _Pragma("unroll")
#else
#define UNROLL _Pragma("GCC unroll 16")
#endif

#ifdef AMPS_DISPATCH
// One R x 16 tile of C: R rows of A against one packed panel, over all of k; `cols`
// (<= 16) of the tile's columns are stored.
#define TILE(R)                                                                                   \
    static inline __attribute__((always_inline, target("avx2,fma"))) void tile##R(                \
        const float *a, long lda, const float *wp, long k, float *c, long ldc, long cols, int acc) { \
        __m256 s0[R], s1[R];                                                                      \
        UNROLL for (int r = 0; r < R; r++) { s0[r] = _mm256_setzero_ps(); s1[r] = _mm256_setzero_ps(); }  \
        for (long kk = 0; kk < k; kk++) {                                                         \
            __m256 w0 = _mm256_loadu_ps(wp + kk * 16), w1 = _mm256_loadu_ps(wp + kk * 16 + 8);    \
            UNROLL for (int r = 0; r < R; r++) {                                                       \
                __m256 x = _mm256_broadcast_ss(a + r * lda + kk);                                 \
                s0[r] = _mm256_fmadd_ps(x, w0, s0[r]);                                            \
                s1[r] = _mm256_fmadd_ps(x, w1, s1[r]);                                            \
            }                                                                                     \
        }                                                                                         \
        __m256i m0 = lanes8(cols), m1 = lanes8(cols - 8);                                         \
        UNROLL for (int r = 0; r < R; r++) {                                                      \
            float *cr = c + r * ldc;                                                              \
            __m256 v0 = s0[r], v1 = s1[r];                                                        \
            if (acc) {                                                                            \
                v0 = _mm256_add_ps(v0, _mm256_maskload_ps(cr, m0));                               \
                v1 = _mm256_add_ps(v1, _mm256_maskload_ps(cr + 8, m1));                           \
            }                                                                                     \
            _mm256_maskstore_ps(cr, m0, v0);                                                      \
            _mm256_maskstore_ps(cr + 8, m1, v1);                                                  \
        }                                                                                         \
    }
TILE(1) TILE(2) TILE(3) TILE(4) TILE(5) TILE(6)

__attribute__((target("avx2,fma")))
static void packed_gemm_avx2(const float *a, long lda, const float *packed, long ps, long m, long n, long k,
                             float *c, long ldc, int acc) {
    for (long p = 0; p < n; p += 16) {
        const float *wp = packed + (p / 16) * ps;
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

// The AVX-512 kernel: R x 32 tiles (two packed panels, R <= 12: 24 of the 32 zmm
// registers accumulate), R x 16 for an odd last panel; partial panels store under a mask.
#define TILE512(R, P)                                                                             \
    static inline __attribute__((always_inline, target("avx512f,avx2,fma"))) void tile512_##R##x##P( \
        const float *a, long lda, const float *wp, long k, long ps, float *c, long ldc, long cols, int acc) { \
        __m512 s[P][R];                                                                           \
        UNROLL for (int r = 0; r < R; r++) UNROLL for (int q = 0; q < P; q++) s[q][r] = _mm512_setzero_ps(); \
        for (long kk = 0; kk < k; kk++) {                                                         \
            __m512 w[P];                                                                          \
            UNROLL for (int q = 0; q < P; q++) w[q] = _mm512_loadu_ps(wp + q * ps + kk * 16); \
            UNROLL for (int r = 0; r < R; r++) {                                                  \
                __m512 x = _mm512_set1_ps(a[r * lda + kk]);                                       \
                UNROLL for (int q = 0; q < P; q++) s[q][r] = _mm512_fmadd_ps(x, w[q], s[q][r]);  \
            }                                                                                     \
        }                                                                                         \
        UNROLL for (int q = 0; q < P; q++) {                                                      \
            long left = cols - q * 16;                                                            \
            __mmask16 mask = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);      \
            UNROLL for (int r = 0; r < R; r++) {                                                  \
                float *cr = c + r * ldc + q * 16;                                                 \
                __m512 v = s[q][r];                                                               \
                if (acc) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, cr));                   \
                _mm512_mask_storeu_ps(cr, mask, v);                                               \
            }                                                                                     \
        }                                                                                         \
    }
#define TILES512(P) TILE512(1, P) TILE512(2, P) TILE512(3, P) TILE512(4, P) TILE512(5, P) TILE512(6, P) \
    TILE512(7, P) TILE512(8, P) TILE512(9, P) TILE512(10, P) TILE512(11, P) TILE512(12, P)
TILES512(1) TILES512(2)

// C rows [0, m) against the panels from `wp` on (P of them, `cols` columns), 12 rows at a time.
#define ROWS512(P)                                                                                \
    __attribute__((target("avx512f,avx2,fma"))) static void rows512_##P(                          \
        const float *a, long lda, const float *wp, long m, long k, long ps, float *c, long ldc, long cols, int acc) { \
        long i = 0;                                                                               \
        for (; i + 12 <= m; i += 12) tile512_12x##P(a + i * lda, lda, wp, k, ps, c + i * ldc, ldc, cols, acc); \
        const float *ai = a + i * lda;                                                            \
        float *ci = c + i * ldc;                                                                  \
        switch (m - i) {                                                                          \
        case 11: tile512_11x##P(ai, lda, wp, k, ps, ci, ldc, cols, acc); break;                      \
        case 10: tile512_10x##P(ai, lda, wp, k, ps, ci, ldc, cols, acc); break;                      \
        case 9: tile512_9x##P(ai, lda, wp, k, ps, ci, ldc, cols, acc); break;                        \
        case 8: tile512_8x##P(ai, lda, wp, k, ps, ci, ldc, cols, acc); break;                        \
        case 7: tile512_7x##P(ai, lda, wp, k, ps, ci, ldc, cols, acc); break;                        \
        case 6: tile512_6x##P(ai, lda, wp, k, ps, ci, ldc, cols, acc); break;                        \
        case 5: tile512_5x##P(ai, lda, wp, k, ps, ci, ldc, cols, acc); break;                        \
        case 4: tile512_4x##P(ai, lda, wp, k, ps, ci, ldc, cols, acc); break;                        \
        case 3: tile512_3x##P(ai, lda, wp, k, ps, ci, ldc, cols, acc); break;                        \
        case 2: tile512_2x##P(ai, lda, wp, k, ps, ci, ldc, cols, acc); break;                        \
        case 1: tile512_1x##P(ai, lda, wp, k, ps, ci, ldc, cols, acc); break;                        \
        default: break;                                                                           \
        }                                                                                         \
    }
ROWS512(1) ROWS512(2)

__attribute__((target("avx512f,avx2,fma")))
static void packed_gemm_avx512(const float *a, long lda, const float *packed, long ps, long m, long n, long k,
                               float *c, long ldc, int acc) {
    long p = 0;
    for (; p + 16 < n; p += 32) {
        long cols = n - p < 32 ? n - p : 32;
        rows512_2(a, lda, packed + (p / 16) * ps, m, k, ps, c + p, ldc, cols, acc);
    }
    if (p < n) rows512_1(a, lda, packed + (p / 16) * ps, m, k, ps, c + p, ldc, n - p, acc);
}
#endif

int amps_packed_gemm_strided(const float *a, long lda, const float *packed, long panelStride, long m, long n, long k,
                             float *c, long ldc, int accumulate) {
#ifdef AMPS_DISPATCH
    switch (level()) {
    case LEVEL_AVX512: packed_gemm_avx512(a, lda, packed, panelStride, m, n, k, c, ldc, accumulate); return 1;
    case LEVEL_AVX2: packed_gemm_avx2(a, lda, packed, panelStride, m, n, k, c, ldc, accumulate); return 1;
    default: break;
    }
#endif
    (void)a; (void)lda; (void)packed; (void)panelStride; (void)m; (void)n; (void)k; (void)c; (void)ldc; (void)accumulate;
    return 0;
}

int amps_packed_gemm(const float *a, long lda, const float *packed, long m, long n, long k,
                     float *c, long ldc, int accumulate) {
    return amps_packed_gemm_strided(a, lda, packed, 16 * k, m, n, k, c, ldc, accumulate);
}

// ---- bfloat16 weights: widening (a shift) and the few-row product over them.

#define BF16_WIDEN_BODY                                                                       \
    for (long i = 0; i < n; i++) {                                                          \
        uint32_t bits = (uint32_t)src[i] << 16;                                             \
        memcpy(dst + i, &bits, 4);                                                          \
    }
static void bf16_widen_baseline(const unsigned short *src, long n, float *dst) { BF16_WIDEN_BODY }
#ifdef AMPS_DISPATCH
__attribute__((target("avx2,fma"))) static void bf16_widen_avx2(const unsigned short *src, long n, float *dst) { BF16_WIDEN_BODY }
AVX512 static void bf16_widen_avx512(const unsigned short *src, long n, float *dst) { BF16_WIDEN_BODY }
#endif

void amps_bf16_widen(const unsigned short *src, long n, float *dst) {
#ifdef AMPS_DISPATCH
    switch (level()) {
    case LEVEL_AVX512: bf16_widen_avx512(src, n, dst); return;
    case LEVEL_AVX2: bf16_widen_avx2(src, n, dst); return;
    default: break;
    }
#endif
    bf16_widen_baseline(src, n, dst);
}

static inline float bf16_to_float(unsigned short h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline void store_result(float *c, float v, int acc) { *c = acc ? *c + v : v; }

static void bf16_gemm_small_baseline(const float *a, long lda, const unsigned short *w, long ldw, long m, long n, long k,
                                     float *c, long ldc, int acc) {
    for (long j = 0; j < n; j++)
        for (long i = 0; i < m; i++) {
            float s = 0.0f;
            for (long kk = 0; kk < k; kk++) s += a[i * lda + kk] * bf16_to_float(w[j * ldw + kk]);
            store_result(c + i * ldc + j, s, acc);
        }
}

#ifdef AMPS_DISPATCH
// Four weight rows at once against up to R rows of A: four streams of W in flight (a
// single stream left the loads waiting on memory), each widened once per 16 (8) of k and
// used by every A row, so W is read once whatever m is. Leftover weight rows (n % 4) take
// the baseline loop.
__attribute__((target("avx512f,avx2,fma")))
static void bf16_block_avx512(const float *a, long lda, const unsigned short *w, long ldw, long rows, long n, long k,
                              float *c, long ldc, int acc) {
    long j = 0;
    for (; j + 4 <= n; j += 4) {
        __m512 s[4][4];
        UNROLL for (int q = 0; q < 4; q++) UNROLL for (int r = 0; r < 4; r++) s[q][r] = _mm512_setzero_ps();
        long kk = 0;
        for (; kk + 16 <= k; kk += 16) {
            __m512 wf[4];
            UNROLL for (int q = 0; q < 4; q++)
                wf[q] = _mm512_castsi512_ps(_mm512_slli_epi32(
                    _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(w + (j + q) * ldw + kk))), 16));
            UNROLL for (int r = 0; r < 4; r++) {
                if (r < rows) {
                    __m512 x = _mm512_loadu_ps(a + r * lda + kk);
                    UNROLL for (int q = 0; q < 4; q++) s[q][r] = _mm512_fmadd_ps(x, wf[q], s[q][r]);
                }
            }
        }
        for (int q = 0; q < 4; q++)
            for (long r = 0; r < rows; r++) {
                float v = _mm512_reduce_add_ps(s[q][r]);
                for (long t = kk; t < k; t++) v += a[r * lda + t] * bf16_to_float(w[(j + q) * ldw + t]);
                store_result(c + r * ldc + j + q, v, acc);
            }
    }
    if (j < n) bf16_gemm_small_baseline(a, lda, w + j * ldw, ldw, rows, n - j, k, c + j, ldc, acc);
}

// AVX2: four weight rows against up to two A rows (8 of the 16 ymm registers accumulate).
__attribute__((target("avx2,fma")))
static void bf16_block_avx2(const float *a, long lda, const unsigned short *w, long ldw, long rows, long n, long k,
                            float *c, long ldc, int acc) {
    long j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256 s[4][2];
        UNROLL for (int q = 0; q < 4; q++) UNROLL for (int r = 0; r < 2; r++) s[q][r] = _mm256_setzero_ps();
        long kk = 0;
        for (; kk + 8 <= k; kk += 8) {
            __m256 wf[4];
            UNROLL for (int q = 0; q < 4; q++)
                wf[q] = _mm256_castsi256_ps(_mm256_slli_epi32(
                    _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w + (j + q) * ldw + kk))), 16));
            UNROLL for (int r = 0; r < 2; r++) {
                if (r < rows) {
                    __m256 x = _mm256_loadu_ps(a + r * lda + kk);
                    UNROLL for (int q = 0; q < 4; q++) s[q][r] = _mm256_fmadd_ps(x, wf[q], s[q][r]);
                }
            }
        }
        for (int q = 0; q < 4; q++)
            for (long r = 0; r < rows; r++) {
                float v = hsum8(s[q][r]);
                for (long t = kk; t < k; t++) v += a[r * lda + t] * bf16_to_float(w[(j + q) * ldw + t]);
                store_result(c + r * ldc + j + q, v, acc);
            }
    }
    if (j < n) bf16_gemm_small_baseline(a, lda, w + j * ldw, ldw, rows, n - j, k, c + j, ldc, acc);
}

static void bf16_gemm_small_avx512(const float *a, long lda, const unsigned short *w, long ldw, long m, long n, long k,
                                   float *c, long ldc, int acc) {
    for (long i = 0; i < m; i += 4)
        bf16_block_avx512(a + i * lda, lda, w, ldw, m - i < 4 ? m - i : 4, n, k, c + i * ldc, ldc, acc);
}

static void bf16_gemm_small_avx2(const float *a, long lda, const unsigned short *w, long ldw, long m, long n, long k,
                                 float *c, long ldc, int acc) {
    for (long i = 0; i < m; i += 2)
        bf16_block_avx2(a + i * lda, lda, w, ldw, m - i < 2 ? m - i : 2, n, k, c + i * ldc, ldc, acc);
}
#endif

void amps_bf16_gemm_small(const float *a, long lda, const unsigned short *w, long ldw, long m, long n, long k,
                          float *c, long ldc, int accumulate) {
#ifdef AMPS_DISPATCH
    switch (level()) {
    case LEVEL_AVX512: bf16_gemm_small_avx512(a, lda, w, ldw, m, n, k, c, ldc, accumulate); return;
    case LEVEL_AVX2: bf16_gemm_small_avx2(a, lda, w, ldw, m, n, k, c, ldc, accumulate); return;
    default: break;
    }
#endif
    bf16_gemm_small_baseline(a, lda, w, ldw, m, n, k, c, ldc, accumulate);
}
