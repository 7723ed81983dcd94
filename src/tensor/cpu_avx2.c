/*
 * AVX2+FMA kernels. Compiled for any x86-64 with the target attribute, so
 * the build never assumes the build machine's CPU; used only after a run
 * time check.
 */
#include "tensor/cpu.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include "tensor/dtype.h"

#include <cpuid.h>
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma,f16c")))

/* dot_f16 is the only kernel that executes F16C instructions; the others
 * carry the target attribute only so that they can share helpers. */

TARGET static float hsum(__m256 v)
{
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));

    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

/* Eight bfloat16 values widened to float: the bits move to the top half. */
TARGET static __m256 load_bf16(const uint16_t *p)
{
    __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));

    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

TARGET static __m256 load_f16(const uint16_t *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

TARGET static __m256 load_f32(const float *p)
{
    return _mm256_loadu_ps(p);
}

/* Two accumulators hide the FMA latency; the tail is scalar. */
#define DOT_BODY(load, scalar)                                                     \
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                \
    float sum;                                                                    \
    int64_t i = 0;                                                                \
    for (; i + 16 <= n; i += 16) {                                                \
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), load(w + i), acc0);         \
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), load(w + i + 8), acc1); \
    }                                                                             \
    for (; i + 8 <= n; i += 8)                                                    \
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), load(w + i), acc0);        \
    sum = hsum(_mm256_add_ps(acc0, acc1));                                        \
    for (; i < n; i++)                                                            \
        sum += x[i] * scalar(w[i]);                                               \
    return sum

static float id(float f)
{
    return f;
}

TARGET static float dot_f32(const float *x, const void *wv, int64_t n)
{
    const float *w = wv;

    DOT_BODY(load_f32, id);
}

TARGET static float dot_bf16(const float *x, const void *wv, int64_t n)
{
    const uint16_t *w = wv;

    DOT_BODY(load_bf16, mn_bf16_to_f32);
}

TARGET static float dot_f16(const float *x, const void *wv, int64_t n)
{
    const uint16_t *w = wv;

    DOT_BODY(load_f16, mn_f16_to_f32);
}

const mn_dot_kernels *mn_dot_avx2(void)
{
    static const mn_dot_kernels with_f16c = {"avx2+fma+f16c", dot_f32, dot_f16, dot_bf16};
    static const mn_dot_kernels without = {"avx2+fma", dot_f32, NULL, dot_bf16};

    unsigned eax, ebx, ecx = 0, edx;

    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        return NULL;
    /* GCC cannot test F16C by name: CPUID leaf 1, ECX bit 29. */
    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    return (ecx & (1u << 29)) ? &with_f16c : &without;
}

#else

const mn_dot_kernels *mn_dot_avx2(void)
{
    return NULL;
}

#endif
