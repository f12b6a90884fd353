#include "vector_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2")))
static void int8_scores_avx2(const int8_t *rows, size_t count, size_t dimension, const int8_t *query,
                             const float *scales, float *out) {
    for (size_t r = 0; r < count; r++) {
        const int8_t *row = rows + r * dimension;
        __m256i total = _mm256_setzero_si256();
        size_t i = 0;
        for (; i + 16 <= dimension; i += 16) {
            __m256i a = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(row + i)));
            __m256i b = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(query + i)));
            total = _mm256_add_epi32(total, _mm256_madd_epi16(a, b));
        }
        __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
        sum = _mm_hadd_epi32(sum, sum);
        sum = _mm_hadd_epi32(sum, sum);
        int32_t dot = _mm_cvtsi128_si32(sum);
        for (; i < dimension; i++) dot += (int32_t)row[i] * (int32_t)query[i];
        out[r] = (float)dot * scales[r];
    }
}
#endif

static void int8_scores_portable(const int8_t *rows, size_t count, size_t dimension, const int8_t *query,
                                 const float *scales, float *out) {
    for (size_t r = 0; r < count; r++) {
        const int8_t *row = rows + r * dimension;
        int32_t dot = 0;
        for (size_t i = 0; i < dimension; i++) dot += (int32_t)row[i] * (int32_t)query[i];
        out[r] = (float)dot * scales[r];
    }
}

void vc_int8_scores(const int8_t *rows, size_t count, size_t dimension, const int8_t *query,
                    const float *scales, float *out) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) {
        int8_scores_avx2(rows, count, dimension, query, scales, out);
        return;
    }
#endif
    int8_scores_portable(rows, count, dimension, query, scales, out);
}
